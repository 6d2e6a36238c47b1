"""Methods a server answers for a service beyond the handlers the service declares.

A package above the core appends a function to ``METHOD_ADDERS``: dubbo.hessian2 adds Java's generic
``$invoke`` to every service with wrapper-mode handlers. The servers, which must not import that package,
ask each function once when they assemble a service, so no call pays for it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping

__all__ = ["METHOD_ADDERS", "added_methods"]

MethodAdder = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]

METHOD_ADDERS: List[MethodAdder] = []
"""Functions ``(service name, its handlers by method name) -> more handlers by method name``."""


def added_methods(service: str, handlers: Mapping[str, Any]) -> Dict[str, Any]:
    """The handlers every adder gives ``service``, minus the names it declares itself (those stay the service's)."""
    added: Dict[str, Any] = {}
    for add in METHOD_ADDERS:
        for name, handler in add(service, handlers).items():
            if name not in handlers:
                added.setdefault(name, handler)
    return added
