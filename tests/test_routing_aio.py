"""Version and group routing on the asyncio server: the sync server's router, Java's fallback order."""

import grpc
import pytest

from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig

from aio_support import aio_serve, aio_test, connect  # noqa: F401

SERVICE = "demo.Versioned"


def _export(tag, version=None, group=None):
    async def who(request):
        return tag.encode()

    handler = RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(who, "who")])
    return ServiceConfig(handler, host="127.0.0.1", port=0, version=version, group=group)


@pytest.fixture
def exports():
    return [
        _export("plain"),
        _export("v1", version="1.0.0"),
        _export("v2", version="2.0.0"),
        _export("a-v1", version="1.0.0", group="a"),
        _export("b-v2", version="2.0.0", group="b"),
    ]


async def _who(port, query=""):
    async with connect(f"tri://127.0.0.1:{port}/{SERVICE}{query}") as client:
        return (await client.unary("who")(b"")).decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?version=2.0.0", "v2"),
        ("?version=1.0.0", "v1"),
        ("", "plain"),
        ("?group=a&version=1.0.0", "a-v1"),
        ("?group=b&version=2.0.0", "b-v2"),
        ("?version=9.9.9", "v1"),
        ("?group=a&version=9.9.9", "a-v1"),
        ("?group=b", "plain"),
        ("?group=zzz&version=2.0.0", "plain"),
    ],
)
@aio_test
async def test_calls_land_where_javas_fallback_order_puts_them(aio_serve, exports, query, expected):
    server = aio_serve(*exports)
    assert await _who(server.port, query) == expected


@pytest.mark.parametrize("query", ["?version=9.9.9", "?group=zzz", "?group=b"])
@aio_test
async def test_strict_routing_answers_unimplemented_instead_of_falling_back(aio_serve, exports, query):
    server = aio_serve(*exports, strict_routing=True)
    with pytest.raises(RpcError) as caught:
        await _who(server.port, query)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED


@aio_test
async def test_strict_routing_still_serves_exact_matches(aio_serve, exports):
    server = aio_serve(*exports, strict_routing=True)
    assert await _who(server.port, "?group=b&version=2.0.0") == "b-v2"
    assert await _who(server.port, "") == "plain"


def test_exporting_the_same_service_key_twice_is_refused():
    from dubbo import aio

    with pytest.raises(ValueError, match="twice"):
        aio.Server([_export("x", version="1.0.0"), _export("y", version="1.0.0")])
