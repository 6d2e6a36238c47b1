"""dubbo.aio failures: the same ``dubbo.RpcError`` with a gRPC status; the server keeps serving."""

import asyncio
import socket
import threading

import grpc
import pytest

import dubbo
from dubbo import EOF, RpcError, RpcMethodHandler, RpcServiceHandler, aio

from aio_support import aio_serve, aio_test, any_serve, connect  # noqa: F401


def _failing_service():
    async def unary(request):
        if request == b"fail":
            raise ValueError("bad request: fail")
        return b"ok"

    async def rpc_error(request):
        raise RpcError(grpc.StatusCode.NOT_FOUND, "no such user")

    async def stream_then_fail(stream):
        await stream.read()
        yield b"one"
        yield b"two"
        raise RuntimeError("broke after two")

    async def write_then_fail(stream):
        async for request in stream:
            await stream.write(request)
            if request == b"stop":
                raise KeyError("stop")

    async def slow(request):
        await asyncio.sleep(float(request))
        return b"done"

    return RpcServiceHandler(
        "demo.Failing",
        [
            RpcMethodHandler.unary(unary, "unary"),
            RpcMethodHandler.unary(rpc_error, "rpcError"),
            RpcMethodHandler.server_stream(stream_then_fail, "streamThenFail"),
            RpcMethodHandler.bi_stream(write_then_fail, "writeThenFail"),
            RpcMethodHandler.unary(slow, "slow"),
        ],
    )


@pytest.fixture
def url(any_serve):
    return f"tri://127.0.0.1:{any_serve(_failing_service()).port}/demo.Failing"


@aio_test
async def test_a_handler_exception_is_unknown_with_its_message(url):
    async with connect(url) as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("unary")(b"fail")
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "bad request: fail" in caught.value.message
    assert "Traceback" not in caught.value.message


@aio_test
async def test_code_that_catches_grpcio_errors_reads_them_with_grpcio_s_methods(url):
    async with connect(url) as client:
        with pytest.raises(grpc.RpcError) as caught:
            await client.unary("rpcError")(b"")
    error = caught.value
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error.details() == "no such user"
    assert isinstance(error.initial_metadata(), tuple) and isinstance(error.trailing_metadata(), tuple)


@aio_test
async def test_the_server_keeps_serving_after_a_handler_exception(url):
    async with connect(url) as client:
        call = client.unary("unary")
        for _ in range(3):
            with pytest.raises(RpcError):
                await call(b"fail")
            assert await call(b"fine") == b"ok"


@aio_test
async def test_a_handler_raising_rpc_error_chooses_the_status(url):
    async with connect(url) as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("rpcError")(b"")
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.message == "no such user"


@aio_test
async def test_rpc_error_is_a_grpc_rpc_error(url):
    async with connect(url) as client:
        with pytest.raises(grpc.RpcError):
            await client.unary("rpcError")(b"")


@aio_test
async def test_an_error_mid_stream_raises_after_the_messages_sent_before_it(url):
    received = []
    async with connect(url) as client:
        with pytest.raises(RpcError) as caught:
            async for message in client.server_stream("streamThenFail")(b""):
                received.append(message)
    assert received == [b"one", b"two"]
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "broke after two" in caught.value.message


@aio_test
async def test_read_raises_a_stream_error_instead_of_returning_eof(url):
    async with connect(url) as client:
        stream = client.server_stream("streamThenFail")(b"")
        assert await stream.read() == b"one"
        assert await stream.read(timeout=10) == b"two"
        with pytest.raises(RpcError):
            await stream.read(timeout=10)
        with pytest.raises(RpcError):  # and keeps raising: it never turns into EOF
            await stream.read()


@aio_test
async def test_a_writing_handler_failure_reaches_the_caller(url):
    async with connect(url) as client:
        stream = client.bidi_stream("writeThenFail")()
        await stream.write(b"go")
        assert await stream.read(timeout=10) == b"go"
        await stream.write(b"stop")
        with pytest.raises(RpcError) as caught:
            async for _ in stream:
                pass
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "stop" in caught.value.message


