"""Shared kit of the reliability suite: a test service, servers (in-process and in a child
process), a raw HTTP/2 client, and readings of memory, threads and file descriptors.

Not a conftest (the suite's module names must not collide with tests/conftest.py): test
modules import the fixtures they use from here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import grpc
import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "reliability.Probe"


# ----------------------------------------------------------------------------------------
# The service under attack. Requests and responses are raw bytes unless a method says so.


def _params(request: bytes) -> List[int]:
    return [int(x) for x in request.split(b":")] if request else []


def echo(request: bytes) -> bytes:
    return request


def sleep(request: bytes) -> bytes:
    """Works for the given number of milliseconds, then answers."""
    time.sleep(int(request) / 1000)
    return b"slept"


def count(stream) -> bytes:
    """Client stream: ``messages:bytes`` received, so the caller can check nothing was lost."""
    n = size = 0
    for message in stream:
        n += 1
        size += len(message)
    return b"%d:%d" % (n, size)


def flood(stream):
    """Server stream: ``n:size`` → n messages of ``size`` bytes, each starting with its index."""
    n, size = _params(stream.read())
    pad = b"x" * size
    for i in range(n):
        yield (b"%08d" % i + pad)[: max(size, 8)]


def flood_written(stream):
    """``flood`` by ``stream.write()`` (the handler runs on its own thread)."""
    n, size = _params(stream.read())
    pad = b"x" * size
    for i in range(n):
        stream.write((b"%08d" % i + pad)[: max(size, 8)])
    stream.done_writing()


def echo_stream(stream):
    for message in stream:
        yield message


class Boom(Exception):
    """What the failing handlers raise."""


def _fail_at(position: int, total: int, i: int) -> None:
    if i == position:
        raise Boom(f"handler failed at message {i} of {total}")


def fail_client_stream(stream) -> bytes:
    """Reads ``at:total`` first, then raises on reading message ``at`` (1-based)."""
    at, total = _params(next(iter(stream)))
    for i, _ in enumerate(stream, start=1):
        _fail_at(at, total, i)
    return b"survived"


def fail_server_stream(stream):
    at, total = _params(stream.read())
    for i in range(1, total + 1):
        _fail_at(at, total, i)
        yield b"%d" % i


def fail_server_stream_written(stream):
    at, total = _params(stream.read())
    for i in range(1, total + 1):
        _fail_at(at, total, i)
        stream.write(b"%d" % i)
    stream.done_writing()


def fail_bidi_stream(stream):
    iterator = iter(stream)
    at, total = _params(next(iterator))
    for i, message in enumerate(iterator, start=1):
        _fail_at(at, total, i)
        yield message


def _string_value():
    from google.protobuf import wrappers_pb2

    return wrappers_pb2.StringValue


def make_service(name: str = SERVICE) -> RpcServiceHandler:
    string_value = _string_value()
    return RpcServiceHandler(
        name,
        [
            RpcMethodHandler.unary(echo, "echo"),
            RpcMethodHandler.unary(sleep, "sleep"),
            RpcMethodHandler.client_stream(count, "count"),
            RpcMethodHandler.server_stream(flood, "flood"),
            RpcMethodHandler.server_stream(flood_written, "floodWritten"),
            RpcMethodHandler.bi_stream(echo_stream, "echoStream"),
            RpcMethodHandler.client_stream(fail_client_stream, "failClientStream"),
            RpcMethodHandler.server_stream(fail_server_stream, "failServerStream"),
            RpcMethodHandler.server_stream(fail_server_stream_written, "failServerStreamWritten"),
            RpcMethodHandler.bi_stream(fail_bidi_stream, "failBidiStream"),
            # Typed methods: protobuf's parser rejects bytes that are not a StringValue.
            RpcMethodHandler.unary(
                lambda r: string_value(value=r.value.upper()),
                "upper",
                string_value.FromString,
                string_value.SerializeToString,
            ),
            RpcMethodHandler.client_stream(
                lambda s: string_value(value=",".join(m.value for m in s)),
                "join",
                string_value.FromString,
                string_value.SerializeToString,
            ),
            RpcMethodHandler.bi_stream(
                lambda s: (string_value(value=m.value.upper()) for m in s),
                "upperStream",
                string_value.FromString,
                string_value.SerializeToString,
            ),
        ],
    )


# ----------------------------------------------------------------------------------------
# Servers and clients


def start_server(port: int = 0, **server_options) -> dubbo.Server:
    config = ServiceConfig(make_service(), host="127.0.0.1", port=port)
    return dubbo.Server(config, **server_options).start()


@pytest.fixture
def server() -> Iterator[dubbo.Server]:
    running = start_server()
    try:
        yield running
    finally:
        running.stop(None)


class AioServer:
    """The probe service on ``dubbo.aio.Server``, its event loop on a thread of its own."""

    def __init__(self, **server_options) -> None:
        import asyncio

        import dubbo.aio

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.server = dubbo.aio.Server(ServiceConfig(make_service(), host="127.0.0.1", port=0), **server_options)
        self._run(self.server.start())
        self.port = self.server.port

    def _run(self, coroutine):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def stop(self) -> None:
        self._run(self.server.stop(None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def aio_server() -> Iterator[AioServer]:
    running = AioServer()
    try:
        yield running
    finally:
        running.stop()


def connect(port: int, **query: str) -> dubbo.Client:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{SERVICE}?timeout=10000{extra}"))


@pytest.fixture
def client(server) -> Iterator[dubbo.Client]:
    made = connect(server.port)
    try:
        yield made
    finally:
        made.close()


def assert_serving(port: int) -> None:
    """A normal call on a fresh connection still succeeds."""
    with connect(port) as fresh:
        assert fresh.unary("echo")(b"still serving") == b"still serving"


def eventually_serving(port: int, seconds: float = 30.0) -> None:
    """A normal call succeeds once the server has cleaned up after an attack (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return assert_serving(port)
        except dubbo.RpcError as error:
            if time.monotonic() > deadline or error.code() not in (
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.DEADLINE_EXCEEDED,
            ):
                raise
            time.sleep(0.2)


class ServerProcess:
    """The probe service in a child process: killable, restartable, and measurable."""

    def __init__(self, port: int = 0, *args: str) -> None:
        self.args = args
        self.proc: Optional[subprocess.Popen] = None
        self.port = port
        self.start()

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(self.port), *self.args],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        line = self.proc.stdout.readline()  # "PORT <n>" once the server is listening
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"server process did not start: {line!r}")
        self.port = int(line.split()[1])

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


