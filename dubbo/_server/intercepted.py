"""Interceptors on the server: a handler of the same shape that runs the hooks around the user's
(dubbo/_core/interceptors.py says what the hooks are), for sync and async handlers alike."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Optional, Sequence

from .._core.attachments import decode_attachments
from .._core.calls import CLIENT_STREAM, UNARY, current_call
from .._core.interceptors import CallInfo, Hooks, Interceptor
from .handlers import RpcMethodHandler

__all__ = ["intercept_handler"]


def _server_run(interceptors: Sequence[Interceptor], method: str, kind: str) -> Hooks:
    context = current_call.get()
    if context is None:
        return Hooks(interceptors, CallInfo("server", method, kind, {}))
    info = CallInfo("server", method, kind, decode_attachments(context.invocation_metadata()), context.peer())
    return Hooks(interceptors, info)


class _InterceptedStream:
    """A handler's stream whose reads and writes pass the interceptors."""

    def __init__(self, stream: Any, run: Hooks) -> None:
        self._stream = stream
        self._run = run

    def __iter__(self) -> Iterator[Any]:
        return self._run.requests(self._stream)

    def read(self, timeout: Optional[float] = None) -> Any:
        message = self._stream.read(timeout)
        if message:
            self._run.request(message)
        return message

    def write(self, message: Any) -> None:
        self._stream.write(self._run.response(message))

    def done_writing(self) -> None:
        self._stream.done_writing()


def intercept_handler(service: str, handler: RpcMethodHandler, interceptors: Sequence[Interceptor]) -> RpcMethodHandler:
    """``handler`` with ``interceptors`` run around it; same mode, same handler style."""
    if not interceptors:
        return handler
    fn, kind = handler.method, handler.kind
    method = f"/{service}/{handler.method_name}"
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return _intercept_async(handler, method, interceptors)

    def single_out(request_or_stream: Any) -> Any:
        run = _server_run(interceptors, method, kind)
        if kind == UNARY:
            argument = run.request(request_or_stream)
        else:
            argument = _InterceptedStream(request_or_stream, run)
        try:
            response = fn(argument)
        except BaseException as error:
            run.fail(error)
            raise
        run.response(response)
        run.end()
        return response

    def yielded(stream: Any) -> Iterator[Any]:
        run = _server_run(interceptors, method, kind)
        yield from run.responses(fn(_InterceptedStream(stream, run)))

    def returned_or_written(stream: Any) -> Any:
        run = _server_run(interceptors, method, kind)
        try:
            result = fn(_InterceptedStream(stream, run))
        except BaseException as error:
            run.fail(error)
            raise
        if result is None:
            run.end()
            return None
        return run.responses(result)

    if kind in (UNARY, CLIENT_STREAM):
        wrapped: Callable[..., Any] = single_out
    else:
        wrapped = yielded if inspect.isgeneratorfunction(fn) else returned_or_written
    return RpcMethodHandler(kind, wrapped, handler.method_name, handler.request_deserializer, handler.response_serializer)


class _AsyncInterceptedStream:
    """An async handler's stream whose reads and writes pass the interceptors."""

    def __init__(self, stream: Any, run: Hooks) -> None:
        self._stream = stream
        self._run = run

    async def __aiter__(self) -> Any:
        async for message in self._stream:
            yield self._run.request(message)

    async def read(self, timeout: Optional[float] = None) -> Any:
        message = await self._stream.read(timeout)
        if message:
            self._run.request(message)
        return message

    async def write(self, message: Any) -> None:
        await self._stream.write(self._run.response(message))

    async def done_writing(self) -> None:
        await self._stream.done_writing()


async def _async_responses(run: Hooks, messages: Any) -> Any:
    try:
        if hasattr(messages, "__aiter__"):
            async for message in messages:
                yield run.response(message)
        else:
            for message in messages:
                yield run.response(message)
    except BaseException as error:
        run.fail(error)
        raise
    run.end()


def _intercept_async(handler: RpcMethodHandler, method: str, interceptors: Sequence[Interceptor]) -> RpcMethodHandler:
    """``intercept_handler`` for ``async def`` and async generator handlers (either server runs them)."""
    fn, kind = handler.method, handler.kind

    async def single_out(request_or_stream: Any) -> Any:
        run = _server_run(interceptors, method, kind)
        if kind == UNARY:
            argument = run.request(request_or_stream)
        else:
            argument = _AsyncInterceptedStream(request_or_stream, run)
        try:
            response = await fn(argument)
        except BaseException as error:
            run.fail(error)
            raise
        run.response(response)
        run.end()
        return response

    async def yielded(stream: Any) -> Any:
        run = _server_run(interceptors, method, kind)
        async for message in _async_responses(run, fn(_AsyncInterceptedStream(stream, run))):
            yield message

    async def returned_or_written(stream: Any) -> Any:
        run = _server_run(interceptors, method, kind)
        try:
            result = await fn(_AsyncInterceptedStream(stream, run))
        except BaseException as error:
            run.fail(error)
            raise
        if result is None:
            run.end()
            return None
        return _async_responses(run, result)

    if kind in (UNARY, CLIENT_STREAM):
        wrapped: Callable[..., Any] = single_out
    else:
        wrapped = yielded if inspect.isasyncgenfunction(fn) else returned_or_written
    return RpcMethodHandler(kind, wrapped, handler.method_name, handler.request_deserializer, handler.response_serializer)
