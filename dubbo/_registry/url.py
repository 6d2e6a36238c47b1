"""Dubbo's registry URLs, written and read as Java's ``URL`` does.

A provider or consumer is one ZooKeeper node named by its URL:
``tri://host:port/path?k=v&...`` with the keys sorted and the values not encoded
(``URL.toFullString``), the whole string then encoded like ``java.net.URLEncoder``.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional

__all__ = ["URL", "encode", "decode", "local_host", "provider_url", "consumer_url"]

DUBBO_PROTOCOL_VERSION = "2.0.2"  # Java's Version.DEFAULT_DUBBO_PROTOCOL_VERSION
RELEASE = "3.2.0"  # the Java release whose registry format this library writes
ANY_HOSTS = ("", "0.0.0.0", "::", "[::]", "*")


def encode(text: str) -> str:
    """``java.net.URLEncoder.encode(text, "UTF-8")``: space → ``+``; keeps ``* - _ .``."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


def decode(text: str) -> str:
    """``java.net.URLDecoder.decode``: ``+`` → space, ``%XX`` → the byte."""
    return urllib.parse.unquote_plus(text)


@dataclass(frozen=True)
class URL:
    """``protocol://host:port/path?parameters``, the way Dubbo names a provider or consumer."""

    protocol: str
    host: str
    port: int = 0
    path: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def interface(self) -> str:
        """``getServiceInterface()``: the ``interface`` parameter, else the path; else the
        ``service`` parameter, all Apache dubbo-python writes (``tri://ip:port?service=X``)."""
        return self.parameters.get("interface") or self.path or self.parameters.get("service", "")

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        value = self.parameters.get(key)
        return default if value is None or value == "" else value

    def method_get(self, method: str, key: str, default: Optional[str] = None) -> Optional[str]:
        """``getMethodParameter``: ``method.key`` first, then ``key``."""
        return self.get(f"{method}.{key}") or self.get(key, default)

    def to_full_string(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = f"{self.protocol}://{host}"
        if self.port:
            text += f":{self.port}"
        if self.path:
            text += f"/{self.path}"
        params = "&".join(f"{k}={v}" for k, v in sorted(self.parameters.items()) if k and v is not None and v != "")
        return f"{text}?{params}" if params else text

    __str__ = to_full_string

    @classmethod
    def parse(cls, text: str) -> "URL":
        """Read a ``toFullString`` (not encoded). Values keep their raw text, commas included."""
        rest, _, query = text.partition("?")
        protocol, sep, rest = rest.partition("://")
        if not sep:
            raise ValueError(f"not a Dubbo URL (no protocol): {text!r}")
        hostport, _, path = rest.partition("/")
        if hostport.startswith("["):
            host, _, port_text = hostport[1:].partition("]")
            port_text = port_text.lstrip(":")
        else:
            host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
        try:
            port = int(port_text) if port_text else 0
        except ValueError:
            raise ValueError(f"bad port in Dubbo URL {text!r}") from None
        parameters: Dict[str, str] = {}
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if key:
                parameters[key.strip()] = value.strip()
        return cls(protocol, host, port, path, parameters)


def local_host() -> str:
    """The address peers should dial: ``DUBBO_IP_TO_REGISTRY`` (as in Java), else the
    address of the interface with the default route, else the host name's address."""
    configured = os.environ.get("DUBBO_IP_TO_REGISTRY")
    if configured:
        return configured
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it only picks a route
            address = probe.getsockname()[0]
            if not address.startswith("127.") and address != "0.0.0.0":
                return address
        except OSError:
            pass
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def _common(application: str, version: Optional[str], group: Optional[str]) -> Dict[str, str]:
    params = {
        "application": application,
        "dubbo": DUBBO_PROTOCOL_VERSION,
        "release": RELEASE,
        "pid": str(os.getpid()),
        "timestamp": str(int(time.time() * 1000)),
    }
    if version:
        params["version"] = version
    if group:
        params["group"] = group
    return params


def provider_url(
    protocol: str,
    host: str,
    port: int,
    service: str,
    methods: Iterable[str],
    application: str,
    version: Optional[str] = None,
    group: Optional[str] = None,
    anyhost: bool = False,
    parameters: Optional[Mapping[str, str]] = None,
) -> URL:
    """A provider URL with the keys a Java 3.2 provider writes (``ServiceConfig#buildAttributes``).

    ``parameters`` (a ServiceConfig's, e.g. ``weight``, ``warmup``, ``timeout``) are added
    last and win. Serialization keys say ``hessian2`` so that Java consumers of
    interface-style services pick the codec a Python provider can be taught. No
    ``service-name-mapping``: that says an interface-to-application mapping was written,
    which only application-level discovery does.
    """
    params = _common(application, version, group)
    params.update(
        {
            "interface": service,
            "methods": ",".join(sorted(methods)) or "*",
            "side": "provider",
            "deprecated": "false",
            "dynamic": "true",
            "generic": "false",
            "background": "false",
            "prefer.serialization": "hessian2",
            "serialization": "hessian2",
        }
    )
    if anyhost:
        params["anyhost"] = "true"
    params.update({k: str(v) for k, v in (parameters or {}).items() if v is not None})
    return URL(protocol, host, port, service, params)


def consumer_url(
    host: str,
    service: str,
    application: str,
    protocol: str = "tri",
    version: Optional[str] = None,
    group: Optional[str] = None,
    parameters: Optional[Mapping[str, str]] = None,
) -> URL:
    """The ``consumer://`` URL a Java consumer registers (``RegistryProtocol#doCreateInvoker``)."""
    params = _common(application, version, group)
    params.update(
        {
            "interface": service,
            "side": "consumer",
            "category": "consumers",
            "check": "false",
            "protocol": protocol,
            "sticky": "false",
        }
    )
    params.update({k: str(v) for k, v in (parameters or {}).items() if v is not None})
    return URL("consumer", host, 0, service, params)
