"""The ASGI application of the plain-HTTP endpoint: one POST, one call.

``POST /{service}/{method}`` routes through the server's ``Router`` (version and group from
``tri-service-version``/``tri-service-group`` or Java's ``rest-service-*`` aliases, with the
same fallbacks), reads the body in the request's format (dubbo/_server/http/codec.py),
runs the handler (dubbo/_server/http/calls.py) within ``tri-service-timeout``, and answers:

- unary methods: one JSON or protobuf body, as Java 3.3 and dubbo-js's Triple transport do;
- server streams with ``application/json``: Server-Sent Events (``data:{json}``), as Java 3.3
  streams over HTTP/1;
- ``application/connect+json`` / ``+proto`` (dubbo-js's streams): enveloped messages and an
  end-of-stream envelope carrying the status and trailers. Requests are read whole before
  the handler starts, so client and bidi streams are served half-duplex.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import grpc

from ..._core.errors import RpcError
from ..._core.triple import SERVICE_GROUP, SERVICE_VERSION
from ..failures import response_encoder
from ..router import Router
from .calls import HttpCall
from .codec import (
    HttpError, Media, end_stream, envelope, envelopes, error_body, error_status, header_pairs, json_request,
    json_response, media_of, message_class, sse_event,
)
from .options import HttpOptions

__all__ = ["HttpApp", "missing"]

_log = logging.getLogger("dubbo.server")

S = grpc.StatusCode

TIMEOUT = "tri-service-timeout"
PROTOCOL_VERSION = "tri-protocol-version"  # sent only by dubbo-js's Triple transport
_ALIASES = {"rest-service-version": SERVICE_VERSION, "rest-service-group": SERVICE_GROUP}
# Connection and framing headers: never attachments.
_TRANSPORT = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "http2-settings",
     "expect", "te", "accept-encoding"}
)


class _Details:
    """What the router reads of a call: grpcio's ``HandlerCallDetails``."""

    def __init__(self, method: str, invocation_metadata: Tuple[Tuple[str, Any], ...]) -> None:
        self.method = method
        self.invocation_metadata = invocation_metadata


class _Missing:
    """The router's answer for a path it does not serve: a 404, as Java's ``Invoker not found``."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, request: Any, call: Any) -> Any:
        raise HttpError(404, S.UNIMPLEMENTED, self.message)


def missing(message: str) -> grpc.RpcMethodHandler:
    """The router's ``unimplemented`` for the HTTP endpoint."""
    return grpc.unary_unary_rpc_method_handler(_Missing(message))


def _metadata(headers: List[Tuple[str, str]]) -> Tuple[Tuple[str, Any], ...]:
    """Request headers as gRPC metadata: Java's ``rest-service-*`` aliases as Triple's names, ``-bin`` decoded."""
    names = {key for key, _ in headers}
    pairs: List[Tuple[str, Any]] = []
    for key, value in headers:
        if key in _TRANSPORT or key.startswith(":"):
            continue
        alias = _ALIASES.get(key)
        if alias is not None:
            if alias in names:
                continue
            key = alias
        if key.endswith("-bin"):
            try:
                pairs.append((key, base64.b64decode(value + "=" * (-len(value) % 4))))
            except ValueError:
                raise HttpError(400, S.INVALID_ARGUMENT, f"header {key} is not base64") from None
            continue
        pairs.append((key, value))
    return tuple(pairs)


def _peer(scope: Dict[str, Any]) -> str:
    client = scope.get("client")
    if not client:
        return "unknown"
    host, port = client[0], client[1]
    return f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"


def _timeout(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 10:
        raise HttpError(400, S.INVALID_ARGUMENT, f"{TIMEOUT} must be milliseconds, got {value!r}")
    return int(value) / 1000 if int(value) else None


class _Reply:
    """The response of one exchange, started once."""

    def __init__(self, send: Callable[[Dict[str, Any]], Any], headers: List[Tuple[str, str]], dubbo_js: bool) -> None:
        self._send = send
        self._headers = headers  # CORS headers, on every response
        self.dubbo_js = dubbo_js
        self.started = False

    @property
    def cross_origin_allowed(self) -> bool:
        return bool(self._headers)

    async def start(self, status: int, headers: Sequence[Tuple[str, str]]) -> None:
        self.started = True
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in [*self._headers, *headers]]
        await self._send({"type": "http.response.start", "status": status, "headers": raw})

    async def body(self, data: bytes, more: bool = False) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": more})

    async def whole(self, status: int, content_type: str, data: bytes, headers: Sequence[Tuple[str, str]] = ()) -> None:
        await self.start(status, [("content-type", content_type), ("content-length", str(len(data))), *headers])
        await self.body(data)

    async def error(self, error: BaseException, headers: Sequence[Tuple[str, str]] = ()) -> None:
        code, message, http_status = error_status(error)
        status, data = error_body(code, message, http_status, self.dubbo_js)
        await self.whole(status, "application/json", data, headers)


