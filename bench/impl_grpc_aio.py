"""Raw grpc.aio on both sides (async def handlers, coroutine client); the write variant's
streams answer with ``context.write()``."""

from __future__ import annotations

import asyncio

import grpc

import common

ASYNC = True


def _handlers(m: common.Messages, write: bool) -> dict:
    """The four handlers on messages made and read by ``m``; ``write``: streams by ``context.write()``."""

    async def unary(request, context):
        return request

    async def server_stream(request, context):
        n, size = m.parse_stream_request(request)
        message = m.message(size)
        for _ in range(n):
            yield message

    async def client_stream(requests, context):
        count = 0
        async for _ in requests:
            count += 1
        return m.count_reply(count)

    async def bidi(requests, context):
        async for message in requests:
            yield message

    async def write_server_stream(request, context):
        n, size = m.parse_stream_request(request)
        message = m.message(size)
        for _ in range(n):
            await context.write(message)

    async def write_bidi(requests, context):
        while (message := await context.read()) is not grpc.aio.EOF:
            await context.write(message)

    codec = {"request_deserializer": m.deserialize, "response_serializer": m.serialize}
    return {
        common.UNARY: grpc.unary_unary_rpc_method_handler(unary, **codec),
        common.SERVER_STREAM: grpc.unary_stream_rpc_method_handler(write_server_stream if write else server_stream, **codec),
        common.CLIENT_STREAM: grpc.stream_unary_rpc_method_handler(client_stream, **codec),
        common.BIDI: grpc.stream_stream_rpc_method_handler(write_bidi if write else bidi, **codec),
    }


async def _burn(request, context):
    return common.burn(request)


async def _serve() -> None:
    handlers = {}
    for variant, m in (("bytes", common.Messages()), ("write", common.Messages()), ("pb", common.PbMessages())):
        for base, handler in _handlers(m, variant == "write").items():
            handlers[common.method(base, variant)] = handler
    handlers[common.method(common.UNARY, "cpu")] = grpc.unary_unary_rpc_method_handler(_burn)
    handler = grpc.method_handlers_generic_handler(common.SERVICE, handlers)
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    common.announce_port(port)
    await asyncio.get_running_loop().run_in_executor(None, common.wait_for_stdin_eof)
    common.report_and_exit()


def serve() -> None:
    asyncio.run(_serve())


def _path(base: str, variant: str) -> str:
    return f"/{common.SERVICE}/{common.method(base, variant)}"


class Client:
    """grpc.aio multicallables; made inside the running loop."""

    def __init__(self, port: int, variant: str = "bytes") -> None:
        self._channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        m = self.messages = common.messages(variant)
        codec = {"request_serializer": m.serialize, "response_deserializer": m.deserialize}
        self._port, self._variant, self._kept = port, variant, []
        self.unary = self._channel.unary_unary(_path(common.UNARY, variant), **codec)
        self.server_stream = self._channel.unary_stream(_path(common.SERVER_STREAM, variant), **codec)
        self.client_stream = self._channel.stream_unary(_path(common.CLIENT_STREAM, variant), **codec)
        self.bidi = self._channel.stream_stream(_path(common.BIDI, variant), **codec)

    async def ready(self) -> None:
        await asyncio.wait_for(self._channel.channel_ready(), 10)

    def connection(self):
        """The unary call on a connection of its own."""
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{self._port}", options=[("grpc.use_local_subchannel_pool", 1)])
        self._kept.append(channel)  # a channel nobody holds is closed
        return channel.unary_unary(_path(common.UNARY, self._variant))

    async def pingpong(self):
        call = self.bidi()

        async def close():
            await call.done_writing()
            while await call.read() is not grpc.aio.EOF:
                pass

        return call.write, call.read, close


def client(port: int, variant: str = "bytes") -> Client:
    return Client(port, variant)
