"""dubbo.aio bidirectional calls: requests and responses flow at the same time."""

import asyncio

from dubbo import EOF, RpcMethodHandler, RpcServiceHandler

from aio_support import GreeterStub, aio_serve, aio_test, any_serve, connect, greeter_url  # noqa: F401


@aio_test
async def test_an_iterable_of_requests_gives_a_stream_of_responses(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        requests = [greeter_pb2.GreeterRequest(name=n) for n in ["a", "b"]]
        stream = GreeterStub(client, greeter_pb2).bi_stream(requests)
        assert [r.message async for r in stream] == ["echo a", "echo b"]


@aio_test
async def test_responses_are_read_while_an_async_generator_still_produces_requests(greeter_url, greeter_pb2):
    """The request generator only continues once the previous echo came back."""
    echoed = asyncio.Queue()

    async def requests():
        for name in ["1", "2", "3"]:
            yield greeter_pb2.GreeterRequest(name=name)
            await asyncio.wait_for(echoed.get(), 10)

    seen = []
    async with connect(greeter_url) as client:
        async for reply in GreeterStub(client, greeter_pb2).bi_stream(requests()):
            seen.append(reply.message)
            echoed.put_nowait(None)
    assert seen == ["echo 1", "echo 2", "echo 3"]


@aio_test
async def test_ping_pong_with_write_and_read(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        stream = GreeterStub(client, greeter_pb2).bi_stream()
        for name in ["ping", "pong", "again"]:
            await stream.write(greeter_pb2.GreeterRequest(name=name))
            assert (await stream.read(timeout=10)).message == f"echo {name}"
        await stream.done_writing()
        assert await stream.read(timeout=10) is EOF


@aio_test
async def test_an_empty_tuple_means_the_caller_will_write(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        stream = GreeterStub(client, greeter_pb2).bi_stream(())
        await stream.write(greeter_pb2.GreeterRequest(name="x"))
        await stream.done_writing()
        assert [r.message async for r in stream] == ["echo x"]


@aio_test
async def test_an_async_server_handler_can_write_and_read_in_turns(any_serve):
    async def chat(stream):
        async for request in stream:
            await stream.write(b"re:" + request)
        await stream.done_writing()

    server = any_serve(RpcServiceHandler("demo.Chat", [RpcMethodHandler.bi_stream(chat, "chat")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Chat") as client:
        stream = client.bidi_stream("chat")()
        await stream.write(b"1")
        assert await stream.read(timeout=10) == b"re:1"
        await stream.write(b"2")
        assert await stream.read(timeout=10) == b"re:2"
        await stream.done_writing()
        assert await stream.read(timeout=10) is EOF


@aio_test
async def test_an_async_server_handler_can_read_requests_with_a_timeout(any_serve):
    async def patient(stream):
        first = await stream.read(timeout=0.1)
        yield b"none" if first is None else b"early"
        yield await stream.read(timeout=10)
        yield b"eof" if await stream.read(timeout=10) is EOF else b"more"

    server = any_serve(RpcServiceHandler("demo.P", [RpcMethodHandler.bi_stream(patient)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.P") as client:
        stream = client.bidi_stream("patient")()
        assert await stream.read(timeout=10) == b"none"
        await stream.write(b"hello")
        assert await stream.read(timeout=10) == b"hello"
        await stream.done_writing()
        assert await stream.read(timeout=10) == b"eof"


@aio_test
async def test_bi_stream_and_bidi_stream_are_the_same_factory(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        assert client.bi_stream.__func__ is client.bidi_stream.__func__
