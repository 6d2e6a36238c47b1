"""Helpers for the asyncio tests: async test bodies on a fresh loop, asyncio clients and stubs.

No pytest plugin: ``@aio_test`` runs an ``async def`` test with ``asyncio.run``. The server
fixtures (``serve``, ``aio_serve``, ``any_serve``) live in conftest.py with the others; they
are re-exported here for the modules that import them by name.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable

import pytest
from conftest import aio_serve, any_serve, serve  # noqa: F401  (re-exported fixtures)

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, aio


def aio_test(fn: Callable[..., Any]) -> Callable[..., None]:
    """Run an ``async def`` test (fixtures as usual) on a fresh event loop."""

    @functools.wraps(fn)
    def test(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 60))

    return test


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
