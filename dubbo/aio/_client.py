"""``dubbo.aio.Client``: the sync ``Client``'s API on one grpc.aio channel."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import grpc
import grpc.experimental

from .._callables import compression_of
from .._client import _CHANNEL_OPTIONS, _seconds
from .._config import DEFAULT_UNARY_TIMEOUT_MS, ReferenceConfig
from .._handlers import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY
from .._interceptors import Interceptor
from .._metadata import encode_attachments
from .._transport import open_channel
from .._triple import consumer_headers
from ._callables import BidiStreamCallable, ClientStreamCallable, ServerStreamCallable, UnaryCallable, Unbound
from ._intercepted import InterceptedCallable

__all__ = ["Client"]

Serializer = Callable[..., bytes]
Deserializer = Callable[[bytes], Any]

# The sync client's channel options, less the one only sync channels know (keepalive,
# sizes and TLS come from the reference, as for the sync client: dubbo/_transport.py).
_AIO_CHANNEL_OPTIONS = tuple(
    option for option in _CHANNEL_OPTIONS if option[0] != grpc.experimental.ChannelOptions.SingleThreadedUnaryStream
)


class Client:
    """Calls one service from asyncio code; the same factories as ``dubbo.Client``.

    ``await client.unary(...)(request)``; ``async for reply in client.server_stream(...)(request)``.
    The channel is made on the first call, in the running event loop, and belongs to it.
    With no host, created from a ``Dubbo`` bootstrap with a registry, calls go to the
    providers the registry lists, load-balanced, with the reference's cluster mode.
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
        self._address = address
        self._channel: Any = None
        if address is None:
            from ._cluster import ClusterChannel  # kazoo is needed only when a registry is used

            # Channel-shaped: its multicallables pick a provider per call (dubbo/_cluster.py).
            self._channel = ClusterChannel(reference, registry, application, _AIO_CHANNEL_OPTIONS)
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

    @property
    def channel(self) -> grpc.aio.Channel:
        """The grpc.aio channel, made on first use inside the running loop."""
        if self._channel is None:
            self._channel = open_channel(self.reference, self._address, _AIO_CHANNEL_OPTIONS, grpc.aio)
        return self._channel

    def _path(self, method_name: str) -> str:
        if not method_name or "/" in method_name:
            raise ValueError(f"bad method name {method_name!r}")
        return self._path_prefix + method_name

    def _multicallable(self, kind: str, path: str, serialize, deserialize) -> Any:
        def make() -> Any:
            return getattr(self.channel, kind)(path, serialize, deserialize)

        return make() if self._channel is not None else Unbound(make)

    def unary(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> UnaryCallable:
        """``await call(*args) -> response``. Unary calls default to a 3000 ms deadline, as in Java."""
        timeout_ms = self.reference.timeout
        rpc = self._multicallable("unary_unary", self._path(method_name), None, response_deserializer)
        timeout = _seconds(DEFAULT_UNARY_TIMEOUT_MS if timeout_ms is None else timeout_ms)
        call = UnaryCallable(rpc, request_serializer, self._headers, timeout, self._compression)
        return self._intercepted(call, method_name, UNARY)

    def client_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> ClientStreamCallable:
        """``await call(iterable)``, or ``call()`` then ``write``/``done_writing``, for the one response."""
        rpc = self._multicallable("stream_unary", self._path(method_name), request_serializer, response_deserializer)
        call = ClientStreamCallable(rpc, None, self._headers, None, self._compression)
        return self._intercepted(call, method_name, CLIENT_STREAM)

    def server_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> ServerStreamCallable:
        """``call(request)`` → a stream of responses to ``async for``."""
        rpc = self._multicallable("unary_stream", self._path(method_name), None, response_deserializer)
        call = ServerStreamCallable(rpc, request_serializer, self._headers, None, self._compression)
        return self._intercepted(call, method_name, SERVER_STREAM)

    def bidi_stream(
        self,
        method_name: str,
        request_serializer: Optional[Serializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> BidiStreamCallable:
        """``call(iterable)`` or ``call()`` then ``write``/``done_writing``; read the responses."""
        rpc = self._multicallable("stream_stream", self._path(method_name), request_serializer, response_deserializer)
        call = BidiStreamCallable(rpc, None, self._headers, None, self._compression)
        return self._intercepted(call, method_name, BIDI_STREAM)

    bi_stream = bidi_stream

    async def close(self, grace: Optional[float] = None) -> None:
        """Close the channel; calls still running after ``grace`` seconds are cancelled."""
        channel = self._channel
        if channel is None:
            return
        if hasattr(channel, "aclose"):
            await channel.aclose()
        else:
            await channel.close(grace)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()
