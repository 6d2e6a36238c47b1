"""The ZooKeeper registry, laid out as Java Dubbo lays it out (interface-level discovery).

``/{group}/{encoded interface}/{providers|consumers|configurators|routers}/{encoded URL}``;
provider and consumer nodes are ephemeral, so they vanish with the process's session. One
kazoo client is shared by every server and client made from equal ``RegistryConfig`` s and
closed when the last one lets go. After a session expiry every node is written again and
every subscription re-read; while ZooKeeper is unreachable subscribers keep what they had.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

import grpc

from .._core.config import RegistryConfig
from .._core.errors import RpcError
from .url import URL, decode, encode, local_host

try:
    from kazoo.client import KazooClient, KazooState
    from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError
    from kazoo.handlers.threading import KazooTimeoutError
    from kazoo.security import CREATOR_ALL_ACL

    _UNREACHABLE = (KazooException, KazooTimeoutError)
except ImportError:  # pragma: no cover - exercised only without the extra
    KazooClient = None

__all__ = [
    "ZooKeeperRegistry",
    "acquire_registry",
    "is_match",
    "mismatch",
    "unreachable",
    "unreachable_errors",
    "services_root_of",
    "forget_watcher",
    "BadVersionError",
    "NodeExistsError",
    "NoNodeError",
]

log = logging.getLogger("dubbo.registry")

PROVIDERS, CONSUMERS, CONFIGURATORS, ROUTERS = "providers", "consumers", "configurators", "routers"
SUBSCRIBED = (PROVIDERS, CONFIGURATORS, ROUTERS)  # Java's RegistryConstants.ALL_CATEGORIES
DEFAULT_GROUP = "dubbo"
SERVICES_ROOT = "/services"
DEFAULT_SESSION_MS = 60_000  # Java's zookeeper session default
DEFAULT_CONNECT_MS = 30_000  # Java's zookeeper connect timeout default

Listener = Callable[[List[URL], List[URL]], None]  # (matching providers, configurators)


def _is_any(value: Optional[str]) -> bool:
    return value == "*"


def mismatch(consumer: URL, provider: URL) -> Optional[str]:
    """Why ``provider`` does not serve ``consumer`` (``None`` if it does): Java's
    ``UrlUtils.isMatch`` for a provider URL, plus ``toInvokers``' protocol filter.

    Interface equal (or ``*``); category ``providers``; not ``enabled=false``; group equal,
    ``*`` or in the consumer's comma list; version equal or ``*``; the protocol one of the
    consumer's ``protocol`` list.
    """
    wanted, offered = consumer.interface, provider.interface
    if not (_is_any(wanted) or _is_any(offered) or wanted == offered):
        return f"interface {offered!r} is not {wanted!r}"
    category = provider.get("category", PROVIDERS)
    if category != PROVIDERS:
        return f"category {category!r} is not {PROVIDERS!r}"
    if provider.get("enabled", "true") == "false" and not _is_any(consumer.get("enabled")):
        return "enabled=false"
    group, provider_group = consumer.get("group"), provider.get("group")
    if not (_is_any(group) or group == provider_group or (group and provider_group in group.split(","))):
        return f"group {provider_group!r} is not {group!r}"
    version, provider_version = consumer.get("version"), provider.get("version")
    if not (_is_any(version) or version == provider_version):
        return f"version {provider_version!r} is not {version!r}"
    protocols = consumer.get("protocol")
    if protocols is not None and provider.protocol not in protocols.split(","):
        return f"protocol {provider.protocol!r} is not {protocols!r}"
    return None


def is_match(consumer: URL, provider: URL) -> bool:
    """Whether ``provider`` serves ``consumer`` (see ``mismatch``)."""
    return mismatch(consumer, provider) is None


_NOT_OVERRIDDEN = frozenset(("category", "check", "dynamic", "enabled", "anyhost", "side", "interface"))


def configure(providers: Sequence[URL], configurators: Sequence[URL]) -> List[URL]:
    """Apply ``override://`` configurators (Java's ``OverrideConfigurator``): a matching host
    (or ``0.0.0.0``) and port (or none) gets the override's parameters; ``disabled=true``
    takes a provider out."""
    rules = [c for c in configurators if c.protocol == "override" and c.get("enabled", "true") != "false"]
    result = []
    for provider in providers:
        params = dict(provider.parameters)
        for rule in rules:
            if rule.host not in ("0.0.0.0", "*", provider.host) or rule.port not in (0, provider.port):
                continue
            params.update((k, v) for k, v in rule.parameters.items() if k not in _NOT_OVERRIDDEN)
        if params.get("disabled") == "true" or params.get("enabled") == "false":
            log.debug("registry: skipping provider %s: disabled by an override configurator", provider)
            continue
        result.append(URL(provider.protocol, provider.host, provider.port, provider.path, params) if rules else provider)
    return result


def services_root_of(group: str) -> str:
    """Where application instances live: Curator's base path, ``/services`` unless the registry
    names a group (``ZookeeperServiceDiscovery.DEFAULT_GROUP``, ``CuratorFrameworkUtils#getRootPath``)."""
    group = group or DEFAULT_GROUP
    if group == DEFAULT_GROUP:
        return SERVICES_ROOT
    return "" if group.strip("/") == "" else "/" + group.strip("/")


def unreachable_errors() -> Tuple[Type[BaseException], ...]:
    """The kazoo errors that mean ZooKeeper could not be reached (or answer) just now."""
    return _UNREACHABLE


def forget_watcher(client: "KazooClient", path: str, watcher: Callable, children: bool = True) -> None:
    """Drop a watcher kazoo holds for ``path`` (kazoo has no API for it), so no callback outlives its owner."""
    watchers = getattr(client, "_child_watchers" if children else "_data_watchers", {})
    watchers.get(path, set()).discard(watcher)


def unreachable(hosts: str, why: str) -> RpcError:
    """The error for a registry that cannot be reached: UNAVAILABLE, as for an unreachable server."""
    return RpcError(grpc.StatusCode.UNAVAILABLE, f"ZooKeeper at {hosts} is unreachable ({why})")


class _Subscription:
    """Watches one consumer's three categories and hands every change to its listener."""

    def __init__(self, registry: "ZooKeeperRegistry", consumer: URL, listener: Listener) -> None:
        self._registry = registry
        self._consumer = consumer
        self._listener = listener
        base = registry.service_dir(consumer.interface)
        self._paths = {category: f"{base}/{category}" for category in SUBSCRIBED}
        self._lock = threading.Lock()
        self._closed = False

    def refresh(self, event: object = None) -> None:
        """Re-read all categories (Java re-reads the full child list on every change)."""
        client = self._registry.client
        with self._lock:
            if self._closed:
                return
            children: Dict[str, List[str]] = {}
            try:
                for category, path in self._paths.items():
                    try:
                        children[category] = client.get_children(path, watch=self._on_event)
                    except NoNodeError:
                        client.ensure_path(path)
                        children[category] = client.get_children(path, watch=self._on_event)
            except _UNREACHABLE as error:
                # Unreachable: keep the last providers; the reconnect triggers a refresh.
                log.debug("registry: cannot read %s (%s); keeping the last providers", self._paths, error)
                return
            matched = [u for u in _parse_all(children[PROVIDERS]) if self._serves(u)]
            self._listener(matched, _parse_all(children[CONFIGURATORS]))

    def _serves(self, provider: URL) -> bool:
        """Whether ``provider`` is one for this consumer; the ones that are not are logged, with why."""
        if provider.protocol == "empty":  # Java's marker of an empty category
            return False
        why = mismatch(self._consumer, provider)
        if why is not None:
            log.debug("registry: skipping provider %s for %s: %s", provider, self._consumer.interface, why)
        return why is None

    def _on_event(self, event: object) -> None:
        # kazoo calls watchers on its one callback thread: re-read elsewhere.
        if not self._closed:
            self._registry.client.handler.spawn(self.refresh)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        for path in self._paths.values():
            forget_watcher(self._registry.client, path, self._on_event)
        self._registry.remove_subscription(self)


def _parse_all(children: Sequence[str]) -> List[URL]:
    urls = []
    for child in children:
        try:
            urls.append(URL.parse(decode(child)))
        except ValueError as error:
            log.debug("registry: skipping node %r: %s", child, error)
    return urls


class ZooKeeperRegistry:
    """Registers URLs as ephemeral nodes and watches providers; shared and reference-counted."""

    def __init__(self, config: RegistryConfig) -> None:
        if KazooClient is None:
            raise ImportError(
                "the ZooKeeper registry needs kazoo: pip install 'dubbo-grpcio[registry]' (or pip install kazoo)"
            )
        if config.protocol != "zookeeper":
            raise ValueError(f"unsupported registry {config.protocol!r}: only zookeeper:// is implemented")
        group = config.group or DEFAULT_GROUP
        self.root = "" if group.strip("/") == "" else "/" + group.strip("/")
        self.services_root = services_root_of(group)
        session_ms = int(config.parameters.get("session", DEFAULT_SESSION_MS))
        connect_ms = config.timeout or DEFAULT_CONNECT_MS
        auth = None
        acl = None
        if config.username or config.password:
            # Java's Curator client: digest auth, and nodes readable and writable only by their creator.
            auth = [("digest", f"{config.username or ''}:{config.password or ''}")]
            acl = CREATOR_ALL_ACL
        hosts = ",".join(config.addresses or [f"{config.host}:{config.port or 2181}"])
        self.client = KazooClient(
            hosts=hosts,
            timeout=session_ms / 1000.0,
            auth_data=auth,
            default_acl=acl,
            # Keep trying to reconnect, at most 2 s apart (kazoo's default backs off to an hour).
            connection_retry={"max_tries": -1, "delay": 0.1, "backoff": 2, "max_delay": 2},
            command_retry={"max_tries": 3, "delay": 0.1, "backoff": 2, "max_delay": 1},
        )
        self._node_data = local_host().encode()
        self._registered: Dict[str, None] = {}
        self._subscriptions: set = set()
        self._recoveries: List[Callable[[], None]] = []
        self._session_lost = False
        self._closed = False
        self._lock = threading.Lock()
        try:
            self.client.start(timeout=connect_ms / 1000.0)
        except KazooTimeoutError:
            self.client.close()
            raise unreachable(hosts, f"no answer within {connect_ms / 1000.0:.1f} s") from None
        except Exception as error:
            self.client.close()
            raise unreachable(hosts, str(error) or type(error).__name__) from None
        self.client.add_listener(self._on_state)
        self._identity: Tuple = ()
        self._users = 0

    def service_dir(self, interface: str) -> str:
        return f"{self.root}/{encode(interface)}"

    def node_path(self, url: URL, category: str) -> str:
        return f"{self.service_dir(url.interface)}/{category}/{encode(url.to_full_string())}"

    def register(self, url: URL, category: str = PROVIDERS) -> str:
        """Write ``url`` as an ephemeral node (replacing one left by an earlier session)."""
        path = self.node_path(url, category)
        with self._lock:
            self._registered[path] = None
        self.create_ephemeral(path)
        return path

    def unregister(self, path: str) -> None:
        with self._lock:
            self._registered.pop(path, None)
        try:
            self.client.retry(self.client.delete, path)
        except NoNodeError:
            pass
        except _UNREACHABLE as error:
            # The session ends with the process (or expires), taking the node with it.
            log.warning("registry: could not delete %s now (%s); it goes when the session ends", path, error)

    def subscribe(self, consumer: URL, listener: Listener) -> _Subscription:
        """Call ``listener(providers, configurators)`` now and on every change."""
        subscription = _Subscription(self, consumer, listener)
        self.add_subscription(subscription)
        subscription.refresh()
        return subscription

    def add_subscription(self, subscription: Any) -> None:
        """Have ``subscription.refresh()`` called after every reconnection."""
        self._subscriptions.add(subscription)

    def remove_subscription(self, subscription: Any) -> None:
        self._subscriptions.discard(subscription)

    def add_recovery(self, recover: Callable[[], None]) -> None:
        """Have ``recover()`` called after a session expiry, before the registered nodes are rewritten."""
        with self._lock:
            self._recoveries.append(recover)

    def remove_recovery(self, recover: Callable[[], None]) -> None:
        with self._lock:
            if recover in self._recoveries:
                self._recoveries.remove(recover)

    def create_ephemeral(self, path: str, data: Optional[bytes] = None) -> None:
        """Create an ephemeral node (and its parents), taking over one an earlier session left."""
        data = self._node_data if data is None else data
        session_id = self.client.client_id[0] if self.client.client_id else None
        try:
            self.client.retry(self.client.create, path, data, ephemeral=True, makepath=True)
        except NodeExistsError:
            stat = self.client.exists(path)
            if stat is not None and stat.ephemeralOwner == session_id:
                return
            # Left by an earlier session that has not expired yet: take it over, as Java does.
            try:
                self.client.delete(path)
            except NoNodeError:
                pass
            self.client.retry(self.client.create, path, data, ephemeral=True, makepath=True)

    def _on_state(self, state: str) -> None:
        # Called on kazoo's connection thread: never block here.
        if state == KazooState.LOST:
            self._session_lost = True
        elif state == KazooState.CONNECTED and not self._closed:
            lost, self._session_lost = self._session_lost, False
            self.client.handler.spawn(self._recover, lost)

    def _recover(self, session_lost: bool) -> None:
        if session_lost:
            with self._lock:
                paths = list(self._registered)
                recoveries = list(self._recoveries)
            for recover in recoveries:
                try:
                    recover()
                except _UNREACHABLE as error:
                    log.warning("registry: could not re-register an application instance (%s)", error)
            for path in paths:
                try:
                    self.create_ephemeral(path)
                except _UNREACHABLE as error:
                    log.warning("registry: could not re-register %s (%s)", path, error)
        for subscription in list(self._subscriptions):
            subscription.refresh()

    def close(self) -> None:
        self._closed = True
        self.client.remove_listener(self._on_state)
        self.client.stop()
        self.client.close()

    def release(self) -> None:
        """Let go of a registry from ``acquire_registry``; the last user closes it."""
        with _shared_lock:
            self._users -= 1
            if self._users > 0:
                return
            _shared.pop(self._identity, None)
        self.close()


_shared: Dict[Tuple, ZooKeeperRegistry] = {}
_shared_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """At exit, end the sessions so this process's nodes go now, not a session timeout later."""
    with _shared_lock:
        registries = list(_shared.values())
        _shared.clear()
    for registry in registries:
        try:
            registry.close()
        except Exception:  # noqa: BLE001 - exiting anyway
            pass


def acquire_registry(config: RegistryConfig) -> ZooKeeperRegistry:
    """The registry for ``config``, shared by every server and client that asks with an equal one."""
    identity = (  # what makes two configs share a session
        config.protocol,
        tuple(config.addresses or [f"{config.host}:{config.port}"]),
        config.group,
        config.username,
        config.password,
        config.timeout,
        config.parameters.get("session"),
    )
    with _shared_lock:
        registry = _shared.get(identity)
        if registry is None:
            registry = ZooKeeperRegistry(config)
            registry._identity = identity
            _shared[identity] = registry
        registry._users += 1
        return registry
