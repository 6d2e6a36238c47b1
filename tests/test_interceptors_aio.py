"""Interceptors on the asyncio stack: async handlers on either server, and asyncio clients,
see the method, attachments, every message and the final status, as on the sync stack."""

import asyncio
import time

import grpc
import pytest

import dubbo
from dubbo import Interceptor, RpcError, RpcMethodHandler, RpcServiceHandler, aio, server_context

from aio_support import aio_serve, aio_test, any_serve  # noqa: F401
from test_interceptors import AddUser, Recorder, RequireUser


def _async_service():
    async def unary(request):
        if request == b"boom":
            raise ValueError("boom")
        return request.upper()

    async def client_stream(requests):
        return b"+".join([r async for r in requests])

    async def server_stream(stream):
        for part in (await stream.read()).split(b","):
            yield part

    async def bi_stream(stream):  # a writing handler: its writes pass the interceptors too
        async for request in stream:
            await stream.write(request * 2)
        await stream.done_writing()

    async def whoami(request):
        return server_context().attachments.get("user", "nobody").encode()

    return RpcServiceHandler(
        "demo.Icpt",
        [
            RpcMethodHandler.unary(unary, "unary"),
            RpcMethodHandler.client_stream(client_stream, "clientStream"),
            RpcMethodHandler.server_stream(server_stream, "serverStream"),
            RpcMethodHandler.bi_stream(bi_stream, "biStream"),
            RpcMethodHandler.unary(whoami, "whoami"),
        ],
    )


@pytest.fixture
def recorders(any_serve):
    server_side, client_side = Recorder(), Recorder()
    server = any_serve(_async_service(), interceptors=[server_side])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Icpt")
    return reference, client_side, server_side


async def _settled(recorder):
    """Server-side on_end may run just after the client returned: wait for it."""
    deadline = time.monotonic() + 5
    while not any(e[0] == "end" for e in recorder.events) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return recorder.events


@aio_test
async def test_unary_calls_pass_both_sides_interceptors(recorders):
    reference, client_side, server_side = recorders
    async with aio.Client(reference, interceptors=[client_side]) as client:
        assert await client.unary("unary")(b"hi") == b"HI"
    expected = [("request", b"hi"), ("response", b"HI"), ("end", grpc.StatusCode.OK, "")]
    assert client_side.events == [("call", "client", "unary", "/demo.Icpt/unary")] + expected
    assert await _settled(server_side) == [("call", "server", "unary", "/demo.Icpt/unary")] + expected


@aio_test
async def test_client_streams_show_every_request(recorders):
    reference, client_side, server_side = recorders

    async def requests():
        yield b"a"
        yield b"b"

    async with aio.Client(reference, interceptors=[client_side]) as client:
        assert await client.client_stream("clientStream")(requests()) == b"a+b"
    expected = [("request", b"a"), ("request", b"b"), ("response", b"a+b"), ("end", grpc.StatusCode.OK, "")]
    assert (await _settled(client_side))[1:] == expected
    assert (await _settled(server_side))[1:] == expected


@aio_test
async def test_server_streams_show_every_response(recorders):
    reference, client_side, server_side = recorders
    async with aio.Client(reference, interceptors=[client_side]) as client:
        assert [m async for m in client.server_stream("serverStream")(b"x,y")] == [b"x", b"y"]
    expected = [("request", b"x,y"), ("response", b"x"), ("response", b"y"), ("end", grpc.StatusCode.OK, "")]
    assert client_side.events[1:] == expected
    assert (await _settled(server_side))[1:] == expected


@aio_test
async def test_bidi_streams_show_written_requests_and_responses(recorders):
    reference, client_side, server_side = recorders
    async with aio.Client(reference, interceptors=[client_side]) as client:
        stream = client.bidi_stream("biStream")()
        await stream.write(b"p")
        assert await stream.read(timeout=10) == b"pp"
        await stream.done_writing()
        assert [m async for m in stream] == []
    assert client_side.events[1:] == [("request", b"p"), ("response", b"pp"), ("end", grpc.StatusCode.OK, "")]
    assert ("response", b"pp") in await _settled(server_side)


@aio_test
async def test_failures_reach_on_end_with_their_status(recorders):
    reference, client_side, server_side = recorders
    async with aio.Client(reference, interceptors=[client_side]) as client:
        with pytest.raises(RpcError):
            await client.unary("unary")(b"boom")
    assert client_side.events[-1][:2] == ("end", grpc.StatusCode.UNKNOWN)
    assert "boom" in client_side.events[-1][2]
    assert (await _settled(server_side))[-1] == ("end", grpc.StatusCode.UNKNOWN, "ValueError: boom")


@aio_test
async def test_a_client_interceptor_can_add_attachments_and_a_server_one_can_refuse(any_serve):
    server = any_serve(_async_service(), interceptors=[RequireUser()])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Icpt")
    async with aio.Client(reference) as anonymous, aio.Client(reference, interceptors=[AddUser()]) as alice:
        with pytest.raises(RpcError) as caught:
            await anonymous.unary("whoami")(b"")
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert await alice.unary("whoami")(b"") == b"alice"
        assert await alice.unary("whoami").with_options(timeout=5)(b"") == b"alice"
        response, _ = await alice.unary("whoami").with_call(b"")
        assert response == b"alice"


@aio_test
async def test_sync_handlers_on_the_aio_server_pass_its_interceptors(aio_serve):
    from test_interceptors import _service

    server_side = Recorder()
    server = aio_serve(_service(), interceptors=[server_side])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Icpt")
    async with aio.Client(reference, interceptors=[AddUser()]) as client:
        assert [m async for m in client.server_stream("serverStream")(b"x,y")] == [b"x", b"y"]
        assert await client.unary("whoami")(b"") == b"alice"
    events = await _settled(server_side)
    assert events[:5] == [
        ("call", "server", "server_stream", "/demo.Icpt/serverStream"),
        ("request", b"x,y"), ("response", b"x"), ("response", b"y"), ("end", grpc.StatusCode.OK, ""),
    ]


@aio_test
async def test_future_passes_the_interceptors_too(recorders):
    reference, client_side, _ = recorders
    async with aio.Client(reference, interceptors=[client_side]) as client:
        assert await client.unary("unary").future(b"f") == b"F"
        for _ in range(100):  # the outcome reaches on_end from the call's done callback
            if ("response", b"F") in client_side.events:
                break
            await asyncio.sleep(0.01)
    assert ("response", b"F") in client_side.events
