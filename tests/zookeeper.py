"""A real standalone ZooKeeper for the registry tests, from Debian's ``zookeeper`` package.

``ZooKeeper(tmp_dir).start()`` runs ``ZooKeeperServerMain`` on a free port with its own
data directory and config (admin server off, ``ruok``/``srvr`` whitelisted), waits until
it serves (``srvr`` reports its mode), and ``stop()`` always ends the process. ``restart()`` keeps the port
and the data, so sessions survive a short outage as they would in production.

Also the registry tests' fixtures: a registry group per test, providers of ``test.Who``
that name themselves in their answers, registry-discovered clients (``stack`` gives them
on both front ends, sync and asyncio, for tests that hold for both), and a plain kazoo
client to read back what was written. Test modules import the fixtures they use.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any, Callable, Iterator, List, Optional

import grpc
import pytest

import dubbo
from dubbo import ReferenceConfig, RegistryConfig, RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig, aio

__all__ = ["ZooKeeper", "zookeeper_classpath", "free_port", "wait_until", "who_service", "SERVICE", "Stack"]

_JAVA_DIR = "/usr/share/java"
_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
_CONFIG = """\
tickTime=500
initLimit=10
syncLimit=5
dataDir={data}
clientPort={port}
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
minSessionTimeout=1000
maxSessionTimeout=60000
"""


def zookeeper_classpath() -> Optional[List[str]]:
    """The Debian package's jars (its manifest names the other dependencies), or None if absent."""
    main = os.path.join(_JAVA_DIR, "zookeeper.jar")
    if not os.path.exists(main):
        versioned = sorted(glob.glob(os.path.join(_JAVA_DIR, "zookeeper-3*.jar")))
        if not versioned:
            return None
        main = versioned[-1]
    jars = [main]
    # A no-op logger keeps SLF4J quiet; the jute jar is in the manifest but list it to be safe.
    for extra in ("zookeeper-jute.jar", "slf4j-nop.jar"):
        path = os.path.join(_JAVA_DIR, extra)
        if os.path.exists(path):
            jars.append(path)
    return jars


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def four_letter_word(port: int, word: bytes, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(word)
        chunks = []
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


class ZooKeeper:
    """One standalone ZooKeeper process on ``127.0.0.1:port``."""

    def __init__(self, directory: str) -> None:
        classpath = zookeeper_classpath()
        java = shutil.which("java")
        if classpath is None or java is None:
            missing = "ZooKeeper is not installed (Debian's `zookeeper` package and Java): tests/provision.sh installs it"
            if os.environ.get("CI") == "true":
                pytest.fail(missing, pytrace=False)
            pytest.skip(missing)
        self.directory = directory
        self.data_dir = os.path.join(directory, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = free_port()
        self._command = [
            java,
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dzookeeper.admin.enableServer=false",
            "-cp",
            ":".join(classpath),
            _MAIN,
            os.path.join(directory, "zoo.cfg"),
        ]
        self._process: Optional[subprocess.Popen] = None
        self._log = os.path.join(directory, "zookeeper.log")

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"zookeeper://{self.hosts}"

    def start(self, wait: float = 60.0) -> "ZooKeeper":
        with open(os.path.join(self.directory, "zoo.cfg"), "w") as config:
            config.write(_CONFIG.format(data=self.data_dir, port=self.port))
        log = open(self._log, "ab")
        self._process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                # "ruok" answers before the database is loaded; "srvr" reports a Mode once it serves.
                if b"Mode:" in four_letter_word(self.port, b"srvr"):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        with open(self._log, "rb") as log:
            tail = log.read()[-2000:].decode(errors="replace")
        raise RuntimeError(f"ZooKeeper did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


@pytest.fixture(scope="session")
def zookeeper_server() -> Iterator[ZooKeeper]:
    """One ZooKeeper for the whole session; tests isolate themselves with a registry group."""
    directory = tempfile.mkdtemp(prefix="dubbo-zk-")
    server = ZooKeeper(directory)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def own_zookeeper(tmp_path) -> Iterator[ZooKeeper]:
    """A ZooKeeper of the test's own, for tests that stop or restart it."""
    server = ZooKeeper(str(tmp_path))
    try:
        yield server.start()
    finally:
        server.stop()


# -- registry test helpers: a unique registry group per test, providers that always stop ----------

SERVICE = "test.Who"


def who_service(name: str, calls: dict, gate: Optional[threading.Event] = None, delay: float = 0) -> RpcServiceHandler:
    """A service whose answers name the provider: ``whoami``, ``block`` (waits for ``gate``),
    ``fail`` (a handler error), ``unavailable`` (a handler's UNAVAILABLE), ``cancelled`` (a
    handler's CANCELLED), ``count`` (a server
    stream of three), ``echo`` (bidi) and ``total`` (client stream); ``calls`` counts per method.
    ``delay`` makes ``whoami`` a slow provider's answer."""

    def counted(method):
        calls[method] = calls.get(method, 0) + 1

    def whoami(request):
        counted("whoami")
        if delay:
            time.sleep(delay)
        return name.encode()

    def block(request):
        counted("block")
        gate.wait(30)
        return name.encode()

    def fail(request):
        counted("fail")
        raise ValueError("business error")

    def unavailable(request):
        counted("unavailable")
        raise RpcError(grpc.StatusCode.UNAVAILABLE, "handler says unavailable")

    def cancelled(request):
        counted("cancelled")
        raise RpcError(grpc.StatusCode.CANCELLED, "handler says cancelled")

    def count(request):
        counted("count")
        for i in range(3):
            yield f"{name}:{i}".encode()

    def echo(requests):
        counted("echo")
        for request in requests:
            yield name.encode() + b":" + request

    def total(requests):
        counted("total")
        return name.encode() + b":" + str(sum(1 for _ in requests)).encode()

    return RpcServiceHandler(
        SERVICE,
        [
            RpcMethodHandler.unary(whoami),
            RpcMethodHandler.unary(block),
            RpcMethodHandler.unary(fail),
            RpcMethodHandler.unary(unavailable),
            RpcMethodHandler.unary(cancelled),
            RpcMethodHandler.server_stream(count),
            RpcMethodHandler.bi_stream(echo),
            RpcMethodHandler.client_stream(total),
        ],
    )


class Provider:
    """A started provider: its server, its per-method call counts, and the gate ``block`` waits on."""

    def __init__(self, name: str, server: "dubbo.Server", calls: dict, gate: threading.Event) -> None:
        self.name = name
        self.server = server
        self.calls = calls
        self.gate = gate

    def stop(self, grace: Optional[float] = 0) -> None:
        self.gate.set()
        self.server.stop(grace)


@pytest.fixture
def registry_config(zookeeper_server) -> RegistryConfig:
    """A registry on the shared ZooKeeper under a group (root) of the test's own."""
    return RegistryConfig.from_url(f"{zookeeper_server.url}?group=t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def start_provider(registry_config) -> Iterator:
    """``start_provider(name, weight=..., version=..., group=..., registry=...)`` → a started Provider."""
    started: List[Provider] = []

    def start(name: str, weight: Optional[int] = None, version: Optional[str] = None, group: Optional[str] = None,
              registry: Optional[RegistryConfig] = None, delay: float = 0, host: Optional[str] = None,
              **server_options) -> Provider:
        calls: dict = {}
        gate = threading.Event()
        parameters = {"warmup": "0"}  # weights count at once (warm-up is tested on its own)
        if weight is not None:
            parameters["weight"] = str(weight)
        config = ServiceConfig(
            who_service(name, calls, gate, delay), host=host, port=0, version=version, group=group, parameters=parameters
        )
        bootstrap = dubbo.Dubbo(registry_config=registry or registry_config)
        provider = Provider(name, bootstrap.create_server(config, **server_options).start(), calls, gate)
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.stop(0)


@pytest.fixture
def connect_registry(registry_config) -> Iterator:
    """``connect_registry(**reference_fields)`` → a registry-discovered Client of ``test.Who``; closed at the end."""
    clients: list = []

    def connect(registry: Optional[RegistryConfig] = None, **fields) -> "dubbo.Client":
        from dubbo import ReferenceConfig

        bootstrap = dubbo.Dubbo(registry_config=registry or registry_config)
        client = bootstrap.create_client(ReferenceConfig(service=fields.pop("service", SERVICE), **fields))
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


class Stack:
    """Registry clients and servers on one front end, ``sync`` (``dubbo``) or ``aio`` (``dubbo.aio``),
    driven from plain threads so one test body covers both.

    asyncio clients run on an event loop thread of the stack's own (their channels belong to
    that loop); ``run`` awaits there and blocks the caller until the result is in.
    """

    def __init__(self, name: str, registry_config: RegistryConfig) -> None:
        self.name = name
        self.registry_config = registry_config
        self._clients: list = []
        self._servers: list = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        if name == "aio":
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="stack-loop", daemon=True)
            self._thread.start()

    def __repr__(self) -> str:
        return self.name

    def run(self, awaitable: Any) -> Any:
        """The value itself on the sync stack; on the asyncio one, awaited on the stack's loop."""
        if self._loop is None:
            return awaitable

        async def wait() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), self._loop).result(60)

    def bootstrap(self, registry: Optional[RegistryConfig] = None) -> "dubbo.Dubbo":
        return (aio.Dubbo if self._loop else dubbo.Dubbo)(registry_config=registry or self.registry_config)

    def connect(self, registry: Optional[RegistryConfig] = None, **fields) -> Any:
        """A registry-discovered client of ``test.Who`` (or ``service=``), closed with the stack."""
        reference = ReferenceConfig(service=fields.pop("service", SERVICE), **fields)
        client = self.bootstrap(registry).create_client(reference)
        self._clients.append(client)
        return client

    def unary(self, method: str, registry: Optional[RegistryConfig] = None, **fields) -> Callable[[Any], Any]:
        """``call(request) -> response``, blocking, through a new client made with ``fields``."""
        return self.blocking(self.connect(registry, **fields).unary(method))

    def blocking(self, call: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return call if self._loop is None else (lambda request: self.run(call(request)))

    def serve(self, config: ServiceConfig, registry: Optional[RegistryConfig] = None) -> Any:
        """A started server of this stack registered with the registry; stopped with the stack."""
        server = self.bootstrap(registry).create_server(config)
        self._servers.append(server)
        return self.run(server.start())

    def close(self) -> None:
        for client in self._clients:
            self.run(client.close())
        for server in self._servers:
            self.run(server.stop(0))
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


@pytest.fixture(params=["sync", "aio"])
def stack(request, registry_config) -> Iterator[Stack]:
    """Each test that takes it runs twice: with ``dubbo`` and with ``dubbo.aio``."""
    made = Stack(request.param, registry_config)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def zk_client(zookeeper_server) -> Iterator:
    """A plain kazoo client, to read what the library wrote."""
    from kazoo.client import KazooClient

    client = KazooClient(zookeeper_server.hosts)
    client.start(30)
    try:
        yield client
    finally:
        client.stop()
        client.close()


def wait_until(condition, what: str, timeout: float = 30.0):
    """Poll ``condition`` until it is truthy (registry changes arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
