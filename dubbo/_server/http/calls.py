"""Running handlers for plain-HTTP calls, the way the gRPC side runs them.

Sync handlers run on the server's thread pool, async ones on the event loop the endpoint
serves from (the one async handlers use on the gRPC side). The call being served is an
``HttpCall``: it answers what ``server_context()``, interceptors, deadline propagation and
the token check ask of grpcio's context, so all of them work unchanged. Every method
becomes a coroutine ``behavior(request_or_requests, call)`` in a grpcio method handler,
so the router's token and compression wrappers apply to it as they do on ``grpc.aio``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from concurrent.futures import Executor
from typing import Any, Awaitable, Callable, List, Optional, Sequence, Tuple, cast

import grpc

from ..._core.async_stream import AsyncServerStream
from ..._core.calls import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY, current_call
from ..._core.errors import RpcError
from ..._core.stream import EOF, ReadStream
from ..async_calls import is_async, responder, unwritable
from ..handlers import RpcMethodHandler

__all__ = ["HttpCall", "http_method_handler"]

_log = logging.getLogger("dubbo.server")

Metadata = Tuple[Tuple[str, Any], ...]


class _Sent:
    """What ``send_initial_metadata`` returns: nothing to wait for, awaitable for grpc.aio-shaped callers."""

    def __await__(self) -> Any:
        return iter(())


_SENT = _Sent()


class HttpCall:
    """One plain-HTTP call as handlers see it, in the shape of grpcio's ``ServicerContext``."""

    def __init__(
        self,
        metadata: Metadata,
        peer: str,
        timeout: Optional[float],
        loop: asyncio.AbstractEventLoop,
        emit: Callable[[Any], Awaitable[None]],
    ) -> None:
        self._metadata = metadata
        self._peer = peer
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._loop = loop
        self._emit = emit
        self._active = True
        self._callbacks: List[Callable[[], None]] = []
        self.response_headers: List[Tuple[str, Any]] = []
        self.trailers: Metadata = ()
        self.headers_sent = False

    def invocation_metadata(self) -> Metadata:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def time_remaining(self) -> Optional[float]:
        return None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)

    def is_active(self) -> bool:
        return self._active

    def add_callback(self, callback: Callable[[], None]) -> bool:
        if not self._active:
            return False
        self._callbacks.append(callback)
        return True

    def send_initial_metadata(self, metadata: Sequence[Tuple[str, Any]]) -> _Sent:
        if self.headers_sent:
            raise ValueError("the response headers have already been sent")
        self.response_headers.extend(metadata)
        return _SENT

    def set_trailing_metadata(self, metadata: Sequence[Tuple[str, Any]]) -> None:
        self.trailers = tuple(metadata)

    def set_compression(self, compression: Any) -> None:
        """Responses over plain HTTP go uncompressed (Java 3.3's do too)."""

    def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        raise RpcError(code, details)

    async def emit(self, message: Any) -> None:
        """Send one response of a streaming call (on the loop)."""
        if not self._active:
            raise RpcError(grpc.StatusCode.CANCELLED, "the call has ended")
        await self._emit(message)

    def emit_from_thread(self, message: Any) -> None:
        """``emit`` for a sync handler's thread: returns once the response is on its way."""
        if not self._active:
            raise RpcError(grpc.StatusCode.CANCELLED, "the call has ended")
        asyncio.run_coroutine_threadsafe(self.emit(message), self._loop).result()

    def end(self) -> None:
        """The call is over, however it ended: callbacks run, writes fail from now on."""
        if not self._active:
            return
        self._active = False
        for callback in self._callbacks:
            try:
                callback()
            except Exception:
                _log.exception("a call's callback failed")


class _WrittenStream(ReadStream):
    """A sync streaming handler's stream: the requests, and ``write`` / ``done_writing``."""

    __slots__ = ("_call",)

    def __init__(self, requests: Sequence[Any], call: HttpCall) -> None:
        super().__init__(iter(requests))
        self._call = call

    def write(self, message: Any) -> None:
        """Send one response now."""
        self._call.emit_from_thread(message)

    def done_writing(self) -> None:
        """No more responses; the call completes when the handler returns."""


def _reader(requests: Sequence[Any]) -> Callable[[], Awaitable[Any]]:
    pending = list(reversed(requests))

    async def read() -> Any:
        return pending.pop() if pending else EOF

    return read


def _enter(call: HttpCall) -> None:
    """Make ``call`` the one being served here: it answers what handlers ask of grpcio's context."""
    current_call.set(cast(grpc.ServicerContext, call))


def _in_call(call: HttpCall, fn: Callable[[Any], Any], argument: Any) -> Any:
    _enter(call)
    return fn(argument)


def _streamed(fn: Callable[[Any], Any], stream: _WrittenStream, call: HttpCall) -> None:
    """A sync streaming handler, run to its end on a pool thread: yielded or returned responses go out one by one."""
    _enter(call)
    responses = fn(stream)
    if responses is None:
        return
    try:
        for response in responses:
            call.emit_from_thread(response)
    finally:
        close = getattr(responses, "close", None)
        if close is not None:
            close()  # a generator stopped early (the call ended) runs its finally now


def _on_pool(executor: Optional[Executor], fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
    context = contextvars.copy_context()  # so current_call never outlives the call on the pool thread
    return asyncio.get_running_loop().run_in_executor(executor, context.run, fn, *args)


def http_method_handler(service: str, handler: RpcMethodHandler, executor: Optional[Executor]) -> grpc.RpcMethodHandler:
    """The grpcio-shaped method handler whose coroutine runs ``handler`` for an HTTP call."""
    fn, kind = handler.method, handler.kind
    many = kind == BIDI_STREAM  # a server stream's one request still reaches the handler as a stream
    if is_async(fn):
        if kind == UNARY:

            async def unary(argument: Any, call: HttpCall) -> Any:
                _enter(call)
                return await fn(argument)

        elif kind == CLIENT_STREAM:

            async def unary(argument: Any, call: HttpCall) -> Any:
                _enter(call)
                return await fn(AsyncServerStream(_reader(argument), unwritable))

        else:
            respond = responder(fn)

            async def streaming(requests: Any, call: HttpCall) -> None:
                _enter(call)
                await respond(AsyncServerStream(_reader(requests if many else [requests]), call.emit))

    else:
        if kind == UNARY:

            async def unary(argument: Any, call: HttpCall) -> Any:
                return await _on_pool(executor, _in_call, call, fn, argument)

        elif kind == CLIENT_STREAM:

            async def unary(argument: Any, call: HttpCall) -> Any:
                return await _on_pool(executor, _in_call, call, fn, ReadStream(iter(argument)))

        else:

            async def streaming(requests: Any, call: HttpCall) -> None:
                stream = _WrittenStream(requests if many else [requests], call)
                await _on_pool(executor, _streamed, fn, stream, call)

    serializers = dict(
        request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )
    if kind == UNARY:
        return grpc.unary_unary_rpc_method_handler(unary, **serializers)
    if kind == CLIENT_STREAM:
        return grpc.stream_unary_rpc_method_handler(unary, **serializers)
    if kind == SERVER_STREAM:
        return grpc.unary_stream_rpc_method_handler(streaming, **serializers)
    if kind == BIDI_STREAM:
        return grpc.stream_stream_rpc_method_handler(streaming, **serializers)
    raise ValueError(f"unknown handler kind {kind!r} for /{service}/{handler.method_name}")
