"""Transport settings of references and services (keepalive, message sizes, TLS,
compression) turned into grpcio channel options, credentials and ports.

Everything here runs once, when a client or server is made; nothing runs per call
except the compression wrapper of a service that asks for compressed responses.
"""

from __future__ import annotations

import inspect
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, cast

import grpc

from .calls import behavior_of
from .tls import TlsConfig, channel_credentials, server_credentials

__all__ = ["Keepalive", "open_channel", "server_options", "add_ports", "with_compression", "compression_of"]

Options = Tuple[Tuple[str, Any], ...]


@dataclass(frozen=True)
class Keepalive:
    """HTTP/2 keepalive pings, for references and services alike.

    A reference's default is safe against any gRPC server: grpc-core, grpc-java and
    grpc-go servers accept a client ping at most every 5 minutes, and only while calls
    are open, and answer pings more frequent than that with GOAWAY ``too_many_pings``,
    which fails the calls on the connection. So a client pings every 5.5 minutes of
    silence during calls, and closes the connection if a ping is not answered in 20 s.
    Where the peer is known to accept more (this library's servers accept a ping every
    ``min_ping_interval_ms``, 10 s, with or without calls), ``Keepalive(time_ms=30_000,
    permit_without_calls=True)`` keeps idle connections through NATs and finds dead
    peers sooner. A service's default pings its clients every 30 s (clients accept any
    rate). ``time_ms=None`` sends no pings.
    """

    time_ms: Optional[int] = 330_000
    timeout_ms: int = 20_000
    permit_without_calls: bool = False
    min_ping_interval_ms: int = 10_000

    def channel_options(self) -> Options:
        if self.time_ms is None:
            return ()
        return (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.keepalive_permit_without_calls", int(self.permit_without_calls)),
            # grpcio otherwise stops pinging after two pings on a quiet stream, so a
            # long-lived stream behind a NAT would lose its mapping.
            ("grpc.http2.max_pings_without_data", 0),
        )

    def server_options(self) -> Options:
        accept = (
            ("grpc.http2.min_ping_interval_without_data_ms", self.min_ping_interval_ms),
            ("grpc.keepalive_permit_without_calls", 1),
        )
        if self.time_ms is None:
            return accept
        return accept + (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.http2.max_pings_without_data", 0),
        )


_CHANNEL_KEEPALIVE = Keepalive()
_SERVER_KEEPALIVE = Keepalive(time_ms=30_000, timeout_ms=10_000)


def _size_options(send: Optional[int], receive: Optional[int]) -> Options:
    options: List[Tuple[str, Any]] = []
    if send is not None:
        options.append(("grpc.max_send_message_length", send))
    if receive is not None:
        options.append(("grpc.max_receive_message_length", receive))
    return tuple(options)


def open_channel(reference: Any, address: str, api: Any = grpc) -> grpc.Channel:
    """The channel for a ``ReferenceConfig``: TLS if it has a ``TlsConfig``, its keepalive and limits.

    ``api`` is ``grpc`` or ``grpc.aio`` (whose channel functions take the same arguments).
    """
    options = (
        (reference.keepalive or _CHANNEL_KEEPALIVE).channel_options()
        + _size_options(reference.max_send_message_size, reference.max_receive_message_size)
    )
    tls: Optional[TlsConfig] = reference.tls
    if tls is None:
        return api.insecure_channel(address, options=options)
    if tls.server_name:
        options += (("grpc.ssl_target_name_override", tls.server_name),)
    return api.secure_channel(address, channel_credentials(tls), options=options)


def _shared(configs: Sequence[Any], name: str, what: str) -> Any:
    """The one value of ``name`` that the configs sharing a server (or port) agree on."""
    values = {id(c): getattr(c, name) for c in configs if getattr(c, name) is not None}
    distinct = []
    for value in values.values():
        if value not in distinct:
            distinct.append(value)
    if len(distinct) > 1:
        services = ", ".join(c.service_handler.service_name for c in configs if getattr(c, name) is not None)
        raise ValueError(f"services on one {what} must agree on {name}; {services} set {distinct}")
    return distinct[0] if distinct else None


