"""Dubbo's QoS (operations) port over HTTP: ``ls``, ``offline``, ``online`` and Kubernetes probes.

Java Dubbo answers these on port 22222 (``curl http://127.0.0.1:22222/ready``); so does
``Qos``, for the servers and clients given to it:

- ``GET /ls``: services provided (``PUB`` Y/N: in the registry now, ``-`` without a registry)
  and consumed (the address called, or ``registry``);
- ``GET /offline``: every server leaves the registry but keeps serving (release tooling's step
  before draining); ``GET /online`` registers them again;
- ``GET /live``: 200 ``true`` while the process answers;
- ``GET /startup``: 200 ``true`` once every server has started, else 503 ``false``;
- ``GET /ready``: 200 ``true`` while every server serves and is online, 503 ``false`` before
  start, while offline and from the moment it begins to stop;
- ``GET /metrics``: a ``Metrics`` registry, if one was given (Java serves its metrics here too).

It listens on 127.0.0.1 by default, as Java's QoS accepts only local callers by default;
``host="0.0.0.0"`` opens it (Kubernetes probes come from the node).
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ["Qos", "DEFAULT_QOS_PORT"]

DEFAULT_QOS_PORT = 22222


def _service_key(config: Any) -> str:
    """Java's ``group/interface:version``."""
    name = config.service_handler.service_name if hasattr(config, "service_handler") else config.service
    if config.group:
        name = f"{config.group}/{name}"
    return f"{name}:{config.version}" if config.version else name


def _table(headers: Sequence[str], rows: Sequence[Tuple[str, ...]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    rule = "+" + "+".join("-" * w for w in widths) + "+"
    lines = [rule, "|" + "|".join(h.ljust(w) for h, w in zip(headers, widths)) + "|", rule]
    lines += ["|" + "|".join(c.ljust(w) for c, w in zip(row, widths)) + "|" for row in rows]
    if rows:
        lines.append(rule)
    return "\n".join(lines)


class Qos:
    """The operations port for ``targets`` (``dubbo.Server``, ``dubbo.aio.Server``, clients of either kind)."""

    def __init__(
        self, *targets: Any, port: int = DEFAULT_QOS_PORT, host: str = "127.0.0.1", metrics: Optional[Any] = None
    ) -> None:
        self.servers: List[Any] = []
        self.clients: List[Any] = []
        self.metrics = metrics
        self.host = host
        self._wanted_port = port
        self._http: Optional[ThreadingHTTPServer] = None
        self.add(*targets)
        self._commands: Dict[str, Callable[[], Tuple[int, str]]] = {
            "ls": self.ls,
            "offline": self.offline,
            "online": self.online,
            "live": self.live,
            "startup": self.startup,
            "ready": self.ready,
        }

    def add(self, *targets: Any) -> "Qos":
        """Servers (anything with ``service_configs``) and clients (anything with ``reference``) to report on."""
        for target in targets:
            if hasattr(target, "service_configs"):
                self.servers.append(target)
            elif hasattr(target, "reference"):
                self.clients.append(target)
            else:
                raise TypeError(f"expected a dubbo server or client, got {target!r}")
        return self

    @property
    def port(self) -> int:
        """The port it listens on, once started (``port=0`` picks one)."""
        if self._http is None:
            raise RuntimeError("the QoS port is open once started: qos.start() first")
        return int(self._http.server_address[1])

    def start(self) -> "Qos":
        """Listen (on a thread of its own) and return this ``Qos``."""
        if self._http is None:
            self._http = ThreadingHTTPServer((self.host, self._wanted_port), _handler(self))
            self._http.daemon_threads = True
            threading.Thread(target=self._http.serve_forever, name="dubbo-qos", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port."""
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()
            http.server_close()

    def __enter__(self) -> "Qos":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def run(self, command: str) -> Tuple[int, str]:
        """Run one command by name: ``(HTTP status, text)``."""
        if command == "metrics" and self.metrics is not None:
            from prometheus_client import generate_latest

            return HTTPStatus.OK, generate_latest(self.metrics.registry).decode()
        run = self._commands.get(command)
        if run is None:
            return HTTPStatus.NOT_FOUND, f"Unsupported command: {command}"
        return run()

    def ls(self) -> Tuple[int, str]:
        """Services provided and consumed."""
        provided = []
        for server in self.servers:
            registry = getattr(server.dubbo, "registry_config", None) is not None
            published = "-" if not registry else "Y" if server.is_online and server.state == "serving" else "N"
            provided += [(_service_key(config), published) for config in server.service_configs]
        consumed = [
            (_service_key(client.reference), client.reference.address or "registry") for client in self.clients
        ]
        text = "As Provider side:\n" + _table(("Provider Service Name", "PUB"), provided)
        text += "\nAs Consumer side:\n" + _table(("Consumer Service Name", "ADDRESS"), consumed)
        return HTTPStatus.OK, text + "\n"

    def offline(self) -> Tuple[int, str]:
        """Every server leaves the registry, still serving."""
        for server in self.servers:
            server.offline()
        return HTTPStatus.OK, "OK\n"

    def online(self) -> Tuple[int, str]:
        """Every server registers again."""
        for server in self.servers:
            server.online()
        return HTTPStatus.OK, "OK\n"

    def live(self) -> Tuple[int, str]:
        """The process answers."""
        return HTTPStatus.OK, "true\n"

    def startup(self) -> Tuple[int, str]:
        """Every server has started."""
        return _probe(all(server.state != "created" for server in self.servers))

    def ready(self) -> Tuple[int, str]:
        """Every server serves and is online."""
        return _probe(all(server.state == "serving" and server.is_online for server in self.servers))


def _probe(ok: bool) -> Tuple[int, str]:
    return (HTTPStatus.OK, "true\n") if ok else (HTTPStatus.SERVICE_UNAVAILABLE, "false\n")


def _handler(qos: Qos) -> type:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            command = self.path.split("?", 1)[0].strip("/")
            status, text = qos.run(command)
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: not worth a line
            pass

    return Handler
