"""Generic protocols that typed stubs (``python -m dubbo.codegen``) annotate with.

The runtime objects are ``dubbo``'s (and ``dubbo.aio``'s) own callables and streams; these
protocols only tell a type checker which message types flow through them. Nothing here
runs per call.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

if TYPE_CHECKING:
    from ._core.stream import EOFType

__all__ = [
    "UnaryMethod",
    "ClientStreamMethod",
    "ServerStreamMethod",
    "BidiStreamMethod",
    "Responses",
    "BidiCall",
    "ClientStreamCall",
    "RequestStream",
    "HandlerStream",
    "AsyncUnaryMethod",
    "AsyncClientStreamMethod",
    "AsyncServerStreamMethod",
    "AsyncBidiStreamMethod",
    "AsyncResponses",
    "AsyncBidiCall",
    "AsyncClientStreamCall",
    "AsyncRequestStream",
    "AsyncHandlerStream",
]

Req = TypeVar("Req", contravariant=True)
Resp = TypeVar("Resp", covariant=True)
Msg = TypeVar("Msg", covariant=True)
Out = TypeVar("Out", contravariant=True)
Metadata = Sequence[Tuple[str, Any]]


class Responses(Protocol[Resp]):
    """A server stream seen by the caller: iterate, or ``read(timeout)`` → message / ``None`` / ``EOF``."""

    def __iter__(self) -> Iterator[Resp]: ...

    def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "EOFType"]: ...

    def cancel(self) -> bool: ...

    def initial_metadata(self) -> Metadata: ...

    def trailing_metadata(self) -> Metadata: ...


class BidiCall(Responses[Resp], Protocol[Req, Resp]):
    """A bidi call: the responses, plus ``write`` / ``done_writing`` when made without requests."""

    def write(self, message: Req) -> None: ...

    def done_writing(self) -> None: ...


class ClientStreamCall(Protocol[Req, Resp]):
    """A client-streaming call: ``read()`` / ``result()`` the one response; ``write`` when made without requests."""

    def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "EOFType"]: ...

    def result(self, timeout: Optional[float] = None) -> Resp: ...

    def write(self, message: Req) -> None: ...

    def done_writing(self) -> None: ...

    def cancel(self) -> bool: ...

    def initial_metadata(self) -> Metadata: ...

    def trailing_metadata(self) -> Metadata: ...


class UnaryMethod(Protocol[Req, Resp]):
    """``stub.Method(request) -> response``."""

    def __call__(self, request: Req) -> Resp: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "UnaryMethod[Req, Resp]": ...


class ClientStreamMethod(Protocol[Req, Resp]):
    """``stub.Method(requests)`` or ``stub.Method()`` then ``write``; read the one response."""

    def __call__(self, requests: Optional[Iterable[Req]] = None) -> ClientStreamCall[Req, Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "ClientStreamMethod[Req, Resp]": ...


class ServerStreamMethod(Protocol[Req, Resp]):
    """``stub.Method(request)`` → the stream of responses."""

    def __call__(self, request: Req) -> Responses[Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "ServerStreamMethod[Req, Resp]": ...


class BidiStreamMethod(Protocol[Req, Resp]):
    """``stub.Method(requests)`` or ``stub.Method()`` then ``write``; read the responses meanwhile."""

    def __call__(self, requests: Optional[Iterable[Req]] = None) -> BidiCall[Req, Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "BidiStreamMethod[Req, Resp]": ...


class RequestStream(Protocol[Msg]):
    """What a client-streaming handler gets: the requests, iterated or ``read(timeout)``."""

    def __iter__(self) -> Iterator[Msg]: ...

    def read(self, timeout: Optional[float] = None) -> Union[Msg, None, "EOFType"]: ...


class HandlerStream(RequestStream[Msg], Protocol[Msg, Out]):
    """What a server- or bidi-streaming handler gets: the requests, and ``write`` / ``done_writing``."""

    def write(self, message: Out) -> None: ...

    def done_writing(self) -> None: ...


# -- asyncio (dubbo.aio) ----------------------------------------------------------------


class AsyncResponses(Protocol[Resp]):
    """A server stream under asyncio: ``async for``, or ``await read(timeout)`` → message / ``None`` / ``EOF``."""

    def __aiter__(self) -> AsyncIterator[Resp]: ...

    async def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "EOFType"]: ...

    def cancel(self) -> bool: ...

    async def initial_metadata(self) -> Metadata: ...

    async def trailing_metadata(self) -> Metadata: ...


class AsyncBidiCall(AsyncResponses[Resp], Protocol[Req, Resp]):
    """A bidi call under asyncio: the responses, plus ``await write()`` / ``await done_writing()``."""

    async def write(self, message: Req) -> None: ...

    async def done_writing(self) -> None: ...


class AsyncClientStreamCall(Protocol[Req, Resp]):
    """A client-streaming call under asyncio: ``await`` it (or ``result()``) for the one response."""

    def __await__(self) -> Generator[Any, None, Resp]: ...

    async def result(self) -> Resp: ...

    async def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "EOFType"]: ...

    async def write(self, message: Req) -> None: ...

    async def done_writing(self) -> None: ...

    def cancel(self) -> bool: ...


Requests = Union[Iterable[Req], AsyncIterable[Req], None]


class AsyncUnaryMethod(Protocol[Req, Resp]):
    """``await stub.Method(request)`` → response."""

    def __call__(self, request: Req) -> Awaitable[Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "AsyncUnaryMethod[Req, Resp]": ...


class AsyncClientStreamMethod(Protocol[Req, Resp]):
    """``await stub.Method(requests)`` (sync or async iterable), or ``stub.Method()`` then ``await write()``."""

    def __call__(self, requests: Requests[Req] = None) -> AsyncClientStreamCall[Req, Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "AsyncClientStreamMethod[Req, Resp]": ...


class AsyncServerStreamMethod(Protocol[Req, Resp]):
    """``async for reply in stub.Method(request)``."""

    def __call__(self, request: Req) -> AsyncResponses[Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "AsyncServerStreamMethod[Req, Resp]": ...


class AsyncBidiStreamMethod(Protocol[Req, Resp]):
    """``stub.Method(requests)`` or ``stub.Method()`` then ``await write()``; ``async for`` the responses."""

    def __call__(self, requests: Requests[Req] = None) -> AsyncBidiCall[Req, Resp]: ...

    def with_options(
        self,
        *,
        timeout: Optional[float] = ...,
        attachments: Optional[Mapping[str, Any]] = ...,
        compression: Optional[str] = ...,
        wait_for_ready: Optional[bool] = ...,
    ) -> "AsyncBidiStreamMethod[Req, Resp]": ...


class AsyncRequestStream(Protocol[Msg]):
    """What an async client-streaming handler gets: ``async for`` the requests, or ``await read(timeout)``."""

    def __aiter__(self) -> AsyncIterator[Msg]: ...

    async def read(self, timeout: Optional[float] = None) -> Union[Msg, None, "EOFType"]: ...


class AsyncHandlerStream(AsyncRequestStream[Msg], Protocol[Msg, Out]):
    """What an async server- or bidi-streaming handler gets: the requests, ``await write()``, ``await done_writing()``."""

    async def write(self, message: Out) -> None: ...

    async def done_writing(self) -> None: ...
