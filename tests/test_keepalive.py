"""Keepalive: PING frames on idle connections and quiet streams, from both sides, and the
server's tolerance of client pings, counted on the wire with a raw HTTP/2 peer.

Intervals are scaled down (a few hundred ms instead of the 30 s default) so tests are short.
"""

from __future__ import annotations

import time

import pytest
from conftest import greeter_service
from raw_h2 import RawClient, RawServer

import dubbo
from dubbo import Keepalive, ReferenceConfig, ServiceConfig

GREETER = "org.apache.dubbo.samples.proto.Greeter"
FAST = Keepalive(time_ms=200, timeout_ms=5_000, permit_without_calls=True)


@pytest.fixture
def raw_server():
    server = RawServer()
    yield server
    server.close()


@pytest.fixture
def client_for():
    clients = []

    def make(port: int, **options) -> dubbo.Client:
        clients.append(dubbo.Client(ReferenceConfig(service=GREETER, host="127.0.0.1", port=port, **options)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def test_a_reference_pings_an_idle_connection(raw_server, client_for):
    client = client_for(raw_server.port, keepalive=FAST)
    client.unary("sayHello")(b"")  # connect; then no call is open
    assert raw_server.wait_for_pings(5, timeout=30) >= 5


def test_a_reference_without_permit_without_calls_stays_quiet_when_idle(raw_server, client_for):
    client = client_for(raw_server.port, keepalive=Keepalive(time_ms=200, permit_without_calls=False))
    client.unary("sayHello")(b"")
    before = raw_server.pings
    time.sleep(1.5)  # several keepalive periods; any PING now would be a keepalive ping
    assert raw_server.pings - before <= 1  # at most one BDP probe after the response


def test_a_reference_keeps_pinging_through_a_quiet_open_stream(raw_server, client_for):
    # grpcio's default stops after two pings with no data sent in between; a long quiet
    # stream behind a NAT would then lose its mapping.
    client = client_for(raw_server.port, keepalive=Keepalive(time_ms=200, permit_without_calls=False))
    stream = client.bidi_stream("biStream")()  # open, nothing written
    try:
        assert raw_server.wait_for_pings(6, timeout=30) >= 6
    finally:
        stream.cancel()


def test_keepalive_none_sends_no_pings(raw_server, client_for):
    client = client_for(raw_server.port, keepalive=Keepalive(time_ms=None))
    client.unary("sayHello")(b"")
    before = raw_server.pings
    time.sleep(1.5)
    assert raw_server.pings - before <= 1


@pytest.fixture
def raw_client_to():
    clients = []

    def make(server: dubbo.Server) -> RawClient:
        clients.append(RawClient(server.port))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def test_a_service_pings_its_idle_clients(serve, greeter_pb2, raw_client_to):
    server = serve(ServiceConfig(greeter_service(greeter_pb2), keepalive=FAST))
    client = raw_client_to(server)
    request = greeter_pb2.GreeterRequest(name="ka").SerializeToString()
    assert client.call(f"/{GREETER}/sayHello", [request]).trailers["grpc-status"] == "0"
    assert client.wait_for_pings(5, timeout=30) >= 5


def ping_repeatedly(client: RawClient, times: int, every: float) -> None:
    for _ in range(times):
        client.ping()
        if client.goaway is not None:
            return
        time.sleep(every)


def test_a_service_accepts_client_pings_as_often_as_its_min_ping_interval(serve, greeter_pb2, raw_client_to):
    server = serve(ServiceConfig(greeter_service(greeter_pb2), keepalive=Keepalive(min_ping_interval_ms=100)))
    client = raw_client_to(server)
    ping_repeatedly(client, times=6, every=0.3)
    assert client.goaway is None


def test_a_service_sends_goaway_to_clients_pinging_more_often_than_allowed(serve, greeter_pb2, raw_client_to):
    # grpcio's own server default (5 minutes), which would turn away our clients' 30 s pings.
    server = serve(ServiceConfig(greeter_service(greeter_pb2), keepalive=Keepalive(min_ping_interval_ms=300_000)))
    client = raw_client_to(server)
    ping_repeatedly(client, times=6, every=0.3)
    assert client.goaway is not None
    assert client.goaway.additional_data == b"too_many_pings"


def test_the_default_server_accepts_the_default_client_ping_rate():
    assert Keepalive().min_ping_interval_ms < Keepalive().time_ms


def test_the_default_reference_pings_no_more_often_than_any_grpc_server_accepts():
    # grpc-core, grpc-java and grpc-go servers accept a client ping every 5 minutes at most,
    # and none while no call is open; more often is answered with GOAWAY too_many_pings.
    default = Keepalive()
    assert default.time_ms > 300_000 and not default.permit_without_calls


def test_a_plain_grpc_server_sends_goaway_to_a_client_pinging_every_second(greeter_pb2):
    """Why the default is slow: a default grpcio server ends a quiet stream of a fast-pinging client."""
    import grpc
    from concurrent import futures

    def quiet(request, context):
        time.sleep(15)
        yield b"late"

    plain = grpc.server(futures.ThreadPoolExecutor(2))
    plain.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(GREETER, {
        "quiet": grpc.unary_stream_rpc_method_handler(quiet)})])
    port = plain.add_insecure_port("127.0.0.1:0")
    plain.start()
    try:
        fast = Keepalive(time_ms=1000, timeout_ms=5_000, permit_without_calls=True)
        with dubbo.Client(ReferenceConfig(service=GREETER, host="127.0.0.1", port=port, keepalive=fast)) as client:
            with pytest.raises(dubbo.RpcError) as caught:
                list(client.server_stream("quiet")(b""))
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE and "ping" in caught.value.details().lower()
    finally:
        plain.stop(0)


def test_services_on_one_server_must_agree_on_keepalive(greeter_pb2):
    configs = [
        ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0, keepalive=FAST),
        ServiceConfig(greeter_service(greeter_pb2, "demo.B"), host="127.0.0.1", port=0, keepalive=Keepalive()),
    ]
    with pytest.raises(ValueError, match="keepalive"):
        dubbo.Server(configs)
