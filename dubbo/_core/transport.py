"""Transport settings of references and services (keepalive, message sizes, TLS,
compression) turned into grpcio channel options, credentials and ports.

Everything here runs once, when a client or server is made; nothing runs per call
except the compression wrapper of a service that asks for compressed responses.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import grpc

from .tls import TlsConfig, channel_credentials, server_credentials

__all__ = ["Keepalive", "open_channel", "server_options", "add_ports", "with_compression", "compression_of"]

Options = Tuple[Tuple[str, Any], ...]


@dataclass(frozen=True)
class Keepalive:
    """HTTP/2 keepalive pings, for references and services alike.

    The defaults keep connections alive through NAT and load balancers that drop flows
    idle for a minute or more, and find dead peers within ``time_ms + timeout_ms``:
    a ping every 30 s when nothing else is sent, with or without calls open, and a
    connection closed if a ping is not answered within 10 s. A server accepts client
    pings as often as every ``min_ping_interval_ms`` (a peer that pings more often is
    sent GOAWAY). ``time_ms=None`` sends no pings (grpcio's own defaults).
    """

    time_ms: Optional[int] = 30_000
    timeout_ms: int = 10_000
    permit_without_calls: bool = True
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
            ("grpc.keepalive_permit_without_calls", int(self.permit_without_calls)),
        )
        if self.time_ms is None:
            return accept
        return accept + (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.http2.max_pings_without_data", 0),
        )


_DEFAULT_KEEPALIVE = Keepalive()


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
        (reference.keepalive or _DEFAULT_KEEPALIVE).channel_options()
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
    keepalive = _shared(configs, "keepalive", "server") or _DEFAULT_KEEPALIVE
    return keepalive.server_options() + _size_options(
        _shared(configs, "max_send_message_size", "server"),
        _shared(configs, "max_receive_message_size", "server"),
    )


def add_ports(server: grpc.Server, configs: Iterable[Any]) -> List[int]:
    """Listen on each distinct bind address, with TLS where its services ask for it."""
    by_address: dict = {}
    for config in configs:
        by_address.setdefault(config.bind_address, []).append(config)
    ports = []
    for address, sharing in by_address.items():
        tls = _shared(sharing, "tls", f"port ({address})")
        if tls is not None and any(c.tls is None for c in sharing):
            raise ValueError(f"services on {address} must all use TLS or none")
        if tls is None:
            bound = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, server_credentials(tls))
        if not bound:
            raise OSError(f"could not listen on {address}")
        ports.append(bound)
    return ports


_BEHAVIORS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


def with_compression(handler: grpc.RpcMethodHandler, compression: Optional[grpc.Compression]) -> grpc.RpcMethodHandler:
    """``handler`` with its responses compressed (a service's ``compression``); as is for none."""
    if compression is None:
        return handler
    for field in _BEHAVIORS:
        behavior = getattr(handler, field)
        if behavior is not None:
            break

    # grpc.aio looks at what kind of function a behavior is, so the wrapper keeps the kind.
    if inspect.isasyncgenfunction(behavior):

        async def compressed(request_or_iterator: Any, context: Any) -> Any:
            context.set_compression(compression)
            async for response in behavior(request_or_iterator, context):
                yield response

    elif inspect.iscoroutinefunction(behavior) and field in ("unary_unary", "stream_unary"):

        async def compressed(request_or_iterator: Any, context: Any) -> Any:
            context.set_compression(compression)
            response = await behavior(request_or_iterator, context)
            # grpc.aio sends a single response's headers without the compression it was
            # asked for, so they go out here (unless the handler already sent its own).
            try:
                await context.send_initial_metadata(())
            except grpc.aio.UsageError:
                pass
            return response

    elif inspect.iscoroutinefunction(behavior):

        async def compressed(request_or_iterator: Any, context: Any) -> Any:
            context.set_compression(compression)
            return await behavior(request_or_iterator, context)

    else:

        def compressed(request_or_iterator: Any, context: Any) -> Any:
            context.set_compression(compression)
            return behavior(request_or_iterator, context)

    return handler._replace(**{field: compressed})


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
