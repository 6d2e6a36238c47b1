"""A provider application's instance, as Java 3.3 registers it for application-level discovery.

One ``ApplicationInstance`` per application, advertised host and registry, shared by the
servers of that application in the process (Java has one instance per application): each
server adds its provider URLs and removes them on stop. A server exporting a service the
instance lists already (same match key) gets an instance of its own at its own port, as a
second Java process would, since ``MetadataInfo`` lists each service once. Whenever the services change, the
instance is published in Java's order (``AbstractServiceDiscovery#register``/``update``):

1. the ``MetadataInfo`` of the new revision at ``/{group}/metadata/{app}/{revision}``,
   persistent, written only if absent (``ZookeeperMetadataReport#publishAppMetadata``);
2. ``/{group}/mapping/{interface}``: persistent comma-joined applications, this one appended
   by compare-and-set on the node's version (``MetadataServiceNameMapping#map``);
3. the ephemeral instance node ``/services/{app}/{host}:{port}`` (``/{group}/...`` when the
   registry names a group other than ``dubbo``; Curator JSON, see metadata.py), created, or its data set when only the revision changed (Curator
   ``updateService``), or deleted when no service is left (revision ``"0"``).

Metadata storage is ``remote``: consumers read the metadata report, which Java consumers
with a ZooKeeper registry use as their metadata center by default, so no MetadataService
has to be served. After a session expiry the instance is published again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Dict, List, Optional, Tuple

from .metadata import Instance, MetadataInfo, ServiceInfo, instance_metadata
from .url import URL
from .zookeeper import BadVersionError, NodeExistsError, NoNodeError, ZooKeeperRegistry, unreachable_errors

__all__ = ["ApplicationInstance", "acquire_instance", "instance_dir", "mapping_path", "metadata_path", "REMOTE"]

log = logging.getLogger("dubbo.registry")

REMOTE = "remote"  # CommonConstants.REMOTE_METADATA_STORAGE_TYPE
_CAS_TRIES = 10
_CAS_WAIT_S = 0.1


def metadata_path(root: str, app: str, revision: str) -> str:
    """``ZookeeperMetadataReport#getNodePath`` of a ``SubscriberMetadataIdentifier``."""
    return f"{root}/metadata/{app}/{revision}"


def mapping_path(root: str, interface: str) -> str:
    """``ZookeeperMetadataReport#buildPathKey(DEFAULT_MAPPING_GROUP, interface)``."""
    return f"{root}/mapping/{interface}"


def instance_dir(services_root: str, app: str) -> str:
    """Curator's ``pathForName``: the application's node under the instances' root."""
    return f"{services_root}/{app}"


