"""``dubbo call --http``: a call to a plain-HTTP Triple endpoint (Java 3.3's port, dubbo-js's
server, or a ``dubbo.Server``'s ``http_port``), JSON in and JSON lines out, no reflection needed.

The request JSON goes as the body (``application/json``), unchanged, so a Java interface
method's arguments are a JSON array (``'["Dubbo"]'``). A ``text/event-stream`` answer (a
server stream, as Java 3.3 and this library send it) prints one line per event. Errors
exit with their gRPC code: from dubbo-js's ``{"status": <code>}`` body, or from the HTTP
status of Java's ``{"status": "<http code>"}``.
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import urllib.parse
from typing import IO, Any, Dict, Iterator, List, Optional

import grpc

from ._core.errors import RpcError

__all__ = ["call_http"]

S = grpc.StatusCode

# Java 3.3's httpStatusToGrpcCode, with the statuses its grpcCodeToHttpStatus sends.
_CODES = {
    400: S.INVALID_ARGUMENT, 401: S.UNAUTHENTICATED, 403: S.PERMISSION_DENIED, 404: S.UNIMPLEMENTED,
    408: S.DEADLINE_EXCEEDED, 409: S.ABORTED, 412: S.FAILED_PRECONDITION, 413: S.RESOURCE_EXHAUSTED,
    415: S.INTERNAL, 429: S.RESOURCE_EXHAUSTED, 499: S.CANCELLED, 501: S.UNIMPLEMENTED,
    502: S.UNAVAILABLE, 503: S.UNAVAILABLE, 504: S.DEADLINE_EXCEEDED,
}
_BY_NUMBER = {code.value[0]: code for code in S}


def _error(status: int, body: bytes) -> RpcError:
    """The status an HTTP error stands for, in either body format."""
    code = _CODES.get(status, S.UNKNOWN)
    message = body.decode("utf-8", "replace").strip() or f"HTTP {status}"
    try:
        document = json.loads(body)
    except ValueError:
        return RpcError(code, message)
    if isinstance(document, dict):
        message = str(document.get("message", message))
        if isinstance(document.get("status"), int):  # dubbo-js: the gRPC code itself
            code = _BY_NUMBER.get(document["status"], code)
    return RpcError(code, message)


def _connection(url: urllib.parse.SplitResult, args: Any) -> http.client.HTTPConnection:
    timeout = args.timeout or 10.0
    port = url.port
    if url.scheme == "https" or args.tls or args.ca or args.cert:
        context = ssl.create_default_context(cafile=args.ca)
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
        return http.client.HTTPSConnection(url.hostname or "", port, timeout=timeout, context=context)
    return http.client.HTTPConnection(url.hostname or "", port, timeout=timeout)


def _events(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The ``data`` of each Server-Sent Event."""
    data: List[bytes] = []
    for line in response:
        line = line.rstrip(b"\r\n")
        if not line:
            if data:
                yield b"\n".join(data)
                data = []
        elif line.startswith(b"data:"):
            data.append(line[5:].lstrip(b" "))
    if data:
        yield b"\n".join(data)


def call_http(args: Any, attachments: Dict[str, str], out: IO[str] = sys.stdout) -> None:
    """POST the request to ``args.url`` and print the JSON answer(s); errors raise ``RpcError``."""
    url = urllib.parse.urlsplit(args.url.replace("tri://", "http://", 1))
    if url.scheme not in ("http", "https") or not url.hostname or url.path.count("/") < 2:
        raise RpcError(S.INVALID_ARGUMENT, f"expected http://host:port/pkg.Service/method with --http, got {args.url!r}")
    query = dict(urllib.parse.parse_qsl(url.query))
    body = (sys.stdin.read() if args.request == "-" else args.request) or "{}"
    try:
        json.loads(body)
    except ValueError as error:
        raise RpcError(S.INVALID_ARGUMENT, f"the request is not JSON: {error}") from None
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "tri-protocol-version": "1.0.0",  # dubbo-js servers want it; with it, this library answers errors as dubbo-js does
        **attachments,
    }
    version = args.service_version or query.get("version")
    group = args.group or query.get("group")
    if version:
        headers["tri-service-version"] = version
    if group:
        headers["tri-service-group"] = group
    if args.timeout is not None:
        headers["tri-service-timeout"] = str(int(args.timeout * 1000))
    connection = _connection(url, args)
    try:
        try:
            connection.request("POST", url.path, body.encode(), headers)
            response = connection.getresponse()
        except OSError as error:
            raise RpcError(S.UNAVAILABLE, f"{url.netloc}: {error}") from None
        content_type = response.getheader("content-type", "")
        if content_type.startswith("text/event-stream"):
            for data in _events(response):
                _show(data, response.status, out)
            return
        data = response.read()
        if response.status != 200:
            raise _error(response.status, data)
        _show(data, 200, out)
    finally:
        connection.close()


def _show(data: bytes, status: int, out: IO[str]) -> None:
    """One answer as a line of JSON; Java's error event (``{"status": "500", ...}``) ends a stream with its status."""
    try:
        document: Optional[Any] = json.loads(data)
    except ValueError:
        document = None
    if isinstance(document, dict) and set(document) == {"status", "message"} and str(document["status"]).isdigit():
        raise _error(int(document["status"]) if isinstance(document["status"], str) else status, data)
    if status != 200:
        raise _error(status, data)
    out.write((json.dumps(document) if document is not None else data.decode("utf-8", "replace")) + "\n")
    out.flush()
