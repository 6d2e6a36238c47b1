"""Raw grpcio, synchronous API: the reference the library is measured against."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import grpc
import grpc.experimental

import common

ASYNC = False


def _handlers(m: common.Messages) -> dict:
    """The four generator handlers on messages made and read by ``m``, by base method name."""

    def unary(request, context):
        return request

    def server_stream(request, context):
        n, size = m.parse_stream_request(request)
        message = m.message(size)
        for _ in range(n):
            yield message

    def client_stream(requests, context):
        count = 0
        for _ in requests:
            count += 1
        return m.count_reply(count)

    def bidi(requests, context):
        for message in requests:
            yield message

    codec = {"request_deserializer": m.deserialize, "response_serializer": m.serialize}
    return {
        common.UNARY: grpc.unary_unary_rpc_method_handler(unary, **codec),
        common.SERVER_STREAM: grpc.unary_stream_rpc_method_handler(server_stream, **codec),
        common.CLIENT_STREAM: grpc.stream_unary_rpc_method_handler(client_stream, **codec),
        common.BIDI: grpc.stream_stream_rpc_method_handler(bidi, **codec),
    }


def method_handlers() -> dict:
    """Every method of ``bench.Echo``; the write variant is served by the same generator
    handlers, since grpcio's sync servicer has no ``write()``."""
    handlers = {}
    for variant, m in (("bytes", common.Messages()), ("write", common.Messages()), ("pb", common.PbMessages())):
        for base, handler in _handlers(m).items():
            handlers[common.method(base, variant)] = handler
    handlers[common.method(common.UNARY, "cpu")] = grpc.unary_unary_rpc_method_handler(lambda r, c: common.burn(r))
    return handlers


def serve() -> None:
    handler = grpc.method_handlers_generic_handler(common.SERVICE, method_handlers())
    server = grpc.server(ThreadPoolExecutor(64), handlers=(handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    common.announce_port(port)
    common.wait_for_stdin_eof()
    common.report_and_exit()


def _path(base: str, variant: str) -> str:
    return f"/{common.SERVICE}/{common.method(base, variant)}"


class Client:
    """grpcio's multicallables; ``single_threaded`` turns on SingleThreadedUnaryStream."""

    def __init__(self, port: int, variant: str = "bytes", single_threaded: bool = False) -> None:
        options = [(grpc.experimental.ChannelOptions.SingleThreadedUnaryStream, 1)] if single_threaded else []
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
        grpc.channel_ready_future(channel).result(timeout=10)
        m = self.messages = common.messages(variant)
        codec = {"request_serializer": m.serialize, "response_deserializer": m.deserialize}
        self._port, self._variant, self._kept = port, variant, []
        self.unary = channel.unary_unary(_path(common.UNARY, variant), **codec)
        self.server_stream = channel.unary_stream(_path(common.SERVER_STREAM, variant), **codec)
        self.client_stream = channel.stream_unary(_path(common.CLIENT_STREAM, variant), **codec)
        self.bidi = channel.stream_stream(_path(common.BIDI, variant), **codec)

    def connection(self):
        """The unary call on a connection of its own."""
        channel = grpc.insecure_channel(f"127.0.0.1:{self._port}", options=[("grpc.use_local_subchannel_pool", 1)])
        self._kept.append(channel)  # a channel nobody holds is closed
        return channel.unary_unary(_path(common.UNARY, self._variant))

    def pingpong(self):
        """grpcio's sync API takes requests only as an iterator: feed it from a queue."""
        requests: queue.SimpleQueue = queue.SimpleQueue()

        def feed():
            while True:
                message = requests.get()
                if message is None:
                    return
                yield message

        responses = self.bidi(feed())

        def close():
            requests.put(None)
            for _ in responses:
                pass

        return requests.put, responses.__next__, close


def client(port: int, variant: str = "bytes") -> Client:
    return Client(port, variant)


def client_st(port: int, variant: str = "bytes") -> Client:
    return Client(port, variant, single_threaded=True)
