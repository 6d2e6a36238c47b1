"""A response the method cannot serialize ends the call at once with INTERNAL naming the method
and the type, on both servers, for sync and async handlers in all four modes; the server keeps serving."""

from __future__ import annotations

import logging

import grpc
import pytest

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler

from aio_support import aio_serve  # noqa: F401

SERVICE = "demo.Forgetful"


def _sync_handlers():
    def unary(request):
        return "forgot to encode"

    def client_stream(requests):
        list(requests)
        return {"a": "dict"}

    def server_stream(stream):
        yield b"fine"
        yield "forgot to encode"

    def bidi_written(stream):
        for request in stream:
            stream.write("forgot to encode")
        stream.done_writing()

    return [
        RpcMethodHandler.unary(unary, "unary"),
        RpcMethodHandler.client_stream(client_stream, "clientStream"),
        RpcMethodHandler.server_stream(server_stream, "serverStream"),
        RpcMethodHandler.bi_stream(bidi_written, "biStream"),
        RpcMethodHandler.unary(lambda request: request, "echo"),
    ]


def _async_handlers():
    async def unary(request):
        return "forgot to encode"

    async def client_stream(stream):
        async for _ in stream:
            pass
        return {"a": "dict"}

    async def server_stream(stream):
        yield b"fine"
        yield "forgot to encode"

    async def bidi_written(stream):
        async for request in stream:
            await stream.write("forgot to encode")

    async def echo(request):
        return request

    return [
        RpcMethodHandler.unary(unary, "unary"),
        RpcMethodHandler.client_stream(client_stream, "clientStream"),
        RpcMethodHandler.server_stream(server_stream, "serverStream"),
        RpcMethodHandler.bi_stream(bidi_written, "biStream"),
        RpcMethodHandler.unary(echo, "echo"),
    ]


@pytest.fixture(params=["sync server, sync handlers", "sync server, async handlers", "aio server, sync handlers",
                        "aio server, async handlers"])
def client(request, serve, aio_serve):
    server_kind, handler_kind = request.param.split(", ")
    handlers = _sync_handlers() if handler_kind == "sync handlers" else _async_handlers()
    start = serve if server_kind == "sync server" else aio_serve
    server = start(RpcServiceHandler(SERVICE, handlers))
    # a call left waiting would end with DEADLINE_EXCEEDED after 10 s, not INTERNAL
    with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}?timeout=10000")) as client:
        yield client


def _assert_unserializable(error: RpcError, method: str, type_name: str) -> None:
    assert error.code() is grpc.StatusCode.INTERNAL
    assert f"/{SERVICE}/{method}" in error.details() and type_name in error.details()


def test_a_unary_response_that_is_not_bytes_fails_at_once(client, caplog):
    with caplog.at_level(logging.ERROR, logger="dubbo.server"), pytest.raises(RpcError) as caught:
        client.unary("unary")(b"x")
    _assert_unserializable(caught.value, "unary", "str")
    assert client.unary("echo")(b"still serving") == b"still serving"


def test_a_client_stream_response_that_is_not_bytes_fails_at_once(client):
    with pytest.raises(RpcError) as caught:
        client.client_stream("clientStream")([b"a", b"b"]).read()
    _assert_unserializable(caught.value, "clientStream", "dict")


def test_a_server_stream_ends_with_internal_at_the_first_response_that_is_not_bytes(client):
    stream = client.server_stream("serverStream")(b"x")
    assert stream.read() == b"fine"
    with pytest.raises(RpcError) as caught:
        stream.read()
    _assert_unserializable(caught.value, "serverStream", "str")


def test_a_written_bidi_response_that_is_not_bytes_ends_the_stream(client):
    stream = client.bidi_stream("biStream")([b"a"])
    with pytest.raises(RpcError) as caught:
        list(stream)
    _assert_unserializable(caught.value, "biStream", "str")


def test_a_serializer_that_raises_is_internal_naming_the_method(serve):
    def serialize(message):
        raise ValueError("cannot encode this")

    server = serve(RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(lambda r: r, "unary", None, serialize)]))
    with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}")) as client:
        with pytest.raises(RpcError) as caught:
            client.unary("unary")(b"x")
    _assert_unserializable(caught.value, "unary", "ValueError: cannot encode this")


def test_the_server_logs_an_unserializable_response_once(serve, caplog):
    server = serve(RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(lambda r: "text", "unary")]))
    with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}")) as client:
        with caplog.at_level(logging.ERROR), pytest.raises(RpcError):
            client.unary("unary")(b"x")
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1 and f"/{SERVICE}/unary" in records[0].getMessage()
