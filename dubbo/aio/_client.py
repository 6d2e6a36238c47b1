"""``dubbo.aio.Client``: the sync ``Client``'s API on one grpc.aio channel."""

from __future__ import annotations

from typing import Any, Optional, Sequence, cast

import grpc

from .._client.client import ClientBase
from .._core.calls import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY
from .._core.config import ReferenceConfig
from .._core.interceptors import Interceptor
from .._core.transport import open_channel
from ._callables import (
    BidiStreamCallable,
    ClientStreamCallable,
    ServerStreamCallable,
    ThrowingUnaryCallable,
    UnaryCallable,
    Unbound,
)
from ._intercepted import InterceptedCallable

__all__ = ["Client"]


class Client(ClientBase):
    """Calls one service from asyncio code; the same factories as ``dubbo.Client``.

    ``await client.unary(...)(request)``; ``async for reply in client.server_stream(...)(request)``.
    The channel is made on the first call, in the running event loop, and belongs to it.
    With no host, created from a ``Dubbo`` bootstrap with a registry, calls go to the
    providers the registry lists, load-balanced, with the reference's cluster mode.
    """

    _callables = {
        UNARY: UnaryCallable,
        CLIENT_STREAM: ClientStreamCallable,
        SERVER_STREAM: ServerStreamCallable,
        BIDI_STREAM: BidiStreamCallable,
    }
    _throwing_unary_type = ThrowingUnaryCallable
    _intercepted_type = InterceptedCallable
    _grpc_serializes_streams = False

    def __init__(
        self, reference: ReferenceConfig, dubbo: Any = None, *, interceptors: Sequence[Interceptor] = ()
    ) -> None:
        super().__init__(reference, dubbo, interceptors)
        self._channel: Any = None
        if self._address is None:
            from ._cluster import ClusterChannel  # kazoo is needed only when a registry is used

            # Channel-shaped: its multicallables pick a provider per call (dubbo/_registry/cluster.py).
            self._channel = ClusterChannel(reference, self._registry, self._application)

    @property
    def channel(self) -> grpc.aio.Channel:
        """The grpc.aio channel, made on first use inside the running loop."""
        if self._channel is None:
            self._channel = open_channel(self.reference, cast(str, self._address), grpc.aio)
        return self._channel

    def _multicallable(self, kind: str, path: str, serialize, deserialize) -> Any:
        def make() -> Any:
            return getattr(self.channel, kind)(path, serialize, deserialize)

        return make() if self._channel is not None else Unbound(make)

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
