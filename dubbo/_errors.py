"""The one error type callers see: a gRPC status with its message and Triple extras."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import grpc

__all__ = ["RpcError"]

Metadata = Sequence[Tuple[str, Any]]

_TRI_EXCEPTION_CODE = "tri-exception-code"


class RpcError(grpc.RpcError):
    """A call that ended with a non-OK gRPC status.

    Raised on the client for every failed call; raised in a handler it ends the call
    with ``code`` and ``message``. It is a ``grpc.RpcError``, so code that already
    catches grpcio's errors keeps working.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str = "",
        *,
        exception_code: Optional[int] = None,
        initial_metadata: Metadata = (),
        trailing_metadata: Metadata = (),
    ) -> None:
        super().__init__(f"{code.name}: {message}" if message else code.name)
        self.code = code
        self.message = message
        self.exception_code = exception_code
        self.initial_metadata = tuple(initial_metadata or ())
        self.trailing_metadata = tuple(trailing_metadata or ())

    @classmethod
    def from_grpc(cls, error: grpc.RpcError) -> "RpcError":
        """Translate an error raised by grpcio (which is also its ``grpc.Call``)."""
        if isinstance(error, RpcError):
            return error
        try:
            code = error.code()
            message = error.details() or ""
            initial = error.initial_metadata() or ()
            trailing = error.trailing_metadata() or ()
        except Exception:  # a bare grpc.RpcError carries no status
            return cls(grpc.StatusCode.UNKNOWN, str(error))
        return cls(
            code,
            message,
            exception_code=_exception_code(initial) or _exception_code(trailing),
            initial_metadata=initial,
            trailing_metadata=trailing,
        )

    def __reduce__(self):  # keep the error picklable across process pools
        return (_rebuild, (self.code, self.message, self.exception_code))


def _rebuild(code: grpc.StatusCode, message: str, exception_code: Optional[int]) -> RpcError:
    return RpcError(code, message, exception_code=exception_code)


def _exception_code(metadata: Metadata) -> Optional[int]:
    for key, value in metadata:
        if key == _TRI_EXCEPTION_CODE:
            try:
                return int(value) or None
            except ValueError:
                return None
    return None
