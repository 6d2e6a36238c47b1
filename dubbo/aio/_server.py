"""``dubbo.aio.Server``: exported services on one grpc.aio server."""

from __future__ import annotations

import asyncio
import functools
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Sequence, Union

import grpc

from .._core.config import ServiceConfig
from .._core.interceptors import Interceptor
from .._core.transport import add_ports, server_options
from .._server.async_calls import is_async
from .._server.health import HEALTH_SERVICE, add_reflection, optional_module
from .._server.http.options import HttpOptions
from .._server.router import Router
from .._server.server import checked_configs
from ._server_calls import aio_method_handler, unimplemented

__all__ = ["Server"]


async def _add_health(server: grpc.aio.Server, names: Sequence[str], wanted: Optional[bool]) -> Any:
    """grpcio's asyncio health service, every name (and ``""``) SERVING; as ``dubbo._health.add_health``."""
    health = optional_module("grpc_health.v1.health", "health", wanted)
    if health is None:
        return None
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    for name in ("", *names):
        await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return servicer


class Server:
    """Serves one or more ``ServiceConfig`` s from asyncio: ``server = await Server(cfg).start()``.

    Async handlers run on the event loop. Sync handlers run on a pool of ``max_workers``
    threads (made only if there are any), each streaming call holding a thread while it
    runs; for services of sync handlers only, ``dubbo.Server`` is faster. Routing on
    version and group is the sync server's, ``strict_routing`` included.
    ``max_concurrent_rpcs`` answers calls beyond it with RESOURCE_EXHAUSTED; ``health``
    and ``reflection`` host grpcio's standard services as on the sync server;
    ``http_port`` and ``http_options`` add the plain-HTTP endpoint as there, served from
    this server's event loop.
    """

    def __init__(
        self,
        service_config: Union[ServiceConfig, Iterable[ServiceConfig]],
        dubbo: Any = None,
        *,
        max_workers: int = 64,
        strict_routing: bool = False,
        max_concurrent_rpcs: Optional[int] = None,
        interceptors: Sequence[Interceptor] = (),
        health: Optional[bool] = None,
        reflection: Optional[bool] = None,
        http_port: Optional[int] = None,
        http_options: Optional[HttpOptions] = None,
    ) -> None:
        configs = checked_configs(service_config)
        self.service_configs = configs
        self.dubbo = dubbo
        sync_handlers = any(
            not is_async(handler.method) for c in configs for handler in c.service_handler.method_handlers.values()
        )
        self._executor = (
            ThreadPoolExecutor(max_workers, thread_name_prefix="dubbo-aio-server") if sync_handlers else None
        )
        self._router = Router(
            configs,
            strict=strict_routing,
            build=functools.partial(aio_method_handler, executor=self._executor),
            unimplemented=unimplemented,
            interceptors=interceptors,
        )
        self._max_concurrent_rpcs = max_concurrent_rpcs
        self._strict_routing = strict_routing
        self._interceptors = interceptors
        self._http_wanted = (http_port, http_options)
        self._http: Any = None
        self.http_port: Optional[int] = None  # the plain-HTTP port, once started
        self._health_wanted = health
        self._reflection_wanted = reflection
        self.health: Any = None  # grpcio's asyncio health servicer, once started (``await server.health.set(...)``)
        self._exporter: Any = None
        self._grpc: Optional[grpc.aio.Server] = None
        self._stopping: Optional[asyncio.Event] = None
        self.ports: List[int] = []

    @property
    def port(self) -> int:
        """The (first) port the server listens on, once started; useful with ``port=0``."""
        if not self.ports:
            raise RuntimeError("the server listens once started: await server.start() first")
        return self.ports[0]

    _stopped = False
    _online = True

    @property
    def state(self) -> str:
        """``"created"``, ``"serving"``, ``"stopping"`` (draining) or ``"stopped"``; what readiness probes read."""
        if self._stopped:
            return "stopped"
        if self._stopping is not None and self._stopping.is_set():
            return "stopping"
        return "serving" if self._grpc is not None else "created"

    @property
    def is_online(self) -> bool:
        """False after ``offline()`` until ``online()``."""
        return self._online

    def offline(self) -> None:
        """Leave the registry but keep serving (Dubbo QoS's ``offline``); blocks on the registry briefly."""
        self._online = False
        if self._exporter is not None:
            self._exporter.unregister()

    def online(self) -> None:
        """Register again after ``offline()`` (Dubbo QoS's ``online``); blocks on the registry briefly."""
        self._online = True
        if self._exporter is not None:
            self._exporter.register()

    async def start(self) -> "Server":
        """Listen and serve; returns this server, so ``server = await Server(cfg).start()`` works."""
        if self._stopping is not None and self._stopping.is_set():
            raise RuntimeError("this server has stopped and cannot start again: create a new Server")
        if self._grpc is None:
            server = grpc.aio.server(
                options=server_options(self.service_configs), maximum_concurrent_rpcs=self._max_concurrent_rpcs
            )
            names = tuple(dict.fromkeys(c.service_handler.service_name for c in self.service_configs))
            # The standard services go before the router, which answers every path.
            self.health = await _add_health(server, names, self._health_wanted)
            add_reflection(server, names + ((HEALTH_SERVICE,) if self.health else ()), self._reflection_wanted)
            server.add_generic_rpc_handlers((self._router,))
            try:
                self.ports = add_ports(server, self.service_configs)
                http_port, http_options = self._http_wanted
                if http_port is not None:
                    from .._server.http.endpoint import http_endpoint  # hypercorn only when asked for

                    self._http = http_endpoint(
                        self.service_configs, http_port, http_options, self._strict_routing, self._interceptors, self._executor
                    )
                    self.http_port = self._http.port
            except BaseException:
                await server.stop(None)
                raise
            await server.start()
            self._grpc = server
            if self._http is not None:
                await self._http.start()
            self._stopping = asyncio.Event()
            if getattr(self.dubbo, "registry_config", None) is not None:
                from .._registry.exporter import Exporter  # kazoo is needed only when a registry is used

                self._exporter = Exporter(self, self.dubbo)
        return self

    async def stop(self, grace: Optional[float] = None) -> None:
        """Stop accepting calls, let running ones finish within ``grace`` seconds, cancel the rest.

        The services leave the registry first, and health reports NOT_SERVING, so callers move away.
        """
        if self._stopping is not None:
            self._stopping.set()
        exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.close()
        if self.health is not None:
            await self.health.enter_graceful_shutdown()
        http, self._http = self._http, None
        if self._grpc is not None:
            await asyncio.gather(self._grpc.stop(grace), *([http.stop(grace)] if http is not None else []))
        elif http is not None:
            await http.stop(grace)
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self._stopped = True

    async def wait_for_termination(self, timeout: Optional[float] = None) -> bool:
        """Wait until the server stops (or ``timeout`` passes); True if it stopped."""
        if self._grpc is None:
            raise RuntimeError("the server was never started")
        return not await self._grpc.wait_for_termination(timeout)  # grpcio's is True on timeout

    async def run_until_signal(self, grace: float = 10.0, signals=(signal.SIGTERM, signal.SIGINT)) -> Optional[int]:
        """Start, serve until one of ``signals`` arrives (or ``stop()``), then ``stop(grace)``; returns the signal.

        For a service's main coroutine (``asyncio.run(server.run_until_signal())``): SIGTERM
        from a process manager then drains calls instead of killing them.
        """
        loop = asyncio.get_running_loop()
        received: List[int] = []
        arrived = asyncio.Event()

        def on_signal(signum: int) -> None:
            received.append(signum)
            arrived.set()

        for signum in signals:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            await self.start()
            assert self._stopping is not None  # made by start()
            # Not grpc.aio's wait_for_termination: cancelling it breaks the server's shutdown.
            waits = {asyncio.ensure_future(arrived.wait()), asyncio.ensure_future(self._stopping.wait())}
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in pending:
                waiting.cancel()
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
            await self.stop(grace)
        return received[0] if received else None

    async def __aenter__(self) -> "Server":
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop(None)
