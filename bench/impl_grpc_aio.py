"""Raw grpc.aio on both sides (async def handlers, coroutine client)."""

from __future__ import annotations

import asyncio

import grpc

import common

ASYNC = True


async def _unary(request, context):
    return request


async def _server_stream(request, context):
    n, size = common.parse_stream_request(request)
    message = common.payload(size)
    for _ in range(n):
        yield message


async def _client_stream(requests, context):
    count = 0
    async for _ in requests:
        count += 1
    return common.count_reply(count)


async def _bidi(requests, context):
    async for message in requests:
        yield message


async def _serve() -> None:
    handler = grpc.method_handlers_generic_handler(
        common.SERVICE,
        {
            common.UNARY: grpc.unary_unary_rpc_method_handler(_unary),
            common.SERVER_STREAM: grpc.unary_stream_rpc_method_handler(_server_stream),
            common.CLIENT_STREAM: grpc.stream_unary_rpc_method_handler(_client_stream),
            common.BIDI: grpc.stream_stream_rpc_method_handler(_bidi),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    common.announce_port(port)
    await asyncio.get_running_loop().run_in_executor(None, common.wait_for_stdin_eof)
    common.report_and_exit()


def serve() -> None:
    asyncio.run(_serve())


def _path(method: str) -> str:
    return f"/{common.SERVICE}/{method}"


class Client:
    """grpc.aio multicallables; made inside the running loop."""

    def __init__(self, port: int) -> None:
        self._channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        self.unary = self._channel.unary_unary(_path(common.UNARY))
        self.server_stream = self._channel.unary_stream(_path(common.SERVER_STREAM))
        self.client_stream = self._channel.stream_unary(_path(common.CLIENT_STREAM))
        self.bidi = self._channel.stream_stream(_path(common.BIDI))

    async def ready(self) -> None:
        await asyncio.wait_for(self._channel.channel_ready(), 10)

    async def pingpong(self):
        call = self.bidi()

        async def close():
            await call.done_writing()
            while await call.read() is not grpc.aio.EOF:
                pass

        return call.write, call.read, close


def client(port: int) -> Client:
    return Client(port)
