"""An access log: one line per call, as Java Dubbo's ``accesslog`` filter writes one per invocation.

    2026-05-01T10:00:00.123+00:00 server 10.0.0.7:52144 /pkg.Greeter/sayHello OK 1.84ms

Time the call started (UTC), side, the other end (``-`` when a registry picks the provider),
``/service/method``, final status, duration. Lines go to a ``logging`` logger
(``dubbo.accesslog`` by default) at INFO, so where they land is the application's logging setup.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Union

import grpc

from .._core.interceptors import CallInfo, Interceptor
from ._names import host_and_port

__all__ = ["AccessLog"]

_STARTED = "accesslog.started"


class AccessLog(Interceptor):
    """Logs one line per call of the clients and servers it is given to."""

    def __init__(self, logger: Union[str, logging.Logger] = "dubbo.accesslog", level: int = logging.INFO) -> None:
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.level = level

    def on_call(self, call: CallInfo) -> None:
        """Note when the call started."""
        call.state[_STARTED] = (time.time(), time.perf_counter())

    def on_end(self, call: CallInfo, code: grpc.StatusCode, message: str) -> None:
        """Write the call's line."""
        if not self.logger.isEnabledFor(self.level):
            return
        wall, started = call.state[_STARTED]
        host, port = host_and_port(call.peer)
        peer = "-" if not host else (host if port is None else f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
        when = datetime.datetime.fromtimestamp(wall, datetime.timezone.utc).isoformat(timespec="milliseconds")
        elapsed = (time.perf_counter() - started) * 1e3
        self.logger.log(self.level, "%s %s %s %s %s %.2fms", when, call.side, peer, call.method, code.name, elapsed)
