"""Message size limits per reference and per service: a message over the limit ends the
call with RESOURCE_EXHAUSTED and a message naming the limit, in all four modes."""

from __future__ import annotations

import grpc
import pytest

import dubbo
from dubbo import ReferenceConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig

MODES = ["unary", "client_stream", "server_stream", "bidi_stream"]


def reply(request: bytes) -> bytes:
    """``big:N`` asks for N bytes back; anything else is echoed."""
    return b"x" * int(request[4:]) if request.startswith(b"big:") else request


def bytes_service(name: str = "demo.Bytes") -> RpcServiceHandler:
    def unary(request):
        return reply(request)

    def client_stream(requests):
        return reply(b"".join(requests))

    def server_stream(stream):
        yield reply(stream.read())

    def bidi_stream(stream):
        for request in stream:
            yield reply(request)

    return RpcServiceHandler(
        name,
        [
            RpcMethodHandler.unary(unary),
            RpcMethodHandler.client_stream(client_stream),
            RpcMethodHandler.server_stream(server_stream),
            RpcMethodHandler.bi_stream(bidi_stream),
        ],
    )


def call(client: dubbo.Client, mode: str, request: bytes) -> bytes:
    if mode == "unary":
        return client.unary("unary")(request)
    if mode == "client_stream":
        return client.client_stream("client_stream")([request]).result()
    if mode == "server_stream":
        (response,) = client.server_stream("server_stream")(request)
        return response
    (response,) = client.bidi_stream("bidi_stream")([request])
    return response


@pytest.fixture
def client_to():
    clients = []

    def make(server: dubbo.Server, **reference_options) -> dubbo.Client:
        reference = ReferenceConfig(service="demo.Bytes", host="127.0.0.1", port=server.port, **reference_options)
        clients.append(dubbo.Client(reference))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def plain_server(serve):
    return serve(bytes_service())


@pytest.fixture
def limited_server(serve):
    return serve(ServiceConfig(bytes_service(), max_receive_message_size=1000, max_send_message_size=1500))


def refused(client: dubbo.Client, mode: str, request: bytes) -> dubbo.RpcError:
    with pytest.raises(dubbo.RpcError) as error:
        call(client, mode, request)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    return error.value


@pytest.mark.parametrize("mode", MODES)
def test_a_request_over_the_references_send_limit_is_resource_exhausted(plain_server, client_to, mode):
    client = client_to(plain_server, max_send_message_size=1000)
    assert "vs. 1000" in refused(client, mode, b"y" * 1200).message
    assert call(client, mode, b"y" * 900) == b"y" * 900


@pytest.mark.parametrize("mode", MODES)
def test_a_response_over_the_references_receive_limit_is_resource_exhausted(plain_server, client_to, mode):
    client = client_to(plain_server, max_receive_message_size=1000)
    assert "vs. 1000" in refused(client, mode, b"big:1200").message
    assert len(call(client, mode, b"big:900")) == 900


@pytest.mark.parametrize("mode", MODES)
def test_a_request_over_the_services_receive_limit_is_resource_exhausted(limited_server, client_to, mode):
    client = client_to(limited_server)
    assert "vs. 1000" in refused(client, mode, b"y" * 1200).message
    assert call(client, mode, b"y" * 900) == b"y" * 900  # and the server keeps serving


@pytest.mark.parametrize("mode", MODES)
def test_a_response_over_the_services_send_limit_is_resource_exhausted(limited_server, client_to, mode):
    client = client_to(limited_server)
    assert "vs. 1500" in refused(client, mode, b"big:2000").message
    assert len(call(client, mode, b"big:1400")) == 1400


def test_a_reference_can_raise_grpcios_4_mib_receive_limit(plain_server, client_to):
    five_mib = 5 * 1024 * 1024
    default = client_to(plain_server)
    assert "vs. 4194304" in refused(default, "unary", b"big:%d" % five_mib).message

    raised = client_to(plain_server, max_receive_message_size=8 * 1024 * 1024)
    assert len(call(raised, "unary", b"big:%d" % five_mib)) == five_mib


def test_a_service_can_raise_grpcios_4_mib_receive_limit(serve, client_to):
    server = serve(ServiceConfig(bytes_service(), max_receive_message_size=8 * 1024 * 1024))
    client = client_to(server, max_receive_message_size=8 * 1024 * 1024)
    five_mib = b"y" * (5 * 1024 * 1024)
    assert call(client, "unary", five_mib) == five_mib


def test_services_on_one_server_must_agree_on_message_limits():
    configs = [
        ServiceConfig(bytes_service("demo.A"), host="127.0.0.1", port=0, max_receive_message_size=1000),
        ServiceConfig(bytes_service("demo.B"), host="127.0.0.1", port=0, max_receive_message_size=2000),
    ]
    with pytest.raises(ValueError, match="max_receive_message_size"):
        dubbo.Server(configs)
