"""Interceptors (Dubbo's filters): code that sees every call, on clients and servers.

An interceptor sees the method, the attachments, each request and response message
and the final status, in all four modes. ``on_call`` runs first: on a client it may
add or change the attachments about to be sent; raising ``RpcError`` there refuses the
call (on a server the caller gets that status). The other hooks observe; what they
return is ignored. Nothing here runs unless interceptors are configured.

grpcio's own interceptors are not used: on a client they would see unary requests as
bytes (the library serializes multi-argument requests itself), and on a server they
see requests before, but responses after, the handler's (de)serializers.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterable, Iterator, Sequence, Tuple

import grpc

from .errors import RpcError

__all__ = ["Interceptor", "CallInfo", "Hooks"]


class CallInfo:
    """One call as interceptors see it. ``attachments`` may be changed by a client's ``on_call``."""

    __slots__ = ("side", "method", "kind", "attachments", "state", "peer")

    def __init__(self, side: str, method: str, kind: str, attachments: Dict[str, Any], peer: str = "") -> None:
        self.side = side  # "client" or "server"
        self.method = method  # "/service/method"
        self.kind = kind  # "unary", "client_stream", "server_stream" or "bi_stream"
        self.attachments = attachments
        self.state: Dict[str, Any] = {}  # for an interceptor's own per-call notes (timers, spans)
        # The other end: a client's "host:port" ("" when a registry picks the provider per call),
        # a server's caller as grpcio names it ("ipv4:10.0.0.1:52000").
        self.peer = peer

    def __repr__(self) -> str:
        return f"CallInfo({self.side} {self.kind} {self.method})"


class Interceptor:
    """Override the hooks you need; each default does nothing."""

    def on_call(self, call: CallInfo) -> None:
        """The call starts. Raise ``RpcError`` to refuse it."""

    def on_request(self, call: CallInfo, message: Any) -> None:
        """A request message (for a multi-argument unary client call, the tuple of arguments)."""

    def on_response(self, call: CallInfo, message: Any) -> None:
        """A response message."""

    def on_end(self, call: CallInfo, code: grpc.StatusCode, message: str) -> None:
        """The call is over, with this status (``OK`` and ``""`` on success)."""


def _status_of(error: BaseException) -> Tuple[grpc.StatusCode, str]:
    if isinstance(error, RpcError):
        return error.code(), error.message
    if isinstance(error, (GeneratorExit, asyncio.CancelledError)):
        return grpc.StatusCode.CANCELLED, "the call ended before the handler finished"
    return grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}"


class Hooks:
    """The hooks of several interceptors, run in order for one call (client or server side)."""

    __slots__ = ("interceptors", "info", "ended")

    def __init__(self, interceptors: Sequence[Interceptor], info: CallInfo) -> None:
        self.interceptors = interceptors
        self.info = info
        self.ended = False
        for started, interceptor in enumerate(interceptors):
            try:
                interceptor.on_call(info)
            except BaseException as error:  # a refusal: the ones already started see the call end
                self.interceptors = interceptors[:started]
                self.fail(error)
                raise

    def request(self, message: Any) -> Any:
        for interceptor in self.interceptors:
            interceptor.on_request(self.info, message)
        return message

    def response(self, message: Any) -> Any:
        for interceptor in self.interceptors:
            interceptor.on_response(self.info, message)
        return message

    def end(self, code: grpc.StatusCode = grpc.StatusCode.OK, message: str = "") -> None:
        if not self.ended:
            self.ended = True
            for interceptor in self.interceptors:
                interceptor.on_end(self.info, code, message)

    def fail(self, error: BaseException) -> None:
        self.end(*_status_of(error))

    def requests(self, messages: Iterable[Any]) -> Iterator[Any]:
        for message in messages:
            yield self.request(message)

    def responses(self, messages: Iterable[Any]) -> Iterator[Any]:
        try:
            for message in messages:
                yield self.response(message)
        except BaseException as error:
            self.fail(error)
            raise
        self.end()