class ApplicationInstance:
    """The instance of ``app`` at ``host``; ``add``/``remove`` a server's URLs to republish it."""

    def __init__(self, registry: ZooKeeperRegistry, app: str, host: str) -> None:
        self.registry = registry
        self.app = app
        self.host = host
        self._services: Dict[int, List[URL]] = {}  # owner -> its provider URLs, in order
        self._published: Optional[Instance] = None
        self._mapped: set = set()
        self._lock = threading.RLock()
        self._users = 0
        registry.add_recovery(self._recover)

    def serves_any(self, urls: List[URL]) -> bool:
        """Whether one of ``urls`` is a service this instance already lists."""
        keys = {ServiceInfo.of(url).match_key for url in self.urls}
        return any(ServiceInfo.of(url).match_key in keys for url in urls)

    @property
    def urls(self) -> List[URL]:
        return [url for urls in self._services.values() for url in urls]

    @property
    def node_path(self) -> Optional[str]:
        """The instance node's path while it is registered."""
        published = self._published
        return None if published is None else f"{instance_dir(self.registry.services_root, self.app)}/{published.id}"

    def add(self, owner: int, urls: List[URL]) -> None:
        """Publish ``owner``'s URLs with the others (metadata, mapping, then the instance)."""
        with self._lock:
            self._services[owner] = list(urls)
            try:
                self._publish()
            except BaseException:
                del self._services[owner]
                raise

    def remove(self, owner: int) -> None:
        """Withdraw ``owner``'s URLs; the instance goes when none are left."""
        with self._lock:
            if self._services.pop(owner, None) is None:
                return
            try:
                self._publish()
            except unreachable_errors() as error:
                log.warning("registry: could not update the instance of %s now (%s)", self.app, error)

    def _publish(self) -> None:
        urls = self.urls
        metadata = MetadataInfo.of(self.app, urls)
        if not urls:
            self._delete()
            return
        self._write_metadata(metadata)
        for url in urls:
            self._map(url.interface)
        instance = Instance(self.app, self.host, urls[0].port, instance_metadata(urls, metadata, REMOTE))
        client = self.registry.client
        old = self._published
        if old is not None and old.id == instance.id:
            if old.metadata != instance.metadata:
                instance = Instance(instance.name, instance.address, instance.port, instance.metadata,
                                    old.registration_ms)
                client.retry(client.set, f"{instance_dir(self.registry.services_root, self.app)}/{instance.id}", instance.to_json())
                self._published = instance
            return
        self._delete()
        instance = Instance(instance.name, instance.address, instance.port, instance.metadata, int(time.time() * 1000))
        self.registry.create_ephemeral(f"{instance_dir(self.registry.services_root, self.app)}/{instance.id}", instance.to_json())
        self._published = instance

    def _delete(self) -> None:
        path, self._published = self.node_path, None
        if path is not None:
            try:
                self.registry.client.retry(self.registry.client.delete, path)
            except NoNodeError:
                pass

    def _write_metadata(self, metadata: MetadataInfo) -> None:
        client = self.registry.client
        path = metadata_path(self.registry.root, self.app, metadata.revision)
        if client.retry(client.exists, path) is not None:
            return
        try:
            client.retry(client.create, path, metadata.to_json().encode(), makepath=True)
        except NodeExistsError:
            pass

    def _map(self, interface: str) -> None:
        """Append this application to the interface's mapping, compare-and-set on the node version."""
        if interface in self._mapped:
            return
        client = self.registry.client
        path = mapping_path(self.registry.root, interface)
        for _ in range(_CAS_TRIES):
            try:
                data, stat = client.retry(client.get, path)
            except NoNodeError:
                try:
                    client.retry(client.create, path, self.app.encode(), makepath=True)
                    break
                except NodeExistsError:
                    continue
            content = data.decode()
            if self.app in (name.strip() for name in content.split(",")):
                break
            try:
                client.retry(client.set, path, f"{content},{self.app}".encode() if content else self.app.encode(),
                             version=stat.version)
                break
            except (BadVersionError, NoNodeError):
                time.sleep(random.random() * _CAS_WAIT_S)  # another application won the race: read again
        else:
            log.warning("registry: could not add %s to the mapping of %s", self.app, interface)
            return
        self._mapped.add(interface)

    def _recover(self) -> None:
        """After a session expiry: the instance node went with the session; publish it all again."""
        with self._lock:
            self._published = None
            self._mapped.clear()
            if self.urls:
                self._publish()

    def release(self) -> None:
        """Let go of an ``acquire_instance``; the last user withdraws the instance."""
        with _lock:
            self._users -= 1
            if self._users > 0:
                return
            shared = _instances.get((id(self.registry), self.app, self.host), [])
            if self in shared:
                shared.remove(self)
        self.registry.remove_recovery(self._recover)
        with self._lock:
            self._services.clear()
            try:
                self._delete()
            except unreachable_errors() as error:
                log.warning("registry: could not delete the instance of %s now (%s)", self.app, error)


_instances: Dict[Tuple[int, str, str], List[ApplicationInstance]] = {}
_lock = threading.Lock()


def acquire_instance(registry: ZooKeeperRegistry, app: str, host: str, urls: List[URL]) -> ApplicationInstance:
    """The instance of ``app`` at ``host`` in ``registry`` that can take ``urls``: one the
    application's other servers use, unless it lists one of these services already."""
    with _lock:
        shared = _instances.setdefault((id(registry), app, host), [])
        instance = next((i for i in shared if not i.serves_any(urls)), None)
        if instance is None:
            instance = ApplicationInstance(registry, app, host)
            shared.append(instance)
        instance._users += 1
        return instance
