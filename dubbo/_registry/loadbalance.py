"""Choosing a provider for a call: Java Dubbo's load balancers (``AbstractLoadBalance`` and kin).

Every strategy weighs providers by their URL's ``weight`` (default 100, ``method.weight``
first), scaled down during the warm-up (``warmup`` ms, default 10 min, from the provider's
``timestamp``), never below 1. ``random`` (the default) picks in proportion to weight;
``roundrobin`` is nginx's smooth weighted round robin per method; ``leastactive`` prefers
the fewest calls in flight; ``shortestresponse`` the lowest average success time × (in
flight + 1) over a 30 s window; ``consistenthash`` maps the request to a ring of 160
virtual nodes per provider, so equal requests go to the same provider.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["CallStats", "LOAD_BALANCES", "load_balance", "weight"]

DEFAULT_WEIGHT = 100
DEFAULT_WARMUP_MS = 600_000
ROUND_ROBIN_RECYCLE_MS = 60_000
SHORTEST_RESPONSE_WINDOW_MS = 30_000
DEFAULT_HASH_NODES = 160


def _now_ms() -> int:
    return int(time.time() * 1000)


class CallStats:
    """Java's ``RpcStatus`` for one provider and method: calls in flight, and successes with their time."""

    __slots__ = ("active", "succeeded", "succeeded_elapsed", "window_start", "window_succeeded", "window_elapsed", "_lock")

    def __init__(self) -> None:
        self.active = 0
        self.succeeded = 0
        self.succeeded_elapsed = 0.0
        self.window_start = time.monotonic()
        self.window_succeeded = 0
        self.window_elapsed = 0.0
        self._lock = threading.Lock()

    def begin(self) -> float:
        with self._lock:
            self.active += 1
        return time.monotonic()

    def end(self, started: float, succeeded: bool) -> None:
        elapsed = time.monotonic() - started
        with self._lock:
            self.active -= 1
            if succeeded:
                self.succeeded += 1
                self.succeeded_elapsed += elapsed
                self.window_succeeded += 1
                self.window_elapsed += elapsed

    def estimated_response(self) -> float:
        """Average success time in the current 30 s window × (in flight + 1); 0 with no successes."""
        with self._lock:
            if (time.monotonic() - self.window_start) * 1000 > SHORTEST_RESPONSE_WINDOW_MS:
                self.window_start = time.monotonic()
                self.window_succeeded = 0
                self.window_elapsed = 0.0
            if not self.window_succeeded:
                return 0.0
            return self.window_elapsed / self.window_succeeded * (self.active + 1)


def weight(invoker: Any, method: str, now_ms: Optional[int] = None) -> int:
    """``AbstractLoadBalance#getWeight``: the URL weight, scaled by uptime during warm-up."""
    url = invoker.url
    try:
        value = int(url.method_get(method, "weight", DEFAULT_WEIGHT))
    except ValueError:
        value = DEFAULT_WEIGHT
    if value > 0:
        try:
            timestamp = int(url.get("timestamp", "0"))
            warmup = int(url.get("warmup", str(DEFAULT_WARMUP_MS)))
        except ValueError:
            timestamp, warmup = 0, DEFAULT_WARMUP_MS
        if timestamp > 0:
            uptime = (now_ms or _now_ms()) - timestamp
            if uptime < 0:
                return 1
            if 0 < uptime < warmup:
                scaled = int(uptime / (warmup / value))
                value = max(1, min(scaled, value))
    return max(value, 0)


def _weighted_pick(invokers: Sequence[Any], weights: Sequence[int]) -> Any:
    """Pick in proportion to ``weights``; uniformly when they are all equal or all zero."""
    total = sum(weights)
    if total <= 0 or all(w == weights[0] for w in weights):
        return invokers[random.randrange(len(invokers))]
    offset = random.randrange(total)
    cumulative = 0
    for invoker, w in zip(invokers, weights):
        cumulative += w
        if offset < cumulative:
            return invoker
    return invokers[-1]


class RandomLoadBalance:
    """Weighted random (Java's default)."""

    def select(self, invokers: Sequence[Any], method: str, hash_key: bytes) -> Any:
        if len(invokers) == 1:
            return invokers[0]
        now = _now_ms()
        return _weighted_pick(invokers, [weight(i, method, now) for i in invokers])


