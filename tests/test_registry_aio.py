"""dubbo.aio with a registry: asyncio clients find and balance over providers on channels of
their own; an asyncio server registers its services and leaves the registry on stop.

The cluster modes, which both stacks share, are tested on both in test_cluster.py."""

import asyncio

import grpc
import pytest

import dubbo
from dubbo import ReferenceConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio

from aio_support import aio_serve, aio_test  # noqa: F401
from dubbo._registry.channel_pool import open_addresses
from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    registry_config,
    start_provider,
    wait_until,
    zookeeper_server,
)

pytest.importorskip("kazoo")


def _client(registry_config, **fields) -> aio.Client:
    return aio.Dubbo(registry_config=registry_config).create_client(ReferenceConfig(service=SERVICE, **fields))


@aio_test
async def test_an_asyncio_client_spreads_calls_over_the_registrys_providers(start_provider, registry_config):
    providers = [start_provider(name) for name in ("a", "b")]
    async with _client(registry_config, loadbalance="roundrobin") as client:
        whoami = client.unary("whoami")
        await asyncio.get_running_loop().run_in_executor(
            None, wait_until, lambda: len(client._channel.directory.invokers) == 2, "both providers listed"
        )
        answers = [await whoami(b"") for _ in range(6)]
    assert sorted(set(answers)) == [b"a", b"b"]
    assert all(p.calls.get("whoami") for p in providers)


@aio_test
async def test_streams_through_the_registry_use_one_provider(start_provider, registry_config):
    start_provider("only")
    async with _client(registry_config) as client:
        await asyncio.get_running_loop().run_in_executor(
            None, wait_until, lambda: client._channel.directory.invokers, "the provider listed"
        )
        assert [m async for m in client.server_stream("count")(b"")] == [b"only:0", b"only:1", b"only:2"]
        assert [m async for m in client.bidi_stream("echo")([b"x", b"y"])] == [b"only:x", b"only:y"]
        assert await client.client_stream("total")([b"1", b"2"]) == b"only:2"


@aio_test
async def test_an_asyncio_server_registers_and_unregisters_its_services(registry_config):
    async def whoami(request):
        return b"aio"

    service = RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(whoami)])
    server = await aio.Dubbo(registry_config=registry_config).create_server(ServiceConfig(service, port=0)).start()
    sync_client = dubbo.Dubbo(registry_config=registry_config).create_client(ReferenceConfig(service=SERVICE))
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(
            None, wait_until, lambda: sync_client._channel.directory.invokers, "the aio provider listed"
        )
        assert await loop.run_in_executor(None, sync_client.unary("whoami"), b"") == b"aio"
        await server.stop(0)
        await loop.run_in_executor(
            None, wait_until, lambda: not sync_client._channel.directory.invokers, "the aio provider gone"
        )
    finally:
        await server.stop(0)
        sync_client.close()


@aio_test
async def test_a_provider_that_leaves_gets_no_more_calls_and_its_channel_closes(start_provider, registry_config):
    leaving, staying = start_provider("leaving"), start_provider("staying")
    loop = asyncio.get_running_loop()
    async with _client(registry_config, loadbalance="roundrobin") as client:
        cluster = client._channel
        await loop.run_in_executor(None, wait_until, lambda: len(cluster.directory.invokers) == 2, "both listed")
        assert {await client.unary("whoami")(b"") for _ in range(4)} == {b"leaving", b"staying"}
        leaving.stop(0)
        await loop.run_in_executor(None, wait_until, lambda: len(cluster.directory.invokers) == 1, "one left")
        assert {await client.unary("whoami")(b"") for _ in range(4)} == {b"staying"}
        assert cluster.channels.open_addresses() == [cluster.directory.invokers[0].address]


@aio_test
async def test_an_asyncio_client_opens_no_sync_channel_to_its_providers(start_provider, registry_config):
    start_provider("a"), start_provider("b")
    loop = asyncio.get_running_loop()
    async with _client(registry_config, loadbalance="roundrobin") as client:
        cluster = client._channel
        await loop.run_in_executor(None, wait_until, lambda: len(cluster.directory.invokers) == 2, "both listed")
        assert {await client.unary("whoami")(b"") for _ in range(4)} == {b"a", b"b"}
        addresses = sorted(invoker.address for invoker in cluster.directory.invokers)
        assert cluster.channels.open_addresses() == addresses  # grpc.aio channels, the client's own
        assert not set(addresses) & set(open_addresses())  # and none from the sync client's pool


@aio_test
async def test_with_call_and_future_work_through_the_registry(start_provider, registry_config):
    start_provider("only")
    async with _client(registry_config) as client:
        await asyncio.get_running_loop().run_in_executor(
            None, wait_until, lambda: client._channel.directory.invokers, "the provider listed"
        )
        whoami = client.unary("whoami")
        response, result = await whoami.with_call(b"")
        assert response == b"only" and result.trailers == {}
        future = whoami.future(b"")
        assert await future == b"only"
        assert await future.code() is grpc.StatusCode.OK and await future.trailers() == {}


@aio_test
async def test_cancelling_the_awaiting_task_cancels_a_registry_call(start_provider, registry_config):
    provider = start_provider("only")
    async with _client(registry_config) as client:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, wait_until, lambda: client._channel.directory.invokers, "the provider listed")
        task = asyncio.ensure_future(client.unary("block")(b""))
        await loop.run_in_executor(None, wait_until, lambda: provider.calls.get("block"), "the call reached the handler")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        invoker = client._channel.directory.invokers[0]
        await loop.run_in_executor(None, wait_until, lambda: invoker.stats("block").active == 0, "the call counted out")
