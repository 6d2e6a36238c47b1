"""The call a handler is serving: ``dubbo.server_context()``.

Apache's handler shapes take no context argument, so, like Java's ``RpcContext``, the
current call is found through a context variable that the server sets for each call
(dubbo/_core/calls.py).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

import grpc

from .._core.attachments import decode_attachments, encode_attachments
from .._core.calls import NO_DEADLINE, current_call
from .._core.errors import RpcError
from .._core.transport import compression_of

__all__ = ["ServerContext", "server_context"]

class ServerContext:
    """What a handler may know and do about its call: attachments, peer, deadline, cancellation,
    response headers and trailers, and ending the call with a status."""

    __slots__ = ("_grpc", "_attachments")

    def __init__(self, context: grpc.ServicerContext) -> None:
        self._grpc = context
        self._attachments: Optional[Dict[str, Any]] = None

    @property
    def attachments(self) -> Dict[str, Any]:
        """The caller's attachments (request headers), original key spelling restored."""
        if self._attachments is None:
            self._attachments = decode_attachments(self._grpc.invocation_metadata())
        return self._attachments

    @property
    def peer(self) -> str:
        """The caller's address, e.g. ``ipv4:127.0.0.1:53412``."""
        return self._grpc.peer()

    def time_remaining(self) -> Optional[float]:
        """Seconds until the caller's deadline, or ``None`` if it set none."""
        remaining = self._grpc.time_remaining()
        return None if remaining is None or remaining > NO_DEADLINE else max(remaining, 0.0)

    def is_active(self) -> bool:
        """False once the call is over: cancelled by the caller, past its deadline, or completed."""
        return self._grpc.is_active()

    def add_callback(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` when the call ends, however it ends (cancellation included)."""
        return self._grpc.add_callback(callback)

    def set_response_headers(self, attachments: Mapping[str, Any]) -> None:
        """Send response headers now (before the first response message)."""
        self._grpc.send_initial_metadata(encode_attachments(attachments))

    def set_trailers(self, attachments: Mapping[str, Any]) -> None:
        """Attachments for the response trailers, where Java sends server attachments."""
        self._grpc.set_trailing_metadata(encode_attachments(attachments))

    def set_compression(self, name: str) -> None:
        """Compress this call's responses (``"gzip"``)."""
        self._grpc.set_compression(compression_of(name) or grpc.Compression.NoCompression)

    def abort(self, code: grpc.StatusCode, message: str = "", status_details: Any = None) -> None:
        """End the call with ``code`` and ``message``; never returns."""
        raise RpcError(code, message, status_details=status_details)


def server_context() -> ServerContext:
    """The context of the call being served; a ``LookupError`` outside a handler."""
    context = current_call.get()
    if context is None:
        raise LookupError("server_context() is only available inside a handler while it serves a call")
    return ServerContext(context)
