"""The four call shapes a client offers, each a small callable over one grpcio multicallable.

Everything a call needs (method path, serializer, Triple headers, attachments,
deadline) is fixed when the callable is made; ``__call__`` only serializes, calls
grpcio and translates errors. ``with_options`` makes a copy with a per-call timeout,
attachments, compression or wait-for-ready, without touching the serializer's
arguments. Inside a handler, a call inherits what is left of the handler's deadline.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Sequence, Tuple, cast

import grpc

from .._core.attachments import decode_attachments, encode_attachments
from .._core.calls import current_call, remaining_deadline
from .._core.errors import RpcError, exception_code
from .._core.stream import EOF, ReadStream, RequestQueue
from .._core.transport import compression_of

__all__ = [
    "UnaryCallable",
    "ThrowingUnaryCallable",
    "ClientStreamCallable",
    "ServerStreamCallable",
    "BidiStreamCallable",
    "ResponseStream",
    "SingleResponse",
]

_UNSET: Any = object()


def bytes_only(message: Any) -> bytes:
    """The serializer of calls made without one: messages must already be bytes."""
    if message.__class__ is bytes:
        return message
    raise TypeError(f"a {type(message).__name__} is not bytes: give the call a request_serializer")


def closed_client(error: Exception) -> Exception:
    """What calling through a closed client raises: CANCELLED, as for calls the close cut short."""
    if "closed" in str(error).lower():
        return RpcError(grpc.StatusCode.CANCELLED, "the client is closed")
    return error

# grpcio's stream-unary ``future()`` drops its ``compression=`` (1.85), so client streams
# send the request header grpcio itself turns ``compression=`` into.
_COMPRESSION_HEADER = {
    grpc.Compression.NoCompression: ("grpc-internal-encoding-request", "identity"),
    grpc.Compression.Gzip: ("grpc-internal-encoding-request", "gzip"),
}


class CallableBase:
    """What all four shapes share: the multicallable and the per-call options."""

    __slots__ = (
        "_rpc", "_serialize", "_headers", "_attachments", "_timeout", "_metadata",
        "_compression", "_wait_for_ready", "_inherit_deadline", "_method", "_attachment_values",
    )

    def __init__(
        self,
        rpc: Any,
        serialize: Optional[Callable[..., bytes]],
        headers: Tuple[Tuple[str, Any], ...],
        timeout: Optional[float],
        compression: Optional[grpc.Compression],
        method: str,
    ) -> None:
        self._rpc = rpc
        self._method = method
        self._serialize = serialize
        self._headers = headers
        self._attachments: Tuple[Tuple[str, Any], ...] = ()
        self._attachment_values: Dict[str, Any] = {}
        self._timeout = timeout
        self._compression = compression
        self._wait_for_ready: Optional[bool] = None
        self._inherit_deadline = True
        self._metadata = self._build_metadata()

    def _build_metadata(self) -> Optional[Tuple[Tuple[str, Any], ...]]:
        return (self._headers + self._attachments) or None

    def with_options(
        self,
        *,
        timeout: Optional[float] = _UNSET,
        attachments: Optional[Mapping[str, Any]] = None,
        compression: Optional[str] = _UNSET,
        wait_for_ready: Optional[bool] = None,
        inherit_deadline: Optional[bool] = None,
    ):
        """A copy of this callable with per-call settings; chained calls add to each other.

        ``timeout`` is in seconds (``None`` or ``0``: no deadline, as ``timeout=0`` in a
        URL); ``attachments`` are sent as request headers (bytes values under
        ``key-bin``) beside those set before; ``compression`` is ``"gzip"`` or
        ``"identity"``; ``inherit_deadline=False`` stops a call made inside a handler
        from taking on the handler's remaining deadline.
        """
        other = copy.copy(self)
        if timeout is not _UNSET:
            other._timeout = timeout or None
        if attachments:
            other._attachment_values = {**self._attachment_values, **attachments}
            other._attachments = encode_attachments(other._attachment_values)
        if compression is not _UNSET:
            other._compression = compression_of(compression)
        if wait_for_ready is not None:
            other._wait_for_ready = wait_for_ready
        if inherit_deadline is not None:
            other._inherit_deadline = inherit_deadline
        other._metadata = other._build_metadata()
        return other

    def __copy__(self):
        other = object.__new__(type(self))
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                setattr(other, name, getattr(self, name))
        return other

    def _request(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> bytes:
        """The one request, serialized; a failure is INTERNAL naming the method, as a streamed one's is."""
        try:
            if self._serialize is None:
                return bytes_only(*args, **kwargs)
            return self._serialize(*args, **kwargs)
        except Exception as error:
            raise self._unserializable(error) from None

    def _unserializable(self, error: Exception) -> RpcError:
        return RpcError(
            grpc.StatusCode.INTERNAL,
            f"could not serialize the request of {self._method}: {type(error).__name__}: {error}",
        )

    def _deadline(self) -> Optional[float]:
        """This call's timeout: its own, or less if the handler it runs in has less time left."""
        if current_call.get() is None or not self._inherit_deadline:
            return self._timeout
        remaining = remaining_deadline()
        if remaining is None or (self._timeout is not None and self._timeout <= remaining):
            return self._timeout
        return remaining