@pytest.fixture
def server_process() -> Iterator[ServerProcess]:
    proc = ServerProcess()
    try:
        yield proc
    finally:
        proc.stop()


# ----------------------------------------------------------------------------------------
# Readings


def rss_kib(pid: int = 0) -> int:
    with open(f"/proc/{pid or 'self'}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle(reading, baseline: int, slack: int, seconds: float = 20.0) -> int:
    """``reading()`` once it is back within ``slack`` of ``baseline``, or its last value.

    Threads and sockets are released by background threads after close(); this waits
    for them instead of asserting at an arbitrary instant.
    """
    deadline = time.monotonic() + seconds
    while True:
        value = reading()
        if value <= baseline + slack or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def record(case: str, **figures) -> None:
    """Note a measured figure for RELIABILITY.md (appended as JSON to $DUBBO_RELIABILITY_FIGURES)."""
    path = os.environ.get("DUBBO_RELIABILITY_FIGURES")
    if path:
        import json

        with open(path, "a") as out:
            out.write(json.dumps({"case": case, **figures}) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------
# A raw HTTP/2 client (the h2 package over a plain socket), for requests grpcio never sends.

GRPC_HEADERS = (("content-type", "application/grpc"), ("te", "trailers"))


def frame(payload: bytes, compressed: bool = False, length: Optional[int] = None) -> bytes:
    """One gRPC message: flag byte, 4-byte big-endian length (possibly a lie), payload."""
    size = len(payload) if length is None else length
    return bytes([1 if compressed else 0]) + size.to_bytes(4, "big") + payload


class Reply:
    """What came back on one stream: headers (trailers merged in), data, and how it ended."""

    def __init__(self) -> None:
        self.headers: Dict[str, str] = {}
        self.data = bytearray()
        self.ended = False
        self.reset: Optional[int] = None
        self.goaway: Optional[int] = None

    @property
    def status(self) -> Optional[int]:
        value = self.headers.get("grpc-status")
        return int(value) if value is not None else None

    @property
    def message(self) -> str:
        import urllib.parse

        return urllib.parse.unquote(self.headers.get("grpc-message", ""))

    def __repr__(self) -> str:
        return f"Reply(headers={self.headers}, data={bytes(self.data[:64])!r}, reset={self.reset}, goaway={self.goaway})"


class RawH2:
    """A minimal HTTP/2 client speaking exactly what a test tells it to."""

    def __init__(self, port: int, **settings) -> None:
        import h2.config
        import h2.connection

        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8", validate_outbound_headers=False, normalize_outbound_headers=False, validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.replies: Dict[int, Reply] = {}
        self.closed = False
        self.flush()
        self._handshake()

    def _handshake(self, timeout: float = 10.0) -> None:
        """Wait until both sides' SETTINGS are acknowledged: the server enforces its limits from then on."""
        import h2.events

        deadline = time.monotonic() + timeout
        got_settings = got_ack = False
        while not (got_settings and got_ack) and time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection during the handshake")
            for event in self.conn.receive_data(data):
                got_settings |= isinstance(event, h2.events.RemoteSettingsChanged)
                got_ack |= isinstance(event, h2.events.SettingsAcknowledged)
            self.flush()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(
        self,
        path: str = f"/{SERVICE}/echo",
        body: bytes = b"",
        headers: Tuple[Tuple[str, str], ...] = GRPC_HEADERS,
        end_stream: bool = True,
        pseudo: Optional[Tuple[Tuple[str, str], ...]] = None,
    ) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        pseudo = pseudo or ((":method", "POST"), (":scheme", "http"), (":path", path), (":authority", f"127.0.0.1:{self.port}"))
        self.conn.send_headers(stream_id, list(pseudo) + list(headers), end_stream=end_stream and not body)
        self.replies[stream_id] = Reply()
        try:
            self.flush()
            if body:
                self.send(stream_id, body, end_stream=end_stream)
        except OSError:  # the server hung up on us: the reply says so (closed, maybe goaway)
            self.closed = True
            self.replies[stream_id].ended = True
        return stream_id

    def send(self, stream_id: int, body: bytes, end_stream: bool = False) -> None:
        """Send ``body`` as flow control allows; stops early if the server ends the stream."""
        import h2.exceptions

        reply = self.replies[stream_id]
        view = memoryview(body)
        while view and not reply.ended:
            try:
                window = self.conn.local_flow_control_window(stream_id)
            except h2.exceptions.StreamClosedError:
                return
            if window <= 0:
                if not self.pump(10.0):
                    return
                continue
            chunk = view[: min(window, self.conn.max_outbound_frame_size)]
            view = view[len(chunk) :]
            self.conn.send_data(stream_id, bytes(chunk), end_stream=end_stream and not view)
            self.flush()
        if end_stream and not body and not reply.ended:
            self.conn.end_stream(stream_id)
            self.flush()

    def pump(self, timeout: float = 10.0) -> bool:
        """Read and handle one batch of frames; False when the connection is gone."""
        import h2.events
        import h2.exceptions

        if self.closed:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return False
        for event in events:
            reply = self.replies.get(getattr(event, "stream_id", 0))
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                reply.headers.update(dict(event.headers))
            elif isinstance(event, h2.events.DataReceived):
                if reply is not None:
                    reply.data += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                reply.ended = True
            elif isinstance(event, h2.events.StreamReset):
                if reply is not None:
                    reply.reset = event.error_code
                    reply.ended = True
            elif isinstance(event, h2.events.ConnectionTerminated):
                for r in self.replies.values():
                    r.goaway = event.error_code
                self.closed = True
        self.flush()
        return not self.closed

    def wait(self, stream_id: int, timeout: float = 10.0) -> Reply:
        """The reply on ``stream_id`` once it ended (or the connection did)."""
        deadline = time.monotonic() + timeout
        reply = self.replies[stream_id]
        while not reply.ended and time.monotonic() < deadline:
            if not self.pump(max(0.05, deadline - time.monotonic())):
                break
        return reply

    def call(self, *args, timeout: float = 10.0, **kwargs) -> Reply:
        return self.wait(self.request(*args, **kwargs), timeout)

    def close(self) -> None:
        try:
            self.conn.close_connection()
            self.flush()
        except Exception:
            pass
        self.sock.close()

    def __enter__(self) -> "RawH2":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# ----------------------------------------------------------------------------------------
# ``python harness.py [port]``: serve the probe service until killed (for ServerProcess).

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    options = dict(arg.split("=", 1) for arg in sys.argv[2:])  # e.g. max_workers=1100
    served = start_server(port, **{k: int(v) for k, v in options.items()})
    print(f"PORT {served.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    served.stop(1)
