"""A real standalone ZooKeeper for the registry tests, from Debian's ``zookeeper`` package.

``ZooKeeper(tmp_dir).start()`` runs ``ZooKeeperServerMain`` on a free port with its own
data directory and config (admin server off, ``ruok``/``srvr`` whitelisted), waits until
it serves (``srvr`` reports its mode), and ``stop()`` always ends the process. ``restart()`` keeps the port
and the data, so sessions survive a short outage as they would in production.

Also the registry tests' fixtures: a registry group per test, providers of ``test.Who``
that name themselves in their answers, registry-discovered clients, and a plain kazoo
client to read back what was written. Test modules import the fixtures they use.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Iterator, List, Optional

import grpc
import pytest

import dubbo
from dubbo import RegistryConfig, RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig

__all__ = ["ZooKeeper", "zookeeper_classpath", "free_port", "wait_until", "who_service", "SERVICE"]

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
    ``fail`` (a handler error), ``unavailable`` (a handler's UNAVAILABLE), ``count`` (a server
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
              registry: Optional[RegistryConfig] = None, delay: float = 0, **server_options) -> Provider:
        calls: dict = {}
        gate = threading.Event()
        parameters = {"warmup": "0"}  # weights count at once (warm-up is tested on its own)
        if weight is not None:
            parameters["weight"] = str(weight)
        config = ServiceConfig(who_service(name, calls, gate, delay), port=0, version=version, group=group, parameters=parameters)
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
