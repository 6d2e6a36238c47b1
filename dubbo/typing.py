"""Generic protocols that typed stubs (``python -m dubbo.codegen``) annotate with.

The runtime objects are ``dubbo``'s own callables and streams; these protocols only tell a
type checker which message types flow through them. Nothing here runs per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Protocol, Sequence, Tuple, TypeVar, Union

if TYPE_CHECKING:
    from ._stream import _EOFType

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
]

Req = TypeVar("Req", contravariant=True)
Resp = TypeVar("Resp", covariant=True)
Msg = TypeVar("Msg", covariant=True)
Out = TypeVar("Out", contravariant=True)
Metadata = Sequence[Tuple[str, Any]]


class Responses(Protocol[Resp]):
    """A server stream seen by the caller: iterate, or ``read(timeout)`` → message / ``None`` / ``EOF``."""

    def __iter__(self) -> Iterator[Resp]: ...

    def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "_EOFType"]: ...

    def cancel(self) -> bool: ...

    def initial_metadata(self) -> Metadata: ...

    def trailing_metadata(self) -> Metadata: ...


class BidiCall(Responses[Resp], Protocol[Req, Resp]):
    """A bidi call: the responses, plus ``write`` / ``done_writing`` when made without requests."""

    def write(self, message: Req) -> None: ...

    def done_writing(self) -> None: ...


class ClientStreamCall(Protocol[Req, Resp]):
    """A client-streaming call: ``read()`` / ``result()`` the one response; ``write`` when made without requests."""

    def read(self, timeout: Optional[float] = None) -> Union[Resp, None, "_EOFType"]: ...

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

    def read(self, timeout: Optional[float] = None) -> Union[Msg, None, "_EOFType"]: ...


class HandlerStream(RequestStream[Msg], Protocol[Msg, Out]):
    """What a server- or bidi-streaming handler gets: the requests, and ``write`` / ``done_writing``."""

    def write(self, message: Out) -> None: ...

    def done_writing(self) -> None: ...
