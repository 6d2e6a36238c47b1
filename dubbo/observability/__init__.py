"""Observability and operations, off unless configured: tracing, metrics, access log, the QoS port.

    from dubbo.observability import AccessLog, Metrics, Qos, Tracing
    metrics = Metrics()
    server = dubbo.Server(config, interceptors=[Tracing(), metrics, AccessLog()])
    metrics.serve(9464)
    Qos(server, metrics=metrics).start()

``Tracing`` needs ``dubbo-grpcio[otel]``, ``Metrics`` ``dubbo-grpcio[prometheus]``; each
imports its package when made, so importing this module needs neither.
"""

from .accesslog import AccessLog
from .metrics import Metrics
from .qos import DEFAULT_QOS_PORT, Qos
from .tracing import Tracing

__all__ = ["AccessLog", "DEFAULT_QOS_PORT", "Metrics", "Qos", "Tracing"]
