"""Server-streaming calls: one request, a stream of responses."""

import threading

import pytest

from dubbo import EOF, RpcMethodHandler, RpcServiceHandler

from conftest import GreeterStub, greeter_service

SERVICE = "org.apache.dubbo.samples.proto.Greeter"


@pytest.fixture
def stub(serve, connect, greeter_pb2):
    server = serve(greeter_service(greeter_pb2))
    return GreeterStub(connect(f"tri://127.0.0.1:{server.port}/{SERVICE}"), greeter_pb2)


def test_iteration_yields_every_response_in_order(stub, greeter_pb2):
    stream = stub.server_stream(greeter_pb2.GreeterRequest(name="a b c d"))
    assert [reply.message for reply in stream] == ["a", "b", "c", "d"]


def test_read_returns_messages_then_eof(stub, greeter_pb2):
    stream = stub.server_stream(greeter_pb2.GreeterRequest(name="x y"))
    assert stream.read().message == "x"
    assert stream.read().message == "y"
    assert stream.read() is EOF
    assert stream.read() is EOF


def test_read_timeout_returns_none_then_the_message_then_eof(serve, connect):
    release = threading.Event()

    def slow(stream):
        stream.read()
        release.wait(10)
        yield b"late"

    server = serve(RpcServiceHandler("demo.Slow", [RpcMethodHandler.server_stream(slow, "slow")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Slow").server_stream("slow")(b"")
    assert stream.read(timeout=0.2) is None
    release.set()
    assert stream.read(timeout=10) == b"late"
    assert stream.read(timeout=10) is EOF


@pytest.mark.parametrize("style", ["generator", "returns_list", "writes"])
def test_handlers_may_yield_return_an_iterable_or_write(serve, connect, style):
    def generator(stream):
        n = int(stream.read())
        for i in range(n):
            yield str(i).encode()

    def returns_list(stream):
        return [str(i).encode() for i in range(int(stream.read()))]

    def writes(stream):
        for i in range(int(stream.read())):
            stream.write(str(i).encode())
        stream.done_writing()

    fn = {"generator": generator, "returns_list": returns_list, "writes": writes}[style]
    server = serve(RpcServiceHandler("demo.Styles", [RpcMethodHandler.server_stream(fn, "count")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Styles").server_stream("count")(b"5")
    assert list(stream) == [b"0", b"1", b"2", b"3", b"4"]


def test_a_writing_handler_streams_before_it_returns(serve, connect):
    """Messages written by a handler reach the client while the handler still runs."""
    first_seen = threading.Event()

    def writes(stream):
        stream.read()
        stream.write(b"first")
        assert first_seen.wait(10), "the client never saw the first message"
        stream.write(b"second")

    server = serve(RpcServiceHandler("demo.Live", [RpcMethodHandler.server_stream(writes, "live")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Live").server_stream("live")(b"")
    assert stream.read(timeout=10) == b"first"
    first_seen.set()
    assert list(stream) == [b"second"]


def test_an_empty_stream_is_just_eof(serve, connect):
    def nothing(stream):
        return iter(())

    server = serve(RpcServiceHandler("demo.Empty", [RpcMethodHandler.server_stream(nothing, "nothing")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Empty").server_stream("nothing")(b"")
    assert stream.read() is EOF
