"""The plain-HTTP listener of one server: hypercorn serving ``HttpApp`` on a port of its own.

hypercorn, of the ASGI servers, speaks HTTP/1.1 and HTTP/2 in cleartext (h2c by prior
knowledge and by ``Upgrade``) from one listener and runs inside an event loop it is given,
so it serves from the loop the handlers use; uvicorn has no HTTP/2, daphne offers HTTP/2
only over TLS, granian runs its own Rust workers outside the caller's loop.
The socket is bound when the endpoint is made, so a busy port fails there, as the gRPC
port does, and ``port=0`` is known at once.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import socket
from concurrent.futures import Executor
from typing import Any, Optional, Sequence

from ..._core.config import ServiceConfig
from ..._core.interceptors import Interceptor
from ..router import Router
from .app import HttpApp, missing
from .calls import http_method_handler
from .options import HttpOptions

__all__ = ["HttpEndpoint", "http_endpoint", "require_hypercorn"]

_log = logging.getLogger("dubbo.server")


def require_hypercorn() -> Any:
    """hypercorn's asyncio entry, or an ImportError saying how to install it."""
    try:
        importlib.import_module("hypercorn.config")
        return importlib.import_module("hypercorn.asyncio")
    except ImportError as error:
        raise ImportError(
            "the plain-HTTP endpoint (http_port=...) needs hypercorn: pip install 'dubbo-grpcio[http]'"
        ) from error


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not SO_REUSEPORT: a busy port fails
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    return sock


class HttpEndpoint:
    """hypercorn serving ``app`` on ``host:port`` (bound now); ``start``/``stop`` on the serving loop."""

    def __init__(self, app: HttpApp, host: str, port: int) -> None:
        self._serve = require_hypercorn().serve
        self._app = app
        self._socket: Optional[socket.socket] = _bind(host or "0.0.0.0", port)
        self.port: int = self._socket.getsockname()[1]
        self._task: Optional["asyncio.Task[None]"] = None
        self._shutdown: Optional[asyncio.Event] = None
        self._config: Any = None

    async def start(self) -> None:
        """Serve from the running loop until ``stop``."""
        from hypercorn.config import Config

        if self._socket is None:
            raise RuntimeError("this HTTP endpoint has stopped")
        config = Config()
        config.bind = [f"fd://{self._socket.detach()}"]  # hypercorn owns the socket from here on
        self._socket = None
        config.accesslog = None
        config.errorlog = logging.getLogger("dubbo.server.http")
        self._config = config
        self._shutdown = asyncio.Event()
        self._task = asyncio.ensure_future(self._serve(self._app, config, shutdown_trigger=self._shutdown.wait))

    async def stop(self, grace: Optional[float]) -> None:
        """Stop listening, give running calls ``grace`` seconds (none for ``None``), then end them."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        task, self._task = self._task, None
        if task is None:
            return
        # Idle keep-alive connections close as soon as shutdown begins; a moment lets them
        # finish rather than be cancelled (which Python 3.11's asyncio reports as an error).
        self._config.graceful_timeout = max(grace or 0.0, 0.1)
        if self._shutdown is not None:
            self._shutdown.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), (grace or 0.0) + 5.0)
        except asyncio.TimeoutError:
            task.cancel()
            _log.warning("the HTTP endpoint on port %d did not stop in time; its connections were dropped", self.port)
        except Exception:
            _log.exception("the HTTP endpoint on port %d failed", self.port)


def http_endpoint(
    configs: Sequence[ServiceConfig],
    port: int,
    options: Optional[HttpOptions],
    strict: bool,
    interceptors: Sequence[Interceptor],
    executor: Optional[Executor],
) -> HttpEndpoint:
    """A server's HTTP endpoint: its services routed as on its gRPC port, sync handlers on ``executor``."""
    options = options or HttpOptions()
    router = Router(
        configs,
        strict=strict,
        build=functools.partial(http_method_handler, executor=executor),
        unimplemented=missing,
        interceptors=interceptors,
    )
    host = options.host if options.host is not None else next((c.host for c in configs if c.host), "")
    return HttpEndpoint(HttpApp(router, options), host, port)
