"""One grpc channel per provider address, shared by every registry-discovered reference to it.

Channels are counted: the first user opens one, the last one to let go closes it.
References with different transport settings (TLS, keepalive, message sizes) get
their own channel to the same address.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Tuple

import grpc

__all__ = ["acquire_channel", "release_channel", "open_addresses"]

_channels: Dict[Tuple, List[Any]] = {}  # key -> [channel, users]
_lock = threading.Lock()


def _key(reference: Any, address: str) -> Tuple:
    settings = tuple(
        getattr(reference, name, None) for name in ("tls", "keepalive", "max_send_message_size", "max_receive_message_size")
    )
    return (address,) + settings


def acquire_channel(reference: Any, address: str) -> grpc.Channel:
    """The shared channel to ``address`` for this reference's transport settings."""
    from .._core.transport import open_channel

    key = _key(reference, address)
    with _lock:
        entry = _channels.get(key)
        if entry is None:
            entry = _channels[key] = [open_channel(reference, address), 0]
        entry[1] += 1
        return entry[0]


def release_channel(reference: Any, address: str) -> None:
    key = _key(reference, address)
    with _lock:
        entry = _channels.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _channels[key]
    entry[0].close()


def open_addresses() -> List[str]:
    """Addresses with an open shared channel (for tests and diagnostics)."""
    with _lock:
        return sorted(key[0] for key in _channels)
