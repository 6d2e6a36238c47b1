"""Finding a consumer's providers at application level, as a Java 3.3 consumer does.

``/{group}/mapping/{interface}`` names the applications that serve the interface (or the
reference's ``provided-by`` does, ``ServiceNameMapping#getMappingByUrl``); each
application's instances are the children of ``/services/{app}`` (see instance.py for the
root); instances are grouped by ``dubbo.metadata.revision`` (``"0"`` or none: skipped), and
each revision's ``MetadataInfo`` is read once: from the metadata report at
``/{group}/metadata/{app}/{revision}`` when the instance says its storage is ``remote``,
else from the instance's MetadataServiceV2 (metadata_service.py). Every service in it whose
path is the consumer's interface becomes a provider URL at the instance's address, on the
service's port (else the ``dubbo.endpoints`` port of its protocol, else the instance's),
with the service's params (``ServiceInstancesChangedListener#doOnEvent``,
``getServiceUrlsCache``), and is matched like an interface-level provider.

The mapping, each application's children and each instance's data are watched; any change
re-reads them all, as Curator's ``ServiceCache`` and Java's mapping listener do. While
ZooKeeper is unreachable the last providers stay; after a reconnection everything is read
again. Metadata that cannot be read leaves its instances out, and the read is retried
10 s later (``submitRetryTask``); if no revision's metadata can be read, the last
providers stay.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from .._core.config import ReferenceConfig
from .instance import instance_dir, mapping_path, metadata_path
from .metadata import EMPTY_REVISION, STORAGE_TYPE, Instance, MetadataInfo, app_names
from .metadata_service import MetadataUnavailable, fetch_local_metadata
from .url import URL
from .zookeeper import NoNodeError, ZooKeeperRegistry, forget_watcher, mismatch, unreachable_errors

__all__ = ["ApplicationReader", "ApplicationSubscription", "PROVIDED_BY", "RETRY_S"]

log = logging.getLogger("dubbo.registry")

PROVIDED_BY = "provided-by"  # RegistryConstants.PROVIDED_BY
RETRY_S = 10.0  # ServiceInstancesChangedListener's retry of failed metadata reads


class ApplicationReader:
    """Reads a consumer's application-level providers from ZooKeeper; with ``watch``, leaves that
    watcher on every node it read (``watched`` lists them). Caches metadata by revision."""

    def __init__(self, client: Any, root: str, services_root: str, consumer: URL,
                 reference: Optional[ReferenceConfig] = None, watch: Optional[Callable[[Any], None]] = None) -> None:
        self.client = client
        self.root = root
        self.services_root = services_root
        self.consumer = consumer
        self.reference = reference
        self.watch = watch
        self.watched: Set[Tuple[str, bool]] = set()  # (path, children?) carrying ``watch``
        provided_by = consumer.get(PROVIDED_BY) or (reference.parameters.get(PROVIDED_BY) if reference else None)
        self.provided_by = app_names(provided_by) if provided_by else None
        self._metadata: Dict[Tuple[str, str], MetadataInfo] = {}

    def applications(self) -> List[str]:
        """The applications serving the consumer's interface: ``provided-by``, else the mapping."""
        if self.provided_by is not None:
            return self.provided_by
        path = mapping_path(self.root, self.consumer.interface)
        try:
            data, _ = self.client.get(path, watch=self.watch)
        except NoNodeError:
            self._watched(path, False)
            if self.client.exists(path, watch=self.watch) is not None:
                return self.applications()  # created meanwhile
            return []
        self._watched(path, False)
        return app_names(data.decode("utf-8", "replace"))

    def instances(self, app: str) -> List[Instance]:
        """The application's instances (unreadable nodes are logged and skipped)."""
        path = instance_dir(self.services_root, app)
        try:
            children = self.client.get_children(path, watch=self.watch)
        except NoNodeError:
            self._watched(path, False)
            if self.client.exists(path, watch=self.watch) is not None:
                return self.instances(app)
            return []
        self._watched(path, True)
        instances = []
        for child in children:
            node = f"{path}/{child}"
            try:
                data, _ = self.client.get(node, watch=self.watch)
            except NoNodeError:
                continue
            self._watched(node, False)
            try:
                instances.append(Instance.from_json(data))
            except ValueError as error:
                log.debug("registry: skipping instance node %s: %s", node, error)
        return instances

    def _watched(self, path: str, children: bool) -> None:
        if self.watch is not None:
            self.watched.add((path, children))

    def metadata(self, instances: Sequence[Instance], revision: str) -> Optional[MetadataInfo]:
        """A revision's metadata: cached, else from the report or an instance; ``None`` if unavailable."""
        app = instances[0].name
        metadata = self._metadata.get((app, revision))
        if metadata is not None:
            return metadata
        for instance in instances:
            try:
                if instance.metadata.get(STORAGE_TYPE) == "remote":
                    data, _ = self.client.get(metadata_path(self.root, app, revision))
                    metadata = MetadataInfo.from_json(data.decode("utf-8"))
                else:
                    metadata = fetch_local_metadata(instance, revision, self.reference)
                break
            except NoNodeError:
                log.warning("registry: no metadata for %s revision %s in the metadata report", app, revision)
                return None
            except (ValueError, KeyError, TypeError, MetadataUnavailable) as error:
                log.warning("registry: cannot read the metadata of %s revision %s: %s", app, revision, error)
        if metadata is not None:
            self._metadata[(app, revision)] = metadata
        return metadata

    def providers(self, instances: Sequence[Instance]) -> Tuple[List[URL], int, int]:
        """The matching provider URLs, and how many revisions failed and resolved."""
        by_revision: Dict[Tuple[str, str], List[Instance]] = {}
        for instance in instances:
            revision = instance.revision
            if not revision or revision == EMPTY_REVISION:
                log.debug("registry: skipping instance %s of %s: no revision", instance.id, instance.name)
                continue
            by_revision.setdefault((instance.name, revision), []).append(instance)
        providers: List[URL] = []
        failed = resolved = 0
        for (_, revision), group in by_revision.items():
            metadata = self.metadata(group, revision)
            if metadata is None:
                failed += 1
                continue
            resolved += 1
            for info in metadata.services.values():
                if info.path != self.consumer.interface:
                    continue
                for instance in group:
                    port = info.port if info.port > 0 else instance.endpoint_port(info.protocol)
                    url = info.provider_url(instance.address, port)
                    if "timestamp" in instance.metadata and "timestamp" not in url.parameters:
                        # InstanceAddressURL reads keys a service lacks from the instance (warm-up needs this one).
                        url = URL(url.protocol, url.host, url.port, url.path,
                                  {**url.parameters, "timestamp": instance.metadata["timestamp"]})
                    why = mismatch(self.consumer, url)
                    if why is None:
                        providers.append(url)
                    else:
                        log.debug("registry: skipping provider %s of application %s for %s: %s",
                                  url, instance.name, self.consumer.interface, why)
        return providers, failed, resolved


