"""Mixing the stacks: sync clients on the asyncio server, and one service handler on both servers.

(asyncio clients on the sync server run in every test_*_aio test, through ``any_serve``.)
"""

import threading

import pytest

from dubbo import EOF, RpcMethodHandler, RpcServiceHandler

from aio_support import GREETER, aio_serve, async_greeter_service  # noqa: F401
from conftest import GreeterStub, greeter_service


@pytest.fixture(params=["async-handlers", "sync-handlers"])
def sync_stub(request, aio_serve, connect, greeter_pb2):
    """A sync client's Greeter stub, calling the asyncio server."""
    make = async_greeter_service if request.param == "async-handlers" else greeter_service
    server = aio_serve(make(greeter_pb2))
    return GreeterStub(connect(f"tri://127.0.0.1:{server.port}/{GREETER}"), greeter_pb2)


def test_a_sync_client_calls_unary_on_the_aio_server(sync_stub, greeter_pb2):
    assert sync_stub.say_hello(greeter_pb2.GreeterRequest(name="sync")).message == "hello sync"


def test_a_sync_client_streams_requests_to_the_aio_server(sync_stub, greeter_pb2):
    requests = (greeter_pb2.GreeterRequest(name=n) for n in "abc")
    assert sync_stub.client_stream(requests).read().message == "a,b,c"


def test_a_sync_client_reads_a_stream_from_the_aio_server(sync_stub, greeter_pb2):
    stream = sync_stub.server_stream(greeter_pb2.GreeterRequest(name="x y z"))
    assert [r.message for r in stream] == ["x", "y", "z"]


def test_a_sync_client_ping_pongs_with_the_aio_server(sync_stub, greeter_pb2):
    stream = sync_stub.bi_stream()
    for name in ["ping", "pong"]:
        stream.write(greeter_pb2.GreeterRequest(name=name))
        assert stream.read(timeout=10).message == f"echo {name}"
    stream.done_writing()
    assert stream.read(timeout=10) is EOF


def test_the_documented_streaming_example_serves_from_the_aio_server(aio_serve, connect, protos):
    """streaming-calls.md's sync handler, unchanged, on the asyncio server; its client, unchanged."""
    import chat_pb2

    def chat(request_stream):
        for request in request_stream:
            yield chat_pb2.ChatMessage(user=request.message, message=request.user)

    handler = RpcMethodHandler.bi_stream(
        chat,
        request_deserializer=chat_pb2.ChatMessage.FromString,
        response_serializer=chat_pb2.ChatMessage.SerializeToString,
    )
    server = aio_serve(RpcServiceHandler(service_name="org.apache.dubbo.samples.stream", method_handlers={"chat": handler}))
    client = connect(f"tri://127.0.0.1:{server.port}/org.apache.dubbo.samples.stream")
    call = client.bidi_stream(
        method_name="chat",
        request_serializer=chat_pb2.ChatMessage.SerializeToString,
        response_deserializer=chat_pb2.ChatMessage.FromString,
    )
    replies = call(chat_pb2.ChatMessage(user=u, message=str(i)) for i, u in enumerate(["hello", "world"]))
    assert [(r.user, r.message) for r in replies] == [("0", "hello"), ("1", "world")]


def test_one_service_handler_with_mixed_handlers_serves_on_both_servers(aio_serve, serve, connect):
    def sync_upper(request):
        return request.upper()

    async def async_reverse(request):
        return request[::-1]

    service = RpcServiceHandler("demo.Mixed", [RpcMethodHandler.unary(sync_upper), RpcMethodHandler.unary(async_reverse)])
    for server in (aio_serve(service), serve(service)):
        client = connect(f"tri://127.0.0.1:{server.port}/demo.Mixed")
        assert client.unary("sync_upper")(b"ab") == b"AB"
        assert client.unary("async_reverse")(b"ab") == b"ba"


def test_a_writing_sync_handler_on_the_aio_server_sees_the_caller_cancel(aio_serve, connect):
    """The sync adapter's is_active()/add_callback work on the aio server's worker threads."""
    stopped = threading.Event()

    def ticks(stream):
        stream.read()
        try:
            while True:
                stream.write(b"tick")
        except Exception:
            stopped.set()
            raise

    server = aio_serve(RpcServiceHandler("demo.Ticks", [RpcMethodHandler.server_stream(ticks)]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Ticks").server_stream("ticks")(b"")
    assert stream.read(timeout=10) == b"tick"
    stream.cancel()
    assert stopped.wait(10), "the writing handler never learnt that the call ended"
