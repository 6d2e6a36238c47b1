"""The one error type callers see: a gRPC status with its message and Triple extras."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import grpc

from .calls import Metadata
from .triple import EXCEPTION_CODE

__all__ = ["RpcError", "exception_code"]


_STATUS_DETAILS = "grpc-status-details-bin"
# grpcio's status for a streamed request its serializer refused; the cause is in its log.
_GRPC_SERIALIZING = "Exception serializing request!"
_SERIALIZING = "could not serialize a request message (the client's log, logger grpc._common, has the cause)"


class RpcError(grpc.RpcError):
    """A call that ended with a non-OK gRPC status.

    Raised on the client for every failed call; raised in a handler it ends the call
    with ``code`` and ``message``. It is a ``grpc.RpcError`` with grpcio's methods
    (``code()``, ``details()`` for the message, ``initial_metadata()``,
    ``trailing_metadata()``), so code that catches grpcio's errors keeps working.
    ``status_details`` are protobuf messages sent as rich error details
    (``grpc-status-details-bin``, a ``google.rpc.Status``); on the client they arrive
    as ``google.protobuf.Any`` values to ``Unpack``.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str = "",
        *,
        exception_code: Optional[int] = None,
        initial_metadata: Metadata = (),
        trailing_metadata: Metadata = (),
        status_details: Optional[Sequence[Any]] = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}" if message else code.name)
        self._code = code
        self.message = message
        self.exception_code = exception_code
        self._initial_metadata = tuple(initial_metadata or ())
        self._trailing_metadata = tuple(trailing_metadata or ())
        self.status_details: List[Any] = list(status_details or ())

    def code(self) -> grpc.StatusCode:
        """The status code, as grpcio's ``RpcError.code()``."""
        return self._code

    def details(self) -> str:
        """The status message, as grpcio's ``RpcError.details()`` (rich details are ``status_details``)."""
        return self.message

    def initial_metadata(self) -> Tuple[Any, ...]:
        """The response headers the server sent, as grpcio's ``initial_metadata()``."""
        return self._initial_metadata

    def trailing_metadata(self) -> Tuple[Any, ...]:
        """The trailers the server sent, as grpcio's ``trailing_metadata()``."""
        return self._trailing_metadata

    @classmethod
    def from_grpc(cls, error: grpc.RpcError) -> "RpcError":
        """Translate an error raised by grpcio (which is also its ``grpc.Call``)."""
        if isinstance(error, RpcError):
            return error
        call: Any = error
        try:
            code = call.code()
            message = call.details() or ""
            initial = call.initial_metadata() or ()
            trailing = call.trailing_metadata() or ()
        except Exception:  # a bare grpc.RpcError carries no status
            return cls(grpc.StatusCode.UNKNOWN, str(error))
        if code is grpc.StatusCode.INTERNAL and message == _GRPC_SERIALIZING:
            message = _SERIALIZING
        return cls(
            code,
            message,
            exception_code=exception_code(initial) or exception_code(trailing),
            initial_metadata=initial,
            trailing_metadata=trailing,
            status_details=_status_details(trailing),
        )

    def to_status(self) -> grpc.Status:
        """This error as a ``grpc.Status`` carrying a ``google.rpc.Status`` with the details."""
        from google.protobuf import any_pb2
        from google.rpc import status_pb2
        from grpc_status import rpc_status

        packed = []
        for detail in self.status_details:
            if isinstance(detail, any_pb2.Any):
                packed.append(detail)
            else:
                wrapper = any_pb2.Any()
                wrapper.Pack(detail)
                packed.append(wrapper)
        status = status_pb2.Status(code=self._code.value[0], message=self.message, details=packed)
        return rpc_status.to_status(status)

    def __reduce__(self):  # keep the error picklable across process pools
        return (_rebuild, (self._code, self.message, self.exception_code))


def _rebuild(code: grpc.StatusCode, message: str, exception_code: Optional[int]) -> RpcError:
    return RpcError(code, message, exception_code=exception_code)


def _status_details(trailing: Metadata) -> List[Any]:
    """The ``Any`` details of a ``grpc-status-details-bin`` trailer; empty when absent or unreadable."""
    for key, value in trailing:
        if key == _STATUS_DETAILS:
            try:
                from google.rpc import status_pb2
            except ImportError:  # googleapis-common-protos is not installed: keep the raw trailer only
                return []
            try:
                return list(status_pb2.Status.FromString(value).details)
            except Exception:
                return []
    return []


def exception_code(metadata: Metadata) -> Optional[int]:
    """The non-zero ``tri-exception-code`` in ``metadata``, else None."""
    for key, value in metadata:
        if key == EXCEPTION_CODE:
            try:
                return int(value) or None
            except ValueError:
                return None
    return None