@aio_test
async def test_deadline_expiry_raises_deadline_exceeded(url):
    async with connect(url) as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("slow").with_options(timeout=0.2)(b"5")
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


@aio_test
async def test_the_reference_timeout_is_in_milliseconds(url):
    async with connect(url + "?timeout=200") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("slow")(b"5")
        assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert await client.unary("slow")(b"0") == b"done"


@aio_test
async def test_a_stream_deadline_raises_deadline_exceeded_while_reading(any_serve):
    async def forever(stream):
        await stream.read()
        yield b"first"
        await asyncio.sleep(30)
        yield b"never"

    server = any_serve(RpcServiceHandler("demo.Forever", [RpcMethodHandler.server_stream(forever)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Forever") as client:
        stream = client.server_stream("forever").with_options(timeout=0.5)(b"")
        assert await stream.read() == b"first"
        with pytest.raises(RpcError) as caught:
            await stream.read()
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


@aio_test
async def test_an_unknown_service_is_unimplemented(any_serve):
    server = any_serve(_failing_service())
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Nobody") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("unary")(b"")
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "demo.Nobody" in caught.value.message


@pytest.mark.parametrize("shape", ["unary", "client_stream", "server_stream", "bidi_stream"])
@aio_test
async def test_an_unknown_method_is_unimplemented_in_every_mode(url, shape):
    async with connect(url) as client:
        call = getattr(client, shape)("noSuchMethod")
        with pytest.raises(RpcError) as caught:
            # No requests: a request written while the UNIMPLEMENTED status arrives makes grpc.aio
            # report INTERNAL instead (grpc/grpc#36066), whichever server answers.
            if shape == "unary":
                await call(b"")
            elif shape == "client_stream":
                await call([])
            else:
                async for _ in call([]) if shape == "bidi_stream" else call(b""):
                    pass
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "noSuchMethod" in caught.value.message


@aio_test
async def test_an_unreachable_server_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with connect(f"tri://127.0.0.1:{port}/demo.X") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("m")(b"")
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE


@aio_test
async def test_a_request_the_handler_cannot_deserialize_is_internal_naming_the_method(any_serve):
    def strict(data):
        raise ValueError("not a message")

    async def echo(request):
        return request

    service = RpcServiceHandler("demo.Strict", [RpcMethodHandler.unary(echo, request_deserializer=strict)])
    server = any_serve(service)
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Strict") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("echo")(b"?")
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert "/demo.Strict/echo" in caught.value.message


@aio_test
async def test_a_cancelled_stream_raises_cancelled(any_serve):
    async def endless(stream):
        await stream.read()
        while True:
            yield b"tick"
            await asyncio.sleep(0.01)

    server = any_serve(RpcServiceHandler("demo.Endless", [RpcMethodHandler.server_stream(endless, "ticks")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Endless") as client:
        stream = client.server_stream("ticks")(b"")
        assert await stream.read() == b"tick"
        stream.cancel()
        with pytest.raises(RpcError) as caught:
            while await stream.read() is not EOF:
                pass
    assert caught.value.code() is grpc.StatusCode.CANCELLED


@pytest.mark.parametrize("shape", ["unary", "server_stream"])
@aio_test
async def test_cancelling_the_callers_task_cancels_the_handler(any_serve, shape):
    started, ended = threading.Event(), threading.Event()

    async def wait_unary(request):
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            ended.set()

    async def wait_stream(stream):
        started.set()
        try:
            await asyncio.sleep(30)
            yield b"never"
        finally:
            ended.set()

    server = any_serve(
        RpcServiceHandler(
            "demo.Wait", [RpcMethodHandler.unary(wait_unary, "unary"), RpcMethodHandler.server_stream(wait_stream, "server_stream")]
        )
    )
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Wait") as client:

        async def caller():
            if shape == "unary":
                await client.unary("unary").with_options(timeout=None)(b"")
            else:
                await client.server_stream("server_stream")(b"").read()

        task = asyncio.ensure_future(caller())
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await loop.run_in_executor(None, ended.wait, 10), "the handler was not cancelled"