class RoundRobinLoadBalance:
    """Smooth weighted round robin per method: ``current += weight``, pick the max, ``max -= total``."""

    def __init__(self) -> None:
        self._states: Dict[str, Dict[str, List[int]]] = {}  # method -> address -> [weight, current, last]
        self._lock = threading.Lock()

    def select(self, invokers: Sequence[Any], method: str, hash_key: bytes) -> Any:
        now = _now_ms()
        with self._lock:
            states = self._states.setdefault(method, {})
            total = 0
            best: Any = None
            best_state: Optional[List[int]] = None
            for invoker in invokers:
                w = weight(invoker, method, now)
                state = states.get(invoker.address)
                if state is None or state[0] != w:
                    state = states[invoker.address] = [w, 0, now]
                state[1] += w
                state[2] = now
                if best_state is None or state[1] > best_state[1]:
                    best, best_state = invoker, state
                total += w
            if len(states) != len(invokers):
                for address in [a for a, s in states.items() if now - s[2] > ROUND_ROBIN_RECYCLE_MS]:
                    del states[address]
            assert best_state is not None, "select needs at least one invoker"
            best_state[1] -= total
            return best


class LeastActiveLoadBalance:
    """Fewest calls in flight; ties broken by weighted random."""

    def select(self, invokers: Sequence[Any], method: str, hash_key: bytes) -> Any:
        now = _now_ms()
        least: Optional[int] = None
        chosen: List[Any] = []
        weights: List[int] = []
        for invoker in invokers:
            active = invoker.stats(method).active
            if least is None or active < least:
                least, chosen, weights = active, [invoker], [weight(invoker, method, now)]
            elif active == least:
                chosen.append(invoker)
                weights.append(weight(invoker, method, now))
        return chosen[0] if len(chosen) == 1 else _weighted_pick(chosen, weights)


class ShortestResponseLoadBalance:
    """Lowest estimated response time (average success time × (in flight + 1)); ties by weight."""

    def select(self, invokers: Sequence[Any], method: str, hash_key: bytes) -> Any:
        now = _now_ms()
        shortest: Optional[float] = None
        chosen: List[Any] = []
        weights: List[int] = []
        for invoker in invokers:
            estimate = invoker.stats(method).estimated_response()
            if shortest is None or estimate < shortest:
                shortest, chosen, weights = estimate, [invoker], [weight(invoker, method, now)]
            elif estimate == shortest:
                chosen.append(invoker)
                weights.append(weight(invoker, method, now))
        return chosen[0] if len(chosen) == 1 else _weighted_pick(chosen, weights)


def _ring_points(digest: bytes) -> Tuple[int, int, int, int]:
    # Java's ConsistentHashSelector#hash: four little-endian 32-bit words of the MD5 digest.
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in (0, 4, 8, 12))  # type: ignore[return-value]


class ConsistentHashLoadBalance:
    """An MD5 ring of ``hash.nodes`` (160) virtual nodes per provider, rebuilt when providers change.

    The hash key is the serialized request: for Triple's one-message calls that is the
    first (and only) argument, so equal requests reach the same provider. Streams that
    open without a request hash the empty key.
    """

    def __init__(self) -> None:
        self._rings: Dict[str, Tuple[Tuple[str, ...], List[int], List[Any]]] = {}
        self._lock = threading.Lock()

    def _ring(self, invokers: Sequence[Any], method: str) -> Tuple[List[int], List[Any]]:
        identity = tuple(i.address for i in invokers)
        ring = self._rings.get(method)
        if ring is not None and ring[0] == identity:
            return ring[1], ring[2]
        points: List[Tuple[int, Any]] = []
        for invoker in invokers:
            try:
                nodes = int(invoker.url.method_get(method, "hash.nodes", str(DEFAULT_HASH_NODES)))
            except ValueError:
                nodes = DEFAULT_HASH_NODES
            for i in range(max(nodes // 4, 1)):
                digest = hashlib.md5(f"{invoker.address}{i}".encode()).digest()
                points.extend((point, invoker) for point in _ring_points(digest))
        points.sort(key=lambda p: p[0])
        hashes, owners = [p[0] for p in points], [p[1] for p in points]
        with self._lock:
            self._rings[method] = (identity, hashes, owners)
        return hashes, owners

    def select(self, invokers: Sequence[Any], method: str, hash_key: bytes) -> Any:
        hashes, owners = self._ring(invokers, method)
        point = _ring_points(hashlib.md5(hash_key).digest())[0]
        index = bisect.bisect_left(hashes, point)
        return owners[index if index < len(owners) else 0]


LOAD_BALANCES = {
    "random": RandomLoadBalance,
    "roundrobin": RoundRobinLoadBalance,
    "leastactive": LeastActiveLoadBalance,
    "shortestresponse": ShortestResponseLoadBalance,
    "consistenthash": ConsistentHashLoadBalance,
}


def load_balance(name: Optional[str]) -> Any:
    """A new load balancer for ``name`` (``None``: random)."""
    try:
        return LOAD_BALANCES[(name or "random").lower()]()
    except KeyError:
        raise ValueError(f"unknown loadbalance {name!r}; choose one of {', '.join(LOAD_BALANCES)}") from None
