"""gzip per reference, per call and per service, seen on the wire (grpc-encoding and the
compressed-flag byte of each message), in all four streaming modes."""

from __future__ import annotations

import gzip

import pytest
from conftest import GreeterStub, greeter_service
from raw_h2 import RawClient, RawServer

import dubbo
from dubbo import ReferenceConfig, ServiceConfig

GREETER = "org.apache.dubbo.samples.proto.Greeter"
LONG = "hello" * 200  # compressible (and one word, as serverStream splits on spaces): grpcio sends
# a message plain when gzip would not make it smaller
MODES = ["sayHello", "clientStream", "serverStream", "biStream"]


@pytest.fixture
def raw_server():
    server = RawServer()
    yield server
    server.close()


def call_in_mode(stub: GreeterStub, mode: str, request) -> None:
    if mode == "sayHello":
        stub.say_hello(request)
    elif mode == "clientStream":
        stub.client_stream([request]).result()
    elif mode == "serverStream":
        list(stub.server_stream(request))
    else:
        list(stub.bi_stream([request]))


def stub_with(stub: GreeterStub, **options) -> GreeterStub:
    for name in ("say_hello", "client_stream", "server_stream", "bi_stream"):
        setattr(stub, name, getattr(stub, name).with_options(**options))
    return stub


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_reference_sends_gzip_compressed_requests(raw_server, connect, greeter_pb2, mode):
    client = connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}?compression=gzip")
    call_in_mode(GreeterStub(client, greeter_pb2), mode, greeter_pb2.GreeterRequest(name=LONG))

    (request,) = raw_server.requests
    assert request.headers["grpc-encoding"] == "gzip"
    (flag, payload), = request.messages
    assert flag is True
    assert greeter_pb2.GreeterRequest.FromString(gzip.decompress(payload)).name == LONG


def test_a_reference_without_compression_sends_plain_requests(raw_server, connect, greeter_pb2):
    client = connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}")
    GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name=LONG))

    (request,) = raw_server.requests
    assert request.headers.get("grpc-encoding", "identity") == "identity"
    assert request.messages[0][0] is False


@pytest.mark.parametrize("mode", MODES)
def test_with_options_compression_gzips_one_call(raw_server, connect, greeter_pb2, mode):
    client = connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}")
    stub = stub_with(GreeterStub(client, greeter_pb2), compression="gzip")
    call_in_mode(stub, mode, greeter_pb2.GreeterRequest(name=LONG))

    (request,) = raw_server.requests
    assert request.headers["grpc-encoding"] == "gzip"
    assert request.messages[0][0] is True


def test_with_options_compression_identity_overrides_a_gzip_reference(raw_server, connect, greeter_pb2):
    client = connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}?compression=gzip")
    stub = stub_with(GreeterStub(client, greeter_pb2), compression="identity")
    stub.say_hello(greeter_pb2.GreeterRequest(name=LONG))

    (request,) = raw_server.requests
    assert request.headers.get("grpc-encoding", "identity") == "identity"
    assert request.messages[0][0] is False


@pytest.fixture
def gzip_and_plain_services(serve, greeter_pb2):
    """One server: the Greeter with gzip responses, and a copy of it named Plain without."""
    return serve(
        ServiceConfig(greeter_service(greeter_pb2), compression="gzip"),
        ServiceConfig(greeter_service(greeter_pb2, name="demo.Plain")),
    )


def raw_call(port: int, path: str, request: bytes):
    client = RawClient(port)
    try:
        return client.call(path, [request], headers=[("grpc-accept-encoding", "identity,gzip")])
    finally:
        client.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_service_sends_gzip_compressed_responses(gzip_and_plain_services, greeter_pb2, mode):
    request = greeter_pb2.GreeterRequest(name=LONG).SerializeToString()
    response = raw_call(gzip_and_plain_services.port, f"/{GREETER}/{mode}", request)

    assert response.trailers["grpc-status"] == "0"
    assert response.headers["grpc-encoding"] == "gzip"
    assert response.messages
    for flag, payload in response.messages:
        assert flag is True
        assert "hello" in greeter_pb2.GreeterReply.FromString(gzip.decompress(payload)).message


def test_a_service_without_compression_on_the_same_server_sends_plain_responses(gzip_and_plain_services, greeter_pb2):
    request = greeter_pb2.GreeterRequest(name=LONG).SerializeToString()
    response = raw_call(gzip_and_plain_services.port, "/demo.Plain/sayHello", request)

    assert response.trailers["grpc-status"] == "0"
    assert response.headers.get("grpc-encoding", "identity") == "identity"
    assert response.messages[0][0] is False


@pytest.mark.parametrize("mode", MODES)
def test_gzip_both_ways_between_our_client_and_server(gzip_and_plain_services, connect, greeter_pb2, mode):
    client = connect(f"tri://127.0.0.1:{gzip_and_plain_services.port}/{GREETER}?compression=gzip")
    stub = GreeterStub(client, greeter_pb2)
    request = greeter_pb2.GreeterRequest(name="world")
    if mode == "sayHello":
        assert stub.say_hello(request).message == "hello world"
    elif mode == "clientStream":
        assert stub.client_stream([request, request]).result().message == "world,world"
    elif mode == "serverStream":
        assert [r.message for r in stub.server_stream(greeter_pb2.GreeterRequest(name="a b"))] == ["a", "b"]
    else:
        assert [r.message for r in stub.bi_stream([request])] == ["echo world"]


@pytest.mark.parametrize("name", ["bzip2", "snappy", "deflate"])
def test_a_reference_with_a_compression_grpcio_lacks_is_refused_naming_gzip(name):
    with pytest.raises(ValueError, match="gzip") as error:
        dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:1/demo.Svc?compression={name}"))
    assert name in str(error.value)


def test_a_service_with_a_compression_grpcio_lacks_is_refused_naming_gzip(greeter_pb2):
    with pytest.raises(ValueError, match="gzip"):
        dubbo.Server(ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0, compression="bzip2"))


def test_a_handler_can_gzip_the_responses_of_one_call(serve, greeter_pb2):
    def say_hello(request):
        if request.name.startswith("zip"):
            dubbo.server_context().set_compression("gzip")
        return greeter_pb2.GreeterReply(message=request.name)

    service = dubbo.RpcServiceHandler(
        "demo.PerCall",
        [
            dubbo.RpcMethodHandler.unary(
                say_hello, "sayHello", greeter_pb2.GreeterRequest.FromString, greeter_pb2.GreeterReply.SerializeToString
            )
        ],
    )
    server = serve(service)
    zipped = raw_call(server.port, "/demo.PerCall/sayHello", greeter_pb2.GreeterRequest(name="zip" + LONG).SerializeToString())
    plain = raw_call(server.port, "/demo.PerCall/sayHello", greeter_pb2.GreeterRequest(name=LONG).SerializeToString())

    assert zipped.headers["grpc-encoding"] == "gzip"
    assert zipped.messages[0][0] is True
    assert plain.headers.get("grpc-encoding", "identity") == "identity"
    assert plain.messages[0][0] is False
