"""Prometheus metrics per side, service and method, named as Java Dubbo's metrics are scraped.

Written with ``prometheus_client`` rather than OpenTelemetry's metrics API: the names a
Java Dubbo dashboard queries (Micrometer's Prometheus names, e.g.
``dubbo_consumer_requests_total``) come out exactly as written, the scrape endpoint is
the client's own, and a call costs a few counter updates on label children looked up once
per method. Side is Dubbo's: ``consumer`` for clients, ``provider`` for servers. Labels:
``application_name``, ``interface``, ``method`` (and ``code`` on failures).

- ``dubbo_{side}_requests_total``, ``..._requests_succeed_total``, ``..._requests_failed_total``
  (label ``code``: the gRPC status name), ``..._requests_timeout_total`` (DEADLINE_EXCEEDED):
  Java's counters of the same names;
- ``dubbo_{side}_requests_processing_total``: calls in flight, a gauge (Java's name);
- ``dubbo_{side}_rt_milliseconds_histogram_seconds``: latency in seconds, Java's histogram as
  Micrometer exports it, with its buckets (100 ms to 10 s) and finer ones below;
- ``dubbo_{side}_messages_sent_total`` / ``..._messages_received_total``: stream messages (this
  library's own; Java has none).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Optional, Tuple

import grpc

from .._core.interceptors import CallInfo, Interceptor
from ._names import service_and_method

__all__ = ["Metrics"]

_SIDES = {"client": "consumer", "server": "provider"}
_LABELS = ("application_name", "interface", "method")
# Java's default buckets (100, 300, 500, 1000, 3000, 5000, 10000 ms), and finer ones for fast calls.
_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0, 5.0, 10.0)
_SERIES = "metrics.series"
_STARTED = "metrics.started"


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError:
        raise ImportError(
            "dubbo.observability.Metrics needs prometheus_client: pip install 'dubbo-grpcio[prometheus]'"
        ) from None
    return prometheus_client


class _Family:
    """One side's metrics."""

    def __init__(self, prometheus: Any, side: str, registry: Any) -> None:
        def name(suffix: str) -> str:
            return f"dubbo_{side}_{suffix}"

        self.requests = prometheus.Counter(name("requests"), "Total Requests", _LABELS, registry=registry)
        self.succeed = prometheus.Counter(name("requests_succeed"), "Total Succeed Requests", _LABELS, registry=registry)
        self.failed = prometheus.Counter(
            name("requests_failed"), "Total Failed Requests, by gRPC status", _LABELS + ("code",), registry=registry
        )
        self.timeout = prometheus.Counter(
            name("requests_timeout"), "Total Timeout Failed Requests", _LABELS, registry=registry
        )
        self.processing = prometheus.Gauge(
            name("requests_processing_total"), "Processing Requests", _LABELS, registry=registry
        )
        self.rt = prometheus.Histogram(
            name("rt_milliseconds_histogram_seconds"), "Response Time Histogram", _LABELS, buckets=_BUCKETS,
            registry=registry,
        )
        self.sent = prometheus.Counter(name("messages_sent"), "Messages sent", _LABELS, registry=registry)
        self.received = prometheus.Counter(name("messages_received"), "Messages received", _LABELS, registry=registry)


class _Series:
    """One side's metrics for one method: the label children, looked up once."""

    __slots__ = ("family", "labels", "requests", "succeed", "timeout", "processing", "rt", "sent", "received")

    def __init__(self, family: _Family, labels: Tuple[str, str, str], client: bool) -> None:
        self.family = family
        self.labels = labels
        self.requests = family.requests.labels(*labels)
        self.succeed = family.succeed.labels(*labels)
        self.timeout = family.timeout.labels(*labels)
        self.processing = family.processing.labels(*labels)
        self.rt = family.rt.labels(*labels)
        sent, received = family.sent.labels(*labels), family.received.labels(*labels)
        # A client sends requests and receives responses; a server the other way round.
        self.sent, self.received = (sent, received) if client else (received, sent)


class Metrics(Interceptor):
    """Counts and times the calls of the clients and servers it is given to.

    ``registry`` is the ``prometheus_client`` registry to fill (a new one by default; pass
    ``prometheus_client.REGISTRY`` to share the process's); ``serve(port)`` exposes it.
    """

    def __init__(self, registry: Optional[Any] = None, application_name: str = "") -> None:
        prometheus = _prometheus()
        self.registry = registry if registry is not None else prometheus.CollectorRegistry()
        self.application_name = application_name
        self._families = {side: _Family(prometheus, name, self.registry) for side, name in _SIDES.items()}
        self._series: Dict[Tuple[str, str], _Series] = {}
        self._lock = threading.Lock()
        self._http: Any = None

    def _series_of(self, call: CallInfo) -> _Series:
        key = (call.side, call.method)
        series = self._series.get(key)
        if series is None:
            with self._lock:
                series = self._series.get(key)
                if series is None:
                    service, method = service_and_method(call.method)
                    labels = (self.application_name, service, method)
                    series = self._series[key] = _Series(self._families[call.side], labels, call.side == "client")
        return series

    def on_call(self, call: CallInfo) -> None:
        """Count the request and start its clock."""
        series = self._series_of(call)
        series.requests.inc()
        series.processing.inc()
        call.state[_SERIES] = series
        call.state[_STARTED] = time.perf_counter()

    def on_request(self, call: CallInfo, message: Any) -> None:
        """Count a request message (sent by a client, received by a server)."""
        call.state[_SERIES].sent.inc()

    def on_response(self, call: CallInfo, message: Any) -> None:
        """Count a response message."""
        call.state[_SERIES].received.inc()

    def on_end(self, call: CallInfo, code: grpc.StatusCode, message: str) -> None:
        """Record the outcome and the latency."""
        series: Optional[_Series] = call.state.get(_SERIES)
        if series is None:
            return
        series.rt.observe(time.perf_counter() - call.state[_STARTED])
        series.processing.dec()
        if code is grpc.StatusCode.OK:
            series.succeed.inc()
            return
        series.family.failed.labels(*series.labels, code.name).inc()
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            series.timeout.inc()

    def serve(self, port: int = 9464, host: str = "0.0.0.0") -> int:
        """Serve the registry for Prometheus at ``http://host:port/metrics`` (on a thread); returns the port.

        ``port=0`` picks a free one. 9464 is OpenTelemetry's Prometheus exporter's port.
        """
        if self._http is not None:
            raise RuntimeError("the metrics endpoint is already served")
        server, _thread = _prometheus().start_http_server(port, addr=host, registry=self.registry)
        self._http = server
        return int(server.server_port)

    def close(self) -> None:
        """Stop serving the endpoint."""
        server, self._http = self._http, None
        if server is not None:
            server.shutdown()
            server.server_close()
