"""Async handlers on the sync server: they run on an event loop thread the server owns.

grpcio's worker thread hands the handler to the loop and waits; requests come from
grpcio's iterator (read on the server's pool, off the loop) and responses go back
through a bounded queue, so a slow client slows the handler instead of filling memory.
For async services ``dubbo.aio.Server`` is the native (and faster) home; this keeps one
``RpcServiceHandler`` servable on both.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Iterator, List, Optional, cast

import grpc

from .._core.async_stream import AsyncServerStream
from .._core.calls import KINDS, current_call
from .failures import RequestDecoder, end_with_error, response_encoder
from .handlers import RpcMethodHandler

__all__ = ["LoopThread", "async_method_handler", "is_async", "responder", "first_then_eof", "unwritable"]

_DONE = object()


def is_async(fn: Callable[..., Any]) -> bool:
    """Whether a handler is a coroutine or async generator function (or an object whose ``__call__`` is)."""
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)
    return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)


class LoopThread:
    """An event loop on a daemon thread, started on first use and ended by ``stop()``.

    Its default executor (``max_workers`` threads) reads blocking request iterators.
    """

    def __init__(self, name: str = "dubbo-server-loop", max_workers: int = 64) -> None:
        self._name = name
        self._max_workers = max_workers
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            with self._lock:
                if self._loop is None:
                    loop = asyncio.new_event_loop()
                    executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix=self._name)
                    loop.set_default_executor(executor)
                    self._thread = threading.Thread(target=self._run, args=(loop, executor), name=self._name, daemon=True)
                    self._thread.start()
                    self._loop = loop
                loop = self._loop
        return loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        try:
            loop.run_forever()
        finally:
            executor.shutdown(wait=False)
            loop.close()

    def submit(self, coroutine: Any) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def stop(self, timeout: float = 5.0) -> None:
        """End the loop (calls were ended first, by the server's stop) and wait for its thread."""
        with self._lock:
            loop, self._loop = self._loop, None
            thread, self._thread = self._thread, None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)


async def _in_call(context: grpc.ServicerContext, awaitable: Any) -> Any:
    current_call.set(context)  # this task's copy: dubbo.server_context() and deadline propagation
    return await awaitable


def _reader(requests: Iterator[Any]) -> Callable[[], Any]:
    """An async ``read()`` over grpcio's blocking request iterator, run off the loop."""

    def next_or_eof() -> Any:
        return next(requests, grpc.aio.EOF)

    async def read() -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, next_or_eof)

    return read


