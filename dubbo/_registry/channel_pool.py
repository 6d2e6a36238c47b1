"""One grpc channel per provider address, shared by every registry-discovered reference to it.

Channels are counted: the first user opens one, the last one to let go closes it.
References with different transport settings (TLS, keepalive, message sizes) get
their own channel to the same address.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Tuple

import grpc

__all__ = ["acquire_channel", "release_channel", "open_addresses", "SharedChannels"]

_channels: Dict[Tuple, List[Any]] = {}  # identity -> [channel, users]
_lock = threading.Lock()


def _identity(reference: Any, address: str) -> Tuple:
    """What makes two references share a channel: the address and the transport settings."""
    settings = tuple(
        getattr(reference, name, None) for name in ("tls", "keepalive", "max_send_message_size", "max_receive_message_size")
    )
    return (address,) + settings


def acquire_channel(reference: Any, address: str) -> grpc.Channel:
    """The shared channel to ``address`` for this reference's transport settings."""
    from .._core.transport import open_channel

    identity = _identity(reference, address)
    with _lock:
        entry = _channels.get(identity)
        if entry is None:
            entry = _channels[identity] = [open_channel(reference, address), 0]
        entry[1] += 1
        return entry[0]


def release_channel(reference: Any, address: str) -> None:
    identity = _identity(reference, address)
    with _lock:
        entry = _channels.get(identity)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _channels[identity]
    entry[0].close()


def open_addresses() -> List[str]:
    """Addresses with an open shared channel (for tests and diagnostics)."""
    with _lock:
        return sorted(identity[0] for identity in _channels)


class SharedChannels:
    """The pool as one reference's directory uses it (``directory.Channels``)."""

    def __init__(self, reference: Any) -> None:
        self._reference = reference

    def acquire(self, address: str) -> grpc.Channel:
        return acquire_channel(self._reference, address)

    def release(self, address: str) -> None:
        release_channel(self._reference, address)
