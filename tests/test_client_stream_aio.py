"""dubbo.aio client streams: sync or async iterables, or ``write``/``done_writing``; one response."""

import asyncio

import pytest

from dubbo import EOF

from aio_support import GreeterStub, aio_serve, aio_test, any_serve, connect, greeter_url  # noqa: F401


def _names(pb, *names):
    return [pb.GreeterRequest(name=n) for n in names]


@pytest.mark.parametrize("kind", ["list", "tuple", "generator", "async generator"])
@aio_test
async def test_any_iterable_sync_or_async_is_a_request_stream(greeter_url, greeter_pb2, kind):
    requests = _names(greeter_pb2, "a", "b", "c")

    async def agen():
        for r in requests:
            yield r

    given = {
        "list": lambda: requests,
        "tuple": lambda: tuple(requests),
        "generator": lambda: (r for r in requests),
        "async generator": agen,
    }[kind]()
    async with connect(greeter_url) as client:
        reply = await GreeterStub(client, greeter_pb2).client_stream(given)
    assert reply.message == "a,b,c"


@aio_test
async def test_read_returns_the_response_then_eof(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        result = GreeterStub(client, greeter_pb2).client_stream(_names(greeter_pb2, "x"))
        assert (await result.read()).message == "x"
        assert await result.read() is EOF


@aio_test
async def test_caller_can_write_then_done_writing_then_await(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        call = GreeterStub(client, greeter_pb2).client_stream()
        for request in _names(greeter_pb2, "p", "q"):
            await call.write(request)
        await call.done_writing()
        assert (await call).message == "p,q"


@aio_test
async def test_read_with_timeout_returns_none_while_the_response_is_pending(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        call = GreeterStub(client, greeter_pb2).client_stream(())
        assert await call.read(timeout=0.05) is None  # the server waits for more requests
        await call.write(greeter_pb2.GreeterRequest(name="late"))
        await call.done_writing()
        assert (await call.read(timeout=10)).message == "late"
        assert await call.read(timeout=10) is EOF


@aio_test
async def test_an_empty_list_sends_no_requests(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        assert (await GreeterStub(client, greeter_pb2).client_stream([])).message == ""


@aio_test
async def test_write_after_done_writing_is_an_error(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        call = GreeterStub(client, greeter_pb2).client_stream()
        await call.done_writing()
        with pytest.raises(asyncio.InvalidStateError):
            await call.write(greeter_pb2.GreeterRequest(name="too late"))
        await call


@aio_test
async def test_write_is_refused_when_requests_were_given_as_an_iterable(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        call = GreeterStub(client, greeter_pb2).client_stream(_names(greeter_pb2, "a"))
        with pytest.raises(TypeError, match="without a request iterable"):
            await call.write(greeter_pb2.GreeterRequest(name="b"))
        await call


@aio_test
async def test_a_client_stream_handler_cannot_write_it_returns_its_response(any_serve):
    from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler

    async def writes(requests):
        await requests.write(b"not allowed")
        return b"never"

    server = any_serve(RpcServiceHandler("demo.CS", [RpcMethodHandler.client_stream(writes)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.CS") as client:
        with pytest.raises(RpcError) as caught:
            await client.client_stream("writes")([b"x"])
    assert "cannot write" in caught.value.message
