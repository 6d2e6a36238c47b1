"""Helpers for the asyncio tests: async test bodies on a fresh loop, aio servers on a loop thread.

No pytest plugin: ``@aio_test`` runs an ``async def`` test with ``asyncio.run``. Servers
run on their own event loop thread, as a separate process would, so the same fixture
serves asyncio clients and sync clients alike.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Callable, Iterator, List

import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio


def aio_test(fn: Callable[..., Any]) -> Callable[..., None]:
    """Run an ``async def`` test (fixtures as usual) on a fresh event loop."""

    @functools.wraps(fn)
    def test(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 60))

    return test


def _configs(services) -> List[ServiceConfig]:
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
def aio_serve() -> Iterator[Callable[..., aio.Server]]:
    """Start ``dubbo.aio.Server`` s on free ports, on a loop thread; all stopped at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aio-test-server", daemon=True)
    thread.start()
    servers: List[aio.Server] = []

    def start(*services, **options) -> aio.Server:
        server = aio.Server(_configs(services), **options)
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


def connect(url: str) -> aio.Client:
    """An asyncio client for a ``tri://`` URL; use it as ``async with connect(url) as client``."""
    return aio.Client(dubbo.ReferenceConfig.from_url(url))


def async_greeter_service(pb, name: str = "org.apache.dubbo.samples.proto.Greeter", tag: str = "") -> RpcServiceHandler:
    """The Greeter of protos/greeter.proto with async handlers, answering as conftest's sync one does."""
    request, reply = pb.GreeterRequest, pb.GreeterReply

    async def say_hello(req):
        return reply(message=f"{tag}hello {req.name}")

    async def client_stream(requests):
        return reply(message=tag + ",".join([r.name async for r in requests]))

    async def server_stream(stream):
        for word in (await stream.read()).name.split():
            yield reply(message=tag + word)

    async def bi_stream(stream):
        async for req in stream:
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
    """The Greeter's four asyncio callables, as a user's stub would make them."""

    def __init__(self, client: aio.Client, pb) -> None:
        ser, de = pb.GreeterRequest.SerializeToString, pb.GreeterReply.FromString
        self.say_hello = client.unary("sayHello", ser, de)
        self.client_stream = client.client_stream("clientStream", ser, de)
        self.server_stream = client.server_stream("serverStream", ser, de)
        self.bi_stream = client.bidi_stream("biStream", ser, de)


GREETER = "org.apache.dubbo.samples.proto.Greeter"


@pytest.fixture(params=["async-handlers", "sync-handlers"])
def greeter_url(request, any_serve, greeter_pb2) -> str:
    """The Greeter on either server, with async or sync handlers: four combinations."""
    from conftest import greeter_service

    if request.param == "async-handlers":
        service = async_greeter_service(greeter_pb2)
    else:
        service = greeter_service(greeter_pb2)
    return f"tri://127.0.0.1:{any_serve(service).port}/{GREETER}"
