"""``dubbo.aio.Server``: exported services on one grpc.aio server."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Union

import grpc

from .._config import ServiceConfig
from .._handlers import RpcServiceHandler
from .._router import Router
from .._transport import add_ports, server_options
from .._async_handlers import is_async
from ._server_calls import aio_method_handler, unimplemented

__all__ = ["Server"]


class Server:
    """Serves one or more ``ServiceConfig`` s from asyncio: ``server = await Server(cfg).start()``.

    Async handlers run on the event loop. Sync handlers run on a pool of ``max_workers``
    threads (made only if there are any), each streaming call holding a thread while it
    runs; for services of sync handlers only, ``dubbo.Server`` is faster. Routing on
    version and group is the sync server's, ``strict_routing`` included.
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
        )
        self._grpc: Optional[grpc.aio.Server] = None
        self.ports: List[int] = []

    @property
    def port(self) -> int:
        """The (first) port the server listens on, once started; useful with ``port=0``."""
        if not self.ports:
            raise RuntimeError("the server listens once started: await server.start() first")
        return self.ports[0]

    async def start(self) -> "Server":
        """Listen and serve; returns this server, so ``server = await Server(cfg).start()`` works."""
        if self._grpc is None:
            server = grpc.aio.server(options=server_options(self.service_configs))
            server.add_generic_rpc_handlers((self._router,))
            self.ports = add_ports(server, self.service_configs)
            await server.start()
            self._grpc = server
        return self

    async def stop(self, grace: Optional[float] = None) -> None:
        """Stop accepting calls, let running ones finish within ``grace`` seconds, cancel the rest."""
        if self._grpc is not None:
            await self._grpc.stop(grace)
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    async def wait_for_termination(self, timeout: Optional[float] = None) -> bool:
        """Wait until the server stops (or ``timeout`` passes); True if it stopped."""
        if self._grpc is None:
            raise RuntimeError("the server was never started")
        return await self._grpc.wait_for_termination(timeout)

    async def __aenter__(self) -> "Server":
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop(None)
