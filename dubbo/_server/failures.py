"""How a call that failed on the server ends: the status an exception stands for, and the ones
for a request the method's deserializer refused or a response its serializer could not encode.
Shared by every server adapter, which (de)serializes messages itself so these name the method."""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, NoReturn, Optional, Sequence, Tuple

import grpc

from .._core.errors import RpcError

__all__ = ["end_with_error", "undecodable", "decoded_requests", "request_decoder", "response_encoder", "unframed"]

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


def request_decoder(
    deserialize: Optional[Callable[[bytes], Any]], method: str
) -> Callable[[bytes, grpc.ServicerContext], Any]:
    """How a sync adapter decodes the one request of a call: a body that is not a gRPC message,
    or one the deserializer refuses, ends the call with a status naming the method."""

    def decode(data: bytes, context: grpc.ServicerContext) -> Any:
        if not data:
            refusal = unframed(context.invocation_metadata(), method)
            if refusal is not None:
                end_with_error(context, refusal, method)
        if deserialize is None:
            return data
        try:
            return deserialize(data)
        except Exception as error:
            end_with_error(context, undecodable(method, error), method)

    return decode


def decoded_requests(requests: Iterator[bytes], deserialize: Callable[[bytes], Any], method: str) -> Iterator[Any]:
    """Request messages deserialized here, so a bad one gets a status naming the method."""
    for data in requests:
        try:
            request = deserialize(data)
        except Exception as error:
            raise undecodable(method, error) from None
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
