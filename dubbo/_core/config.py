"""Configuration objects (Apache dubbo-python's names) and ``tri://`` URL parsing."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from .tls import TlsConfig
from .transport import Keepalive

__all__ = [
    "ApplicationConfig",
    "ReferenceConfig",
    "RegistryConfig",
    "ServiceConfig",
    "DEFAULT_PORT",
    "DEFAULT_UNARY_TIMEOUT_MS",
]

DEFAULT_PORT = 50051  # Triple's default port, as in Java and Apache's dubbo-python
DEFAULT_UNARY_TIMEOUT_MS = 3000  # Java's Triple default for unary calls with no timeout configured


def _parse_url(url: str) -> tuple:
    """Split ``scheme://host:port/path?query`` into its parts, query values as strings."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme:
        raise ValueError(f"not a URL (no scheme): {url!r}")
    query = {k: v for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"bad port in {url!r}: {error}") from None
    path = urllib.parse.unquote(parts.path.lstrip("/"))
    return parts.scheme, parts.hostname, port, path, query


def _optional_int(value: Optional[str], name: str, url: str) -> Optional[int]:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} in {url!r} is not a whole number") from None


@dataclass
class ApplicationConfig:
    """The application a consumer or provider belongs to (``tri-consumer-appname``)."""

    name: str = "dubbo-python"
    version: Optional[str] = None
    owner: Optional[str] = None
    environment: Optional[str] = None


# Triple, and Dubbo's "grpc" protocol (plain gRPC, which Triple servers also answer).
PROTOCOLS = ("tri", "grpc")


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"protocol {protocol!r} is not supported: this library speaks Triple (tri://) and gRPC (grpc://); "
            "Dubbo's own dubbo:// protocol, rest:// and plain http:// are not"
        )


@dataclass
class ReferenceConfig:
    """What a client calls: a service, where it lives, and how to call it.

    ``timeout`` is in milliseconds, like Dubbo's; unary calls with no timeout use
    Java's default of 3000 ms, streams have no deadline unless one is set. ``0``
    means no deadline at all.
    """

    protocol: str = "tri"
    service: str = ""
    host: Optional[str] = None
    port: Optional[int] = None
    version: Optional[str] = None
    group: Optional[str] = None
    timeout: Optional[int] = None
    application: Optional[str] = None
    retries: Optional[int] = None
    loadbalance: Optional[str] = None
    cluster: Optional[str] = None
    compression: Optional[str] = None
    parameters: Dict[str, str] = field(default_factory=dict)
    # Sent as request headers on every call (Dubbo's attachments); see ``with_options`` for per call.
    attachments: Dict[str, Any] = field(default_factory=dict)
    # Transport (see dubbo/_core/transport.py): sizes in bytes, None for grpcio's defaults
    # (receive 4 MiB, send unlimited); TLS when ``tls`` is set.
    max_send_message_size: Optional[int] = None
    max_receive_message_size: Optional[int] = None
    keepalive: Optional[Keepalive] = None
    tls: Optional[TlsConfig] = None

    def __post_init__(self) -> None:
        _check_protocol(self.protocol)

    @classmethod
    def from_url(cls, url: str) -> "ReferenceConfig":
        """``tri://host:port/service.Name?version=1.0.0&group=g&timeout=3000``.

        Every query parameter is kept: the known ones become fields, the rest stay
        in ``parameters``.
        """
        scheme, host, port, path, query = _parse_url(url)
        service = query.pop("service", None) or query.pop("interface", None) or path
        if not service:
            raise ValueError(f"no service in {url!r}: expected tri://host:port/service.Name")
        return cls(
            protocol=scheme,
            service=service,
            host=host,
            port=port if port is not None else (DEFAULT_PORT if host else None),
            version=query.pop("version", None) or None,
            group=query.pop("group", None) or None,
            timeout=_optional_int(query.pop("timeout", None), "timeout", url),
            application=query.pop("application", None) or None,
            retries=_optional_int(query.pop("retries", None), "retries", url),
            loadbalance=query.pop("loadbalance", None) or None,
            cluster=query.pop("cluster", None) or None,
            compression=query.pop("compression", None) or None,
            # Apache dubbo-python's switch: TLS trusting the system's CAs.
            tls=TlsConfig() if query.pop("ssl-enabled", "").lower() == "true" else None,
            # Java sends a URL's token as the ``token`` attachment (TokenFilter on the provider).
            attachments={"token": query.pop("token")} if query.get("token") else {},
            parameters=query,
        )

    @property
    def address(self) -> Optional[str]:
        """``host:port`` for a direct connection, or ``None`` when providers come from a registry."""
        if not self.host:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port or DEFAULT_PORT}"


@dataclass
class ServiceConfig:
    """A service a server exports: its handler, where to listen, its version and group.

    With no host the server listens on all interfaces; with no port, on 50051.
    ``port=0`` picks a free port (read it back from ``Server.port``).
    """

    service_handler: Any = None
    host: Optional[str] = None
    port: Optional[int] = None
    protocol: str = "tri"
    version: Optional[str] = None
    group: Optional[str] = None
    application: Optional[str] = None
    parameters: Dict[str, str] = field(default_factory=dict)
    # Transport (see dubbo/_core/transport.py). ``compression`` ("gzip") compresses this
    # service's responses; the others apply to the whole server (or port, for ``tls``),
    # so services sharing one must agree.
    compression: Optional[str] = None
    max_send_message_size: Optional[int] = None
    max_receive_message_size: Optional[int] = None
    keepalive: Optional[Keepalive] = None
    tls: Optional[TlsConfig] = None
    # Dubbo's provider token (dubbo/_server/auth.py): calls must carry it as the ``token`` attachment.
    token: Optional[str] = None

    def __post_init__(self) -> None:
        _check_protocol(self.protocol)

    @property
    def bind_address(self) -> str:
        host = self.host or "[::]"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{DEFAULT_PORT if self.port is None else self.port}"


@dataclass
class RegistryConfig:
    """Where providers and consumers meet: ``zookeeper://host:port[,host:port]?group=dubbo``."""

    protocol: str = "zookeeper"
    host: Optional[str] = None
    port: Optional[int] = None
    addresses: List[str] = field(default_factory=list)
    group: str = "dubbo"
    username: Optional[str] = None
    password: Optional[str] = None
    timeout: Optional[int] = None
    load_balance: Optional[str] = None
    version: Optional[str] = None
    parameters: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_url(cls, url: str) -> "RegistryConfig":
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme:
            raise ValueError(f"not a registry URL (no scheme): {url!r}")
        query: Dict[str, Any] = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        hosts = parts.netloc.rpartition("@")[2]
        addresses = [a for a in hosts.split(",") if a]
        if not addresses:
            raise ValueError(f"no address in registry URL {url!r}")
        first_host, _, first_port = addresses[0].rpartition(":")
        return cls(
            protocol=parts.scheme,
            host=first_host or addresses[0],
            port=int(first_port) if first_port.isdigit() else None,
            addresses=addresses,
            group=query.pop("group", None) or "dubbo",
            username=urllib.parse.unquote(parts.username) if parts.username else query.pop("username", None),
            password=urllib.parse.unquote(parts.password) if parts.password else query.pop("password", None),
            timeout=_optional_int(query.pop("timeout", None), "timeout", url),
            load_balance=query.pop("loadbalance", None) or query.pop("load_balance", None),
            version=query.pop("version", None),
            parameters=query,
        )


Config = Union[ReferenceConfig, ServiceConfig]
