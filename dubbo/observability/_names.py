"""How the observability interceptors name a call: its service and method, and its peer as ``(host, port)``."""

from __future__ import annotations

from typing import Optional, Tuple

__all__ = ["service_and_method", "host_and_port"]


def service_and_method(path: str) -> Tuple[str, str]:
    """``"/pkg.Greeter/sayHello"`` -> ``("pkg.Greeter", "sayHello")``."""
    service, _, method = path.lstrip("/").rpartition("/")
    return service, method


def host_and_port(peer: str) -> Tuple[str, Optional[int]]:
    """``"ipv4:10.0.0.1:5000"``, ``"ipv6:[::1]:5000"`` or ``"host:5000"`` -> ``(host, port)``; ``("", None)`` if unknown."""
    if peer.startswith(("ipv4:", "ipv6:")):
        peer = peer[5:]
    elif peer.startswith("unix:"):
        return peer, None
    host, _, port = peer.rpartition(":")
    if not host or not port.isdigit():
        return peer, None
    return host.strip("[]").replace("%5B", "").replace("%5D", ""), int(port)
