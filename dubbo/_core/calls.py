"""What every layer knows about a call: its kind, and the server call being served on this thread.

The kinds are data (request and response streaming, grpcio's multicallable and handler
names), so adapters look them up instead of branching four ways. The current server call
is a context variable the server sets for each call; a client called from inside a handler
reads it to inherit what is left of the handler's deadline.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import grpc

__all__ = [
    "UNARY", "CLIENT_STREAM", "SERVER_STREAM", "BIDI_STREAM", "current_call", "remaining_deadline", "NO_DEADLINE",
    "Metadata", "Serializer", "RequestSerializer", "Deserializer", "CallKind", "KINDS", "behavior_of",
]

Metadata = Sequence[Tuple[str, Any]]  # gRPC metadata: (key, value) pairs, values str or bytes (``-bin`` keys)
Serializer = Callable[[Any], bytes]  # one message to bytes
RequestSerializer = Callable[..., bytes]  # a unary request: all the call's arguments to bytes
Deserializer = Callable[[bytes], Any]

UNARY = "unary"
CLIENT_STREAM = "client_stream"
SERVER_STREAM = "server_stream"
BIDI_STREAM = "bi_stream"



@dataclass(frozen=True)
class CallKind:
    """A streaming mode as data: which sides stream, and grpcio's name for it (``unary_stream``...),
    which is both a channel's multicallable and a method handler's behavior field."""

    name: str
    request_streaming: bool
    response_streaming: bool

    @property
    def grpc_name(self) -> str:
        return f"{'stream' if self.request_streaming else 'unary'}_{'stream' if self.response_streaming else 'unary'}"

    def method_handler(
        self, behavior: Callable[..., Any], deserializer: Optional[Deserializer] = None,
        serializer: Optional[Serializer] = None,
    ) -> grpc.RpcMethodHandler:
        """grpcio's method handler running ``behavior`` in this mode."""
        return _HANDLER_FACTORIES[self.grpc_name](behavior, deserializer, serializer)


_HANDLER_FACTORIES: Dict[str, Callable[..., grpc.RpcMethodHandler]] = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}

KINDS: Dict[str, CallKind] = {
    kind.name: kind
    for kind in (
        CallKind(UNARY, False, False),
        CallKind(CLIENT_STREAM, True, False),
        CallKind(SERVER_STREAM, False, True),
        CallKind(BIDI_STREAM, True, True),
    )
}


def behavior_of(handler: grpc.RpcMethodHandler) -> Tuple[str, Callable[..., Any]]:
    """The behavior a grpcio method handler carries, and the field it is in (to ``_replace`` it)."""
    name = f"{'stream' if handler.request_streaming else 'unary'}_{'stream' if handler.response_streaming else 'unary'}"
    return name, getattr(handler, name)


# The grpc.ServicerContext of the call being served on this thread, if any.
current_call: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar(
    "dubbo_current_call", default=None
)

NO_DEADLINE = 1e9  # grpcio reports "no deadline" as a huge number of seconds


def remaining_deadline() -> Optional[float]:
    """Seconds left for the call being served here, or ``None`` outside a call or without deadline."""
    context = current_call.get()
    if context is None:
        return None
    remaining = context.time_remaining()
    if remaining is None or remaining > NO_DEADLINE:
        return None
    return max(remaining, 0.0)
