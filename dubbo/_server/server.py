"""``dubbo.Server``: exported services on one grpcio server."""

from __future__ import annotations

import functools
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Sequence, Union

import grpc

from .._core.config import ServiceConfig
from .._core.interceptors import Interceptor
from .._core.transport import add_ports, server_options
from .async_calls import LoopThread
from .calls import grpc_method_handler
from .handlers import RpcServiceHandler
from .health import HEALTH_SERVICE, add_health, add_reflection
from .http.options import HttpOptions
from .router import Router
from .workers import Workers, bound_ports, ports_shared

__all__ = ["Server"]


def _shared_port(options: Sequence[Any]) -> tuple:
    return tuple(option for option in options if option[0] != "grpc.so_reuseport") + (("grpc.so_reuseport", 1),)


def checked_configs(service_config: Union[ServiceConfig, Iterable[ServiceConfig]]) -> List[ServiceConfig]:
    """One ``ServiceConfig`` or several, as a list, each checked (both servers take either)."""
    configs = [service_config] if isinstance(service_config, ServiceConfig) else list(service_config)
    if not configs:
        raise ValueError("a server needs at least one ServiceConfig")
    for config in configs:
        if not isinstance(config, ServiceConfig):
            raise TypeError(f"expected a ServiceConfig, got {config!r}")
        if not isinstance(config.service_handler, RpcServiceHandler):
            raise TypeError(f"ServiceConfig.service_handler must be an RpcServiceHandler, got {config.service_handler!r}")
    return configs


class Server:
    """Serves one or more ``ServiceConfig`` s. ``start()`` returns the server itself.

    Each call holds one of ``max_workers`` threads (200, Java's default pool) while it
    runs; as in Java, a call beyond them is refused at once with RESOURCE_EXHAUSTED
    rather than left waiting. ``max_concurrent_rpcs`` sets that limit apart from the
    pool (above it, calls past the pool wait for a thread without a status). Several versions
    or groups of one service may be exported side by side; ``strict_routing=True`` stops
    Java's fallback to ``1.0.0`` and to the first-exported service for calls that name no
    or an unknown version/group.
    ``health`` and ``reflection`` host grpcio's standard services (on when their
    packages are installed, see dubbo/_server/health.py); ``server.health`` is the health
    servicer, to ``set()`` a service's status by hand.
    ``http_port`` also serves the services over plain HTTP (JSON and protobuf bodies,
    Server-Sent Events, dubbo-js's Triple transport; see dubbo/_server/http/), on that port
    (0 picks one: ``server.http_port``), with ``http_options`` for CORS and limits.
    ``processes=N`` serves the port from N worker processes, ``0`` from one per core (see
    dubbo/_server/workers.py); start such a server before this process uses grpc.
    """

    def __init__(
        self,
        service_config: Union[ServiceConfig, Iterable[ServiceConfig]],
        dubbo: Any = None,
        *,
        max_workers: int = 200,
        max_concurrent_rpcs: Optional[int] = None,
        strict_routing: bool = False,
        interceptors: Sequence[Interceptor] = (),
        health: Optional[bool] = None,
        reflection: Optional[bool] = None,
        http_port: Optional[int] = None,
        http_options: Optional[HttpOptions] = None,
        processes: int = 1,
    ) -> None:
        configs = checked_configs(service_config)
        self.service_configs = configs
        self.dubbo = dubbo
        # Async handlers run on this server's own event loop thread, started on first use.
        self._loop_thread = LoopThread()
        build = functools.partial(grpc_method_handler, loop_thread=self._loop_thread)
        self._router = Router(configs, strict=strict_routing, build=build, interceptors=interceptors)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="dubbo-server")
        self._grpc = grpc.server(
            self._executor,
            options=_shared_port(server_options(configs)) if ports_shared() else server_options(configs),
            maximum_concurrent_rpcs=max_workers if max_concurrent_rpcs is None else max_concurrent_rpcs,
        )
        names = tuple(dict.fromkeys(c.service_handler.service_name for c in configs))
        # grpcio asks generic handlers in order and the router answers every path, so
        # the standard services go first.
        self.health = add_health(self._grpc, names, health)
        add_reflection(self._grpc, names + ((HEALTH_SERVICE,) if self.health else ()), reflection)
        self._grpc.add_generic_rpc_handlers((self._router,))
        self._http: Any = None
        try:
            self.ports: List[int] = add_ports(self._grpc, configs)
            if http_port is not None:
                from .http.endpoint import http_endpoint  # hypercorn only when asked for

                self._http = http_endpoint(configs, http_port, http_options, strict_routing, interceptors, self._executor)
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self.http_port: Optional[int] = None if self._http is None else self._http.port
        self._started = False
        self._exporter: Any = None  # the registry's record of this server, once started with one
        self._stopped = threading.Event()

    def __new__(cls, *args: Any, processes: int = 1, **kwargs: Any) -> "Server":
        return super().__new__(WorkerServer if processes != 1 and cls is Server else cls)

    _stopping = False
    _online = True

    @property
    def port(self) -> int:
        """The (first) port the server listens on; useful with ``port=0``."""
        return self.ports[0]

    @property
    def state(self) -> str:
        """``"created"``, ``"serving"``, ``"stopping"`` (draining) or ``"stopped"``; what readiness probes read."""
        if self._stopped.is_set():
            return "stopped"
        if self._stopping:
            return "stopping"
        return "serving" if self._started else "created"

    @property
    def is_online(self) -> bool:
        """False after ``offline()`` until ``online()``."""
        return self._online

    def offline(self) -> None:
        """Leave the registry but keep serving (Dubbo QoS's ``offline``, the step before a drain)."""
        self._online = False
        exporter = self._exporter
        if exporter is not None:
            exporter.unregister()

    def online(self) -> None:
        """Register again after ``offline()`` (Dubbo QoS's ``online``)."""
        self._online = True
        exporter = self._exporter
        if exporter is not None:
            exporter.register()

    def start(self) -> "Server":
        """Start serving and return this server, so ``server = Server(cfg).start()`` works."""
        if self._stopped.is_set():
            raise RuntimeError("this server has stopped and cannot start again: create a new Server")
        if not self._started:
            self._grpc.start()
            self._started = True
            if self._http is not None:
                self._loop_thread.submit(self._http.start()).result()
            if getattr(self.dubbo, "registry_config", None) is not None:
                from .._registry.exporter import Exporter  # kazoo is needed only when a registry is used

                try:
                    self._exporter = Exporter(self, self.dubbo)
                except BaseException:
                    self._grpc.stop(0)  # not findable, so not serving either
                    raise
        return self

    def stop(self, grace: Optional[float] = None) -> None:
        """Stop accepting calls, let running ones finish within ``grace`` seconds, cancel the rest.

        Health reports NOT_SERVING from here on, so watchers move away first.
        """
        self._stopping = True
        exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.close()  # leave the registry before draining, so consumers move away first
        if self.health is not None:
            self.health.enter_graceful_shutdown()
        http_stopped = self._loop_thread.submit(self._http.stop(grace)) if self._http is not None else None
        self._grpc.stop(grace).wait()
        if http_stopped is not None:
            http_stopped.result()
        self._executor.shutdown(wait=False)
        self._loop_thread.stop()
        self._stopped.set()

    def wait_for_termination(self, timeout: Optional[float] = None) -> bool:
        """Block until the server stops (or ``timeout`` passes); True if it stopped."""
        return not self._grpc.wait_for_termination(timeout)  # grpcio's is True on timeout

    def run_until_signal(self, grace: float = 10.0, signals=(signal.SIGTERM, signal.SIGINT)) -> Optional[int]:
        """Start, serve until one of ``signals`` arrives (or ``stop()``), then ``stop(grace)``; returns the signal.

        For a server's main thread (``if __name__ == "__main__"``): SIGTERM from a process
        manager then drains calls instead of killing them.
        """
        received: List[int] = []
        arrived = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            received.append(signum)
            arrived.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in signals}
        try:
            self.start()
            while not arrived.wait(1.0) and not self._stopped.is_set():
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop(grace)
        return received[0] if received else None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop(grace=None)


