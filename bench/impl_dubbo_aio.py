"""This library's asyncio API, ``dubbo.aio``: async handlers on grpc.aio, coroutine client; the
write variant's streams ``await stream.write()`` and ``done_writing()``."""

from __future__ import annotations

import asyncio

import dubbo
from dubbo import aio
from dubbo.configs import ReferenceConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler

import common

ASYNC = True


def handlers(m: common.Messages) -> tuple:
    """Async generator handlers on messages made and read by ``m``."""

    async def unary(request):
        return request

    async def server_stream(stream):
        n, size = m.parse_stream_request(await stream.read())
        message = m.message(size)
        for _ in range(n):
            yield message

    async def client_stream(requests):
        count = 0
        async for _ in requests:
            count += 1
        return m.count_reply(count)

    async def bidi(stream):
        async for message in stream:
            yield message

    return unary, server_stream, client_stream, bidi


async def write_server_stream(stream):
    n, size = common.parse_stream_request(await stream.read())
    message = common.payload(size)
    for _ in range(n):
        await stream.write(message)
    await stream.done_writing()


async def write_bidi(stream):
    async for message in stream:
        await stream.write(message)
    await stream.done_writing()


async def burn(request):
    return common.burn(request)


def _methods(variant: str, m: common.Messages, unary, server_stream, client_stream, bidi) -> list:
    codec = {"request_deserializer": m.deserialize, "response_serializer": m.serialize}
    name = lambda base: common.method(base, variant)  # noqa: E731
    return [
        RpcMethodHandler.unary(unary, method_name=name(common.UNARY), **codec),
        RpcMethodHandler.server_stream(server_stream, method_name=name(common.SERVER_STREAM), **codec),
        RpcMethodHandler.client_stream(client_stream, method_name=name(common.CLIENT_STREAM), **codec),
        RpcMethodHandler.bi_stream(bidi, method_name=name(common.BIDI), **codec),
    ]


async def _serve() -> None:
    plain, pb = common.Messages(), common.PbMessages()
    unary, server_stream, client_stream, bidi = handlers(plain)
    methods = _methods("bytes", plain, unary, server_stream, client_stream, bidi)
    methods += _methods("write", plain, unary, write_server_stream, client_stream, write_bidi)
    methods += _methods("pb", pb, *handlers(pb))
    methods.append(RpcMethodHandler.unary(burn, method_name=common.method(common.UNARY, "cpu")))
    service = RpcServiceHandler(common.SERVICE, methods)
    server = aio.Server(ServiceConfig(service, host="127.0.0.1", port=0))
    await server.start()
    common.announce_port(server.port)
    await asyncio.get_running_loop().run_in_executor(None, common.wait_for_stdin_eof)
    common.report_and_exit()


def serve() -> None:
    asyncio.run(_serve())


class Client:
    def __init__(self, port: int, variant: str = "bytes") -> None:
        self._port, self._variant, self._kept = port, variant, []
        client = aio.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{common.SERVICE}"))
        m = self.messages = common.messages(variant)
        codec = (m.serialize, m.deserialize)
        name = lambda base: common.method(base, variant)  # noqa: E731
        self.unary = client.unary(name(common.UNARY), *codec)
        self._server_stream = client.server_stream(name(common.SERVER_STREAM), *codec)
        self._client_stream = client.client_stream(name(common.CLIENT_STREAM), *codec)
        self._bidi = client.bi_stream(name(common.BIDI), *codec)

    async def ready(self) -> None:
        """The channel connects on the first call, which the warm-up makes."""

    def connection(self):
        """The unary call on a connection of its own (see impl_dubbo_api)."""
        reference = ReferenceConfig.from_url(f"tri://127.0.0.1:{self._port}/{common.SERVICE}")
        reference.keepalive = dubbo.Keepalive(time_ms=330_000 + len(self._kept))
        client = aio.Client(reference)
        self._kept.append(client)  # a client nobody holds is closed
        return client.unary(common.method(common.UNARY, self._variant))

    def server_stream(self, request):
        return self._server_stream(request)

    async def client_stream(self, requests):
        return await self._client_stream(requests)

    def bidi(self, requests):
        return self._bidi(requests)

    async def pingpong(self):
        stream = self._bidi()

        async def close():
            await stream.done_writing()
            async for _ in stream:
                pass

        return stream.write, stream.read, close


def client(port: int, variant: str = "bytes") -> Client:
    return Client(port, variant)
