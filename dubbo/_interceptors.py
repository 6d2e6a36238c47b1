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
import inspect
from typing import Any, Dict, Iterable, Iterator, Optional, Sequence

import grpc

from ._context import current_call
from ._errors import RpcError
from ._handlers import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY, RpcMethodHandler
from ._metadata import decode_attachments

__all__ = ["Interceptor", "CallInfo"]


class CallInfo:
    """One call as interceptors see it. ``attachments`` may be changed by a client's ``on_call``."""

    __slots__ = ("side", "method", "kind", "attachments", "state")

    def __init__(self, side: str, method: str, kind: str, attachments: Dict[str, Any]) -> None:
        self.side = side  # "client" or "server"
        self.method = method  # "/service/method"
        self.kind = kind  # "unary", "client_stream", "server_stream" or "bi_stream"
        self.attachments = attachments
        self.state: Dict[str, Any] = {}  # for an interceptor's own per-call notes (timers, spans)

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


def _status_of(error: BaseException):
    if isinstance(error, RpcError):
        return error.code, error.message
    if isinstance(error, (GeneratorExit, asyncio.CancelledError)):
        return grpc.StatusCode.CANCELLED, "the call ended before the handler finished"
    return grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}"


class _Run:
    """The hooks of several interceptors, run in order for one call."""

    __slots__ = ("interceptors", "info", "ended")

    def __init__(self, interceptors: Sequence[Interceptor], info: CallInfo) -> None:
        self.interceptors = interceptors
        self.info = info
        self.ended = False
        for interceptor in interceptors:
            interceptor.on_call(info)

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


# ---- server side: a handler of the same shape that runs the hooks around the user's ----


def _server_run(interceptors: Sequence[Interceptor], method: str, kind: str) -> _Run:
    context = current_call.get()
    attachments = decode_attachments(context.invocation_metadata()) if context is not None else {}
    return _Run(interceptors, CallInfo("server", method, kind, attachments))


class _InterceptedStream:
    """A handler's stream whose reads and writes pass the interceptors."""

    def __init__(self, stream: Any, run: _Run) -> None:
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

    if kind in (UNARY, CLIENT_STREAM):

        def wrapped(request_or_stream: Any) -> Any:
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

    elif inspect.isgeneratorfunction(fn):

        def wrapped(stream: Any) -> Iterator[Any]:
            run = _server_run(interceptors, method, kind)
            yield from run.responses(fn(_InterceptedStream(stream, run)))

    else:

        def wrapped(stream: Any) -> Any:
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

    return RpcMethodHandler(kind, wrapped, handler.method_name, handler.request_deserializer, handler.response_serializer)


class _AsyncInterceptedStream:
    """An async handler's stream whose reads and writes pass the interceptors."""

    def __init__(self, stream: Any, run: _Run) -> None:
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


async def _async_responses(run: _Run, messages: Any) -> Any:
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

    if kind in (UNARY, CLIENT_STREAM):

        async def wrapped(request_or_stream: Any) -> Any:
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

    elif inspect.isasyncgenfunction(fn):

        async def wrapped(stream: Any) -> Any:
            run = _server_run(interceptors, method, kind)
            async for message in _async_responses(run, fn(_AsyncInterceptedStream(stream, run))):
                yield message

    else:

        async def wrapped(stream: Any) -> Any:
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

    return RpcMethodHandler(kind, wrapped, handler.method_name, handler.request_deserializer, handler.response_serializer)


# ---- client side: a callable of the same shape that runs the hooks around the call ----


class InterceptedCallable:
    """Wraps one of the four client callables; ``with_options`` keeps the interceptors."""

    __slots__ = ("_inner", "_interceptors", "_method", "_kind", "_attachments")

    def __init__(self, inner: Any, interceptors: Sequence[Interceptor], method: str, kind: str,
                 attachments: Optional[Dict[str, Any]] = None) -> None:
        self._inner = inner
        self._interceptors = interceptors
        self._method = method
        self._kind = kind
        self._attachments = dict(attachments or {})

    def with_options(self, *, attachments: Optional[Dict[str, Any]] = None, **options: Any) -> "InterceptedCallable":
        merged = {**self._attachments, **(attachments or {})}
        return InterceptedCallable(self._inner.with_options(**options), self._interceptors, self._method,
                                   self._kind, merged)

    def _start(self) -> tuple:
        run = _Run(self._interceptors, CallInfo("client", self._method, self._kind, dict(self._attachments)))
        inner = self._inner
        if run.info.attachments:
            inner = inner.with_options(attachments=run.info.attachments)
        return run, inner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run, inner = self._start()
        if self._kind in (UNARY, SERVER_STREAM):
            run.request(args[0] if len(args) == 1 and not kwargs else args)
        elif args and args[0] is not None and not (args[0].__class__ is tuple and not args[0]):
            args = (run.requests(args[0]),)
        try:
            result = inner(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        if self._kind == UNARY:
            run.response(result)
            run.end()
            return result
        if self._kind == CLIENT_STREAM:
            if result._writer is not None:
                result._writer = _ObservedWriter(result._writer, run)
            result._call.add_done_callback(lambda future: _end_single(run, future))
            return result
        if result._writer is not None:  # requests written by the caller pass the hooks too
            result._writer = _ObservedWriter(result._writer, run)
        result._source = run.responses(result._source)
        return result


    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        """Unary only: ``(response, CallResult)``, through the interceptors."""
        run, inner = self._start()
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        try:
            response, result = inner.with_call(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        run.response(response)
        run.end()
        return response, result

    def future(self, *args: Any, **kwargs: Any) -> Any:
        """Unary only: a ``SingleResponse`` whose outcome reaches the interceptors."""
        run, inner = self._start()
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        result = inner.future(*args, **kwargs)
        result._call.add_done_callback(lambda future: _end_single(run, future))
        return result


class _ObservedWriter:
    __slots__ = ("_writer", "_run")

    def __init__(self, writer: Any, run: _Run) -> None:
        self._writer = writer
        self._run = run

    def write(self, message: Any) -> None:
        self._writer.write(self._run.request(message))

    def done_writing(self) -> None:
        self._writer.done_writing()


def _end_single(run: _Run, future: Any) -> None:
    try:
        response = future.result()
    except grpc.RpcError as error:
        run.fail(RpcError.from_grpc(error))
        return
    except Exception as error:  # cancelled
        run.end(grpc.StatusCode.CANCELLED, str(error))
        return
    run.response(response)
    run.end()
