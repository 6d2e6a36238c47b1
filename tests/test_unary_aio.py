"""dubbo.aio unary calls: ``await call(request)``, on either server, async or sync handlers."""

import asyncio

import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio

from aio_support import GreeterStub, aio_serve, aio_test, any_serve, connect, greeter_url  # noqa: F401


@aio_test
async def test_unary_returns_the_handlers_response(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        reply = await GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="world"))
    assert reply.message == "hello world"


@aio_test
async def test_without_serializers_bytes_pass_through(any_serve):
    async def echo(request):
        return request

    server = any_serve(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(echo)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Echo") as client:
        assert await client.unary("echo")(b"\x00raw") == b"\x00raw"


@aio_test
async def test_a_serializer_may_take_several_arguments(any_serve):
    async def greet(request):
        return b"hi " + request

    server = any_serve(RpcServiceHandler("demo.Greet", [RpcMethodHandler.unary(greet)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Greet") as client:
        call = client.unary("greet", lambda name, age: f"{name}/{age}".encode())
        assert await call("ann", age=7) == b"hi ann/7"


@aio_test
async def test_a_java_style_capitalised_method_name_reaches_the_lower_case_handler(any_serve):
    async def sayHello(request):  # noqa: N802 (Java's method name)
        return b"lower"

    server = any_serve(RpcServiceHandler("demo.Cap", [RpcMethodHandler.unary(sayHello)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Cap") as client:
        assert await client.unary("SayHello")(b"") == b"lower"


@aio_test
async def test_many_concurrent_calls_share_one_client(greeter_url, greeter_pb2):
    async with connect(greeter_url) as client:
        say_hello = GreeterStub(client, greeter_pb2).say_hello
        replies = await asyncio.gather(*(say_hello(greeter_pb2.GreeterRequest(name=str(i))) for i in range(50)))
    assert [r.message for r in replies] == [f"hello {i}" for i in range(50)]


@aio_test
async def test_an_async_handler_waiting_does_not_hold_up_other_calls_on_the_aio_server(aio_serve):
    """While one call awaits an event, another call to the same loop completes (and sets it)."""
    released = asyncio.Event()
    loop_of_server = []

    async def wait(request):
        loop_of_server.append(asyncio.get_running_loop())
        await released.wait()
        return b"released"

    async def release(request):
        released.set()
        return b"ok"

    server = aio_serve(RpcServiceHandler("demo.Gate", [RpcMethodHandler.unary(wait), RpcMethodHandler.unary(release)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Gate") as client:
        waiting = asyncio.ensure_future(client.unary("wait")(b""))
        while not loop_of_server:
            await asyncio.sleep(0.01)
        assert await client.unary("release")(b"") == b"ok"
        assert await waiting == b"released"


@aio_test
async def test_a_sync_handler_blocking_does_not_block_the_aio_servers_loop(aio_serve):
    """A sync handler runs on a worker thread: an async handler answers while it blocks."""
    import threading

    release = threading.Event()

    def blocking(request):
        assert release.wait(30)
        return b"unblocked"

    async def free(request):
        release.set()
        return b"free"

    server = aio_serve(RpcServiceHandler("demo.Mixed", [RpcMethodHandler.unary(blocking), RpcMethodHandler.unary(free)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.Mixed") as client:
        blocked = asyncio.ensure_future(client.unary("blocking")(b""))
        await asyncio.sleep(0.05)
        assert await client.unary("free")(b"") == b"free"
        assert await blocked == b"unblocked"


@aio_test
async def test_a_client_made_outside_the_loop_works_inside_it(any_serve):
    async def echo(request):
        return request

    server = any_serve(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(echo)]))
    return_value = []

    def made_outside():  # like a module-level stub, made before any loop runs
        client = aio.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Echo"))
        return client, client.unary("echo")

    client, echo_call = made_outside()
    async with client:
        return_value.append(await echo_call(b"late"))
    assert return_value == [b"late"]


@aio_test
async def test_server_start_returns_the_running_server():
    async def echo(request):
        return request

    config = ServiceConfig(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(echo)]), host="127.0.0.1", port=0)
    server = await aio.Server(config).start()
    try:
        async with connect(f"tri://127.0.0.1:{server.port}/demo.Echo") as client:
            assert await client.unary("echo")(b"up") == b"up"
    finally:
        await server.stop(0)


@aio_test
async def test_the_server_is_an_async_context_manager():
    async def echo(request):
        return request

    config = ServiceConfig(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(echo)]), host="127.0.0.1", port=0)
    async with aio.Server(config) as server:
        async with connect(f"tri://127.0.0.1:{server.port}/demo.Echo") as client:
            assert await client.unary("echo")(b"in") == b"in"


def test_the_port_is_known_once_started():
    config = ServiceConfig(RpcServiceHandler("demo.Echo", []), host="127.0.0.1", port=0)
    with pytest.raises(RuntimeError, match="start"):
        aio.Server(config).port


def test_the_bootstrap_makes_asyncio_clients_and_servers():
    boot = aio.Dubbo(dubbo.ApplicationConfig(name="app"))
    config = ServiceConfig(RpcServiceHandler("demo.Echo", []), host="127.0.0.1", port=0)
    assert isinstance(boot.create_client(dubbo.ReferenceConfig.from_url("tri://127.0.0.1:1/demo.Echo")), aio.Client)
    assert isinstance(boot.create_server(config), aio.Server)


def test_dubbo_aio_offers_every_name_of_dubbo():
    """``from dubbo import aio as dubbo`` is the whole switch."""
    assert sorted(aio.__all__) == sorted(dubbo.__all__)
    shared = {"ApplicationConfig", "ReferenceConfig", "RegistryConfig", "ServiceConfig", "EOF", "RpcError",
              "RpcMethodHandler", "RpcServiceHandler", "server_context", "Interceptor", "TlsConfig"}
    assert all(getattr(aio, name) is getattr(dubbo, name) for name in shared)


@aio_test
async def test_future_starts_a_call_to_await_read_or_cancel_later(any_serve):
    gate = asyncio.Event()

    async def held(request):
        await asyncio.wait_for(gate.wait(), 10)
        return request

    async def release(request):
        gate.set()
        return b""

    server = any_serve(RpcServiceHandler("demo.F", [RpcMethodHandler.unary(held), RpcMethodHandler.unary(release)]))
    async with connect(f"tri://127.0.0.1:{server.port}/demo.F") as client:
        pending = client.unary("held").future(b"later")
        assert await pending.read(timeout=0.05) is None
        await client.unary("release")(b"")
        assert await pending.read(timeout=10) == b"later"
        assert await client.unary("held").future(b"again") == b"again"
