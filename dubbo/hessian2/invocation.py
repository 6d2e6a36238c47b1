"""A Java method invocation as Python handlers see it: its arguments with their declared types, and the
exception it throws. Shared by wrapper mode (dubbo/hessian2/wrapper.py) and generic invocation
(dubbo/hessian2/generic.py), below both."""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

import grpc

from .._core.calls import Metadata
from .._core.errors import RpcError

__all__ = ["Arguments", "JavaException", "BIZ_EXCEPTION"]

BIZ_EXCEPTION = 3  # what Java sends as tri-exception-code for an exception whose status would be UNKNOWN


class Arguments(list):
    """A wrapped request's arguments, decoded, with their Java types (``types``, the request's argTypes)."""

    __slots__ = ("types",)

    def __init__(self, values: Iterable[Any], types: Sequence[str]) -> None:
        list.__init__(self, values)
        self.types = tuple(types)


class JavaException(RpcError):
    """A Java exception: one a Java provider threw (raised by the call), or one a handler raises to throw it at
    its Java consumer. ``java_class`` and ``java_message`` are the Throwable's class and message; ``throwable``
    is the decoded object (its ``cause``, ``stackTrace``...) when it came from Java."""

    def __init__(
        self,
        java_class: str,
        java_message: Optional[str] = None,
        *,
        code: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
        exception_code: int = BIZ_EXCEPTION,
        throwable: Any = None,
        initial_metadata: Metadata = (),
        trailing_metadata: Metadata = (),
    ) -> None:
        text = java_class if java_message is None else f"{java_class}: {java_message}"  # Throwable.toString()
        super().__init__(
            code, text, exception_code=exception_code,
            initial_metadata=initial_metadata, trailing_metadata=trailing_metadata,
        )  # fmt: skip
        self.java_class = java_class
        self.java_message = java_message
        self.throwable = throwable

    def __reduce__(self):  # keep the error picklable across process pools
        return (JavaException, (self.java_class, self.java_message))
