"""Plain-HTTP Triple's wire formats: content types, bodies to requests, responses to bodies,
statuses to HTTP errors, Server-Sent Events and dubbo-js's enveloped streams.

Java 3.3 (``FallbackArgumentResolver``): a one-parameter method takes the whole JSON body,
else a JSON array as long as the parameter list maps by position. A protobuf method has
one parameter, its request message, read with protobuf's JSON mapping; so ``{"name": "x"}``
and ``[{"name": "x"}]`` are the same request. Methods whose deserializer is not a
protobuf message's ``FromString`` (raw bytes, or a codec of the user's) get the body's bytes
as they came, whatever the content type, and their response bytes go out as they are.

Errors are Java 3.3's ``{"status": "<http code>", "message": ...}`` with Java's
status-to-HTTP mapping (``TriRpcStatus#grpcCodeToHttpStatus``); a dubbo-js client (it
sends ``tri-protocol-version``) gets the body its own servers send,
``{"status": <gRPC code>, "message": ...}``, so it sees the code and message rather than
just ``HTTP 500``.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from ..._core.errors import RpcError

__all__ = [
    "Media", "media_of", "message_class", "json_request", "json_response", "HttpError",
    "error_status", "error_body", "envelopes", "envelope", "end_stream", "header_pairs", "sse_event",
]

S = grpc.StatusCode

# Java 3.3's TriRpcStatus#grpcCodeToHttpStatus.
_JAVA_HTTP = {
    S.CANCELLED: 499, S.UNKNOWN: 500, S.INVALID_ARGUMENT: 400, S.DEADLINE_EXCEEDED: 504,
    S.NOT_FOUND: 404, S.ALREADY_EXISTS: 409, S.PERMISSION_DENIED: 403, S.RESOURCE_EXHAUSTED: 429,
    S.FAILED_PRECONDITION: 400, S.ABORTED: 409, S.OUT_OF_RANGE: 400, S.UNIMPLEMENTED: 501,
    S.INTERNAL: 500, S.UNAVAILABLE: 503, S.DATA_LOSS: 500, S.UNAUTHENTICATED: 401,
}
# dubbo-js's codeToHttpStatus (protocol-triple/http-status.js), what its servers send.
_JS_HTTP = {
    **_JAVA_HTTP, S.CANCELLED: 408, S.DEADLINE_EXCEEDED: 408, S.FAILED_PRECONDITION: 412,
    S.UNIMPLEMENTED: 404,
}

_BINARY = frozenset({"application/proto", "application/x-protobuf", "application/protobuf"})
_END_STREAM = 0x02
_COMPRESSED = 0x01
_HEADER = struct.Struct(">BI")


class Media:
    """What a request's content type asks for: dubbo-js's enveloped stream or not, protobuf or JSON."""

    __slots__ = ("enveloped", "binary", "content_type")

    def __init__(self, enveloped: bool, binary: bool, content_type: str) -> None:
        self.enveloped = enveloped
        self.binary = binary
        self.content_type = content_type


def media_of(content_type: Optional[str]) -> Optional[Media]:
    """The request's format, or None for a content type this endpoint does not read."""
    if not content_type:
        return None
    main, _, params = content_type.partition(";")
    main = main.strip().lower()
    charset = params.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=utf8"):
        return None
    if main == "application/json":
        return Media(False, False, "application/json")
    if main in _BINARY:
        return Media(False, True, main)
    if main == "application/connect+json":
        return Media(True, False, main)
    if main == "application/connect+proto":
        return Media(True, True, main)
    return None


def message_class(deserializer: Optional[Callable[[bytes], Any]]) -> Optional[type]:
    """The protobuf message class whose ``FromString`` a handler declared, if that is what it is."""
    owner = getattr(deserializer, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, Message):
        return owner
    return None


