"""``dubbo.Server``: exported services on one grpcio server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Union

import grpc

from ._config import ServiceConfig
from ._handlers import RpcServiceHandler
from ._router import Router

__all__ = ["Server"]

_SERVER_OPTIONS = (
    # Accept the client keepalive pings our channels send (every 30 s) without GOAWAY.
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


class Server:
    """Serves one or more ``ServiceConfig`` s. ``start()`` returns the server itself.

    Each streaming call holds a worker thread while it runs: ``max_workers`` bounds how
    many calls run at once. Several versions or groups of one service may be exported
    side by side; ``strict_routing=True`` stops Java's fallback to ``1.0.0`` and to the
    first-exported service for calls that name no or an unknown version/group.
    """

    def __init__(
        self,
        service_config: Union[ServiceConfig, Iterable[ServiceConfig]],
        dubbo: Any = None,
        *,
        max_workers: int = 64,
        strict_routing: bool = False,
    ) -> None:
        configs: List[ServiceConfig] = (
            [service_config] if isinstance(service_config, ServiceConfig) else list(service_config)
        )
        if not configs:
            raise ValueError("a server needs at least one ServiceConfig")
        for config in configs:
            if not isinstance(config, ServiceConfig):
                raise TypeError(f"expected a ServiceConfig, got {config!r}")
            if not isinstance(config.service_handler, RpcServiceHandler):
                raise TypeError(f"ServiceConfig.service_handler must be an RpcServiceHandler, got {config.service_handler!r}")
        self.service_configs = configs
        self.dubbo = dubbo
        self._router = Router(configs, strict=strict_routing)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="dubbo-server")
        self._grpc = grpc.server(self._executor, handlers=(self._router,), options=_SERVER_OPTIONS)
        self.ports: List[int] = []
        for address in dict.fromkeys(c.bind_address for c in configs):
            bound = self._grpc.add_insecure_port(address)
            if not bound:
                raise OSError(f"could not listen on {address}")
            self.ports.append(bound)
        self._started = False
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        """The (first) port the server listens on; useful with ``port=0``."""
        return self.ports[0]

    def start(self) -> "Server":
        """Start serving and return this server, so ``server = Server(cfg).start()`` works."""
        if not self._started:
            self._grpc.start()
            self._started = True
        return self

    def stop(self, grace: Optional[float] = None) -> None:
        """Stop accepting calls, let running ones finish within ``grace`` seconds, cancel the rest."""
        self._grpc.stop(grace).wait()
        self._executor.shutdown(wait=False)
        self._stopped.set()

    def wait_for_termination(self, timeout: Optional[float] = None) -> bool:
        """Block until the server stops (or ``timeout`` passes); True if it stopped."""
        return self._grpc.wait_for_termination(timeout)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop(grace=None)
