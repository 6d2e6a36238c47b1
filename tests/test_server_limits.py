"""A server is never silently shared, restarted or saturated: a busy port fails, a stopped
server does not start again, calls beyond the worker pool are refused at once, and a plain
HTTP request never reaches a handler as an empty message. Both servers."""

from __future__ import annotations

import asyncio
import errno
import threading

import grpc
import pytest
from raw_h2 import RawClient

import dubbo
from dubbo import ReferenceConfig, RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio

SERVICE = "demo.Limits"


def _service(seen: list) -> RpcServiceHandler:
    def unary(request):
        seen.append(request)
        return b"ran on " + request

    def server_stream(stream):
        seen.append(stream.read())
        yield b"ran"

    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(unary, "unary"),
        RpcMethodHandler.server_stream(server_stream, "serverStream"),
    ])


def test_a_second_server_on_a_busy_port_fails_address_in_use(serve):
    first = serve(_service([]))
    with pytest.raises(OSError) as caught:
        dubbo.Server(ServiceConfig(_service([]), host="127.0.0.1", port=first.port))
    assert caught.value.errno == errno.EADDRINUSE and str(first.port) in str(caught.value)


def test_a_busy_port_is_refused_whatever_address_form_the_second_server_uses(serve):
    first = serve(ServiceConfig(_service([]), host="0.0.0.0", port=0))
    for host in ("127.0.0.1", "0.0.0.0", "::"):
        with pytest.raises(OSError):
            dubbo.Server(ServiceConfig(_service([]), host=host, port=first.port))


def test_the_asyncio_server_on_a_busy_port_fails_address_in_use(serve):
    first = serve(_service([]))

    async def start_second() -> None:
        await aio.Server(ServiceConfig(_service([]), host="127.0.0.1", port=first.port)).start()

    with pytest.raises(OSError) as caught:
        asyncio.run(start_second())
    assert caught.value.errno == errno.EADDRINUSE


def test_a_stopped_server_cannot_start_again():
    server = dubbo.Server(ServiceConfig(_service([]), host="127.0.0.1", port=0)).start()
    server.stop(0)
    with pytest.raises(RuntimeError, match="cannot start again"):
        server.start()


def test_a_stopped_asyncio_server_cannot_start_again():
    async def restart() -> None:
        server = await aio.Server(ServiceConfig(_service([]), host="127.0.0.1", port=0)).start()
        await server.stop(0)
        await server.start()

    with pytest.raises(RuntimeError, match="cannot start again"):
        asyncio.run(restart())


def _holding_service(entered: threading.Semaphore, release: threading.Event) -> RpcServiceHandler:
    def hold(stream):
        entered.release()
        release.wait(30)
        yield b"released"

    return RpcServiceHandler(SERVICE, [RpcMethodHandler.bi_stream(hold, "hold"),
                                       RpcMethodHandler.unary(lambda r: r, "unary")])


@pytest.mark.parametrize("workers", [4, None])
def test_calls_beyond_the_worker_pool_are_refused_at_once_with_resource_exhausted(serve, workers):
    entered, release = threading.Semaphore(0), threading.Event()
    server = serve(_holding_service(entered, release), **({"max_workers": workers} if workers else {}))
    pool = workers or 200  # Java's default pool size
    client = dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}"))
    try:
        streams = [client.bidi_stream("hold")([b"x"]) for _ in range(pool)]
        for _ in range(pool):
            assert entered.acquire(timeout=30), "every call within the pool is served"
        with pytest.raises(RpcError) as caught:
            client.unary("unary").with_options(timeout=5)(b"one too many")
        assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        release.set()
        assert all(list(stream) == [b"released"] for stream in streams)
        assert client.unary("unary")(b"room again") == b"room again"
    finally:
        release.set()
        client.close()


def _plain_http_json(port: int, path: str) -> dict:
    raw = RawClient(port)
    try:
        exchange = raw.call(path, [], content_type="application/json", body=b'["Dubbo"]',
                            headers=[("content-length", "9")])
    finally:
        raw.close()
    return {**exchange.headers, **exchange.trailers}


@pytest.mark.parametrize("method", ["unary", "serverStream"])
def test_a_plain_http_json_request_never_runs_the_handler(serve, method):
    seen: list = []
    server = serve(_service(seen))
    answer = _plain_http_json(server.port, f"/{SERVICE}/{method}")
    assert answer["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    assert "not a gRPC message" in answer["grpc-message"]
    assert seen == []


@pytest.mark.parametrize("method", ["unary", "serverStream"])
def test_the_asyncio_server_refuses_a_plain_http_json_request_too(method):
    seen: list = []

    async def run() -> dict:
        server = await aio.Server(ServiceConfig(_service(seen), host="127.0.0.1", port=0), max_workers=2).start()
        try:
            return await asyncio.get_running_loop().run_in_executor(None, _plain_http_json, server.port,
                                                                    f"/{SERVICE}/{method}")
        finally:
            await server.stop(0)

    answer = asyncio.run(run())
    assert answer["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    assert seen == []


def test_an_empty_grpc_message_is_still_served(serve):
    seen: list = []
    server = serve(_service(seen))
    raw = RawClient(server.port)
    try:
        exchange = raw.call(f"/{SERVICE}/unary", [b""], headers=[("content-length", "5")])
    finally:
        raw.close()
    assert exchange.trailers["grpc-status"] == "0" and seen == [b""]
