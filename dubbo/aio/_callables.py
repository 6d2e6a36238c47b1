"""The four call shapes under asyncio, over grpc.aio multicallables.

They share the sync callables' options (``with_options``: timeout, attachments,
compression, wait-for-ready) and Triple headers; only ``__call__`` differs. A unary
call is a coroutine; streaming calls return their stream at once, to ``async for``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import grpc

from .._client.callables import CallableBase, CallResult, bytes_only, closed_client, no_requests_given
from .._core.async_stream import AsyncReadStream, task_cancelling
from .._core.attachments import decode_attachments
from .._core.errors import RpcError, exception_code

__all__ = [
    "UnaryCallable",
    "ThrowingUnaryCallable",
    "ClientStreamCallable",
    "ServerStreamCallable",
    "BidiStreamCallable",
    "ResponseStream",
    "SingleResponse",
]


class Unbound:
    """A multicallable to make on first use, because grpc.aio channels belong to the running loop."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def _bound(callable_: CallableBase) -> Any:
    rpc = callable_._rpc
    if rpc.__class__ is Unbound:
        rpc = callable_._rpc = rpc.make()
    return rpc


def _one_request_call(callable_: CallableBase, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """The grpc.aio call of a one-request shape, started; a closed client is CANCELLED."""
    request = callable_._request(args, kwargs)
    rpc = callable_._rpc
    if rpc.__class__ is Unbound:
        rpc = _bound(callable_)
    try:
        return rpc(
            request,
            timeout=callable_._deadline(),
            metadata=callable_._metadata,
            wait_for_ready=callable_._wait_for_ready,
            compression=callable_._compression,
        )
    except grpc.aio.UsageError as error:
        raise closed_client(error) from None


class UnaryCallable(CallableBase):
    """``await call(*args, **kwargs)`` → the response; all arguments go to the request serializer."""

    __slots__ = ()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self._request(args, kwargs)
        rpc = self._rpc
        if rpc.__class__ is Unbound:
            rpc = _bound(self)
        try:
            return await rpc(
                request,
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except grpc.aio.UsageError as error:
            raise closed_client(error) from None

    async def with_call(self, *args: Any, **kwargs: Any) -> Tuple[Any, CallResult]:
        """``(response, result)``: the response and the server's headers and trailers."""
        call = _one_request_call(self, args, kwargs)
        try:
            response = await call
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        return response, CallResult(_Received(await call.initial_metadata(), await call.trailing_metadata()))

    def future(self, *args: Any, **kwargs: Any) -> "SingleResponse":
        """Start the call without waiting: ``await`` it or ``read(timeout)`` it later, or ``cancel()`` it."""
        call = _one_request_call(self, args, kwargs)
        if asyncio.iscoroutine(call):  # a registry-balanced call: a task to cancel or await
            call = asyncio.ensure_future(call)
        return SingleResponse(call, False)


class ThrowingUnaryCallable(UnaryCallable):
    """A unary call whose response may be an exception the provider threw (wrapper mode), as the sync one."""

    __slots__ = ("_raised",)

    def __init__(self, *args: Any, raised: Callable[..., RpcError]) -> None:
        super().__init__(*args)
        self._raised = raised

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (await self.with_call(*args, **kwargs))[0]

    async def with_call(self, *args: Any, **kwargs: Any) -> Tuple[Any, CallResult]:
        response, result = await super().with_call(*args, **kwargs)
        code = exception_code(result.initial_metadata())
        if code:
            raise self._raised(response, code, result.initial_metadata(), result.trailing_metadata())
        return response, result

    def future(self, *args: Any, **kwargs: Any) -> "SingleResponse":
        return SingleResponse(asyncio.ensure_future(self(*args, **kwargs)), False)


class _Received:
    """A finished grpc.aio call's metadata, as the sync ``CallResult`` reads it."""

    __slots__ = ("_initial", "_trailing")

    def __init__(self, initial: Any, trailing: Any) -> None:
        self._initial = tuple(initial or ())
        self._trailing = tuple(trailing or ())

    def initial_metadata(self) -> Sequence[Tuple[str, Any]]:
        return self._initial

    def trailing_metadata(self) -> Sequence[Tuple[str, Any]]:
        return self._trailing


class ServerStreamCallable(CallableBase):
    """``call(*args, **kwargs)`` → a ``ResponseStream`` of the server's messages."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> "ResponseStream":
        call = _one_request_call(self, args, kwargs)
        return ResponseStream(call, False)


async def _encoded(requests: Any, encode: Callable[[Any], bytes], refused: List[RpcError]) -> Any:
    """The requests serialized, sync or async iterable alike; the first that cannot be is kept in
    ``refused`` (grpc.aio then cancels the call, and its reader raises that error instead)."""
    try:
        if hasattr(requests, "__aiter__"):
            async for message in requests:
                yield encode(message)
        else:
            for message in requests:
                yield encode(message)
    except RpcError as error:
        refused.append(error)
        raise


class _RequestStreamCallable(CallableBase):
    """What the two request-streaming shapes share: starting the call with or without requests.

    Requests are serialized here (``write`` and iterables alike): grpc.aio, given a message its
    serializer refuses, would send the others and complete the call as if nothing was lost.
    """

    __slots__ = ()

    def _encode(self, message: Any) -> bytes:
        try:
            return (self._serialize or bytes_only)(message)
        except Exception as error:
            raise self._unserializable(error) from None

    def _start(self, requests: Any) -> tuple:
        writable = no_requests_given(requests)
        refused: List[RpcError] = []
        rpc = self._rpc
        if rpc.__class__ is Unbound:
            rpc = _bound(self)
        try:
            call = rpc(
                None if writable else _encoded(requests, self._encode, refused),
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except grpc.aio.UsageError as error:
            raise closed_client(error) from None
        return call, writable, self._encode, refused


class ClientStreamCallable(_RequestStreamCallable):
    """``call(iterable)`` (sync or async) sends the requests; ``call()`` gives a stream to ``write()`` to.

    Either way ``await`` the result (or ``await result.read()``) for the single response.
    """

    __slots__ = ()

    def __call__(self, requests: Any = None) -> "SingleResponse":
        return SingleResponse(*self._start(requests))


class BidiStreamCallable(_RequestStreamCallable):
    """``call(iterable)`` (sync or async) → a ``ResponseStream``; ``call()`` gives one driven by ``write()``."""

    __slots__ = ()

    def __call__(self, requests: Any = None) -> "ResponseStream":
        return ResponseStream(*self._start(requests))


class _CallControls:
    """What both results offer: writing (for calls made without requests), cancel, metadata."""

    __slots__ = ()
    _call: Any  # the grpc.aio call
    _writable: bool
    _run: Any  # interceptor hooks, if any
    _encode: Any  # serializes a written request
    _cancelled: bool

    async def write(self, message: Any) -> None:
        """Send one request (only for calls made without a request iterable)."""
        if not self._writable:
            raise TypeError("write() is for calls made without a request iterable")
        if self._run is not None:  # interceptors see written requests
            self._run.request(message)
        data = self._encode(message)  # a message that cannot be serialized fails here, in the writer
        try:
            await self._call.write(data)
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None

    async def done_writing(self) -> None:
        """Half-close: no more requests. The responses can still be read."""
        if not self._writable:
            raise TypeError("done_writing() is for calls made without a request iterable")
        try:
            await self._call.done_writing()
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None

    def cancel(self) -> bool:
        """Cancel the call; the handler sees it, and reads here raise ``RpcError`` CANCELLED."""
        self._cancelled = True  # type: ignore[misc]  # a slot of each subclass
        return self._call.cancel()

    def done(self) -> bool:
        return self._call.done()

    async def initial_metadata(self) -> Sequence[Tuple[str, Any]]:
        """The raw response headers (waits for them)."""
        return tuple(await self._call.initial_metadata())

    async def trailing_metadata(self) -> Sequence[Tuple[str, Any]]:
        """The raw trailers (waits for the end of the call)."""
        return tuple(await self._call.trailing_metadata())

    async def headers(self) -> Dict[str, Any]:
        """Response headers as attachments (waits for them)."""
        return decode_attachments(await self._call.initial_metadata())

    async def trailers(self) -> Dict[str, Any]:
        """Trailers as attachments: where Java puts the server's attachments (waits for the end)."""
        return decode_attachments(await self._call.trailing_metadata())

    async def code(self) -> grpc.StatusCode:
        return await self._call.code()


class ResponseStream(AsyncReadStream, _CallControls):
    """The server's messages: ``async for``, or ``await read(timeout)`` → message / ``None`` / ``EOF``.

    Also the call itself: ``cancel()``, ``await initial_metadata()``, ``await trailing_metadata()``,
    and for calls made without requests, ``await write()`` / ``await done_writing()``.
    """

    __slots__ = ("_call", "_writable", "_run", "_encode", "_refused")

    def __init__(
        self, call: Any, writable: bool, encode: Any = None, refused: Sequence[RpcError] = ()
    ) -> None:
        super().__init__(call.read)
        self._call = call
        self._writable = writable
        self._run: Any = None
        self._encode = encode
        self._refused = refused

    def _why_cancelled(self) -> Optional[RpcError]:
        if self._refused:  # grpc.aio cancelled the call over a request that could not be serialized
            return self._refused[0]
        return super()._why_cancelled()


class SingleResponse(_CallControls):
    """The one response of a client-streaming call: ``await`` it, or ``await read(timeout)`` then ``EOF``."""

    __slots__ = ("_call", "_writable", "_taken", "_stream", "_cancelled", "_run", "_encode", "_refused")

    def __init__(
        self, call: Any, writable: bool, encode: Any = None, refused: Sequence[RpcError] = ()
    ) -> None:
        self._call = call
        self._writable = writable
        self._encode = encode
        self._refused = refused
        self._run: Any = None
        self._taken = False
        self._stream: Optional[AsyncReadStream] = None
        self._cancelled = False

    def __await__(self):
        return self.result().__await__()

    async def result(self) -> Any:
        """The response, waiting for it."""
        try:
            return await self._call
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except asyncio.CancelledError:
            if self._refused:  # grpc.aio cancelled the call over a request that could not be serialized
                raise self._refused[0] from None
            if self._cancelled:
                raise RpcError(grpc.StatusCode.CANCELLED, "Locally cancelled by application!") from None
            if not task_cancelling():  # the call was cancelled under us (the client closed), not this task
                raise RpcError(grpc.StatusCode.CANCELLED, "the call was cancelled: the client closed") from None
            raise

    async def read(self, timeout: Optional[float] = None) -> Any:
        """The response, ``None`` if it did not come within ``timeout`` seconds, then ``EOF``."""
        if self._stream is None:
            self._stream = AsyncReadStream(self._once)
        return await self._stream.read(timeout)

    async def _once(self) -> Any:
        if self._taken:
            return grpc.aio.EOF
        response = await self.result()
        self._taken = True
        return response

    def __aiter__(self):
        return self._responses()

    async def _responses(self):
        yield await self.result()

