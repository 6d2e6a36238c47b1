"""Call controls for async handlers and asyncio callers: rich error details, Triple's
exception code, cancellation and deadlines as the handler sees them, time remaining and peer."""

import asyncio
import threading
from concurrent import futures

import grpc
import pytest
from google.protobuf import duration_pb2, wrappers_pb2

from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, server_context

from aio_support import aio_serve, aio_test, any_serve, connect  # noqa: F401


@aio_test
async def test_rich_error_details_from_an_async_handler_reach_the_caller(any_serve):
    async def refuse(request):
        raise RpcError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "quota used up",
            status_details=[wrappers_pb2.StringValue(value="plan=free"), duration_pb2.Duration(seconds=30)],
        )

    server = any_serve(RpcServiceHandler("demo.Rich", [RpcMethodHandler.unary(refuse, "refuse")]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Rich") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("refuse")(b"")
    error = caught.value
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION and error.message == "quota used up"
    text, retry = wrappers_pb2.StringValue(), duration_pb2.Duration()
    assert error.status_details[0].Unpack(text) and text.value == "plan=free"
    assert error.status_details[1].Unpack(retry) and retry.seconds == 30


@aio_test
async def test_the_triple_exception_code_is_surfaced_on_the_asyncio_callers_error():
    def fail(request, context):
        context.send_initial_metadata((("tri-exception-code", "3"),))
        context.abort(grpc.StatusCode.UNKNOWN, "java.lang.IllegalStateException: boom")

    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("demo.Java", {"m": grpc.unary_unary_rpc_method_handler(fail)})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        async with connect(f"tri://127.0.0.1:{port}/demo.Java") as client:
            with pytest.raises(RpcError) as caught:
                await client.unary("m")(b"")
    finally:
        server.stop(0)
    assert caught.value.exception_code == 3
    assert "IllegalStateException" in caught.value.message


def _watched(started: threading.Event, ended: threading.Event, inactive: threading.Event, done: threading.Event):
    async def wait(request):
        context = server_context()
        context.add_callback(ended.set)
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            if not context.is_active():
                inactive.set()
            done.set()
        return b"late"

    return RpcServiceHandler("demo.Watch", [RpcMethodHandler.unary(wait)])


@aio_test
async def test_a_caller_cancelling_is_seen_by_the_async_handler(any_serve):
    started, ended, inactive, done = (threading.Event() for _ in range(4))
    server = any_serve(_watched(started, ended, inactive, done))
    loop = asyncio.get_running_loop()
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Watch?timeout=0") as client:
        call = asyncio.ensure_future(client.unary("wait")(b""))
        assert await loop.run_in_executor(None, started.wait, 10)
        call.cancel()
        assert await loop.run_in_executor(None, ended.wait, 10), "the call-end callback never ran"
        assert await loop.run_in_executor(None, done.wait, 10), "the handler was not cancelled"
    assert inactive.is_set(), "the handler still thought its call was active"


@aio_test
async def test_an_expired_deadline_is_seen_by_the_async_handler(any_serve):
    started, ended, inactive, done = (threading.Event() for _ in range(4))
    server = any_serve(_watched(started, ended, inactive, done))
    loop = asyncio.get_running_loop()
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Watch") as client:
        with pytest.raises(RpcError) as caught:
            await client.unary("wait").with_options(timeout=2)(b"")
        assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert started.is_set(), "the handler never started (a machine this slow tests nothing here)"
        assert await loop.run_in_executor(None, ended.wait, 10), "the handler's call never ended"
        assert await loop.run_in_executor(None, done.wait, 10), "the handler was not cancelled"
    assert inactive.is_set()


@aio_test
async def test_an_async_handler_sees_the_time_remaining_and_the_peer(any_serve):
    seen = {}

    async def look(request):
        context = server_context()
        seen["remaining"], seen["peer"] = context.time_remaining(), context.peer
        return b""

    server = any_serve(RpcServiceHandler("demo.Look", [RpcMethodHandler.unary(look)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Look") as client:
        await client.unary("look").with_options(timeout=20)(b"")
        await client.unary("look").with_options(timeout=None)(b"")
        no_deadline = seen["remaining"]
        await client.unary("look").with_options(timeout=20)(b"")
    assert 0 < seen["remaining"] <= 21
    assert no_deadline is None
    assert "127.0.0.1" in seen["peer"]


@aio_test
async def test_message_size_limits_hold_on_the_asyncio_stack(aio_serve):
    from dubbo import ReferenceConfig, ServiceConfig, aio

    async def echo(request):
        return request

    service = RpcServiceHandler("demo.Size", [RpcMethodHandler.unary(echo)])
    server = aio_serve(ServiceConfig(service, max_receive_message_size=1024))
    roomy = ReferenceConfig(service="demo.Size", host="127.0.0.1", port=server.port)
    tight = ReferenceConfig(service="demo.Size", host="127.0.0.1", port=server.port, max_send_message_size=512)
    async with aio.Client(roomy) as client, aio.Client(tight) as tight_client:
        assert await client.unary("echo")(b"x" * 500) == b"x" * 500
        with pytest.raises(RpcError) as over_service:
            await client.unary("echo")(b"x" * 2000)  # over the service's receive limit
        with pytest.raises(RpcError) as over_reference:
            await tight_client.unary("echo")(b"x" * 600)  # over the reference's send limit
    assert over_service.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert over_reference.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "512" in over_reference.value.message


@aio_test
async def test_a_provider_token_guards_async_handlers_on_the_asyncio_server(aio_serve):
    from dubbo import ReferenceConfig, ServiceConfig, aio

    async def secret(request):
        return b"secret"

    server = aio_serve(ServiceConfig(RpcServiceHandler("demo.Tok", [RpcMethodHandler.unary(secret)]), token="s3"))
    base = dict(service="demo.Tok", host="127.0.0.1", port=server.port)
    async with aio.Client(ReferenceConfig(**base)) as anonymous, aio.Client(
        ReferenceConfig(**base, attachments={"token": "s3"})
    ) as holder:
        with pytest.raises(RpcError) as refused:
            await anonymous.unary("secret")(b"")
        assert await holder.unary("secret")(b"") == b"secret"
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
