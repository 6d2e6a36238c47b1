"""Call controls under asyncio: attachments both ways, server_context(), deadline inheritance."""

import grpc
import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, aio

from aio_support import aio_serve, aio_test, any_serve, connect  # noqa: F401


@aio_test
async def test_attachments_reach_an_async_handler_with_their_spelling(any_serve):
    async def echo_attachment(request):
        return str(dubbo.server_context().attachments.get("traceId")).encode()

    server = any_serve(RpcServiceHandler("demo.Ctx", [RpcMethodHandler.unary(echo_attachment, "get")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Ctx") as client:
        call = client.unary("get").with_options(attachments={"traceId": "t-1"})
        assert await call(b"") == b"t-1"


@aio_test
async def test_reference_attachments_go_with_every_call(any_serve):
    async def echo_attachment(request):
        return dubbo.server_context().attachments.get("tenant", "none").encode()

    server = any_serve(RpcServiceHandler("demo.Ctx", [RpcMethodHandler.unary(echo_attachment, "get")]))
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Ctx")
    reference.attachments = {"tenant": "acme"}
    async with aio.Client(reference) as client:
        assert await client.unary("get")(b"") == b"acme"


@aio_test
async def test_trailers_set_by_a_handler_reach_the_caller(any_serve):
    async def stamped(request):
        dubbo.server_context().set_trailers({"served-by": "node-1"})
        return b"ok"

    async def stamped_stream(stream):
        await stream.read()
        dubbo.server_context().set_trailers({"served-by": "node-2"})
        yield b"one"

    server = any_serve(
        RpcServiceHandler("demo.T", [RpcMethodHandler.unary(stamped), RpcMethodHandler.server_stream(stamped_stream)])
    )
    async with connect(f"tri://127.0.0.1:{server.port}/demo.T") as client:
        response, result = await client.unary("stamped").with_call(b"")
        assert response == b"ok"
        assert result.trailers["served-by"] == "node-1"
        stream = client.server_stream("stamped_stream")(b"")
        assert [m async for m in stream] == [b"one"]
        assert (await stream.trailers())["served-by"] == "node-2"


@aio_test
async def test_response_headers_set_by_a_handler_arrive_before_its_messages(any_serve):
    async def headed(stream):
        await stream.read()
        dubbo.server_context().set_response_headers({"shard": "7"})
        yield b"first"

    server = any_serve(RpcServiceHandler("demo.H", [RpcMethodHandler.server_stream(headed)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.H") as client:
        stream = client.server_stream("headed")(b"")
        assert (await stream.headers())["shard"] == "7"
        assert [m async for m in stream] == [b"first"]


@aio_test
async def test_a_call_made_inside_an_async_handler_inherits_its_deadline(any_serve):
    seen = []

    async def inner(request):
        seen.append(dubbo.server_context().time_remaining())
        return b"inner"

    server = any_serve(RpcServiceHandler("demo.Inner", [RpcMethodHandler.unary(inner)]))

    async def outer(request):
        # timeout=0: the inner reference sets no deadline of its own
        async with connect(f"tri://127.0.0.1:{server.port}/demo.Inner?timeout=0") as inner_client:
            return await inner_client.unary("inner")(b"")

    outer_server = any_serve(RpcServiceHandler("demo.Outer", [RpcMethodHandler.unary(outer)]))
    async with connect(f"tri://127.0.0.1:{outer_server.port}/demo.Outer") as client:
        assert await client.unary("outer").with_options(timeout=20)(b"") == b"inner"
    assert seen[0] is not None and seen[0] <= 21  # grpc-timeout is rounded up to its unit


@aio_test
async def test_server_context_is_only_available_inside_a_handler():
    with pytest.raises(LookupError):
        dubbo.server_context()


@aio_test
async def test_a_handler_may_end_its_call_with_server_context_abort(any_serve):
    async def refuse(request):
        dubbo.server_context().abort(grpc.StatusCode.PERMISSION_DENIED, "not you")

    server = any_serve(RpcServiceHandler("demo.Refuse", [RpcMethodHandler.unary(refuse)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Refuse") as client:
        with pytest.raises(dubbo.RpcError) as caught:
            await client.unary("refuse")(b"")
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.message == "not you"


@pytest.mark.parametrize("style", ["generator", "writer"])
@aio_test
async def test_a_sync_streaming_handler_on_the_aio_server_reads_its_attachments(aio_serve, style):
    def generator(stream):
        stream.read()
        yield dubbo.server_context().attachments.get("tenant", "none").encode()

    def writer(stream):
        stream.read()
        stream.write(dubbo.server_context().attachments.get("tenant", "none").encode())
        stream.done_writing()

    fn = generator if style == "generator" else writer
    server = aio_serve(RpcServiceHandler("demo.Sync", [RpcMethodHandler.server_stream(fn, "tenant")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Sync") as client:
        call = client.server_stream("tenant").with_options(attachments={"tenant": "acme"})
        assert [m async for m in call(b"")] == [b"acme"]
