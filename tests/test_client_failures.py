"""One rule on the client: every failure of a call is a ``dubbo.RpcError``, in all four modes,
sync and asyncio alike. A request that cannot be serialized is INTERNAL; a closed client is CANCELLED."""

from __future__ import annotations

import asyncio
import threading
import time

import grpc
import pytest

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, aio

from aio_support import aio_test

SERVICE = "demo.Echo"
MODES = ["unary", "client_stream", "server_stream", "bidi_stream"]


def _echo_service() -> RpcServiceHandler:
    def slow_stream(stream):
        stream.read()
        for _ in range(200):
            yield b"tick"
            time.sleep(0.05)

    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(lambda request: request, "unary"),
        RpcMethodHandler.client_stream(lambda requests: b"".join(requests), "client_stream"),
        RpcMethodHandler.server_stream(lambda stream: iter([stream.read()]), "server_stream"),
        RpcMethodHandler.bi_stream(lambda stream: iter(list(stream)), "bidi_stream"),
        RpcMethodHandler.server_stream(slow_stream, "slow_stream"),
    ])


@pytest.fixture
def url(serve):
    return f"tri://127.0.0.1:{serve(_echo_service()).port}/{SERVICE}?timeout=10000"


def _call_sync(client: dubbo.Client, mode: str, message, serializer=None):
    call = getattr(client, mode)(mode, serializer)
    if mode == "unary":
        return call(message)
    if mode == "server_stream":
        return list(call(message))
    if mode == "client_stream":
        return call([message]).read()
    return list(call([message]))


async def _call_aio(client: aio.Client, mode: str, message, serializer=None):
    call = getattr(client, mode)(mode, serializer)
    if mode == "unary":
        return await call(message)
    if mode == "server_stream":
        return [m async for m in call(message)]
    if mode == "client_stream":
        return await call([message])
    return [m async for m in call([message])]


def _refuse(message):
    raise ValueError("cannot encode this")


@pytest.mark.parametrize("mode", MODES)
def test_a_request_serializer_that_raises_is_internal(url, mode):
    with dubbo.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        with pytest.raises(RpcError) as caught:
            _call_sync(client, mode, b"x", _refuse)
        assert caught.value.code() is grpc.StatusCode.INTERNAL
        assert "serialize" in caught.value.details()
        assert _call_sync(client, mode, b"fine") in (b"fine", [b"fine"])


@pytest.mark.parametrize("mode", MODES)
def test_a_str_request_without_a_serializer_is_internal_not_a_hang(url, mode):
    with dubbo.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        with pytest.raises(RpcError) as caught:
            _call_sync(client, mode, "forgot to encode")
        assert caught.value.code() is grpc.StatusCode.INTERNAL


def test_a_single_request_failure_names_the_method_and_the_cause(url):
    with dubbo.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        with pytest.raises(RpcError) as caught:
            client.unary("unary")("text")
    assert caught.value.details() == (
        f"could not serialize the request of /{SERVICE}/unary: TypeError: a str is not bytes: give the call a request_serializer"
    )


@pytest.mark.parametrize("mode", MODES)
@aio_test
async def test_asyncio_a_request_serializer_that_raises_is_internal(url, mode):
    async with aio.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        with pytest.raises(RpcError) as caught:
            await _call_aio(client, mode, b"x", _refuse)
        assert caught.value.code() is grpc.StatusCode.INTERNAL
        assert await _call_aio(client, mode, b"fine") in (b"fine", [b"fine"])


@pytest.mark.parametrize("mode", MODES)
@aio_test
async def test_asyncio_a_str_request_without_a_serializer_is_internal(url, mode):
    async with aio.Client(dubbo.ReferenceConfig.from_url(url)) as client:
        with pytest.raises(RpcError) as caught:
            await _call_aio(client, mode, "forgot to encode")
        assert caught.value.code() is grpc.StatusCode.INTERNAL


@pytest.mark.parametrize("mode", MODES)
def test_calling_a_closed_client_is_cancelled(url, mode):
    client = dubbo.Client(dubbo.ReferenceConfig.from_url(url))
    client.close()
    with pytest.raises(RpcError) as caught:
        _call_sync(client, mode, b"x")
    assert caught.value.code() is grpc.StatusCode.CANCELLED and caught.value.details() == "the client is closed"


@pytest.mark.parametrize("mode", MODES)
@aio_test
async def test_asyncio_calling_a_closed_client_is_cancelled(url, mode):
    client = aio.Client(dubbo.ReferenceConfig.from_url(url))
    await _call_aio(client, "unary", b"open the channel")
    await client.close()
    with pytest.raises(RpcError) as caught:
        await _call_aio(client, mode, b"x")
    assert caught.value.code() is grpc.StatusCode.CANCELLED and caught.value.details() == "the client is closed"


def test_closing_the_client_under_a_running_stream_gives_its_reader_cancelled(url):
    client = dubbo.Client(dubbo.ReferenceConfig.from_url(url))
    stream = client.server_stream("slow_stream")(b"")
    assert stream.read() == b"tick"
    threading.Timer(0.2, client.close).start()
    with pytest.raises(RpcError) as caught:
        list(stream)
    assert caught.value.code() is grpc.StatusCode.CANCELLED


@aio_test
async def test_asyncio_closing_the_client_under_a_running_stream_gives_its_reader_cancelled(url):
    client = aio.Client(dubbo.ReferenceConfig.from_url(url))
    stream = client.server_stream("slow_stream")(b"")
    assert await stream.read() == b"tick"
    asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(client.close()))
    with pytest.raises(RpcError) as caught:
        async for _ in stream:
            pass
    assert caught.value.code() is grpc.StatusCode.CANCELLED
