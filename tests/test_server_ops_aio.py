"""The asyncio stack's transport and operations: gzip on the wire, TLS, health, reflection,
graceful stop; and the sync server's own event loop for async handlers."""

from __future__ import annotations

import asyncio
import gzip
import threading

import grpc
import pytest
from raw_h2 import RawClient, RawServer

import dubbo
from dubbo import ReferenceConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig, TlsConfig, aio

from aio_support import GREETER, GreeterStub, aio_serve, aio_test, async_greeter_service, connect  # noqa: F401

LONG = "hello" * 200  # compressible, one word
MODES = ["sayHello", "clientStream", "serverStream", "biStream"]


async def call_in_mode(stub: GreeterStub, mode: str, request) -> None:
    if mode == "sayHello":
        await stub.say_hello(request)
    elif mode == "clientStream":
        await stub.client_stream([request])
    elif mode == "serverStream":
        [m async for m in stub.server_stream(request)]
    else:
        [m async for m in stub.bi_stream([request])]


@pytest.mark.parametrize("mode", MODES)
@aio_test
async def test_a_gzip_reference_sends_gzip_compressed_requests(greeter_pb2, mode):
    raw_server = RawServer()
    try:
        async with connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}?compression=gzip") as client:
            try:
                await call_in_mode(GreeterStub(client, greeter_pb2), mode, greeter_pb2.GreeterRequest(name=LONG))
            except dubbo.RpcError:
                pass  # the raw server answers with no messages; only the request matters here
        (request,) = raw_server.requests
    finally:
        raw_server.close()
    assert request.headers["grpc-encoding"] == "gzip"
    ((flag, payload),) = request.messages
    assert flag is True
    assert greeter_pb2.GreeterRequest.FromString(gzip.decompress(payload)).name == LONG


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_service_on_the_aio_server_sends_gzip_compressed_responses(aio_serve, greeter_pb2, mode):
    server = aio_serve(ServiceConfig(async_greeter_service(greeter_pb2), compression="gzip"))
    client = RawClient(server.port)
    try:
        request = greeter_pb2.GreeterRequest(name=LONG).SerializeToString()
        response = client.call(f"/{GREETER}/{mode}", [request], headers=[("grpc-accept-encoding", "identity,gzip")])
    finally:
        client.close()
    assert response.trailers["grpc-status"] == "0"
    assert response.headers["grpc-encoding"] == "gzip"
    assert response.messages
    for flag, payload in response.messages:
        assert flag is True
        assert "hello" in greeter_pb2.GreeterReply.FromString(gzip.decompress(payload)).message


@aio_test
async def test_tls_between_the_asyncio_client_and_server(greeter_pb2):
    from certs import CertificateAuthority

    ca = CertificateAuthority("dubbo aio test CA")
    issued = ca.issue("dubbo aio server", hosts=["localhost", "127.0.0.1"])
    config = ServiceConfig(
        async_greeter_service(greeter_pb2), host="127.0.0.1", port=0,
        tls=TlsConfig(cert_chain=issued.cert, private_key=issued.key),
    )
    async with aio.Server(config) as server:
        reference = ReferenceConfig(service=GREETER, host="127.0.0.1", port=server.port, tls=TlsConfig(root_certificates=ca.cert))
        async with aio.Client(reference) as client:
            reply = await GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="tls"))
            assert reply.message == "hello tls"
        plain = ReferenceConfig(service=GREETER, host="127.0.0.1", port=server.port)
        async with aio.Client(plain) as client:
            with pytest.raises(dubbo.RpcError) as refused:
                await GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="plain"))
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE


@aio_test
async def test_the_aio_server_hosts_health_with_every_service_serving(greeter_pb2):
    health_pb2 = pytest.importorskip("grpc_health.v1.health_pb2")
    from grpc_health.v1 import health_pb2_grpc

    config = ServiceConfig(async_greeter_service(greeter_pb2), host="127.0.0.1", port=0)
    async with aio.Server(config, health=True) as server:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            check = health_pb2_grpc.HealthStub(channel).Check
            for name in ("", GREETER):
                reply = await check(health_pb2.HealthCheckRequest(service=name))
                assert reply.status == health_pb2.HealthCheckResponse.SERVING


