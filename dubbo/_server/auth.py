"""Dubbo's provider token: a service exported with ``ServiceConfig(token=...)`` serves only
calls that carry that value in their ``token`` attachment; others get UNAUTHENTICATED.

This is Java Dubbo's own mechanism (``TokenFilter``): the provider URL carries ``token``
and Java consumers send it back as the ``token`` attachment on every call. Python
callers set ``ReferenceConfig(attachments={"token": ...})``. The comparison takes
constant time; the token is never echoed in the status message.
"""

from __future__ import annotations

import hmac
import inspect
from typing import Any, Callable, Optional, cast

import grpc

from .._core.calls import behavior_of

__all__ = ["TOKEN", "with_token"]

TOKEN = "token"

def _carries(context: Any, expected: bytes) -> bool:
    for key, value in context.invocation_metadata() or ():
        if key == TOKEN:
            given = value.encode() if isinstance(value, str) else bytes(value)
            return hmac.compare_digest(given, expected)
    return False


def with_token(handler: grpc.RpcMethodHandler, token: Optional[str], method: str) -> grpc.RpcMethodHandler:
    """``handler`` refusing calls without ``token`` (UNAUTHENTICATED); as is when ``token`` is empty."""
    if not token:
        return handler
    expected = token.encode()
    refusal = f"{method}: missing or wrong token"
    field, behavior = behavior_of(handler)

    # grpc.aio looks at what kind of function a behavior is, so the wrapper keeps the kind.
    async def guarded_async_stream(request_or_iterator: Any, context: Any) -> Any:
        if not _carries(context, expected):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, refusal)
        async for response in behavior(request_or_iterator, context):
            yield response

    async def guarded_async(request_or_iterator: Any, context: Any) -> Any:
        if not _carries(context, expected):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, refusal)
        return await behavior(request_or_iterator, context)

    def guarded_sync(request_or_iterator: Any, context: Any) -> Any:
        if not _carries(context, expected):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, refusal)
        return behavior(request_or_iterator, context)

    if inspect.isasyncgenfunction(behavior):
        guarded: Callable[..., Any] = guarded_async_stream
    elif inspect.iscoroutinefunction(behavior):
        guarded = guarded_async
    else:
        guarded = guarded_sync
    return cast(Any, handler)._replace(**{field: guarded})
