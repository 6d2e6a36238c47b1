"""The standard health service and server reflection, hosted beside the user's services,
called with grpcio's own stubs and reflection client."""

from __future__ import annotations

import sys
import threading

import grpc
import pytest
from conftest import greeter_service
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

GREETER = "org.apache.dubbo.samples.proto.Greeter"
RAW = "demo.RawBytes"  # a service with no protobuf descriptor anywhere
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def raw_service() -> RpcServiceHandler:
    return RpcServiceHandler(RAW, [RpcMethodHandler.unary(lambda b: b, "echo")])


@pytest.fixture
def channel_to():
    channels = []

    def make(server: dubbo.Server) -> grpc.Channel:
        channels.append(grpc.insecure_channel(f"127.0.0.1:{server.port}"))
        return channels[-1]

    yield make
    for channel in channels:
        channel.close()


@pytest.fixture
def two_services(serve, greeter_pb2):
    return serve(greeter_service(greeter_pb2), raw_service())


def check(channel: grpc.Channel, service: str) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status


def test_health_reports_the_server_and_each_hosted_service_serving(two_services, channel_to):
    channel = channel_to(two_services)
    assert check(channel, "") == SERVING
    assert check(channel, GREETER) == SERVING
    assert check(channel, RAW) == SERVING


def test_health_of_a_service_not_hosted_is_not_found(two_services, channel_to):
    with pytest.raises(grpc.RpcError) as error:
        check(channel_to(two_services), "demo.NotHere")
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watchers_see_not_serving_when_the_server_stops(two_services, channel_to):
    watch = health_pb2_grpc.HealthStub(channel_to(two_services)).Watch(
        health_pb2.HealthCheckRequest(service=GREETER), timeout=30
    )
    assert next(watch).status == SERVING
    stopping = threading.Thread(target=two_services.stop, args=(5,))
    stopping.start()
    try:
        assert next(watch).status == NOT_SERVING
    finally:
        watch.cancel()
        stopping.join(30)


def test_server_health_can_set_a_service_status_by_hand(two_services, channel_to):
    two_services.health.set(RAW, NOT_SERVING)
    assert check(channel_to(two_services), RAW) == NOT_SERVING


def test_health_can_be_switched_off(serve, greeter_pb2, channel_to):
    server = serve(greeter_service(greeter_pb2), health=False)
    assert server.health is None
    with pytest.raises(grpc.RpcError) as error:
        check(channel_to(server), "")
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_health_true_without_its_package_names_the_extra(monkeypatch, greeter_pb2):
    monkeypatch.setitem(sys.modules, "grpc_health.v1.health", None)  # import now fails
    config = ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0)
    with pytest.raises(ImportError, match=r"dubbo-grpcio\[health\]"):
        dubbo.Server(config, health=True)


def test_health_left_unset_without_its_package_serves_without_it(monkeypatch, greeter_pb2):
    monkeypatch.setitem(sys.modules, "grpc_health.v1.health", None)
    server = dubbo.Server(ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0))
    try:
        assert server.health is None
    finally:
        server.stop(0)


def test_reflection_lists_every_hosted_service(two_services, channel_to):
    services = ProtoReflectionDescriptorDatabase(channel_to(two_services)).get_services()
    assert set(services) == {GREETER, RAW, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}


def test_reflection_describes_services_from_generated_protobuf_code(two_services, channel_to):
    database = ProtoReflectionDescriptorDatabase(channel_to(two_services))
    file = database.FindFileContainingSymbol(GREETER)
    (service,) = [s for s in file.service if s.name == "Greeter"]
    assert [m.name for m in service.method] == ["sayHello", "clientStream", "serverStream", "biStream"]


def test_reflection_cannot_describe_a_service_without_descriptors(two_services, channel_to):
    database = ProtoReflectionDescriptorDatabase(channel_to(two_services))
    with pytest.raises(KeyError):
        database.FindFileContainingSymbol(RAW)


def test_reflection_can_be_switched_off(serve, greeter_pb2, channel_to):
    server = serve(greeter_service(greeter_pb2), reflection=False)
    with pytest.raises(grpc.RpcError) as error:
        ProtoReflectionDescriptorDatabase(channel_to(server)).get_services()
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_reflection_without_health_does_not_list_health(serve, greeter_pb2, channel_to):
    server = serve(greeter_service(greeter_pb2), health=False)
    services = ProtoReflectionDescriptorDatabase(channel_to(server)).get_services()
    assert "grpc.health.v1.Health" not in services
    assert GREETER in services