@aio_test
async def test_the_aio_server_hosts_reflection_listing_its_services(greeter_pb2):
    pytest.importorskip("grpc_reflection.v1alpha.reflection")
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    config = ServiceConfig(async_greeter_service(greeter_pb2), host="127.0.0.1", port=0)
    async with aio.Server(config, reflection=True) as server:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            listed = [s.name async for r in responses for s in r.list_services_response.service]
    assert GREETER in listed


@aio_test
async def test_stop_with_grace_lets_a_running_call_finish():
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(request):
        started.set()
        await release.wait()
        return b"finished"

    config = ServiceConfig(RpcServiceHandler("demo.Slow", [RpcMethodHandler.unary(slow)]), host="127.0.0.1", port=0)
    server = await aio.Server(config).start()
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Slow") as client:
        running = asyncio.ensure_future(client.unary("slow").with_options(timeout=30)(b""))
        await started.wait()
        stopping = asyncio.ensure_future(server.stop(grace=30))
        await asyncio.sleep(0)
        release.set()
        assert await running == b"finished"
        await stopping
    assert await server.wait_for_termination(1) is True


def test_the_sync_server_runs_async_handlers_on_a_loop_thread_it_ends_on_stop(serve, connect):
    threads = []

    async def where(request):
        threads.append(threading.current_thread())
        return b"ok"

    server = serve(RpcServiceHandler("demo.Where", [RpcMethodHandler.unary(where)]))
    assert connect(f"tri://127.0.0.1:{server.port}/demo.Where").unary("where")(b"") == b"ok"
    assert threads[0] is not threading.main_thread()
    server.stop(0)
    threads[0].join(10)
    assert not threads[0].is_alive()


@aio_test
async def test_run_until_signal_serves_until_the_signal_then_stops():
    import os
    import signal

    async def echo(request):
        return request

    config = ServiceConfig(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(echo)]), host="127.0.0.1", port=0)
    server = aio.Server(config)
    running = asyncio.ensure_future(server.run_until_signal(grace=5, signals=(signal.SIGUSR1,)))
    while not server.ports:
        await asyncio.sleep(0.01)
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Echo") as client:
        assert await client.unary("echo")(b"up") == b"up"
    os.kill(os.getpid(), signal.SIGUSR1)
    assert await asyncio.wait_for(running, 30) == signal.SIGUSR1
    assert await server.wait_for_termination(1) is True


@aio_test
async def test_max_concurrent_rpcs_answers_calls_beyond_it_with_resource_exhausted():
    release = asyncio.Event()
    started = asyncio.Event()

    async def hold(request):
        started.set()
        await release.wait()
        return b"held"

    config = ServiceConfig(RpcServiceHandler("demo.Hold", [RpcMethodHandler.unary(hold)]), host="127.0.0.1", port=0)
    async with aio.Server(config, max_concurrent_rpcs=1) as server:
        async with connect(f"tri://127.0.0.1:{server.port}/demo.Hold") as client:
            first = asyncio.ensure_future(client.unary("hold").with_options(timeout=30)(b""))
            await started.wait()
            with pytest.raises(dubbo.RpcError) as caught:
                await client.unary("hold")(b"")
            release.set()
            assert await first == b"held"
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED


@aio_test
async def test_with_options_compression_gzips_one_call(greeter_pb2):
    raw_server = RawServer()
    try:
        async with connect(f"tri://127.0.0.1:{raw_server.port}/{GREETER}") as client:
            stub = GreeterStub(client, greeter_pb2)
            try:
                await stub.say_hello.with_options(compression="gzip")(greeter_pb2.GreeterRequest(name=LONG))
            except dubbo.RpcError:
                pass  # the raw server answers with no message; only the request matters here
        (request,) = raw_server.requests
    finally:
        raw_server.close()
    assert request.headers["grpc-encoding"] == "gzip"
    assert request.messages[0][0] is True
