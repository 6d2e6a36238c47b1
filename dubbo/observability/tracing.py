"""OpenTelemetry tracing: a CLIENT span per call made, a SERVER span per call handled.

Spans follow OpenTelemetry's RPC conventions as Java Dubbo's tracing (dubbo-tracing)
writes them: named ``service/method``, with ``rpc.system = "apache_dubbo"`` (not
``"grpc"``: a Triple service is a Dubbo interface, with Dubbo's versions and groups, and
Java providers and consumers of it report ``apache_dubbo``, so one query finds both),
``rpc.service``, ``rpc.method``, and the status as ``rpc.grpc.status_code`` (Triple's
statuses are gRPC's). Clients add ``server.address``/``server.port`` (when a direct
address is known), servers ``network.peer.address``/``network.peer.port``.

The trace travels in W3C ``traceparent``/``tracestate`` attachments (the globally set
propagator's headers), where Java Dubbo puts and finds it, so a Java consumer's trace
continues into a Python provider and on into the calls its handler makes. A server span
is made current for the handler: each call runs in a context of its own (grpcio's and
asyncio's per-call contexts; write-style handlers' threads get a copy), so it is never
detached and never leaks into another call. A stream is one span, ended with its status.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import grpc

from .._core.interceptors import CallInfo, Interceptor
from ._names import host_and_port, service_and_method

__all__ = ["Tracing"]

_SPAN = "otel.span"

# OpenTelemetry's gRPC conventions: statuses a server reports as span errors (others are the caller's fault).
_SERVER_ERRORS = frozenset(
    (
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    )
)


def _otel() -> Any:
    try:
        from opentelemetry import context, propagate, trace
    except ImportError:
        raise ImportError(
            "dubbo.observability.Tracing needs the OpenTelemetry API: pip install 'dubbo-grpcio[otel]'"
        ) from None
    return context, propagate, trace


class Tracing(Interceptor):
    """Spans for every call of the clients and servers it is given to (``interceptors=[Tracing()]``).

    ``tracer_provider`` defaults to OpenTelemetry's global one.
    """

    def __init__(self, tracer_provider: Optional[Any] = None) -> None:
        self._context, self._propagate, self._trace = _otel()
        self._tracer = self._trace.get_tracer("dubbo", tracer_provider=tracer_provider)
        self._client_kind = self._trace.SpanKind.CLIENT
        self._server_kind = self._trace.SpanKind.SERVER

    def on_call(self, call: CallInfo) -> None:
        """Start the call's span; a client sends its context, a server continues the caller's and makes it current."""
        service, method = service_and_method(call.method)
        attributes: Dict[str, Any] = {"rpc.system": "apache_dubbo", "rpc.service": service, "rpc.method": method}
        host, port = host_and_port(call.peer)
        trace = self._trace
        if call.side == "client":
            if host:
                attributes["server.address"] = host
            if port is not None:
                attributes["server.port"] = port
            span = self._tracer.start_span(f"{service}/{method}", kind=self._client_kind, attributes=attributes)
            self._propagate.inject(call.attachments, context=trace.set_span_in_context(span))
        else:
            if host:
                attributes["network.peer.address"] = host
            if port is not None:
                attributes["network.peer.port"] = port
            parent = self._propagate.extract(call.attachments)
            span = self._tracer.start_span(
                f"{service}/{method}", context=parent, kind=self._server_kind, attributes=attributes
            )
            self._context.attach(trace.set_span_in_context(span, parent))
        call.state[_SPAN] = span

    def on_end(self, call: CallInfo, code: grpc.StatusCode, message: str) -> None:
        """End the span with the call's status."""
        span = call.state.pop(_SPAN, None)
        if span is None:
            return
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code is not grpc.StatusCode.OK and (call.side == "client" or code in _SERVER_ERRORS):
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, f"{code.name}: {message}"))
        span.end()
