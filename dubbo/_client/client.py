"""``dubbo.Client``: one grpc channel per reference, and the four callable factories."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from .._core.attachments import encode_attachments
from .._core.calls import (
    BIDI_STREAM,
    CLIENT_STREAM,
    KINDS,
    SERVER_STREAM,
    UNARY,
    CallKind,
    Deserializer,
    RequestSerializer,
)
from .._core.config import DEFAULT_UNARY_TIMEOUT_MS, ReferenceConfig
from .._core.interceptors import Interceptor
from .._core.transport import compression_of, open_channel
from .._core.triple import consumer_headers
from .callables import (
    BidiStreamCallable,
    ClientStreamCallable,
    ServerStreamCallable,
    ThrowingUnaryCallable,
    UnaryCallable,
    bytes_only,
)
from .intercepted import InterceptedCallable

__all__ = ["Client"]



def _seconds(timeout_ms: Optional[int]) -> Optional[float]:
    return None if not timeout_ms else timeout_ms / 1000.0


class ClientBase:
    """What both front ends (``dubbo.Client`` and ``dubbo.aio.Client``) share: the reference
    turned once into Triple headers, compression and paths, and the four factories.

    A front end names its callable classes and says how a multicallable is made.
    """

    _callables: Dict[str, type]  # call kind name -> the front end's callable class
    _throwing_unary_type: type  # a unary call whose response may be a thrown exception (wrapper mode)
    _intercepted_type: type
    # grpcio's sync channel fails a call whose streamed request it cannot serialize; grpc.aio
    # sends the rest and completes it, so the asyncio callables serialize streamed requests.
    _grpc_serializes_streams = True

    def __init__(self, reference: ReferenceConfig, dubbo: Any, interceptors: Sequence[Interceptor]) -> None:
        if not isinstance(reference, ReferenceConfig):
            raise TypeError(f"expected a ReferenceConfig, got {reference!r}")
        if not reference.service:
            raise ValueError("ReferenceConfig.service is required")
        self._application = reference.application or (
            dubbo.application_config.name if dubbo is not None and dubbo.application_config else None
        )
        self._address = reference.address
        self._registry: Any = getattr(dubbo, "registry_config", None)
        if self._address is None and self._registry is None:
            raise ValueError(
                f"{reference.service}: no host to call; give host and port "
                "(tri://host:port/service) or create the client from a Dubbo bootstrap with a registry"
            )
        self.reference = reference
        self._headers = consumer_headers(reference.version, reference.group, self._application) + encode_attachments(
            reference.attachments
        )
        self._compression = compression_of(reference.compression)
        self._path_prefix = f"/{reference.service}/"
        self._interceptors = tuple(interceptors)

    def _multicallable(self, kind: str, path: str, serialize: Any, deserialize: Any) -> Any:
        raise NotImplementedError

    def _make(self, kind: CallKind, method_name: str, serialize: Any, deserialize: Any) -> Any:
        if not method_name or "/" in method_name:
            raise ValueError(f"bad method name {method_name!r}")
        path = self._path_prefix + method_name
        timeout = None
        if not kind.request_streaming and not kind.response_streaming:
            # unary: Java's 3000 ms unless the reference says otherwise
            timeout_ms = self.reference.timeout
            timeout = _seconds(DEFAULT_UNARY_TIMEOUT_MS if timeout_ms is None else timeout_ms)
        # Single-request shapes serialize in the callable (so a serializer may take several
        # arguments); request streams let grpcio serialize each message (bytes checked, so
        # a str written by mistake ends the call instead of leaving it waiting).
        if not kind.request_streaming or not self._grpc_serializes_streams:
            grpc_serialize, own_serialize = None, serialize
        else:
            grpc_serialize, own_serialize = serialize or bytes_only, None
        rpc = self._multicallable(kind.grpc_name, path, grpc_serialize, deserialize)
        settings = (rpc, own_serialize, self._headers, timeout, self._compression, path)
        # A response deserializer that can read a thrown exception (wrapper mode's) gets unary calls that
        # check the tri-exception-code response header; no other call reads headers.
        raised = getattr(deserialize, "raised", None) if kind.name == UNARY else None
        if raised is None:
            call = self._callables[kind.name](*settings)
        else:
            call = self._throwing_unary_type(*settings, raised=raised)
        if self._interceptors:
            call = self._intercepted_type(call, self._interceptors, path, kind.name, peer=self._address or "")
        return call

    def unary(
        self,
        method_name: str,
        request_serializer: Optional[RequestSerializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> Any:
        """``call(*args) -> response``. Unary calls default to a 3000 ms deadline, as in Java."""
        return self._make(KINDS[UNARY], method_name, request_serializer, response_deserializer)

    def client_stream(
        self,
        method_name: str,
        request_serializer: Optional[RequestSerializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> Any:
        """``call(iterable)`` or ``call()`` then ``write``/``done_writing``; ``read()`` the response."""
        return self._make(KINDS[CLIENT_STREAM], method_name, request_serializer, response_deserializer)

    def server_stream(
        self,
        method_name: str,
        request_serializer: Optional[RequestSerializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> Any:
        """``call(request)`` → a stream of responses."""
        return self._make(KINDS[SERVER_STREAM], method_name, request_serializer, response_deserializer)

    def bidi_stream(
        self,
        method_name: str,
        request_serializer: Optional[RequestSerializer] = None,
        response_deserializer: Optional[Deserializer] = None,
    ) -> Any:
        """``call(iterable)`` or ``call()`` then ``write``/``done_writing``; read the responses."""
        return self._make(KINDS[BIDI_STREAM], method_name, request_serializer, response_deserializer)

    bi_stream = bidi_stream


class Client(ClientBase):
    """Calls one service. ``client.unary(...)`` and friends return callables made once and reused.

    The channel connects lazily and reconnects by itself; ``close()`` (or ``with``)
    releases it. With no host, created from a ``Dubbo`` bootstrap with a registry, calls
    go to the providers the registry lists, load-balanced, with the reference's cluster mode.
    """

    _callables = {
        UNARY: UnaryCallable,
        CLIENT_STREAM: ClientStreamCallable,
        SERVER_STREAM: ServerStreamCallable,
        BIDI_STREAM: BidiStreamCallable,
    }
    _throwing_unary_type = ThrowingUnaryCallable
    _intercepted_type = InterceptedCallable

    def __init__(
        self, reference: ReferenceConfig, dubbo: Any = None, *, interceptors: Sequence[Interceptor] = ()
    ) -> None:
        super().__init__(reference, dubbo, interceptors)
        if self._address is None:
            from .._registry.cluster import ClusterChannel  # kazoo is needed only when a registry is used

            # Channel-shaped: its multicallables pick a provider per call (dubbo/_registry/cluster.py).
            self._channel: Any = ClusterChannel(reference, self._registry, self._application)
        else:
            self._channel = open_channel(reference, self._address)

    def _multicallable(self, kind: str, path: str, serialize: Any, deserialize: Any) -> Any:
        return getattr(self._channel, kind)(path, serialize, deserialize)

    def close(self) -> None:
        """Close the channel; calls still running are cancelled."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
