"""Bidirectional calls: requests and responses flow at the same time."""

import threading

import pytest

from dubbo import EOF, RpcMethodHandler, RpcServiceHandler

from conftest import GreeterStub, greeter_service

SERVICE = "org.apache.dubbo.samples.proto.Greeter"


@pytest.fixture
def stub(serve, connect, greeter_pb2):
    server = serve(greeter_service(greeter_pb2))
    return GreeterStub(connect(f"tri://127.0.0.1:{server.port}/{SERVICE}"), greeter_pb2)


def test_an_iterable_of_requests_gives_a_stream_of_responses(stub, greeter_pb2):
    requests = (greeter_pb2.GreeterRequest(name=n) for n in ["a", "b"])
    assert [r.message for r in stub.bi_stream(requests)] == ["echo a", "echo b"]


def test_responses_are_read_while_requests_are_still_being_produced(stub, greeter_pb2):
    """The request generator only continues once the previous echo came back."""
    seen = []
    echoed = threading.Semaphore(0)

    def requests():
        for name in ["1", "2", "3"]:
            yield greeter_pb2.GreeterRequest(name=name)
            assert echoed.acquire(timeout=10), f"no echo of {name} while requests were still open"

    for reply in stub.bi_stream(requests()):
        seen.append(reply.message)
        echoed.release()
    assert seen == ["echo 1", "echo 2", "echo 3"]


def test_ping_pong_with_write_and_read(stub, greeter_pb2):
    stream = stub.bi_stream()
    for name in ["ping", "pong", "again"]:
        stream.write(greeter_pb2.GreeterRequest(name=name))
        assert stream.read(timeout=10).message == f"echo {name}"
    stream.done_writing()
    assert stream.read(timeout=10) is EOF


def test_an_empty_tuple_means_the_caller_will_write(stub, greeter_pb2):
    """Apache's samples forward ``*args`` as the request stream: ``()`` means "I will write"."""
    stream = stub.bi_stream(())
    stream.write(greeter_pb2.GreeterRequest(name="x"))
    stream.done_writing()
    assert [r.message for r in stream] == ["echo x"]


def test_a_server_handler_can_write_and_read_in_turns(serve, connect):
    def chat(stream):
        for request in stream:
            stream.write(b"re:" + request)
        stream.done_writing()

    server = serve(RpcServiceHandler("demo.Chat", [RpcMethodHandler.bi_stream(chat, "chat")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Chat").bi_stream("chat")()
    stream.write(b"1")
    assert stream.read(timeout=10) == b"re:1"
    stream.write(b"2")
    assert stream.read(timeout=10) == b"re:2"
    stream.done_writing()
    assert stream.read(timeout=10) is EOF


def test_a_server_handler_can_read_requests_with_a_timeout(serve, connect):
    def patient(stream):
        first = stream.read(timeout=0.1)
        yield b"none" if first is None else b"early"
        yield stream.read(timeout=10)
        yield b"eof" if stream.read(timeout=10) is EOF else b"more"

    server = serve(RpcServiceHandler("demo.Patient", [RpcMethodHandler.bi_stream(patient, "wait")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Patient").bi_stream("wait")()
    assert stream.read(timeout=10) == b"none"
    stream.write(b"hi")
    assert stream.read(timeout=10) == b"hi"
    stream.done_writing()
    assert list(stream) == [b"eof"]


def test_bi_stream_and_bidi_stream_are_the_same_factory(serve, connect):
    server = serve(RpcServiceHandler("demo.Alias", [RpcMethodHandler.bidi_stream(lambda s: iter(s), "echo")]))
    client = connect(f"tri://127.0.0.1:{server.port}/demo.Alias")
    assert list(client.bi_stream("echo")([b"a"])) == [b"a"]
    assert list(client.bidi_stream("echo")([b"b"])) == [b"b"]