class ApplicationSubscription:
    """Calls ``listener(providers)`` with the consumer's application-level providers, now and on every change."""

    def __init__(self, registry: ZooKeeperRegistry, consumer: URL, listener: Callable[[List[URL]], None],
                 reference: Optional[ReferenceConfig] = None) -> None:
        self._registry = registry
        self._consumer = consumer
        self._listener = listener
        self._reader = ApplicationReader(registry.client, registry.root, registry.services_root, consumer,
                                         reference, watch=self._on_event)
        self._lock = threading.Lock()
        self._closed = False
        self._pending = False
        self._retry: Optional[threading.Timer] = None
        self.applications: List[str] = []
        self.providers: List[URL] = []
        registry.add_subscription(self)
        self.refresh()

    def refresh(self, event: object = None) -> None:
        """Re-read the mapping, the instances and any metadata not read yet; tell the listener."""
        with self._lock:
            self._pending = False
            if self._closed:
                return
            reader = self._reader
            try:
                apps = reader.applications()
                instances = [i for app in apps for i in reader.instances(app)]
            except unreachable_errors() as error:
                log.debug("registry: cannot read application instances for %s (%s); keeping the last providers",
                          self._consumer.interface, error)
                return
            providers, failed, resolved = reader.providers(instances)
            if failed:
                self._schedule_retry()
                if not resolved:
                    return
            self.applications = list(apps)
            self.providers = providers
            self._listener(providers)

    def _on_event(self, event: object) -> None:
        # kazoo calls watchers on its one callback thread: re-read elsewhere, once per burst.
        if self._closed or self._pending:
            return
        self._pending = True
        self._registry.client.handler.spawn(self.refresh)

    def _schedule_retry(self) -> None:
        if self._retry is not None and self._retry.is_alive():
            return
        self._retry = threading.Timer(RETRY_S, self.refresh)
        self._retry.daemon = True
        self._retry.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            watched, self._reader.watched = self._reader.watched, set()
        if self._retry is not None:
            self._retry.cancel()
        for path, children in watched:
            forget_watcher(self._registry.client, path, self._on_event, children)
        self._registry.remove_subscription(self)
