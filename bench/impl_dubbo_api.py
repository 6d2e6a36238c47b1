"""Dubbo's Python API, the same code for this library and for Apache's dubbo-python.

Both import as ``dubbo`` and take the same handler shapes and calls, so this module runs
under either: the orchestrator picks the library by the virtual environment it starts.
Handlers are generator functions, which this library runs on grpcio's own thread.
"""

from __future__ import annotations

import socket

import dubbo
from dubbo.configs import ReferenceConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler

import common

ASYNC = False


def unary(request):
    return request


def server_stream(stream):
    n, size = common.parse_stream_request(stream.read())
    message = common.payload(size)
    for _ in range(n):
        yield message


def client_stream(requests):
    count = 0
    for _ in requests:
        count += 1
    return common.count_reply(count)


def bidi(stream):
    for message in stream:
        yield message


def _free_port() -> int:
    # Apache's ServiceConfig cannot listen on port 0; this library's can, but one path for both.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve() -> None:
    service = RpcServiceHandler(
        common.SERVICE,
        [
            RpcMethodHandler.unary(unary, method_name=common.UNARY),
            RpcMethodHandler.server_stream(server_stream, method_name=common.SERVER_STREAM),
            RpcMethodHandler.client_stream(client_stream, method_name=common.CLIENT_STREAM),
            RpcMethodHandler.bi_stream(bidi, method_name=common.BIDI),
        ],
    )
    port = _free_port()
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=port))
    server.start()
    common.announce_port(port)
    common.wait_for_stdin_eof()
    common.report_and_exit()


class Client:
    def __init__(self, port: int) -> None:
        client = dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{common.SERVICE}"))
        self.unary = client.unary(common.UNARY)
        self._server_stream = client.server_stream(common.SERVER_STREAM)
        self._client_stream = client.client_stream(common.CLIENT_STREAM)
        self._bidi = client.bi_stream(common.BIDI)

    def server_stream(self, request):
        return self._server_stream(request)

    def client_stream(self, requests):
        return self._client_stream(requests).read()

    def bidi(self, requests):
        return self._bidi(requests)

    def pingpong(self):
        stream = self._bidi()

        def close():
            stream.done_writing()
            for _ in stream:
                pass

        return stream.write, stream.read, close


def client(port: int) -> Client:
    return Client(port)
