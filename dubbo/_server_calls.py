"""Running Apache-shaped handlers under grpcio: the server side of each streaming mode.

grpcio calls ``behavior(request_or_iterator, context)``; these adapters call the user's
``fn(request)`` / ``fn(stream)``, turn exceptions into statuses, and let streaming
handlers either yield responses (run on grpcio's thread, the fast path) or call
``stream.write()`` (run on a thread of their own so reads and writes can interleave).
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
from typing import Any, Callable, Iterator, Optional

import grpc

from ._errors import RpcError
from ._handlers import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY, RpcMethodHandler
from ._stream import ReadStream

__all__ = ["ServerStream", "grpc_method_handler"]

_log = logging.getLogger("dubbo.server")

_DONE = object()


class _Returned:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _fail(context: grpc.ServicerContext, error: BaseException, method: str) -> None:
    """End the call with the status ``error`` stands for; never returns."""
    if type(error) is Exception and not error.args:  # grpcio's own abort() signal
        raise error
    if isinstance(error, RpcError):
        context.abort(error.code, error.message)
    _log.error("%s failed", method, exc_info=error)
    context.abort(grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}")


class ServerStream(ReadStream):
    """What a streaming handler gets: the requests to read, and ``write`` / ``done_writing``.

    ``write`` is for handlers that are not generators; a generator handler yields.
    """

    __slots__ = ("_out", "_closed", "_context")

    def __init__(self, requests: Iterator[Any], context: grpc.ServicerContext) -> None:
        super().__init__(requests)
        self._out: Optional[queue.Queue] = None
        self._closed = False
        self._context = context

    def write(self, message: Any) -> None:
        """Send one response now."""
        self._put(message)

    def done_writing(self) -> None:
        """End the response stream; the call completes with OK."""
        if not self._closed:
            self._put(_DONE)
            self._closed = True

    def _put(self, item: Any) -> None:
        if self._out is None:
            raise TypeError("this handler is a generator: yield responses instead of write()")
        if self._closed:
            raise RpcError(grpc.StatusCode.CANCELLED, "the response stream is already closed")
        while True:
            try:
                self._out.put(item, timeout=0.2)
                return
            except queue.Full:
                if self._closed or not self._context.is_active():
                    raise RpcError(grpc.StatusCode.CANCELLED, "the call has ended") from None

    def _close(self) -> None:
        self._closed = True


def _yielded(fn: Callable[[Any], Any], stream: ServerStream, context, method: str) -> Iterator[Any]:
    """Responses of a generator handler, produced on grpcio's own thread."""
    try:
        yield from fn(stream)
    except Exception as error:
        _fail(context, error, method)


def _written(fn: Callable[[Any], Any], stream: ServerStream, context, method: str) -> Iterator[Any]:
    """Responses of a handler that writes them (or returns an iterable), run on its own thread."""
    out: queue.Queue = queue.Queue(64)
    stream._out = out
    context.add_callback(stream._close)

    def work() -> None:
        try:
            item: Any = _Returned(fn(stream))
        except BaseException as error:
            item = _Raised(error)
        try:
            out.put(item, timeout=1.0)
        except queue.Full:  # the call was cancelled and nobody reads any more
            if isinstance(item, _Raised):
                _log.error("%s failed after the call ended", method, exc_info=item.error)

    threading.Thread(target=work, name=f"dubbo-handler{method}", daemon=True).start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            cls = item.__class__
            if cls is _Returned:
                if item.value is not None:
                    yield from item.value
                return
            if cls is _Raised:
                raise item.error
            yield item
    except Exception as error:
        _fail(context, error, method)
    finally:
        stream._closed = True
        while True:  # unblock a writer waiting on a full queue
            try:
                out.get_nowait()
            except queue.Empty:
                break


def grpc_method_handler(service: str, handler: RpcMethodHandler) -> grpc.RpcMethodHandler:
    """The grpcio method handler that runs ``handler`` in its streaming mode."""
    fn = handler.method
    method = f"/{service}/{handler.method_name}"
    deserialize = handler.request_deserializer
    serialize = handler.response_serializer
    kind = handler.kind

    if kind == UNARY:

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return fn(request)
            except Exception as error:
                _fail(context, error, method)

        return grpc.unary_unary_rpc_method_handler(unary, deserialize, serialize)

    if kind == CLIENT_STREAM:

        def client_stream(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            try:
                return fn(ReadStream(requests))
            except Exception as error:
                _fail(context, error, method)

        return grpc.stream_unary_rpc_method_handler(client_stream, deserialize, serialize)

    responses = _yielded if inspect.isgeneratorfunction(fn) else _written

    if kind == SERVER_STREAM:

        def server_stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            return responses(fn, ServerStream(iter((request,)), context), context, method)

        return grpc.unary_stream_rpc_method_handler(server_stream, deserialize, serialize)

    if kind == BIDI_STREAM:

        def bidi_stream(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
            return responses(fn, ServerStream(requests, context), context, method)

        return grpc.stream_stream_rpc_method_handler(bidi_stream, deserialize, serialize)

    raise ValueError(f"unknown handler kind {kind!r} for {method}")
