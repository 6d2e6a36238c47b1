"""Dubbo's Python API, the same code for this library and for Apache's dubbo-python.

Both import as ``dubbo`` and take the same handler shapes and calls, so this module runs
under either: the orchestrator picks the library by the virtual environment it starts.
Handlers are generator functions, which this library runs on grpcio's own thread, except
for the ``write`` variant's, which call ``stream.write()`` and ``done_writing()``.
"""

from __future__ import annotations

import socket

import dubbo
from dubbo.configs import ReferenceConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler

import common

ASYNC = False


def handlers(m: common.Messages) -> tuple:
    """Generator handlers on messages made and read by ``m``."""

    def unary(request):
        return request

    def server_stream(stream):
        n, size = m.parse_stream_request(stream.read())
        message = m.message(size)
        for _ in range(n):
            yield message

    def client_stream(requests):
        count = 0
        for _ in requests:
            count += 1
        return m.count_reply(count)

    def bidi(stream):
        for message in stream:
            yield message

    return unary, server_stream, client_stream, bidi


def write_server_stream(stream):
    n, size = common.parse_stream_request(stream.read())
    message = common.payload(size)
    for _ in range(n):
        stream.write(message)
    stream.done_writing()


def write_bidi(stream):
    for message in stream:
        stream.write(message)
    stream.done_writing()


def _methods(variant: str, m: common.Messages, unary, server_stream, client_stream, bidi) -> list:
    codec = {"request_deserializer": m.deserialize, "response_serializer": m.serialize}
    name = lambda base: common.method(base, variant)  # noqa: E731
    return [
        RpcMethodHandler.unary(unary, method_name=name(common.UNARY), **codec),
        RpcMethodHandler.server_stream(server_stream, method_name=name(common.SERVER_STREAM), **codec),
        RpcMethodHandler.client_stream(client_stream, method_name=name(common.CLIENT_STREAM), **codec),
        RpcMethodHandler.bi_stream(bidi, method_name=name(common.BIDI), **codec),
    ]


def _user_methods() -> list:
    """The 5-field user's echo as an IDL call and in wrapper mode, where this library is the one serving."""
    try:
        import pojo
    except ImportError:  # Apache's dubbo-python has no dubbo.hessian2
        return []
    unary = lambda base: common.method(common.UNARY, base)  # noqa: E731
    return [
        RpcMethodHandler.unary(lambda user: user, unary("pojo"), pojo.PbUser.FromString, pojo.PbUser.SerializeToString),
        RpcMethodHandler.unary(pojo.echo, unary("hessian"), pojo.request_deserializer, pojo.response_serializer),
    ]


def _free_port() -> int:
    # Apache's ServiceConfig cannot listen on port 0; this library's can, but one path for both.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_options(processes: int) -> dict:
    return {} if processes == 1 else {"processes": processes}


def serve(processes: int = 1) -> None:
    plain = common.Messages()
    unary, server_stream, client_stream, bidi = handlers(plain)
    methods = _methods("bytes", plain, unary, server_stream, client_stream, bidi)
    methods += _methods("write", plain, unary, write_server_stream, client_stream, write_bidi)
    methods.append(RpcMethodHandler.unary(common.burn, method_name=common.method(common.UNARY, "cpu")))
    try:
        pb = common.PbMessages()
    except ImportError:  # an environment without protobuf serves the other variants
        pass
    else:
        methods += _methods("pb", pb, *handlers(pb))
    methods += _user_methods()
    service = RpcServiceHandler(common.SERVICE, methods)
    port = _free_port()
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=port), **_server_options(processes))
    server.start()
    common.announce_port(port)
    common.wait_for_stdin_eof()
    common.report_and_exit()


class Client:
    def __init__(self, port: int, variant: str = "bytes") -> None:
        self._port, self._variant, self._kept = port, variant, []
        client = dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{common.SERVICE}"))
        m = self.messages = common.messages(variant)
        codec = (m.serialize, m.deserialize)
        name = lambda base: common.method(base, variant)  # noqa: E731
        self.unary = client.unary(name(common.UNARY), *codec)
        self._server_stream = client.server_stream(name(common.SERVER_STREAM), *codec)
        self._client_stream = client.client_stream(name(common.CLIENT_STREAM), *codec)
        self._bidi = client.bi_stream(name(common.BIDI), *codec)

    def connection(self):
        """The unary call on a connection of its own: grpc shares one among channels whose
        settings are equal, so each pings (after 5.5 minutes of silence) a millisecond later."""
        reference = ReferenceConfig.from_url(f"tri://127.0.0.1:{self._port}/{common.SERVICE}")
        if hasattr(dubbo, "Keepalive"):  # Apache's has none, nor grpc's sharing
            reference.keepalive = dubbo.Keepalive(time_ms=330_000 + len(self._kept))
        client = dubbo.Client(reference)
        self._kept.append(client)  # a client nobody holds is closed
        return client.unary(common.method(common.UNARY, self._variant))

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


def client(port: int, variant: str = "bytes") -> Client:
    return Client(port, variant)