def server_options(configs: Sequence[Any]) -> Options:
    """grpcio server options from the services it hosts (they share one HTTP/2 server)."""
    keepalive = _shared(configs, "keepalive", "server") or _SERVER_KEEPALIVE
    # No SO_REUSEPORT: a second server on a busy port fails, as Java's does, instead of
    # silently taking part of the first one's traffic.
    return (("grpc.so_reuseport", 0),) + keepalive.server_options() + _size_options(
        _shared(configs, "max_send_message_size", "server"),
        _shared(configs, "max_receive_message_size", "server"),
    )


def add_ports(server: Any, configs: Iterable[Any]) -> List[int]:
    """Listen on each distinct bind address of a grpc or grpc.aio server, with TLS where its services ask for it."""
    by_address: dict = {}
    for config in configs:
        by_address.setdefault(config.bind_address, []).append(config)
    ports = []
    for address, sharing in by_address.items():
        tls = _shared(sharing, "tls", f"port ({address})")
        if tls is not None and any(c.tls is None for c in sharing):
            raise ValueError(f"services on {address} must all use TLS or none")
        try:
            if tls is None:
                bound = server.add_insecure_port(address)
            else:
                bound = server.add_secure_port(address, server_credentials(tls))
        except RuntimeError:  # grpcio's "Failed to bind to address"
            bound = 0
        if not bound:
            raise _bind_error(address)
        ports.append(bound)
    return ports


def _bind_error(address: str) -> OSError:
    """Why ``address`` cannot be listened on, as the OS says it (grpcio only says that it cannot)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, int(port)))
    except OSError as error:
        return OSError(error.errno, f"cannot listen on {address}: {error.strerror}")
    except ValueError:
        pass
    return OSError(f"cannot listen on {address}")


def with_compression(handler: grpc.RpcMethodHandler, compression: Optional[grpc.Compression]) -> grpc.RpcMethodHandler:
    """``handler`` with its responses compressed (a service's ``compression``); as is for none."""
    if compression is None:
        return handler
    field, behavior = behavior_of(handler)

    # grpc.aio looks at what kind of function a behavior is, so the wrapper keeps the kind.
    async def compressed_async_stream(request_or_iterator: Any, context: Any) -> Any:
        context.set_compression(compression)
        async for response in behavior(request_or_iterator, context):
            yield response

    async def compressed_async_single(request_or_iterator: Any, context: Any) -> Any:
        context.set_compression(compression)
        response = await behavior(request_or_iterator, context)
        # grpc.aio sends a single response's headers without the compression it was
        # asked for, so they go out here (unless the handler already sent its own).
        try:
            await context.send_initial_metadata(())
        except grpc.aio.UsageError:
            pass
        return response

    async def compressed_async(request_or_iterator: Any, context: Any) -> Any:
        context.set_compression(compression)
        return await behavior(request_or_iterator, context)

    def compressed_sync(request_or_iterator: Any, context: Any) -> Any:
        context.set_compression(compression)
        return behavior(request_or_iterator, context)

    if inspect.isasyncgenfunction(behavior):
        compressed: Callable[..., Any] = compressed_async_stream
    elif inspect.iscoroutinefunction(behavior):
        compressed = compressed_async if handler.response_streaming else compressed_async_single
    else:
        compressed = compressed_sync
    return cast(Any, handler)._replace(**{field: compressed})


_COMPRESSION = {
    None: None,
    "identity": grpc.Compression.NoCompression,
    "none": grpc.Compression.NoCompression,
    "gzip": grpc.Compression.Gzip,
}


def compression_of(name: Optional[str]) -> Optional[grpc.Compression]:
    """grpcio's compression for a Dubbo name; grpcio has no bzip2 or snappy."""
    try:
        return _COMPRESSION[name.lower() if name else None]
    except KeyError:
        raise ValueError(f"unsupported compression {name!r}: grpcio offers gzip (and identity)") from None
