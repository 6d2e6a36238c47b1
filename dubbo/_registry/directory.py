"""The providers a reference can call right now, kept in step with the registry.

Each provider is an ``Invoker``: its URL, a channel to its address (from the ``Channels``
the directory is given: the sync client's shared pool, or an asyncio client's own), its
stubs (made once per method) and its call statistics. A provider that leaves is retired:
its channel is let go once the calls running on it have finished, so unregistering a
server never cuts the calls it is still serving.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Protocol, Tuple

from .._core.triple import SERVICE_GROUP, SERVICE_VERSION
from .loadbalance import CallStats
from .migration import MigratingSubscription, MigrationRule
from .url import URL
from .zookeeper import ZooKeeperRegistry, configure

__all__ = ["Channels", "Invoker", "Directory", "Started"]

log = logging.getLogger("dubbo.registry")


Started = Tuple[CallStats, float]  # a call counted in: its method's statistics and its start time


class Channels(Protocol):
    """Where an invoker gets the channel to its provider's address, and gives it back."""

    def acquire(self, address: str) -> Any:
        """A channel-shaped object (``unary_unary`` and kin) to ``address``."""

    def release(self, address: str) -> None:
        """Give back one ``acquire``; the last one lets the channel close."""


class Invoker:
    """One provider: where it is, how to call it, and how it is doing."""

    def __init__(self, url: URL, service: str, channels: Channels,
                 stats: Optional[Dict[str, CallStats]] = None) -> None:
        self.url = url
        self.address = url.address
        self.path = url.path or service
        self._channels = channels
        self._channel: Any = channels.acquire(self.address)
        self._stubs: Dict[Tuple, Any] = {}
        self._timeouts: Dict[str, Optional[float]] = {}
        self._stats: Dict[str, CallStats] = stats if stats is not None else {}
        self._inflight = 0
        self._retired = False
        self._lock = threading.Lock()
        # Triple headers naming the provider's own version and group (the provider's win, as in Java).
        self.headers = tuple(
            (name, value) for name, value in ((SERVICE_VERSION, url.get("version")), (SERVICE_GROUP, url.get("group"))) if value
        )
        # A provider exported with a token is called with it, as Java consumers do.
        token = url.get("token")
        self.token: Tuple[Tuple[str, str], ...] = (("token", token),) if token else ()

    def stub(self, kind: str, method: str, serializer: Any, deserializer: Any) -> Any:
        """The grpc multicallable (``kind`` is a channel method name) for ``method``, made on first use."""
        signature = (kind, method, serializer, deserializer)
        stub = self._stubs.get(signature)
        if stub is None:
            factory = getattr(self._channel, kind)
            stub = self._stubs[signature] = factory(f"/{self.path}/{method}", serializer, deserializer)
        return stub

    def timeout(self, method: str) -> Optional[float]:
        """The provider's ``timeout`` for ``method`` in seconds (Java's precedence: after the
        consumer's own, before the 3000 ms default), or ``None``."""
        try:
            return self._timeouts[method]
        except KeyError:
            value = self.url.method_get(method, "timeout")
            try:
                seconds = int(value) / 1000.0 if value else None
            except ValueError:
                seconds = None
            self._timeouts[method] = seconds = seconds if seconds and seconds > 0 else None
            return seconds

    def stats(self, method: str) -> CallStats:
        stats = self._stats.get(method)
        if stats is None:
            stats = self._stats.setdefault(method, CallStats())
        return stats

    def begin(self, method: str) -> Optional[Started]:
        """Count a call in; ``None`` if this provider has already gone (pick another)."""
        with self._lock:
            if self._channel is None:
                return None
            self._inflight += 1
        stats = self.stats(method)
        return stats, stats.begin()

    def end(self, started: Started, succeeded: bool) -> None:
        started[0].end(started[1], succeeded)
        with self._lock:
            self._inflight -= 1
            last = self._retired and self._inflight == 0
        if last:
            self._release()

    def retire(self) -> None:
        """Leave the directory; the channel goes when no call runs on it."""
        with self._lock:
            if self._retired:
                return
            self._retired = True
            idle = self._inflight == 0
        if idle:
            self._release()

    def _release(self) -> None:
        with self._lock:
            if self._channel is None:
                return
            self._channel = None
        self._channels.release(self.address)

    def __repr__(self) -> str:
        return f"Invoker({self.url})"


class Directory:
    """The invokers of one reference, replaced as a whole on every registry change; from the
    interface or the application level as the migration ``rule`` decides (migration.py)."""

    def __init__(self, registry: ZooKeeperRegistry, subscription_url: URL, reference: Any, channels: Channels,
                 rule: MigrationRule = MigrationRule()) -> None:
        self._service = reference.service
        self._channels = channels
        self._lock = threading.Lock()
        self._closed = False
        self.invokers: Tuple[Invoker, ...] = ()
        self._subscription = MigratingSubscription(registry, subscription_url, self._update, rule, reference)

    def _update(self, providers: List[URL], configurators: List[URL]) -> None:
        providers = configure(providers, configurators)
        with self._lock:
            if self._closed:
                return
            current = {invoker.address: invoker for invoker in self.invokers}
            fresh: Dict[str, Invoker] = {}
            for url in providers:
                if url.address in fresh:  # one invoker per address, as Java keys invokers by URL
                    log.debug("registry: skipping provider %s: %s is already listed", url, url.address)
                    continue
                old = current.get(url.address)
                if old is not None and old.url == url:
                    fresh[url.address] = old
                else:
                    stats = old._stats if old is not None else None  # a changed URL keeps the statistics
                    fresh[url.address] = Invoker(url, self._service, self._channels, stats)
            gone = [i for i in current.values() if fresh.get(i.address) is not i]
            self.invokers = tuple(fresh.values())
        for invoker in gone:
            invoker.retire()

    def close(self) -> None:
        self._subscription.close()
        with self._lock:
            self._closed = True
            invokers, self.invokers = self.invokers, ()
        for invoker in invokers:
            invoker.retire()
