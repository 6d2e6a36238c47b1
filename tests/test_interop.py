"""Interop with plain grpcio, both ways, in all four modes; and the Triple headers on the wire."""

from concurrent import futures

import grpc
import pytest

import dubbo

from conftest import GreeterStub, greeter_service

SERVICE = "org.apache.dubbo.samples.proto.Greeter"


@pytest.fixture
def grpcio_stub(serve, greeter_pb2, greeter_pb2_grpc):
    """A grpcio-tools generated stub pointed at our server."""
    server = serve(greeter_service(greeter_pb2))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    yield greeter_pb2_grpc.GreeterStub(channel)
    channel.close()


def test_grpcio_stub_calls_our_unary(grpcio_stub, greeter_pb2):
    assert grpcio_stub.sayHello(greeter_pb2.GreeterRequest(name="g")).message == "hello g"


def test_grpcio_stub_calls_our_client_stream(grpcio_stub, greeter_pb2):
    reply = grpcio_stub.clientStream(iter([greeter_pb2.GreeterRequest(name=n) for n in "xy"]))
    assert reply.message == "x,y"


def test_grpcio_stub_calls_our_server_stream(grpcio_stub, greeter_pb2):
    replies = grpcio_stub.serverStream(greeter_pb2.GreeterRequest(name="p q"))
    assert [r.message for r in replies] == ["p", "q"]


def test_grpcio_stub_calls_our_bidi_stream(grpcio_stub, greeter_pb2):
    replies = grpcio_stub.biStream(iter([greeter_pb2.GreeterRequest(name=n) for n in "ab"]))
    assert [r.message for r in replies] == ["echo a", "echo b"]


class _RecordingGreeter:
    """A plain grpcio servicer that also records the metadata of each call."""

    def __init__(self, pb):
        self.pb = pb
        self.metadata = []

    def _seen(self, context):
        self.metadata.append(dict(context.invocation_metadata()))

    def sayHello(self, request, context):
        self._seen(context)
        return self.pb.GreeterReply(message=f"grpcio {request.name}")

    def clientStream(self, requests, context):
        self._seen(context)
        return self.pb.GreeterReply(message="+".join(r.name for r in requests))

    def serverStream(self, request, context):
        self._seen(context)
        for word in request.name.split():
            yield self.pb.GreeterReply(message=word.upper())

    def biStream(self, requests, context):
        self._seen(context)
        for request in requests:
            yield self.pb.GreeterReply(message=request.name * 2)


@pytest.fixture
def grpcio_server(greeter_pb2, greeter_pb2_grpc):
    servicer = _RecordingGreeter(greeter_pb2)
    server = grpc.server(futures.ThreadPoolExecutor(4))
    greeter_pb2_grpc.add_GreeterServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port, servicer
    server.stop(0)


@pytest.fixture
def stub_to_grpcio(grpcio_server, connect, greeter_pb2):
    port, _ = grpcio_server
    return GreeterStub(connect(f"tri://127.0.0.1:{port}/{SERVICE}"), greeter_pb2)


def test_our_unary_calls_a_grpcio_server(stub_to_grpcio, greeter_pb2):
    assert stub_to_grpcio.say_hello(greeter_pb2.GreeterRequest(name="d")).message == "grpcio d"


def test_our_client_stream_calls_a_grpcio_server(stub_to_grpcio, greeter_pb2):
    stream = stub_to_grpcio.client_stream([greeter_pb2.GreeterRequest(name=n) for n in "uv"])
    assert stream.read().message == "u+v"


def test_our_server_stream_calls_a_grpcio_server(stub_to_grpcio, greeter_pb2):
    stream = stub_to_grpcio.server_stream(greeter_pb2.GreeterRequest(name="a b"))
    assert [r.message for r in stream] == ["A", "B"]


def test_our_bidi_stream_calls_a_grpcio_server(stub_to_grpcio, greeter_pb2):
    stream = stub_to_grpcio.bi_stream()
    stream.write(greeter_pb2.GreeterRequest(name="z"))
    assert stream.read(timeout=10).message == "zz"
    stream.done_writing()
    assert list(stream) == []


def test_a_grpcio_server_receives_the_triple_headers(grpcio_server, connect, greeter_pb2):
    port, servicer = grpcio_server
    client = connect(f"tri://127.0.0.1:{port}/{SERVICE}?version=2.0.0&group=blue&application=shop&timeout=5000")
    GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="h"))
    headers = servicer.metadata[-1]
    assert headers["tri-service-version"] == "2.0.0"
    assert headers["tri-service-group"] == "blue"
    assert headers["tri-consumer-appname"] == "shop"


def test_no_triple_headers_are_sent_when_none_are_configured(grpcio_server, connect, greeter_pb2):
    port, servicer = grpcio_server
    GreeterStub(connect(f"tri://127.0.0.1:{port}/{SERVICE}"), greeter_pb2).say_hello(greeter_pb2.GreeterRequest())
    assert not any(key.startswith("tri-") for key in servicer.metadata[-1])


def test_the_application_name_comes_from_the_bootstrap_when_the_reference_has_none(grpcio_server, greeter_pb2):
    port, servicer = grpcio_server
    bootstrap = dubbo.Dubbo(application_config=dubbo.ApplicationConfig(name="from-app"))
    with bootstrap.create_client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{SERVICE}")) as client:
        GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest())
    assert servicer.metadata[-1]["tri-consumer-appname"] == "from-app"


def test_the_headers_are_sent_on_streaming_calls_too(grpcio_server, connect, greeter_pb2):
    port, servicer = grpcio_server
    stub = GreeterStub(connect(f"tri://127.0.0.1:{port}/{SERVICE}?version=3.0.0"), greeter_pb2)
    list(stub.server_stream(greeter_pb2.GreeterRequest(name="x")))
    list(stub.bi_stream([greeter_pb2.GreeterRequest(name="x")]))
    stub.client_stream([greeter_pb2.GreeterRequest(name="x")]).read()
    assert [m["tri-service-version"] for m in servicer.metadata[-3:]] == ["3.0.0"] * 3


def test_unary_calls_carry_javas_default_deadline(connect):
    """With no timeout configured, unary calls have Java's 3000 ms deadline (grpc-timeout)."""
    seen = []

    # Observe the remaining time from inside a handler of a second plain server.
    def remaining(request, context):
        seen.append(context.time_remaining())
        return request

    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("demo.D", {"m": grpc.unary_unary_rpc_method_handler(remaining)})]
    )
    dport = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        connect(f"tri://127.0.0.1:{dport}/demo.D").unary("m")(b"")
        connect(f"tri://127.0.0.1:{dport}/demo.D?timeout=0").unary("m")(b"")
    finally:
        server.stop(0)
    assert 2.0 < seen[0] <= 3.1  # grpc-timeout is rounded up to its unit
    assert seen[1] > 10**9  # grpcio's 'no deadline'