class UnaryCallable(CallableBase):
    """``call(*args, **kwargs) -> response``; all arguments go to the request serializer."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self._request(args, kwargs)
        try:
            return self._rpc(
                request,
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except ValueError as error:
            raise closed_client(error) from None

    def with_call(self, *args: Any, **kwargs: Any) -> Tuple[Any, "CallResult"]:
        """``(response, result)``: the response and the server's headers and trailers."""
        response, call = self._with_call(args, kwargs)
        return response, CallResult(call)

    def _with_call(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Any, Any]:
        """The response and grpcio's finished call."""
        request = self._request(args, kwargs)
        try:
            return self._rpc.with_call(
                request,
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except ValueError as error:
            raise closed_client(error) from None

    def future(self, *args: Any, **kwargs: Any) -> "SingleResponse":
        """Start the call without waiting: ``read(timeout)``/``result()`` it, or ``cancel()`` it."""
        return SingleResponse(self._started(args, kwargs))

    def _started(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """grpcio's future of this call, started."""
        request = self._request(args, kwargs)
        try:
            return self._rpc.future(
                request,
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except ValueError as error:
            raise closed_client(error) from None


class ThrowingUnaryCallable(UnaryCallable):
    """A unary call whose response may be an exception the provider threw (Triple's wrapper mode): a
    non-zero ``tri-exception-code`` response header says so, and ``raised(response, code, headers,
    trailers)``, the response deserializer's, makes the error to raise. Only such calls read headers."""

    __slots__ = ("_raised",)

    def __init__(self, *args: Any, raised: Callable[..., RpcError]) -> None:
        super().__init__(*args)
        self._raised = raised

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._with_call(args, kwargs)[0]

    def _with_call(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Any, Any]:
        response, call = super()._with_call(args, kwargs)
        headers = call.initial_metadata()
        if headers:
            code = exception_code(headers)
            if code:
                raise self._raised(response, code, headers, call.trailing_metadata())
        return response, call

    def future(self, *args: Any, **kwargs: Any) -> "SingleResponse":
        return SingleResponse(_ThrowingFuture(self._started(args, kwargs), self._raised))


class _ThrowingFuture:
    """A grpcio unary future whose ``result()`` raises the exception a ``tri-exception-code`` response carries."""

    __slots__ = ("_future", "_raised")

    def __init__(self, future: Any, raised: Callable[..., RpcError]) -> None:
        self._future = future
        self._raised = raised

    def __getattr__(self, name: str) -> Any:
        return getattr(self._future, name)

    def result(self, timeout: Optional[float] = None) -> Any:
        response = self._future.result(timeout)
        code = exception_code(self._future.initial_metadata())
        if code:
            raise self._raised(response, code, self._future.initial_metadata(), self._future.trailing_metadata())
        return response


class ServerStreamCallable(CallableBase):
    """``call(*args, **kwargs) -> ResponseStream`` of the server's messages."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> "ResponseStream":
        request = self._request(args, kwargs)
        try:
            call = self._rpc(
                request,
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except ValueError as error:
            raise closed_client(error) from None
        return ResponseStream(call)


def no_requests_given(requests: Any) -> bool:
    # Apache's samples forward ``*args`` as the request stream, so ``()`` means "none given".
    return requests is None or (requests.__class__ is tuple and not requests)


class ClientStreamCallable(CallableBase):
    """``call(iterable)`` sends the requests; ``call()`` gives a stream to ``write()`` to.

    Either way the result's ``read()`` returns the single response, then ``EOF``. With an
    iterable the call runs to its end before ``call`` returns, as Apache's does (its
    ``call(iterator)`` writes every request first): grpcio's blocking call carries a
    client stream about a third faster than its ``future()`` (BENCHMARKS.md). A failure
    is raised by ``read()``, like a stream's.
    """

    __slots__ = ()

    def _build_metadata(self) -> Optional[Tuple[Tuple[str, Any], ...]]:
        metadata = self._headers + self._attachments
        if self._compression is not None:
            metadata += (_COMPRESSION_HEADER[self._compression],)
        return metadata or None

    def __call__(self, requests: Optional[Iterable[Any]] = None) -> "SingleResponse":
        try:
            if no_requests_given(requests):
                writer = RequestQueue()
                future = self._rpc.future(
                    writer, timeout=self._deadline(), metadata=self._metadata, wait_for_ready=self._wait_for_ready
                )
                writer.is_active = future.running
                return SingleResponse(future, writer)
            response, call = self._rpc.with_call(
                iter(cast(Iterable[Any], requests)),
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
            )
        except grpc.RpcError as error:
            return SingleResponse(_Ended(None, error, error))
        except ValueError as error:
            raise closed_client(error) from None
        return SingleResponse(_Ended(response, None, call))


class BidiStreamCallable(CallableBase):
    """``call(iterable) -> ResponseStream``; ``call()`` gives a stream driven by ``write()``."""

    __slots__ = ()

    def __call__(self, requests: Optional[Iterable[Any]] = None) -> "ResponseStream":
        writer = None
        if no_requests_given(requests):
            writer = RequestQueue()
            requests = writer
        try:
            call = self._rpc(
                iter(cast(Iterable[Any], requests)),
                timeout=self._deadline(),
                metadata=self._metadata,
                wait_for_ready=self._wait_for_ready,
                compression=self._compression,
            )
        except ValueError as error:
            raise closed_client(error) from None
        if writer is not None:
            writer.is_active = call.is_active
        return ResponseStream(call, writer)


class _Ended:
    """A call that has already ended, shaped like the grpcio future ``SingleResponse`` reads."""

    __slots__ = ("_response", "_error", "_call")

    def __init__(self, response: Any, error: Optional[grpc.RpcError], call: Any) -> None:
        self._response = response
        self._error = error
        self._call = call

    def result(self, timeout: Optional[float] = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._response

    def exception(self, timeout: Optional[float] = None) -> Optional[grpc.RpcError]:
        return self._error

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        callback(self)

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def initial_metadata(self) -> Sequence[Tuple[str, Any]]:
        return self._call.initial_metadata()

    def trailing_metadata(self) -> Sequence[Tuple[str, Any]]:
        return self._call.trailing_metadata()


def _translated(call: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from call
    except grpc.RpcError as error:
        raise RpcError.from_grpc(error) from None


class _ServerMetadata:
    """Reading what the server sent besides messages, from ``self._call``."""

    __slots__ = ()
    _call: Any  # grpcio's call (or future)

    def initial_metadata(self) -> Sequence[Tuple[str, Any]]:
        """The raw response headers (waits for them)."""
        return self._call.initial_metadata()

    def trailing_metadata(self) -> Sequence[Tuple[str, Any]]:
        """The raw trailers (waits for the end of the call)."""
        return self._call.trailing_metadata()

    @property
    def headers(self) -> Dict[str, Any]:
        """Response headers as attachments (waits for them)."""
        return decode_attachments(self._call.initial_metadata())

    @property
    def trailers(self) -> Dict[str, Any]:
        """Trailers as attachments: where Java puts the server's attachments (waits for the end)."""
        return decode_attachments(self._call.trailing_metadata())


class CallResult(_ServerMetadata):
    """What the server sent besides the response: headers and trailers, as attachments."""

    __slots__ = ("_call",)

    def __init__(self, call: Any) -> None:
        self._call = call


class _Writable:
    __slots__ = ()
    _writer: Optional[RequestQueue]  # None for calls made with a request iterable

    def write(self, message: Any) -> None:
        """Send one request (only for calls made without a request iterable)."""
        if self._writer is None:
            raise TypeError("write() is for calls made without a request iterable")
        self._writer.write(message)

    def done_writing(self) -> None:
        """Half-close: no more requests. The responses can still be read."""
        if self._writer is None:
            raise TypeError("done_writing() is for calls made without a request iterable")
        self._writer.done_writing()


class ResponseStream(ReadStream, _Writable, _ServerMetadata):
    """The server's messages: iterate, or ``read(timeout)`` → message / ``None`` / ``EOF``.

    Also the call itself: ``cancel()``, ``headers`` / ``trailers``, and for calls made
    without requests, ``write()`` / ``done_writing()``.
    """

    __slots__ = ("_call", "_writer")

    def __init__(self, call: Any, writer: Optional[RequestQueue] = None) -> None:
        ReadStream.__init__(self, _translated(call))
        self._call = call
        self._writer = writer

    def cancel(self) -> bool:
        """Cancel the call; the server's handler sees it, reads here raise CANCELLED."""
        return self._call.cancel()


class SingleResponse(_Writable, _ServerMetadata):
    """The one response of a call: ``read(timeout)``, then ``EOF``; or ``result()``."""

    __slots__ = ("_call", "_writer", "_taken")

    def __init__(self, future: Any, writer: Optional[RequestQueue] = None) -> None:
        self._call = future
        self._writer = writer
        self._taken = False

    def read(self, timeout: Optional[float] = None) -> Any:
        """The response, ``None`` if it did not come within ``timeout`` seconds, then ``EOF``."""
        if self._taken:
            return EOF
        try:
            response = self._call.result(timeout)
        except grpc.FutureTimeoutError:
            return None
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except grpc.FutureCancelledError:
            raise RpcError(grpc.StatusCode.CANCELLED, "the call was cancelled") from None
        self._taken = True
        return response

    def result(self, timeout: Optional[float] = None) -> Any:
        """The response, waiting for it (``read`` without the ``EOF`` bookkeeping)."""
        try:
            return self._call.result(timeout)
        except grpc.RpcError as error:
            raise RpcError.from_grpc(error) from None
        except grpc.FutureCancelledError:
            raise RpcError(grpc.StatusCode.CANCELLED, "the call was cancelled") from None

    def __iter__(self) -> Iterator[Any]:
        yield self.result()

    def cancel(self) -> bool:
        """Cancel the call; the handler sees it, ``read`` raises CANCELLED."""
        return self._call.cancel()

    def cancelled(self) -> bool:
        """True if the call was cancelled before it completed (``grpc.Future``)."""
        return self._call.cancelled()

    def running(self) -> bool:
        """True while the call is in progress (``grpc.Future``)."""
        return self._call.running()

    def done(self) -> bool:
        """True once the call has completed, failed or been cancelled (``grpc.Future``)."""
        return self._call.done()

    def exception(self, timeout: Optional[float] = None) -> Optional[RpcError]:
        """The call's error as ``dubbo.RpcError``, or ``None`` if it succeeded; waits up to ``timeout``."""
        try:
            self.result(timeout)
        except RpcError as error:
            return error
        return None

    def add_done_callback(self, callback: Callable[["SingleResponse"], None]) -> None:
        """Call ``callback(self)`` once the call is done (at once if it already is), as ``grpc.Future`` does."""
        self._call.add_done_callback(lambda _future: callback(self))