class _Out:
    """Responses from the loop to grpcio's thread, bounded: ``await put()`` waits while the
    queue is full, and grpcio's thread wakes it (only then) as it takes a response."""

    __slots__ = ("queue", "open", "_loop", "_space", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: queue.Queue = queue.Queue(64)
        self.open = True
        self._loop = loop
        self._space: Optional[asyncio.Event] = None
        self._waiting = False

    async def put(self, item: Any) -> None:
        """On the loop."""
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                if not self.open:
                    raise asyncio.CancelledError() from None
            if self._space is None:
                self._space = asyncio.Event()
            self._space.clear()
            self._waiting = True
            try:
                if self.queue.full():  # still full now that get() will wake us
                    await self._space.wait()
            finally:
                self._waiting = False

    def get(self) -> Any:
        """On grpcio's thread."""
        item = self.queue.get()
        if self._waiting and self._space is not None:
            self._loop.call_soon_threadsafe(self._space.set)
        return item

    def close(self) -> None:
        """grpcio is done with the call: a waiting ``put`` gives up."""
        self.open = False
        if self._waiting and self._space is not None:
            self._loop.call_soon_threadsafe(self._space.set)


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def responder(fn: Callable[[Any], Any]) -> Callable[[AsyncServerStream], Awaitable[None]]:
    """How to run a streaming async handler, decided once: its responses are yielded, or
    returned (a sync or async iterable), or written by the handler itself."""
    if inspect.isasyncgenfunction(fn) or inspect.isasyncgenfunction(getattr(type(fn), "__call__", None)):

        async def yielded(stream: AsyncServerStream) -> None:
            async for response in fn(stream):
                await stream._write(response)

        return yielded

    async def returned_or_written(stream: AsyncServerStream) -> None:
        result = await fn(stream)
        if result is None:
            return
        if hasattr(result, "__aiter__"):
            async for response in result:
                await stream._write(response)
        else:
            for response in result:
                await stream._write(response)

    return returned_or_written


async def unwritable(message: Any) -> None:
    """``write`` of a client-stream handler's stream: its one response is what it returns."""
    raise TypeError("a client-stream handler returns its one response; it cannot write()")


def first_then_eof(request: Any) -> Callable[[], Awaitable[Any]]:
    box: List[Any] = [request]

    async def read() -> Any:
        return box.pop() if box else grpc.aio.EOF

    return read


def _started(loop_thread: LoopThread, coroutine: Any, context: grpc.ServicerContext) -> Future:
    """``coroutine`` running on the loop thread, cancelled when the call ends first."""
    future = loop_thread.submit(coroutine)
    if not context.add_callback(cast(Callable[[], None], future.cancel)):  # the caller went away
        future.cancel()  # ... already, before the handler started
    return future


def _result(
    loop_thread: LoopThread, coroutine: Any, context: grpc.ServicerContext, method: str, encode: Callable[[Any], bytes]
) -> bytes:
    """The one response of an async handler, waited for on grpcio's thread."""
    future = _started(loop_thread, _in_call(context, coroutine), context)
    try:
        return encode(future.result())
    except CancelledError:  # the call ended first (cancelled, or past its deadline)
        context.abort(grpc.StatusCode.CANCELLED, "the call ended before its handler")
    except Exception as error:
        end_with_error(context, error, method)


def _responses(
    loop_thread: LoopThread,
    respond: Callable[[AsyncServerStream], Awaitable[None]],
    read: Callable[[], Any],
    context: grpc.ServicerContext,
    method: str,
    encode: Callable[[Any], bytes],
) -> Iterator[bytes]:
    """The responses an async streaming handler produces on the loop, handed to grpcio's thread."""
    out = _Out(loop_thread.loop)

    async def drive() -> None:
        current_call.set(context)
        try:
            await respond(AsyncServerStream(read, out.put))
            item: Any = _DONE
        except BaseException as error:  # handed to grpcio's thread, never lost
            item = _Raised(error)
        await out.put(item)

    future = _started(loop_thread, drive(), context)
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if item.__class__ is _Raised:
                raise item.error
            yield encode(item)
    except Exception as error:
        end_with_error(context, error, method)
    finally:
        out.close()
        future.cancel()


def async_method_handler(service: str, handler: RpcMethodHandler, loop_thread: LoopThread) -> grpc.RpcMethodHandler:
    """The sync grpcio method handler that runs the async ``handler`` on ``loop_thread``."""
    fn = handler.method
    method = f"/{service}/{handler.method_name}"
    encode = response_encoder(handler.response_serializer, method)
    kind = KINDS[handler.kind]
    # Requests are decoded as the sync adapters do, for their status on a bad one.
    decoder = RequestDecoder(handler.request_deserializer, method, kind.request_streaming)
    decode, stream = decoder.single, decoder.stream

    if not kind.response_streaming:

        def stream_argument(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
            return AsyncServerStream(_reader(stream(requests)), unwritable)

        argument = stream_argument if kind.request_streaming else decode

        def one_out(request: Any, context: grpc.ServicerContext) -> bytes:
            return _result(loop_thread, fn(argument(request, context)), context, method, encode)

        return kind.method_handler(one_out, decoder.deserializer)

    respond = responder(fn)

    def streams_in(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        return _responses(loop_thread, respond, _reader(stream(requests)), context, method, encode)

    def one_in(data: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        return _responses(loop_thread, respond, first_then_eof(decode(data, context)), context, method, encode)

    return kind.method_handler(streams_in if kind.request_streaming else one_in, decoder.deserializer)