class HttpError(Exception):
    """A refusal at the HTTP level (route, content type, size, time), with its HTTP status."""

    def __init__(self, http_status: int, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message


def json_request(body: bytes, cls: Any, method: str) -> Any:
    """A protobuf request from a JSON body: the whole body, else the one element of a JSON array."""
    if not body.strip():
        return cls()
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise HttpError(400, S.INVALID_ARGUMENT, f"{method}: the request body is not JSON: {error}") from None
    candidates = [value]
    if isinstance(value, list):
        if len(value) != 1:
            raise HttpError(
                400, S.INVALID_ARGUMENT,
                f"{method} takes 1 argument, the JSON array has {len(value)}",
            )
        candidates.append(value[0])
    problem = "expected a JSON object"
    for candidate in candidates:
        if isinstance(candidate, dict):
            try:
                return json_format.ParseDict(candidate, cls())
            except json_format.ParseError as error:
                problem = str(error)
    raise HttpError(
        400, S.INVALID_ARGUMENT, f"{method}: the request is not a {cls.DESCRIPTOR.full_name}: {problem}"
    )


def json_response(message: Any, encode: Callable[[Any], bytes]) -> bytes:
    """A response as JSON: protobuf's JSON mapping for messages; other responses as their bytes."""
    if isinstance(message, Message):
        return json_format.MessageToJson(message, indent=None).encode()
    return encode(message)


def error_status(error: BaseException) -> Tuple[grpc.StatusCode, str, Optional[int]]:
    """The status an exception stands for (as the gRPC side sends it) and its own HTTP status, if any."""
    if isinstance(error, HttpError):
        return error.code, error.message, error.http_status
    if isinstance(error, RpcError):
        return error.code(), error.message, None
    return S.UNKNOWN, f"{type(error).__name__}: {error}", None


def error_body(code: grpc.StatusCode, message: str, http_status: Optional[int], dubbo_js: bool) -> Tuple[int, bytes]:
    """The HTTP status and JSON body of an error: Java 3.3's, or dubbo-js's for its clients."""
    if http_status is None:
        http_status = (_JS_HTTP if dubbo_js else _JAVA_HTTP).get(code, 500)
    status: Any = code.value[0] if dubbo_js else str(http_status)
    return http_status, json.dumps({"status": status, "message": message}).encode()


def envelopes(body: bytes, method: str) -> List[bytes]:
    """The messages of an enveloped (``application/connect+*``) request body."""
    messages = []
    offset = 0
    while offset < len(body):
        if len(body) - offset < _HEADER.size:
            raise HttpError(400, S.INVALID_ARGUMENT, f"{method}: the request ends inside an envelope header")
        flags, size = _HEADER.unpack_from(body, offset)
        offset += _HEADER.size
        if flags & _COMPRESSED:
            raise HttpError(400, S.UNIMPLEMENTED, f"{method}: compressed request messages are not supported")
        if len(body) - offset < size:
            raise HttpError(400, S.INVALID_ARGUMENT, f"{method}: the request ends inside a message")
        messages.append(body[offset : offset + size])
        offset += size
    return messages


def envelope(data: bytes) -> bytes:
    """One response message in dubbo-js's envelope."""
    return _HEADER.pack(0, len(data)) + data


def end_stream(
    error: Optional[Tuple[grpc.StatusCode, str]], metadata: Iterable[Tuple[str, Any]]
) -> bytes:
    """dubbo-js's end-of-stream envelope: the error, if any, and the trailers."""
    document: Dict[str, Any] = {}
    if error is not None:
        code, message = error
        document["error"] = {"status": code.value[0], "message": message}
    trailers: Dict[str, List[str]] = {}
    for key, value in header_pairs(metadata):
        trailers.setdefault(key, []).append(value)
    if trailers:
        document["metadata"] = trailers
    data = json.dumps(document).encode()
    return _HEADER.pack(_END_STREAM, len(data)) + data


def header_pairs(metadata: Iterable[Tuple[str, Any]]) -> List[Tuple[str, str]]:
    """Attachment pairs as HTTP header text: ``-bin`` values base64 without padding, as Java writes them."""
    pairs = []
    for key, value in metadata:
        if isinstance(value, bytes):
            value = base64.b64encode(value).rstrip(b"=").decode()
        pairs.append((key, value))
    return pairs


def sse_event(data: bytes) -> bytes:
    """One Server-Sent Event carrying ``data``, written as Java 3.3 writes them."""
    if b"\n" in data or b"\r" in data:
        data = b"\ndata:".join(data.splitlines())
    return b"data:" + data + b"\n\n"
