"""Version and group routing, with Java's fallback order (exact, then 1.0.0, then first exported)."""

import grpc
import pytest

from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig

SERVICE = "demo.Versioned"


def _export(tag, version=None, group=None):
    handler = RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(lambda _: tag.encode(), "who")])
    return ServiceConfig(handler, host="127.0.0.1", port=0, version=version, group=group)


@pytest.fixture
def exports():
    # Exported in this order; "plain" is the first, so the bare path names it.
    return [
        _export("plain"),
        _export("v1", version="1.0.0"),
        _export("v2", version="2.0.0"),
        _export("a-v1", version="1.0.0", group="a"),
        _export("b-v2", version="2.0.0", group="b"),
    ]


def _who(connect, port, query=""):
    return connect(f"tri://127.0.0.1:{port}/{SERVICE}{query}").unary("who")(b"").decode()


def _one_port(exports):
    # all exports share the first one's port once it is bound: bind them together on 0
    return exports


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?version=2.0.0", "v2"),
        ("?version=1.0.0", "v1"),
        ("", "plain"),
        ("?group=a&version=1.0.0", "a-v1"),
        ("?group=b&version=2.0.0", "b-v2"),
        ("?version=9.9.9", "v1"),  # unknown version: falls back to 1.0.0
        ("?group=a&version=9.9.9", "a-v1"),  # ... within the group
        ("?group=b", "plain"),  # no b/path and no b/path:1.0.0: the bare path
        ("?group=zzz&version=2.0.0", "plain"),
    ],
)
def test_calls_land_where_javas_fallback_order_puts_them(serve, connect, exports, query, expected):
    server = serve(*exports)
    assert _who(connect, server.port, query) == expected


@pytest.mark.parametrize("query", ["?version=9.9.9", "?group=zzz", "?group=b"])
def test_strict_routing_answers_unimplemented_instead_of_falling_back(serve, connect, exports, query):
    server = serve(*exports, strict_routing=True)
    with pytest.raises(RpcError) as caught:
        _who(connect, server.port, query)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_strict_routing_still_serves_exact_matches(serve, connect, exports):
    server = serve(*exports, strict_routing=True)
    assert _who(connect, server.port, "?group=b&version=2.0.0") == "b-v2"
    assert _who(connect, server.port, "") == "plain"


def test_exporting_the_same_service_key_twice_is_refused(serve):
    with pytest.raises(ValueError, match="exported twice"):
        serve(_export("x", version="1.0.0"), _export("y", version="1.0.0"))
