"""This library's asyncio API, ``dubbo.aio``: async handlers on grpc.aio, coroutine client."""

from __future__ import annotations

import asyncio

from dubbo import aio
from dubbo.configs import ReferenceConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler

import common

ASYNC = True


async def unary(request):
    return request


async def server_stream(stream):
    n, size = common.parse_stream_request(await stream.read())
    message = common.payload(size)
    for _ in range(n):
        yield message


async def client_stream(requests):
    count = 0
    async for _ in requests:
        count += 1
    return common.count_reply(count)


async def bidi(stream):
    async for message in stream:
        yield message


async def _serve() -> None:
    service = RpcServiceHandler(
        common.SERVICE,
        [
            RpcMethodHandler.unary(unary, method_name=common.UNARY),
            RpcMethodHandler.server_stream(server_stream, method_name=common.SERVER_STREAM),
            RpcMethodHandler.client_stream(client_stream, method_name=common.CLIENT_STREAM),
            RpcMethodHandler.bi_stream(bidi, method_name=common.BIDI),
        ],
    )
    server = aio.Server(ServiceConfig(service, host="127.0.0.1", port=0))
    await server.start()
    common.announce_port(server.port)
    await asyncio.get_running_loop().run_in_executor(None, common.wait_for_stdin_eof)
    common.report_and_exit()


def serve() -> None:
    asyncio.run(_serve())


class Client:
    def __init__(self, port: int) -> None:
        client = aio.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{common.SERVICE}"))
        self.unary = client.unary(common.UNARY)
        self._server_stream = client.server_stream(common.SERVER_STREAM)
        self._client_stream = client.client_stream(common.CLIENT_STREAM)
        self._bidi = client.bi_stream(common.BIDI)

    async def ready(self) -> None:
        """The channel connects on the first call, which the warm-up makes."""

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


def client(port: int) -> Client:
    return Client(port)
