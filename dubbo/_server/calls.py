"""Running Apache-shaped handlers under grpcio: the server side of each streaming mode.

grpcio calls ``behavior(request_or_iterator, context)``; these adapters call the user's
``fn(request)`` / ``fn(stream)``, turn exceptions into statuses, and let streaming
handlers either yield responses (run on grpcio's thread, the fast path) or call
``stream.write()`` (run on a thread of their own so reads and writes can interleave).
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Iterator, Optional

import grpc

from .._core.calls import KINDS, current_call
from .._core.errors import RpcError
from .._core.stream import Handoff, ReadStream
from .async_calls import LoopThread, async_method_handler, is_async
from .failures import RequestDecoder, end_with_error, response_encoder
from .handlers import RpcMethodHandler

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


class ServerStream(ReadStream):
    """What a streaming handler gets: the requests to read, and ``write`` / ``done_writing``.

    ``write`` is for handlers that are not generators; a generator handler yields.
    """

    __slots__ = ("_out", "_closed", "_context")

    def __init__(self, requests: Iterator[Any], context: grpc.ServicerContext) -> None:
        super().__init__(requests)
        self._out: Optional[Handoff] = None
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
        if not self._out.put(item, self._context.is_active):
            raise RpcError(grpc.StatusCode.CANCELLED, "the call has ended")

    def _close(self) -> None:
        self._closed = True


def _yielded(
    fn: Callable[[Any], Any], stream: ServerStream, context, method: str, encode: Callable[[Any], bytes]
) -> Iterator[bytes]:
    """Responses of a generator handler, produced and serialized on grpcio's own thread."""
    try:
        for response in fn(stream):
            yield encode(response)
    except Exception as error:
        end_with_error(context, error, method)
    finally:
        current_call.set(None)  # the call is over (see grpc_method_handler)


def _written(
    fn: Callable[[Any], Any], stream: ServerStream, context, method: str, encode: Callable[[Any], bytes]
) -> Iterator[bytes]:
    """Responses of a handler that writes them (or returns an iterable), run on its own thread."""
    out = stream._out = Handoff(64)
    context.add_callback(stream._close)

    def work() -> None:
        current_call.set(context)
        try:
            item: Any = _Returned(fn(stream))
        except BaseException as error:
            item = _Raised(error)
        # The call has ended and nobody reads any more: a failure of the handler's own (not a
        # status, such as its write() finding the call over) is logged rather than lost.
        if out.closed and isinstance(item, _Raised) and not isinstance(item.error, RpcError):
            _log.error("%s failed after the call ended", method, exc_info=item.error)
        out.put_last(item)

    threading.Thread(target=work, name=f"dubbo-handler{method}", daemon=True).start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            cls = item.__class__
            if cls is _Returned:
                if item.value is not None:
                    for response in item.value:
                        yield encode(response)
                return
            if cls is _Raised:
                raise item.error
            yield encode(item)
    except Exception as error:
        end_with_error(context, error, method)
    finally:
        stream._closed = True
        out.close()
        current_call.set(None)  # the call is over (see grpc_method_handler)


def grpc_method_handler(
    service: str, handler: RpcMethodHandler, loop_thread: Optional[LoopThread] = None
) -> grpc.RpcMethodHandler:
    """The grpcio method handler that runs ``handler`` in its streaming mode.

    An ``async def`` or async generator handler runs on ``loop_thread`` (the server's event loop thread).
    """
    fn = handler.method
    if is_async(fn):
        if loop_thread is None:
            raise ValueError(f"/{service}/{handler.method_name} is an async handler: it needs the server's loop thread")
        return async_method_handler(service, handler, loop_thread)
    method = f"/{service}/{handler.method_name}"
    # Failures to (de)serialize get statuses of our own: grpcio's for a bad message
    # ("Exception deserializing request!") name neither method nor cause, and its sync
    # server leaves the caller waiting on a response that is not bytes.
    encode = response_encoder(handler.response_serializer, method)
    kind = KINDS[handler.kind]
    decoder = RequestDecoder(handler.request_deserializer, method, kind.request_streaming)
    single, stream = decoder.single, decoder.stream

    # Each behavior first makes its call the current one (for server_context() and
    # deadline propagation); grpcio then iterates any response generator on this thread.
    # It is unset when the call's work ends: grpcio runs each call in a contextvars context
    # that the call's state holds, so a servicer context left in it (which holds the state)
    # makes a cycle, and each call's grpcio objects would wait for the cyclic collector.
    if kind.response_streaming:
        responses = _yielded if inspect.isgeneratorfunction(fn) else _written

        def streams_in(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
            current_call.set(context)
            return responses(fn, ServerStream(stream(requests), context), context, method, encode)

        def one_in(data: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
            current_call.set(context)
            return responses(fn, ServerStream(iter((single(data, context),)), context), context, method, encode)

        return kind.method_handler(streams_in if kind.request_streaming else one_in, decoder.deserializer)

    argument = (lambda requests, context: ReadStream(stream(requests))) if kind.request_streaming else single

    def one_out(request: Any, context: grpc.ServicerContext) -> bytes:
        served = current_call.set(context)
        try:
            received = argument(request, context)
            try:
                return encode(fn(received))
            except Exception as error:
                end_with_error(context, error, method)
        finally:
            current_call.reset(served)

    return kind.method_handler(one_out, decoder.deserializer)