class HttpApp:
    """The ASGI application serving a router's methods over plain HTTP."""

    def __init__(self, router: Router, options: HttpOptions) -> None:
        self._router = router
        self._options = options
        self._any_origin = "*" in options.cors_origins
        self._origins = frozenset(options.cors_origins)

    async def __call__(self, scope: Dict[str, Any], receive: Callable[[], Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        first = dict(reversed(headers))
        reply = _Reply(send, self._cors(first.get("origin")), PROTOCOL_VERSION in first)
        try:
            if scope["method"] == "OPTIONS" and "access-control-request-method" in first:
                await self._preflight(reply, first)
                return
            if scope["method"] != "POST":
                raise HttpError(405, S.UNIMPLEMENTED, f"{scope['method']} is not served: call methods with POST")
            media = media_of(first.get("content-type"))
            if media is None:
                raise HttpError(415, S.INTERNAL, _unsupported(first.get("content-type")))
            await _Exchange(scope, receive, reply, media, headers, self._options).run(self._router)
        except HttpError as error:
            if not reply.started:
                await reply.error(error, [("allow", "POST")] if error.http_status == 405 else ())

    def _cors(self, origin: Optional[str]) -> List[Tuple[str, str]]:
        if origin is None or not (self._any_origin or origin in self._origins):
            return []
        return [
            ("access-control-allow-origin", "*" if self._any_origin else origin),
            ("access-control-expose-headers", "*"),
            ("vary", "origin"),
        ]

    async def _preflight(self, reply: _Reply, first: Dict[str, str]) -> None:
        """A browser's CORS preflight: allowed origins may POST with any headers."""
        if "origin" not in first or not reply.cross_origin_allowed:
            raise HttpError(403, S.PERMISSION_DENIED, f"origin {first.get('origin')!r} may not call this server")
        headers = [
            ("access-control-allow-methods", "POST"),
            ("access-control-allow-headers", first.get("access-control-request-headers", "*")),
            ("access-control-max-age", "7200"),
            ("content-length", "0"),
        ]
        await reply.start(204, headers)
        await reply.body(b"")


def _unsupported(content_type: Optional[str]) -> str:
    return (
        f"content type {content_type!r} is not served here: send application/json or application/proto "
        "(or dubbo-js's application/connect+json / +proto streams); gRPC goes to the server's gRPC port"
    )


class _Exchange:
    """One routed call: read, run, answer."""

    def __init__(
        self,
        scope: Dict[str, Any],
        receive: Callable[[], Any],
        reply: _Reply,
        media: Media,
        headers: List[Tuple[str, str]],
        options: HttpOptions,
    ) -> None:
        self._scope = scope
        self._receive = receive
        self._reply = reply
        self._media = media
        self._headers = headers
        self._options = options
        self._call: Optional[HttpCall] = None
        self._encode: Callable[[Any], bytes] = bytes

    async def run(self, router: Router) -> None:
        media = self._media
        body: Optional[bytes] = None
        try:
            metadata = _metadata(self._headers)
            path = self._scope["path"]
            handler = router.service(_Details(path, metadata))
            refusal = handler.unary_unary if handler is not None else _Missing(f"{path} is not served")
            if handler is None or isinstance(refusal, _Missing):
                raise HttpError(404, S.UNIMPLEMENTED, refusal.message if isinstance(refusal, _Missing) else path)
            if not media.enveloped and handler.request_streaming:
                raise HttpError(
                    415, S.UNIMPLEMENTED,
                    f"{path} streams requests: send them as dubbo-js does, application/connect+json or +proto",
                )
            if not media.enveloped and handler.response_streaming and media.binary:
                raise HttpError(
                    415, S.UNIMPLEMENTED,
                    f"{path} streams responses: as Server-Sent Events with application/json, "
                    "or enveloped with application/connect+proto",
                )
            first = dict(self._headers)
            for encoding in ("content-encoding", "connect-content-encoding"):
                if first.get(encoding, "identity").lower() != "identity":
                    raise HttpError(415, S.UNIMPLEMENTED, f"{encoding} {first[encoding]!r}: compressed requests are not supported")
            timeout = _timeout(dict(metadata).get(TIMEOUT))
            body = await self._read_body()
            requests = self._decode(body, handler.request_deserializer, path)
        except HttpError as error:
            if body is None and error.http_status not in (408, 413, 499):
                await self._drain()  # a client still sending its body would see the answer as a reset (EPIPE)
            await self._fail(error)
            return
        self._encode = response_encoder(handler.response_serializer, path)
        call = HttpCall(metadata, _peer(self._scope), timeout, asyncio.get_running_loop(), self._emit)
        self._call = call
        behavior = next(b for b in (handler.unary_unary, handler.unary_stream, handler.stream_unary, handler.stream_stream) if b)
        argument = requests if handler.request_streaming else (requests[0] if len(requests) == 1 else None)
        if argument is None:
            await self._fail(HttpError(400, S.INVALID_ARGUMENT, f"{path} takes one request, got {len(requests)}"))
            return
        await self._serve(behavior, argument, call, handler.response_streaming)

    async def _serve(self, behavior: Any, argument: Any, call: HttpCall, streaming: bool) -> None:
        task = asyncio.ensure_future(behavior(argument, call))
        gone = asyncio.ensure_future(self._receive())  # http.disconnect, once the client goes away
        try:
            done, _ = await asyncio.wait({task, gone}, timeout=call.time_remaining(), return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                error = RpcError(S.CANCELLED, "the call was cancelled") if task.cancelled() else task.exception()
            elif gone in done:
                task.cancel()
                return
            else:
                task.cancel()
                error = HttpError(504 if not self._reply.dubbo_js else 408, S.DEADLINE_EXCEEDED, "Deadline Exceeded")
        finally:
            gone.cancel()
            call.end()
            task.add_done_callback(_retrieve)
        if error is not None:
            if not isinstance(error, (HttpError, grpc.RpcError)):
                _log.error("%s failed", self._scope["path"], exc_info=error)
            await self._fail(error)
            return
        if streaming or self._media.enveloped:
            if not streaming:
                await self._emit(task.result())
            await self._finish()
            return
        await self._unary(task.result(), call)

    async def _unary(self, response: Any, call: HttpCall) -> None:
        try:
            data = self._encoded(response)
        except Exception as error:
            await self._fail(error)
            return
        trailers = header_pairs(call.trailers)
        if self._reply.dubbo_js:
            trailers = [(f"trailer-{key}", value) for key, value in trailers]
        await self._reply.whole(200, self._media.content_type, data, [*header_pairs(call.response_headers), *trailers])

    def _encoded(self, message: Any) -> bytes:
        return self._encode(message) if self._media.binary else json_response(message, self._encode)

    async def _emit(self, message: Any) -> None:
        """One response of a stream: an envelope, or a Server-Sent Event."""
        data = self._encoded(message)
        if not self._reply.started:
            await self._start_stream(200)
        await self._reply.body(envelope(data) if self._media.enveloped else sse_event(data), more=True)

    async def _start_stream(self, status: int) -> None:
        call = self._call
        headers = header_pairs(call.response_headers) if call is not None else []
        if call is not None:
            call.headers_sent = True
        if self._media.enveloped:
            await self._reply.start(status, [("content-type", self._media.content_type), *headers])
        else:
            await self._reply.start(status, [("content-type", "text/event-stream"), ("cache-control", "no-cache"), *headers])

    async def _finish(self, error: Optional[BaseException] = None) -> None:
        """The end of a stream: dubbo-js's end-of-stream envelope, or for SSE an error event if it failed."""
        if self._media.enveloped:
            if not self._reply.started:
                await self._start_stream(200)
            failure = None if error is None else error_status(error)[:2]
            trailers = self._call.trailers if self._call is not None else ()
            await self._reply.body(end_stream(failure, trailers))
            return
        if error is None:
            if not self._reply.started:
                await self._start_stream(200)
            await self._reply.body(b"")
            return
        code, message, http_status = error_status(error)
        status, data = error_body(code, message, http_status, False)
        if not self._reply.started:
            await self._start_stream(status)
        await self._reply.body(sse_event(data))

    async def _fail(self, error: BaseException) -> None:
        if self._media.enveloped or (self._reply.started and self._call is not None):
            await self._finish(error)
        elif not self._reply.started:
            await self._reply.error(error)

    async def _drain(self) -> None:
        """Read and drop the request body of a call refused before it was read, within the body limits."""
        try:
            await self._read_body()
        except HttpError:
            pass

    async def _read_body(self) -> bytes:
        limit = self._options.max_body_size
        declared = dict(self._headers).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise HttpError(413, S.RESOURCE_EXHAUSTED, f"the request body ({declared} bytes) is over the limit of {limit} bytes")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.body_timeout
        chunks = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(self._receive(), max(deadline - loop.time(), 0))
            except asyncio.TimeoutError:
                raise HttpError(
                    408, S.DEADLINE_EXCEEDED, f"the request body did not arrive within {self._options.body_timeout:g} s"
                ) from None
            if message["type"] == "http.disconnect":
                raise HttpError(499, S.CANCELLED, "the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, S.RESOURCE_EXHAUSTED, f"the request body is over the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _decode(self, body: bytes, deserializer: Optional[Callable[[bytes], Any]], path: str) -> List[Any]:
        """The request messages of a body: one, or each envelope's."""
        media = self._media
        messages = envelopes(body, path) if media.enveloped else [body]
        cls = None if media.binary else message_class(deserializer)
        if cls is not None:
            return [json_request(data, cls, path) for data in messages]
        if deserializer is None:
            return messages
        decoded = []
        for data in messages:
            try:
                decoded.append(deserializer(data))
            except Exception as error:
                raise HttpError(
                    400, S.INVALID_ARGUMENT, f"could not deserialize the request of {path}: {type(error).__name__}: {error}"
                ) from None
        return decoded


def _retrieve(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()  # seen: a handler that failed after its call ended is not "never retrieved"


async def _lifespan(receive: Callable[[], Any], send: Callable[..., Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
