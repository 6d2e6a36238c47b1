"""Raw grpcio, synchronous API: the reference the library is measured against."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import grpc
import grpc.experimental

import common

ASYNC = False


def _unary(request, context):
    return request


def _server_stream(request, context):
    n, size = common.parse_stream_request(request)
    message = common.payload(size)
    for _ in range(n):
        yield message


def _client_stream(requests, context):
    count = 0
    for _ in requests:
        count += 1
    return common.count_reply(count)


def _bidi(requests, context):
    for message in requests:
        yield message


def serve() -> None:
    handler = grpc.method_handlers_generic_handler(
        common.SERVICE,
        {
            common.UNARY: grpc.unary_unary_rpc_method_handler(_unary),
            common.SERVER_STREAM: grpc.unary_stream_rpc_method_handler(_server_stream),
            common.CLIENT_STREAM: grpc.stream_unary_rpc_method_handler(_client_stream),
            common.BIDI: grpc.stream_stream_rpc_method_handler(_bidi),
        },
    )
    server = grpc.server(ThreadPoolExecutor(64), handlers=(handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    common.announce_port(port)
    common.wait_for_stdin_eof()
    common.report_and_exit()


def _path(method: str) -> str:
    return f"/{common.SERVICE}/{method}"


class Client:
    """grpcio's multicallables; ``single_threaded`` turns on SingleThreadedUnaryStream."""

    def __init__(self, port: int, single_threaded: bool = False) -> None:
        options = [(grpc.experimental.ChannelOptions.SingleThreadedUnaryStream, 1)] if single_threaded else []
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
        grpc.channel_ready_future(channel).result(timeout=10)
        self.unary = channel.unary_unary(_path(common.UNARY))
        self.server_stream = channel.unary_stream(_path(common.SERVER_STREAM))
        self.client_stream = channel.stream_unary(_path(common.CLIENT_STREAM))
        self.bidi = channel.stream_stream(_path(common.BIDI))

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


def client(port: int) -> Client:
    return Client(port)


def client_st(port: int) -> Client:
    return Client(port, single_threaded=True)
