"""How a call that failed on the server ends: the status an exception stands for, and the ones
for a request the method's deserializer refused or a response its serializer could not encode.
Shared by every server adapter, which (de)serializes messages itself so these name the method."""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, NoReturn, Optional, Sequence, Tuple

import grpc

from .._core.errors import RpcError

__all__ = ["end_with_error", "undecodable", "RequestDecoder", "response_encoder", "unframed"]

_log = logging.getLogger("dubbo.server")


def end_with_error(context: grpc.ServicerContext, error: BaseException, method: str) -> NoReturn:
    """End the call with the status ``error`` stands for; never returns."""
    if type(error) is Exception and not error.args:  # grpcio's own abort() signal
        raise error
    if isinstance(error, RpcError):
        if error.status_details:
            context.abort_with_status(error.to_status())
        context.abort(error.code(), error.message)
    if isinstance(error, grpc.RpcError) and not context.is_active():
        raise error  # grpcio's request iterator: the caller cancelled or the deadline passed, not a failure
    _log.error("%s failed", method, exc_info=error)
    context.abort(grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}")


def undecodable(method: str, error: Exception) -> RpcError:
    """The status of a request the method's deserializer refused."""
    return RpcError(
        grpc.StatusCode.INTERNAL,
        f"could not deserialize the request of {method}: {type(error).__name__}: {error}",
    )


class _Refused:
    """A request the deserializer refused, as grpcio hands it to the behavior."""

    __slots__ = ("error",)

    def __init__(self, error: RpcError) -> None:
        self.error = error


_EMPTY = object()  # an empty single request: its body may not have been a gRPC message


class RequestDecoder:
    """How an adapter decodes a method's requests: grpcio calls ``deserializer`` (None for bytes),
    which never raises, and ``single`` / ``checked`` / ``stream`` then end the call with a status
    naming the method for a request it refused or a body that is not a gRPC message.

    grpcio, not the behavior, deserializes so that it drops each request's bytes at once: a
    behavior given the bytes holds them (and grpcio's frame does too) for the whole call, so a
    1 MiB request lived beside its parsed copy and the reply, which put glibc's heap past its
    trim threshold and every call through page faults (BENCHMARKS.md, "1 MiB protobuf").
    """

    __slots__ = ("deserializer", "_deserialize", "_method")

    def __init__(self, deserialize: Optional[Callable[[bytes], Any]], method: str, streaming: bool) -> None:
        self._deserialize = deserialize
        self._method = method
        self.deserializer: Optional[Callable[[bytes], Any]] = None
        if deserialize is not None:
            self.deserializer = self._each if streaming else self._single

    def _each(self, data: bytes) -> Any:
        try:
            return self._deserialize(data)  # type: ignore[misc]
        except Exception as error:
            return _Refused(undecodable(self._method, error))

    def _single(self, data: bytes) -> Any:
        return self._each(data) if data else _EMPTY

    def checked(self, request: Any, context: Any) -> Any:
        """The call's single request as grpcio decoded it; raises the RpcError that refuses it."""
        if request.__class__ is _Refused:
            raise request.error
        if request is _EMPTY or (self._deserialize is None and not request):
            refusal = unframed(context.invocation_metadata(), self._method)
            if refusal is not None:
                raise refusal
            if request is _EMPTY:
                request = self._each(b"")
                if request.__class__ is _Refused:
                    raise request.error
        return request

    def single(self, request: Any, context: grpc.ServicerContext) -> Any:
        """``checked`` for the sync adapters: a refused request ends the call."""
        try:
            return self.checked(request, context)
        except RpcError as error:
            end_with_error(context, error, self._method)

    def stream(self, requests: Iterator[Any]) -> Iterator[Any]:
        """The request stream, ending with the status of the first request the deserializer refused."""
        return requests if self._deserialize is None else _checked(requests)


def _checked(requests: Iterator[Any]) -> Iterator[Any]:
    for request in requests:
        if request.__class__ is _Refused:
            raise request.error
        yield request


def _bytes_only(message: Any) -> bytes:
    if message.__class__ is bytes:
        return message
    raise TypeError(f"the handler gave a {type(message).__name__}, not bytes: give it a response_serializer")


def response_encoder(serialize: Optional[Callable[[Any], bytes]], method: str) -> Callable[[Any], bytes]:
    """The method's response serializer (or a bytes check where it has none), failing with INTERNAL
    naming the method, so a wrong response ends the call at once instead of leaving the caller waiting."""
    serialize = serialize or _bytes_only

    def encode(message: Any) -> bytes:
        try:
            return serialize(message)
        except Exception as error:
            _log.error("%s: could not serialize a response", method, exc_info=error)
            raise RpcError(
                grpc.StatusCode.INTERNAL,
                f"could not serialize the response of {method}: {type(error).__name__}: {error}",
            ) from None

    return encode


def unframed(metadata: Sequence[Tuple[str, Any]], method: str) -> Optional[RpcError]:
    """The refusal of an empty single request whose HTTP body was not a gRPC message, else None.

    grpc-core reads any HTTP/2 POST as a call and hides its content-type, so a plain HTTP
    or JSON request (curl, dubbo-js's Triple transport: ``["Dubbo"]``) reaches the method
    as an empty message. Its ``content-length`` tells it apart: an empty gRPC message is a
    5-byte frame. Only empty requests are checked, so real calls pay nothing.
    """
    for key, value in metadata:
        if key == "content-length" and value != "5":
            return RpcError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{method}: the request body ({value} bytes) is not a gRPC message; this port serves gRPC "
                "(content-type application/grpc), not plain HTTP or JSON",
            )
    return None
