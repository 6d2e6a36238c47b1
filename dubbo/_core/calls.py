"""What every layer knows about a call: its kind, and the server call being served on this thread.

The kinds are data (request and response streaming, grpcio's multicallable and handler
names), so adapters look them up instead of branching four ways. The current server call
is a context variable the server sets for each call; a client called from inside a handler
reads it to inherit what is left of the handler's deadline.
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable, Optional, Sequence, Tuple

import grpc

__all__ = [
    "UNARY", "CLIENT_STREAM", "SERVER_STREAM", "BIDI_STREAM", "current_call", "remaining_deadline", "NO_DEADLINE",
    "Metadata", "Serializer", "RequestSerializer", "Deserializer",
]

Metadata = Sequence[Tuple[str, Any]]  # gRPC metadata: (key, value) pairs, values str or bytes (``-bin`` keys)
Serializer = Callable[[Any], bytes]  # one message to bytes
RequestSerializer = Callable[..., bytes]  # a unary request: all the call's arguments to bytes
Deserializer = Callable[[bytes], Any]

UNARY = "unary"
CLIENT_STREAM = "client_stream"
SERVER_STREAM = "server_stream"
BIDI_STREAM = "bi_stream"

# The grpc.ServicerContext of the call being served on this thread, if any.
current_call: contextvars.ContextVar[Optional[grpc.ServicerContext]] = contextvars.ContextVar(
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
