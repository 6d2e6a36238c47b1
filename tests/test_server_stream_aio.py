"""dubbo.aio server streams: ``async for``, or ``await read(timeout)`` → message / None / EOF."""

import asyncio

import pytest

from dubbo import EOF, RpcMethodHandler, RpcServiceHandler

from aio_support import GreeterStub, aio_serve, aio_test, any_serve, connect, greeter_url  # noqa: F401


@aio_test
async def test_async_iteration_yields_every_response_in_order(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        stream = GreeterStub(client, greeter_pb2).server_stream(greeter_pb2.GreeterRequest(name="a b c"))
        assert [r.message async for r in stream] == ["a", "b", "c"]


@aio_test
async def test_read_returns_messages_then_eof(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        stream = GreeterStub(client, greeter_pb2).server_stream(greeter_pb2.GreeterRequest(name="x y"))
        assert (await stream.read()).message == "x"
        assert (await stream.read()).message == "y"
        assert await stream.read() is EOF
        assert await stream.read() is EOF


@aio_test
async def test_read_timeout_returns_none_then_the_message_then_eof(any_serve):
    gate = asyncio.Event()

    async def slow(stream):
        await stream.read()
        await asyncio.wait_for(gate.wait(), 10)
        yield b"late"

    async def open_gate(request):
        gate.set()
        return b""

    server = any_serve(
        RpcServiceHandler("demo.Slow", [RpcMethodHandler.server_stream(slow), RpcMethodHandler.unary(open_gate)])
    )
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Slow") as client:
        stream = client.server_stream("slow")(b"")
        assert await stream.read(timeout=0.05) is None
        await client.unary("open_gate")(b"")
        assert await stream.read(timeout=10) == b"late"  # the read that timed out lost nothing
        assert await stream.read(timeout=10) is EOF


@pytest.mark.parametrize("style", ["async generator", "returns a list", "returns an async iterable", "writes"])
@aio_test
async def test_async_handlers_may_yield_return_an_iterable_or_write(any_serve, style):
    async def agen(stream):
        request = await stream.read()
        yield request + b"1"
        yield request + b"2"

    async def returns_list(stream):
        request = await stream.read()
        return [request + b"1", request + b"2"]

    async def returns_async_iterable(stream):
        return agen(stream)

    async def writes(stream):
        request = await stream.read()
        await stream.write(request + b"1")
        await stream.write(request + b"2")
        await stream.done_writing()

    fn = {
        "async generator": agen,
        "returns a list": returns_list,
        "returns an async iterable": returns_async_iterable,
        "writes": writes,
    }[style]
    server = any_serve(RpcServiceHandler("demo.Styles", [RpcMethodHandler.server_stream(fn, "numbers")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Styles") as client:
        assert [m async for m in client.server_stream("numbers")(b"n")] == [b"n1", b"n2"]


@aio_test
async def test_a_writing_handler_streams_before_it_returns(any_serve):
    gate = asyncio.Event()

    async def writes(stream):
        await stream.read()
        await stream.write(b"first")
        await asyncio.wait_for(gate.wait(), 10)
        await stream.write(b"second")

    async def open_gate(request):
        gate.set()
        return b""

    server = any_serve(
        RpcServiceHandler("demo.W", [RpcMethodHandler.server_stream(writes), RpcMethodHandler.unary(open_gate)])
    )
    async with connect(f"tri://127.0.0.1:{server.port}/demo.W") as client:
        stream = client.server_stream("writes")(b"")
        assert await stream.read(timeout=10) == b"first"
        await client.unary("open_gate")(b"")
        assert await stream.read(timeout=10) == b"second"
        assert await stream.read(timeout=10) is EOF


@aio_test
async def test_an_empty_stream_is_just_eof(any_serve):
    async def nothing(stream):
        await stream.read()
        return None

    server = any_serve(RpcServiceHandler("demo.E", [RpcMethodHandler.server_stream(nothing)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.E") as client:
        assert await client.server_stream("nothing")(b"").read(timeout=10) is EOF
