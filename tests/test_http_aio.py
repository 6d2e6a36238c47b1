"""The plain-HTTP endpoint on dubbo.aio.Server: served from the server's event loop, sync
handlers on its pool, started and stopped with the server."""

from __future__ import annotations

import json
import socket

import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler

from aio_support import GREETER, aio_serve, async_greeter_service  # noqa: F401
from conftest import greeter_service
from test_http import post

pytest.importorskip("hypercorn", reason="the HTTP endpoint needs the [http] extra")


def test_async_handlers_on_aio_server_answer_json_posts(aio_serve, greeter_pb2):
    server = aio_serve(async_greeter_service(greeter_pb2), http_port=0)
    status, _, body = post(server.http_port, f"/{GREETER}/sayHello", b'{"name": "aio"}')
    assert (status, json.loads(body)) == (200, {"message": "hello aio"})


def test_async_server_streams_on_aio_server_are_server_sent_events(aio_serve, greeter_pb2):
    server = aio_serve(async_greeter_service(greeter_pb2), http_port=0)
    body = post(server.http_port, f"/{GREETER}/serverStream", b'{"name": "x y"}')[2]
    assert body == b'data:{"message": "x"}\n\ndata:{"message": "y"}\n\n'


def test_sync_handlers_on_aio_server_run_on_its_pool(aio_serve, greeter_pb2):
    server = aio_serve(greeter_service(greeter_pb2), http_port=0)
    assert json.loads(post(server.http_port, f"/{GREETER}/sayHello", b'{"name": "s"}')[2]) == {"message": "hello s"}


def test_server_context_works_for_async_handlers_over_http(aio_serve):
    async def whoami(request):
        return dubbo.server_context().attachments.get("user", "?").encode()

    server = aio_serve(RpcServiceHandler("demo.Who", [RpcMethodHandler.unary(whoami, "whoami")]), http_port=0)
    assert post(server.http_port, "/demo.Who/whoami", b"", "application/proto", {"user": "ann"})[2] == b"ann"


def test_aio_server_has_no_http_port_unless_asked(aio_serve, greeter_pb2):
    assert aio_serve(async_greeter_service(greeter_pb2)).http_port is None


def test_aio_server_stop_closes_the_http_port(greeter_pb2):
    import asyncio

    async def run() -> int:
        server = await dubbo.aio.Server(
            dubbo.ServiceConfig(async_greeter_service(greeter_pb2), host="127.0.0.1", port=0), http_port=0
        ).start()
        port = server.http_port
        await server.stop(0)
        return port

    port = asyncio.run(run())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
