"""Load balancing over three registered providers weighted 100, 200 and 300.

Bounds are statistical and wide (many standard deviations), never timing-based.
"""

from __future__ import annotations

import collections
import threading

import pytest

from dubbo._registry.loadbalance import DEFAULT_WARMUP_MS, RoundRobinLoadBalance, weight
from dubbo._registry.url import URL
from zookeeper import (  # noqa: F401  (fixtures)
    connect_registry,
    registry_config,
    start_provider,
    wait_until,
    zookeeper_server,
)

CALLS = 600


@pytest.fixture
def weighted(start_provider):
    return [start_provider(name, weight=w) for name, w in (("w100", 100), ("w200", 200), ("w300", 300))]


def spread(client, method="whoami", calls=CALLS, request=None):
    whoami = client.unary(method)
    return collections.Counter(whoami(request if request is not None else b"%d" % i).decode() for i in range(calls))


def test_random_is_the_default_and_follows_the_weights(weighted, connect_registry):
    counts = spread(connect_registry())
    # Expected 100 / 200 / 300; each bound is more than 5 standard deviations out.
    assert 40 <= counts["w100"] <= 165
    assert 120 <= counts["w200"] <= 280
    assert 220 <= counts["w300"] <= 380
    assert counts["w100"] < counts["w300"]


def test_round_robin_is_exactly_proportional(weighted, connect_registry):
    counts = spread(connect_registry(loadbalance="roundrobin"))
    assert counts == {"w100": 100, "w200": 200, "w300": 300}


def test_round_robin_is_smooth():
    class Invoker:
        def __init__(self, address, w):
            self.address = address
            self.url = URL("tri", address, 1, "s", {"weight": str(w)})

    invokers = [Invoker("a", 5), Invoker("b", 1), Invoker("c", 1)]
    balancer = RoundRobinLoadBalance()
    picks = "".join(balancer.select(invokers, "m", b"").address for _ in range(7))
    assert picks == "aabacaa"  # nginx's smooth sequence, not "aaaaabc"


def test_least_active_avoids_a_provider_with_a_call_in_flight(weighted, connect_registry):
    client = connect_registry(loadbalance="leastactive")
    block = client.unary("block").with_options(timeout=30)
    blocked = threading.Thread(target=block, args=(b"",))
    blocked.start()
    busy = wait_until(lambda: [p for p in weighted if p.calls.get("block")], "the blocking call arrived")[0]
    for provider in weighted:
        if provider is not busy:
            provider.gate.set()  # the other two answer "block" at once
    try:
        counts = spread(client, "block", calls=60)
    finally:
        busy.gate.set()
        blocked.join(30)
    assert busy.name not in counts and sum(counts.values()) == 60


def test_least_active_follows_the_weights_when_nothing_is_in_flight(weighted, connect_registry):
    counts = spread(connect_registry(loadbalance="leastactive"))
    assert 40 <= counts["w100"] <= 165 and 220 <= counts["w300"] <= 380


def test_shortest_response_moves_away_from_a_slow_provider(start_provider, connect_registry):
    start_provider("slow", delay=0.05)
    start_provider("fast1")
    start_provider("fast2")
    counts = spread(connect_registry(loadbalance="shortestresponse"), calls=200)
    assert counts["slow"] < 40  # once measured as slow it loses every comparison; picked only on ties


def test_consistent_hash_sends_equal_requests_to_one_provider(weighted, connect_registry):
    client = connect_registry(loadbalance="consistenthash")
    for key in (b"alice", b"bob", b"carol"):
        assert len(spread(client, calls=30, request=key)) == 1
    # Different keys spread over the ring (weights do not apply).
    assert len(spread(client, calls=300)) == 3


def test_load_balance_can_be_set_per_method(weighted, connect_registry):
    for provider in weighted:
        provider.gate.set()
    client = connect_registry(parameters={"whoami.loadbalance": "consistenthash"})
    assert len(spread(client, "whoami", calls=50, request=b"same")) == 1
    assert len(spread(client, "block", calls=300, request=b"same")) == 3  # the reference's random


def test_unknown_load_balance_is_refused_at_creation(weighted, connect_registry):
    with pytest.raises(ValueError, match="unknown loadbalance"):
        connect_registry(loadbalance="fastest")


def test_warm_up_scales_weight_with_uptime():
    now = 1_000_000_000_000

    class Invoker:
        def __init__(self, uptime_ms, **params):
            self.url = URL("tri", "h", 1, "s", {"timestamp": str(now - uptime_ms), **params})

    assert weight(Invoker(DEFAULT_WARMUP_MS // 2), "m", now) == 50
    assert weight(Invoker(DEFAULT_WARMUP_MS * 2), "m", now) == 100
    assert weight(Invoker(1), "m", now) == 1
    assert weight(Invoker(30_000, weight="400", warmup="60000"), "m", now) == 200
    assert weight(Invoker(10, warmup="0"), "m", now) == 100
    assert weight(Invoker(10, **{"weight": "10", "m.weight": "70", "warmup": "0"}), "m", now) == 70
