"""Shared fixtures: protobuf modules compiled at test time, and real servers on free ports."""

from __future__ import annotations

import asyncio
import importlib
import pathlib
import sys
import threading
from typing import Any, Callable, Iterator, List

import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"


def compile_protos(out: pathlib.Path, *names: str, grpc_stubs: bool = True) -> None:
    """Run grpcio-tools' protoc so generated code always matches the installed protobuf."""
    from grpc_tools import protoc

    args = ["protoc", f"-I{PROTOS}", f"--python_out={out}"]
    if grpc_stubs:
        args.append(f"--grpc_python_out={out}")
    code = protoc.main(args + [str(PROTOS / name) for name in names])
    assert code == 0, f"protoc failed on {names}"


@pytest.fixture(scope="session")
def protos(tmp_path_factory) -> pathlib.Path:
    """A directory on sys.path holding greeter_pb2(_grpc) and chat_pb2(_grpc)."""
    out = tmp_path_factory.mktemp("protos")
    compile_protos(out, "greeter.proto", "chat.proto")
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    yield out
    sys.path.remove(str(out))


@pytest.fixture(scope="session")
def greeter_pb2(protos):
    return importlib.import_module("greeter_pb2")


@pytest.fixture(scope="session")
def greeter_pb2_grpc(protos):
    return importlib.import_module("greeter_pb2_grpc")


def loopback(services) -> List[ServiceConfig]:
    """``ServiceConfig`` s for the services (handlers or configs) on 127.0.0.1, free ports unless set."""
    configs = []
    for service in services:
        if isinstance(service, ServiceConfig):
            service.port = 0 if service.port is None else service.port
            service.host = service.host or "127.0.0.1"
            configs.append(service)
        else:
            configs.append(ServiceConfig(service, host="127.0.0.1", port=0))
    return configs


@pytest.fixture
def serve() -> Iterator[Callable[..., dubbo.Server]]:
    """Start ``dubbo.Server`` s on free loopback ports; all are stopped at the end of the test."""
    servers: List[dubbo.Server] = []

    def start(*services, **server_options) -> dubbo.Server:
        server = dubbo.Server(loopback(services), **server_options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(0)


@pytest.fixture
def aio_serve() -> Iterator[Callable[..., aio.Server]]:
    """Start ``dubbo.aio.Server`` s on free loopback ports, on a loop thread of their own (as a
    separate process would be), so they serve asyncio and sync clients alike; all stopped at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aio-test-server", daemon=True)
    thread.start()
    servers: List[aio.Server] = []

    def start(*services, **options) -> aio.Server:
        server = aio.Server(loopback(services), **options)
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            asyncio.run_coroutine_threadsafe(server.stop(0), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(params=["aio", "sync"])
def any_serve(request, aio_serve, serve) -> Callable[..., Any]:
    """Either server: every behaviour of the asyncio API holds on both."""
    return aio_serve if request.param == "aio" else serve


@pytest.fixture
def connect() -> Iterator[Callable[..., dubbo.Client]]:
    """Clients for ``tri://`` URLs, closed at the end of the test."""
    clients: List[dubbo.Client] = []

    def make(url: str) -> dubbo.Client:
        client = dubbo.Client(dubbo.ReferenceConfig.from_url(url))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def greeter_service(pb, name: str = "org.apache.dubbo.samples.proto.Greeter", tag: str = "") -> RpcServiceHandler:
    """The Greeter of protos/greeter.proto in all four modes; replies carry ``tag``."""
    request, reply = pb.GreeterRequest, pb.GreeterReply

    def say_hello(req):
        return reply(message=f"{tag}hello {req.name}")

    def client_stream(requests):
        return reply(message=tag + ",".join(r.name for r in requests))

    def server_stream(stream):
        for word in stream.read().name.split():
            yield reply(message=tag + word)

    def bi_stream(stream):
        for req in stream:
            yield reply(message=f"{tag}echo {req.name}")

    def handler(kind, fn, name):
        return getattr(RpcMethodHandler, kind)(fn, name, request.FromString, reply.SerializeToString)

    return RpcServiceHandler(
        name,
        [
            handler("unary", say_hello, "sayHello"),
            handler("client_stream", client_stream, "clientStream"),
            handler("server_stream", server_stream, "serverStream"),
            handler("bi_stream", bi_stream, "biStream"),
        ],
    )


class GreeterStub:
    """The four callables of the Greeter, as a user's stub would make them."""

    def __init__(self, client: dubbo.Client, pb) -> None:
        ser, de = pb.GreeterRequest.SerializeToString, pb.GreeterReply.FromString
        self.say_hello = client.unary("sayHello", ser, de)
        self.client_stream = client.client_stream("clientStream", ser, de)
        self.server_stream = client.server_stream("serverStream", ser, de)
        self.bi_stream = client.bidi_stream("biStream", ser, de)
