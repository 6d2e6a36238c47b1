"""Dubbo 3's application-level discovery formats, as Java 3.3 writes and reads them.

- ``MetadataInfo``: an application's services (``dubbo-metadata-api`` ``MetadataInfo``), keyed
  by match key ``[group/]interface[:version]:protocol``, and its revision: the lowercase hex MD5
  of the app name followed by each service's ``matchKey + port + path + TreeMap(params)``
  in key order (``MetadataInfo#calAndGetRevision``, ``ServiceInfo#toDescString``,
  ``MD5Utils#getMd5``). ``"0"`` is the revision of no services.
- The instance node's data: Curator x-discovery's ``ServiceInstance`` JSON (``JsonInstanceSerializer``
  in its default compatible mode, so no ``enabled``) whose payload is Dubbo's
  ``ZookeeperInstance`` (``@class``, ``id``, ``name``, ``metadata`` of strings only).
- The interface -> applications mapping: comma-joined names (``ServiceNameMapping#getAppNames``).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from .url import URL

__all__ = [
    "EMPTY_REVISION",
    "REVISION",
    "STORAGE_TYPE",
    "ENDPOINTS",
    "METADATA_SERVICE_PARAMS",
    "METADATA_SERVICE_VERSION",
    "INSTANCE_CLASS",
    "ServiceInfo",
    "MetadataInfo",
    "Instance",
    "instance_metadata",
    "app_names",
]

EMPTY_REVISION = "0"  # RevisionResolver.EMPTY_REVISION
# ServiceInstanceMetadataUtils' instance metadata keys
REVISION = "dubbo.metadata.revision"
STORAGE_TYPE = "dubbo.metadata.storage-type"
ENDPOINTS = "dubbo.endpoints"
METADATA_SERVICE_PARAMS = "dubbo.metadata-service.url-params"
METADATA_SERVICE_VERSION = "meta-v"
INSTANCE_CLASS = "org.apache.dubbo.registry.zookeeper.ZookeeperInstance"

# DefaultMetadataParamsFilter: provider URL keys kept out of a service's params, and the ones
# lifted into the instance's metadata instead.
_EXCLUDED_PARAMS = (
    "monitor", "bind.ip", "bind.port", "qos.enable", "qos.host", "qos.port", "qos.accept.foreign.ip",
    "validation", "interfaces", "pid", "timestamp", "heartbeat.timeout", "ipv6",
)
_INSTANCE_PARAMS = ("heartbeat.timeout", "timestamp", "ipv6")


def service_key(name: str, group: Optional[str], version: Optional[str]) -> str:
    """``BaseServiceMetadata.buildServiceKey``: ``[group/]name[:version]``."""
    key = f"{group}/{name}" if group else name
    return f"{key}:{version}" if version else key


def _excluded(key: str) -> bool:
    # DefaultMetadataParamsFilter is applied as ``key.equalsIgnoreCase(x) || key.contains("." + x)``.
    lowered = key.lower()
    return any(lowered == x or ("." + x) in key for x in _EXCLUDED_PARAMS)


def _java_map(params: Mapping[str, str]) -> str:
    """``new TreeMap<>(params).toString()``: ``{a=1, b=2}``."""
    return "{" + ", ".join(f"{k}={params[k]}" for k in sorted(params)) + "}"


@dataclass(frozen=True)
class ServiceInfo:
    """One exported service as ``MetadataInfo.ServiceInfo`` describes it."""

    name: str
    group: Optional[str]
    version: Optional[str]
    protocol: str
    port: int
    path: str
    params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, url: URL) -> "ServiceInfo":
        """The service a provider URL describes (``ServiceInfo(URL, filters)``)."""
        params = {k: v for k, v in url.parameters.items() if not _excluded(k)}
        return cls(url.interface, url.get("group"), url.get("version"), url.protocol, url.port,
                   url.path or url.interface, params)

    @property
    def match_key(self) -> str:
        return f"{service_key(self.name, self.group, self.version)}:{self.protocol}"

    def describe(self) -> str:
        """``toDescString``: what the revision hashes for this service."""
        return f"{self.match_key}{self.port}{self.path}{_java_map(self.params)}"

    def to_json(self) -> Dict[str, Any]:
        fields: Dict[str, Any] = {"name": self.name}
        if self.group:
            fields["group"] = self.group
        if self.version:
            fields["version"] = self.version
        params = {k: self.params[k] for k in sorted(self.params)}
        fields.update(protocol=self.protocol, port=self.port, path=self.path, params=params)
        return fields

    @classmethod
    def from_json(cls, fields: Mapping[str, Any]) -> "ServiceInfo":
        params = {str(k): str(v) for k, v in (fields.get("params") or {}).items()}
        return cls(str(fields["name"]), fields.get("group") or None, fields.get("version") or None,
                   str(fields.get("protocol") or ""), int(fields.get("port") or -1),
                   str(fields.get("path") or fields["name"]), params)

    def provider_url(self, host: str, port: int) -> URL:
        """The provider URL a consumer calls: this service at ``host:port``, its params as the URL's."""
        params = dict(self.params)
        params.setdefault("interface", self.name)
        for key, value in (("group", self.group), ("version", self.version)):
            if value:
                params[key] = value
        return URL(self.protocol, host, port, self.path, params)


