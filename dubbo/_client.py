"""``dubbo.Client``: one grpc channel per reference, and the four callable factories."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import grpc
import grpc.experimental

from ._callables import (
    BidiStreamCallable,
    ClientStreamCallable,
    ServerStreamCallable,
    UnaryCallable,
    compression_of,
)
from ._config import DEFAULT_UNARY_TIMEOUT_MS, ReferenceConfig
from ._handlers import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY
from ._interceptors import InterceptedCallable, Interceptor
from ._metadata import encode_attachments
from ._transport import open_channel
from ._triple import consumer_headers

__all__ = ["Client"]

Serializer = Callable[..., bytes]
Deserializer = Callable[[bytes], Any]

# Keepalive, message sizes and TLS come from the reference (dubbo/_transport.py).
# grpcio's SingleThreadedUnaryStream (reading a server stream on the caller's thread,
# ×1.3–1.6 on small messages, see BENCHMARKS.md) is not used: in grpcio 1.85 every server
# stream that does not run to its end (cancelled, past its deadline, or dropped) leaks its
# call state and ~20 KiB (RELIABILITY.md, finding F4).
_CHANNEL_OPTIONS: tuple = ()


def _seconds(timeout_ms: Optional[int]) -> Optional[float]:
    return None if not timeout_ms else timeout_ms / 1000.0


class Client:
    """Calls one service. ``client.unary(...)`` and friends return callables made once and reused.

    The channel connects lazily and reconnects by itself; ``close()`` (or ``with``)
    releases it.
    """

    def __init__(
        self, reference: ReferenceConfig, dubbo: Any = None, *, interceptors: Sequence[Interceptor] = ()
    ) -> None:
        if not isinstance(reference, ReferenceConfig):
            raise TypeError(f"expected a ReferenceConfig, got {reference!r}")
        if not reference.service:
            raise ValueError("ReferenceConfig.service is required")
        application = reference.application or (
            dubbo.application_config.name if dubbo is not None and dubbo.application_config else None
        )
        address = reference.address
        registry = getattr(dubbo, "registry_config", None)
        if address is None and registry is None:
            raise ValueError(
                f"{reference.service}: no host to call; give host and port "
                "(tri://host:port/service) or create the client from a Dubbo bootstrap with a registry"
            )
        self.reference = reference
        if address is None:
            from ._cluster import ClusterChannel  # kazoo is needed only when a registry is used

            # Channel-shaped: its multicallables pick a provider per call (dubbo/_cluster.py).
            self._channel = ClusterChannel(reference, registry, application)
        else:
            self._channel = open_channel(reference, address, _CHANNEL_OPTIONS)
        self._headers = consumer_headers(reference.version, reference.group, application) + encode_attachments(
            reference.attachments
        )
        self._compression = compression_of(reference.compression)
        self._path_prefix = f"/{reference.service}/"
        self._interceptors = tuple(interceptors)

    def _intercepted(self, callable_: Any, method_name: str, kind: str) -> Any:
        if not self._interceptors:
            return callable_
        return InterceptedCallable(callable_, self._interceptors, self._path(method_name), kind)

    def _path(self, method_name: str) -> str:
        if not method_name or "/" in method_name:
            raise ValueError(f"bad method name {method_name!r}")
        return self._path_prefix + method_name

    def unary(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> UnaryCallable:
        """``call(*args) -> response``. Unary calls default to a 3000 ms deadline, as in Java."""
        timeout_ms = self.reference.timeout
        rpc = self._channel.unary_unary(self._path(method_name), None, response_deserializer)
        timeout = _seconds(DEFAULT_UNARY_TIMEOUT_MS if timeout_ms is None else timeout_ms)
        call = UnaryCallable(rpc, request_serializer, self._headers, timeout, self._compression)
        return self._intercepted(call, method_name, UNARY)

    def client_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> ClientStreamCallable:
        """``call(iterable)`` or ``call()`` then ``write``/``done_writing``; ``read()`` the response."""
        rpc = self._channel.stream_unary(self._path(method_name), request_serializer, response_deserializer)
        call = ClientStreamCallable(rpc, None, self._headers, None, self._compression)
        return self._intercepted(call, method_name, CLIENT_STREAM)

    def server_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> ServerStreamCallable:
        """``call(request)`` → a stream of responses."""
        rpc = self._channel.unary_stream(self._path(method_name), None, response_deserializer)
        call = ServerStreamCallable(rpc, request_serializer, self._headers, None, self._compression)
        return self._intercepted(call, method_name, SERVER_STREAM)

    def bidi_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> BidiStreamCallable:
        """``call(iterable)`` or ``call()`` then ``write``/``done_writing``; read the responses."""
        rpc = self._channel.stream_stream(self._path(method_name), request_serializer, response_deserializer)
        call = BidiStreamCallable(rpc, None, self._headers, None, self._compression)
        return self._intercepted(call, method_name, BIDI_STREAM)

    bi_stream = bidi_stream

    def close(self) -> None:
        """Close the channel; calls still running are cancelled."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
