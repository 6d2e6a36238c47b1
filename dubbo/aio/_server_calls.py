"""Running handlers on grpc.aio: async handlers natively, sync ones on the server's thread pool.

Async handlers (``async def`` or async generators) take Apache's shapes: unary
``fn(request)``, client stream ``fn(stream)`` with ``async for`` over the requests,
server stream and bidi ``fn(stream)`` that yield responses or ``await stream.write()``.
A sync handler keeps the sync server's adapters (dubbo/_server/calls.py) and runs on a
worker thread, talking to the call through the loop, so it never blocks the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import Executor
from typing import Any, Awaitable, Coroutine, Callable, List, Optional

import grpc

from .._core.async_stream import AsyncServerStream
from .._core.calls import KINDS, behavior_of, current_call
from .._core.errors import RpcError
from .._server.async_calls import first_then_eof, is_async, responder, unwritable
from .._server.calls import grpc_method_handler
from .._server.failures import response_encoder, undecodable, unframed
from .._server.handlers import RpcMethodHandler

__all__ = ["aio_method_handler", "unimplemented"]

_log = logging.getLogger("dubbo.server")

_EOF = grpc.aio.EOF


async def _fail(context: Any, error: BaseException, method: str) -> None:
    """End the call with the status ``error`` stands for; never returns (as the sync server's ``_fail``)."""
    if isinstance(error, grpc.aio.AbortError):  # the handler called context.abort() itself
        raise error
    if isinstance(error, RpcError):
        if error.status_details:
            await context.abort_with_status(error.to_status())
        await context.abort(error.code(), error.message)
    _log.error("%s failed", method, exc_info=error)
    await context.abort(grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}")


def _decoding(read: Callable[[], Awaitable[Any]], deserialize: Callable[[bytes], Any], method: str):
    """``read`` with requests deserialized here, so a bad one gets the sync server's status naming the method."""

    async def decoded() -> Any:
        data = await read()
        if data is _EOF:
            return data
        try:
            return deserialize(data)
        except Exception as error:
            raise undecodable(method, error) from None

    return decoded


class _ServedCall:
    """The grpc.aio context as ``dubbo.server_context()`` uses it (grpc.ServicerContext's sync methods).

    Response headers set from a handler go out before the first response (or with the status).
    """

    __slots__ = ("_context", "_headers", "_send", "stream")

    def __init__(self, context: Any) -> None:
        self._context = context
        self._headers: Optional[tuple] = None
        self._send: Any = None  # the stream's own write, while headers wait to go out before it
        self.stream: Optional[AsyncServerStream] = None

    def __getattr__(self, name: str) -> Any:  # invocation_metadata, peer, time_remaining, set_trailing_metadata...
        return getattr(self._context, name)

    def is_active(self) -> bool:
        """False once the call is over; inside a handler that is being cancelled, already False."""
        if self._context.done() or self._context.cancelled():
            return False
        task = asyncio.current_task()
        cancelling = getattr(task, "cancelling", None)  # Python 3.11+
        return not (cancelling is not None and cancelling())

    def add_callback(self, callback: Callable[[], None]) -> bool:
        self._context.add_done_callback(lambda _context: callback())
        return True

    def send_initial_metadata(self, metadata: Any) -> None:
        self._headers = tuple(metadata)
        if self.stream is not None and self._send is None:
            self._send = self.stream._write
            self.stream._write = self._write_after_headers

    async def flush(self) -> None:
        """Send response headers set by the handler and not sent yet."""
        if self._headers is not None:
            headers, self._headers = self._headers, None
            await self._context.send_initial_metadata(headers)

    async def _write_after_headers(self, message: Any) -> None:
        await self.flush()
        assert self.stream is not None  # installed on the stream only
        self.stream._write = self._send
        await self._send(message)


def _serving(context: Any, stream: Optional[AsyncServerStream] = None) -> _ServedCall:
    """Make this call the one ``dubbo.server_context()`` sees (in this call's task)."""
    call = _ServedCall(context)
    call.stream = stream
    current_call.set(call)
    return call


def _async_handler(service: str, handler: RpcMethodHandler) -> grpc.RpcMethodHandler:
    fn = handler.method
    method = f"/{service}/{handler.method_name}"
    deserialize = handler.request_deserializer
    encode = response_encoder(handler.response_serializer, method)
    kind = KINDS[handler.kind]

    def writer(context: Any) -> Callable[[Any], Awaitable[None]]:
        async def write(message: Any) -> None:
            await context.write(encode(message))

        return write

    def decode(data: bytes, context: Any) -> Any:
        if not data:
            refusal = unframed(context.invocation_metadata(), method)
            if refusal is not None:
                raise refusal
        try:
            return deserialize(data) if deserialize is not None else data
        except Exception as error:
            raise undecodable(method, error) from None

    def reader(context: Any) -> Callable[[], Awaitable[Any]]:
        return context.read if deserialize is None else _decoding(context.read, deserialize, method)

    if not kind.response_streaming:

        def stream_argument(requests: Any, context: Any) -> AsyncServerStream:
            return AsyncServerStream(reader(context), unwritable)

        argument = stream_argument if kind.request_streaming else decode

        async def one_out(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call = _serving(context)
            try:
                response = encode(await fn(argument(request, context)))
                await call.flush()
                return response
            except Exception as error:
                await _fail(context, error, method)

        return kind.method_handler(one_out)

    respond = responder(fn)

    async def one_in(data: Any, context: grpc.aio.ServicerContext) -> None:
        call = _serving(context)
        try:
            stream = call.stream = AsyncServerStream(first_then_eof(decode(data, context)), writer(context))
            await respond(stream)
            await call.flush()
        except Exception as error:
            await _fail(context, error, method)

    async def streams_in(requests: Any, context: grpc.aio.ServicerContext) -> None:
        stream = AsyncServerStream(reader(context), writer(context))
        call = _serving(context, stream)
        try:
            await respond(stream)
            await call.flush()
        except Exception as error:
            await _fail(context, error, method)

    return kind.method_handler(streams_in if kind.request_streaming else one_in)


class _SyncContext:
    """The aio servicer context as a sync handler on a worker thread expects it (grpc.ServicerContext)."""

    def __init__(self, context: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._context = context
        self._loop = loop
        self._active = True
        self._callbacks: List[Callable[[], None]] = []

    def __getattr__(self, name: str) -> Any:  # invocation_metadata, time_remaining, set_trailing_metadata...
        return getattr(self._context, name)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        self._run(self._context.abort(code, details))

    def abort_with_status(self, status: Any) -> None:
        self._run(self._context.abort(status.code, status.details, tuple(status.trailing_metadata or ())))

    def send_initial_metadata(self, metadata: Any) -> None:
        self._run(self._context.send_initial_metadata(metadata))

    def is_active(self) -> bool:
        return self._active

    def add_callback(self, callback: Callable[[], None]) -> bool:
        self._callbacks.append(callback)
        return True

    def _end(self) -> None:
        self._active = False
        for callback in self._callbacks:
            try:
                callback()
            except Exception:
                _log.exception("call-end callback failed")


class _Requests:
    """The requests of an aio call as the sync iterator a sync handler reads (one loop hop each)."""

    __slots__ = ("_context", "_loop")

    def __init__(self, context: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._context = context
        self._loop = loop

    def __iter__(self) -> "_Requests":
        return self

    def __next__(self) -> Any:
        message = asyncio.run_coroutine_threadsafe(self._context.read(), self._loop).result()
        if message is _EOF:
            raise StopIteration
        return message


def _sync_handler(service: str, handler: RpcMethodHandler, executor: Executor) -> grpc.RpcMethodHandler:
    """A sync handler on the aio server: the sync adapter's behavior, run on ``executor``."""
    sync = grpc_method_handler(service, handler)  # it (de)serializes the messages itself

    # Behaviors run on a worker thread in a copy of the call's context variables, as
    # asyncio.to_thread does, so server_context() and deadline inheritance work there.
    async def call(behavior: Callable[..., Any], request: Any, context: Any) -> Any:
        loop = asyncio.get_running_loop()
        sync_context = _SyncContext(context, loop)
        try:
            run = contextvars.copy_context().run
            return await loop.run_in_executor(executor, run, behavior, request, sync_context)
        finally:
            sync_context._end()

    def pump(behavior: Callable[..., Any], request: Any, sync_context: _SyncContext, context: Any) -> None:
        loop = sync_context._loop
        for response in behavior(request, sync_context):  # each write waits for the network
            asyncio.run_coroutine_threadsafe(context.write(response), loop).result()

    async def stream(behavior: Callable[..., Any], request: Any, context: Any) -> None:
        loop = asyncio.get_running_loop()
        sync_context = _SyncContext(context, loop)
        try:
            run = contextvars.copy_context().run
            await loop.run_in_executor(executor, run, pump, behavior, request, sync_context, context)
        finally:
            sync_context._end()

    kind = KINDS[handler.kind]
    _, behavior = behavior_of(sync)

    def requests_of(request_or_requests: Any, context: Any) -> Any:
        if kind.request_streaming:
            return _Requests(context, asyncio.get_running_loop())
        return request_or_requests

    async def one_out(request: Any, context: Any) -> Any:
        return await call(behavior, requests_of(request, context), context)

    async def many_out(request: Any, context: Any) -> None:
        await stream(behavior, requests_of(request, context), context)

    return kind.method_handler(many_out if kind.response_streaming else one_out, sync.request_deserializer)


def aio_method_handler(service: str, handler: RpcMethodHandler, executor: Optional[Executor] = None) -> grpc.RpcMethodHandler:
    """The grpc.aio method handler for ``handler``: native if async, else run on ``executor``."""
    if is_async(handler.method):
        return _async_handler(service, handler)
    if executor is None:
        raise ValueError(f"/{service}/{handler.method_name} is a sync handler: the aio server needs a thread pool for it")
    return _sync_handler(service, handler, executor)


def unimplemented(message: str) -> grpc.RpcMethodHandler:
    """A handler that answers any call with UNIMPLEMENTED and ``message`` (for the router's misses)."""

    async def abort(requests: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

    return grpc.stream_stream_rpc_method_handler(abort)
