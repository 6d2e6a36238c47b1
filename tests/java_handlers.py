"""Wrapper-mode handlers the Java interface tests serve: Greeter.sayHello as a Java provider would write it."""

from __future__ import annotations

from dubbo import hessian2


def hello(args: hessian2.Arguments) -> str:
    """``String sayHello(String name)``, throwing IllegalArgumentException for an empty name."""
    (name,) = args
    if not name:
        raise hessian2.JavaException("java.lang.IllegalArgumentException", "name must not be empty")
    return f"Hello, {name}!"