class WorkerServer(Server):
    """A ``Server`` whose services run in worker processes sharing its ports (dubbo/_server/workers.py).

    The address is registered once, from this process. Health is served by every worker, each
    reporting the same (SERVING, then NOT_SERVING while it drains), so ``health`` is None here;
    ``worker_pids`` lists the running workers.
    """

    def __init__(
        self, service_config: Union[ServiceConfig, Iterable[ServiceConfig]], dubbo: Any = None, *,
        processes: int = 0, **options: Any,
    ) -> None:
        if options.get("http_port") is not None:
            raise ValueError("http_port is served by one process: use it without processes=")
        self.service_configs = bound_ports(checked_configs(service_config))
        self.ports = list(dict.fromkeys(int(c.port or 0) for c in self.service_configs))
        self.dubbo = dubbo
        self.health = None
        self.http_port = None
        self._workers = Workers(self.service_configs, processes, lambda configs: Server(configs, **options))
        self._started = False
        self._exporter = None
        self._stopped = self._workers.stopped

    @property
    def worker_pids(self) -> List[int]:
        return self._workers.pids

    def start(self) -> "WorkerServer":
        """Start every worker and return once all serve; then register the address, once."""
        if self._stopped.is_set():
            raise RuntimeError("this server has stopped and cannot start again: create a new Server")
        if not self._started:
            self._workers.start()
            self._started = True
            if getattr(self.dubbo, "registry_config", None) is not None:
                from .._registry.exporter import Exporter  # kazoo is needed only when a registry is used

                try:
                    self._exporter = Exporter(self, self.dubbo)
                except BaseException:
                    self._workers.stop(None)
                    raise
        return self

    def stop(self, grace: Optional[float] = None) -> None:
        """Leave the registry, then stop every worker as ``Server.stop(grace)`` does; returns when all have."""
        self._stopping = True
        exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.close()
        if self._started:
            self._workers.stop(grace)
        self._stopped.set()

    def wait_for_termination(self, timeout: Optional[float] = None) -> bool:
        """Block until every worker has stopped (or ``timeout`` passes); True if they have."""
        return self._stopped.wait(timeout)