@dataclass(frozen=True)
class MetadataInfo:
    """An application's services at one revision."""

    app: str
    services: Mapping[str, ServiceInfo] = field(default_factory=dict)  # match key -> service

    @classmethod
    def of(cls, app: str, urls: Sequence[URL]) -> "MetadataInfo":
        services = {}
        for url in urls:
            info = ServiceInfo.of(url)
            services[info.match_key] = info
        return cls(app, services)

    @property
    def revision(self) -> str:
        if not self.services:
            return EMPTY_REVISION
        text = self.app + "".join(self.services[key].describe() for key in sorted(self.services))
        return hashlib.md5(text.encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        """What the metadata report stores at ``/dubbo/metadata/{app}/{revision}``."""
        services = {key: self.services[key].to_json() for key in sorted(self.services)}
        return json.dumps({"app": self.app, "revision": self.revision, "services": services},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "MetadataInfo":
        document = json.loads(text)
        services = {}
        for value in (document.get("services") or {}).values():
            info = ServiceInfo.from_json(value)
            services[info.match_key] = info
        return cls(str(document.get("app") or ""), services)


def instance_metadata(services: Sequence[URL], metadata: MetadataInfo, storage_type: str) -> Dict[str, str]:
    """The instance metadata a Java provider writes: the revision and storage type
    (``AbstractServiceDiscovery#createServiceInstance``), ``dubbo.endpoints`` as a JSON string
    (``ProtocolPortsMetadataCustomizer``), the instance params (``timestamp``, ...) and ``meta-v``."""
    values: Dict[str, str] = {REVISION: metadata.revision, STORAGE_TYPE: storage_type}
    ports: Dict[str, int] = {}
    for url in services:
        ports[url.protocol] = url.port
        for key in _INSTANCE_PARAMS:
            if url.get(key):
                values[key] = str(url.get(key))
    values[ENDPOINTS] = json.dumps([{"port": p, "protocol": n} for n, p in ports.items()], separators=(",", ":"))
    values[METADATA_SERVICE_VERSION] = "2.0.0"  # MetadataServiceDelegationV2.VERSION
    return values


@dataclass(frozen=True)
class Instance:
    """One application instance: Curator's ``ServiceInstance`` with Dubbo's payload."""

    name: str
    address: str
    port: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    registration_ms: int = 0

    @property
    def id(self) -> str:
        """``CuratorFrameworkUtils#generateId``: ``host:port``, also the node's name."""
        return f"{self.address}:{self.port}"

    @property
    def revision(self) -> Optional[str]:
        return self.metadata.get(REVISION)

    def endpoint_port(self, protocol: str) -> int:
        """The port ``dubbo.endpoints`` gives ``protocol``, else the instance's own."""
        try:
            for endpoint in json.loads(self.metadata.get(ENDPOINTS) or "[]"):
                if endpoint.get("protocol") == protocol:
                    return int(endpoint["port"])
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
        return self.port

    def to_json(self) -> bytes:
        """The node's data, as ``JsonInstanceSerializer`` writes it (compatible mode: no ``enabled``)."""
        payload = {"@class": INSTANCE_CLASS, "id": self.id, "name": self.name,
                   "metadata": {k: str(self.metadata[k]) for k in sorted(self.metadata)}}
        document = {
            "name": self.name, "id": self.id, "address": self.address, "port": self.port, "sslPort": None,
            "payload": payload, "registrationTimeUTC": self.registration_ms or int(time.time() * 1000),
            "serviceType": "DYNAMIC", "uriSpec": None,
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Instance":
        """Read an instance node; raises ``ValueError`` for anything else."""
        try:
            document = json.loads(data)
            payload = document.get("payload") or {}
            metadata = payload.get("metadata") or {}
            return cls(str(document["name"]), str(document["address"]), int(document["port"]),
                       {str(k): str(v) for k, v in metadata.items() if v is not None},
                       int(document.get("registrationTimeUTC") or 0))
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a Curator service instance: {error}") from None


def app_names(content: Optional[str]) -> List[str]:
    """The applications of a mapping node, sorted (``ServiceNameMapping#getAppNames``)."""
    names: Set[str] = {name.strip() for name in (content or "").split(",")}
    return sorted(name for name in names if name)
