"""What every implementation shares: the service, the workloads, and how a run is timed.

Messages are raw bytes (no serializer) so every implementation moves the same bytes:
the service ``bench.Echo`` has ``Unary`` (echo), ``ServerStream`` (request = n, size;
the server sends n messages of size bytes), ``ClientStream`` (counts the requests) and
``Bidi`` (echoes each request). The same four again as ``PbUnary`` ... ``PbBidi`` take the
protobuf ``Msg`` of bench/pb.py, and ``WServerStream`` / ``WBidi`` are served by handlers
that call ``stream.write()`` and ``done_writing()`` (the documented streaming example's
shape) where the API has one. This file imports neither grpcio nor any ``dubbo``, so it
runs in the apache-dubbo virtual environment too.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
import threading
import time
from typing import Any, Dict, List

SERVICE = "bench.Echo"
UNARY, SERVER_STREAM, CLIENT_STREAM, BIDI = "Unary", "ServerStream", "ClientStream", "Bidi"

# name -> (kind, message size, unit, variant). Rates are per second of the timed pass.
# Variants: "bytes" (raw bytes, generator handlers), "pb" (protobuf Msg), "write"
# (raw bytes, write-style handlers); "pojo" and "hessian" carry one 5-field user (bench/pojo.py)
# as an IDL call and in Triple's wrapper mode (sizes: the request's bytes, for reference).
WORKLOADS: Dict[str, tuple] = {
    "unary": ("unary", 100, "calls/s", "bytes"),
    "unary_c8": ("unary_c8", 100, "calls/s", "bytes"),
    "server_stream": ("server_stream", 100, "msgs/s", "bytes"),
    "client_stream": ("client_stream", 100, "msgs/s", "bytes"),
    "bidi_pingpong": ("bidi_pingpong", 100, "round trips/s", "bytes"),
    "bidi_bulk": ("bidi_bulk", 100, "msgs/s", "bytes"),
    "unary_1mib": ("unary", 1 << 20, "MiB/s", "bytes"),
    "server_stream_4k": ("server_stream", 4096, "msgs/s", "bytes"),
    "client_stream_4k": ("client_stream", 4096, "msgs/s", "bytes"),
    "bidi_bulk_4k": ("bidi_bulk", 4096, "msgs/s", "bytes"),
    "pb_unary": ("unary", 100, "calls/s", "pb"),
    "pb_unary_c8": ("unary_c8", 100, "calls/s", "pb"),
    "pb_server_stream": ("server_stream", 100, "msgs/s", "pb"),
    "pb_client_stream": ("client_stream", 100, "msgs/s", "pb"),
    "pb_bidi_pingpong": ("bidi_pingpong", 100, "round trips/s", "pb"),
    "pb_bidi_bulk": ("bidi_bulk", 100, "msgs/s", "pb"),
    "pb_unary_1mib": ("unary", 1 << 20, "MiB/s", "pb"),
    "write_server_stream": ("server_stream", 100, "msgs/s", "write"),
    "write_bidi_pingpong": ("bidi_pingpong", 100, "round trips/s", "write"),
    "write_bidi_bulk": ("bidi_bulk", 100, "msgs/s", "write"),
    "cpu_unary_c8": ("unary_c8", 100, "calls/s", "cpu"),
    "pojo_unary": ("unary", 40, "calls/s", "pojo"),
    "hessian_unary": ("unary", 114, "calls/s", "hessian"),
}

PREFIX = {"bytes": "", "pb": "Pb", "write": "W", "cpu": "Cpu", "pojo": "Pojo", "hessian": "Hessian"}
BURN_LOOPS = 4000  # about 200 µs of pure Python on the benchmark machine


def burn(request: Any) -> Any:
    """The CPU-bound unary handler's work: about 200 µs of Python, then the echo."""
    x = 0
    for i in range(BURN_LOOPS):
        x += i * i
    return request


def method(base: str, variant: str) -> str:
    """The method of ``bench.Echo`` that serves ``base`` (Unary, Bidi, ...) in ``variant``."""
    return PREFIX[variant] + base

CONCURRENCY = 8


def payload(size: int) -> bytes:
    return (b"0123456789abcdef" * (size // 16 + 1))[:size]


def stream_request(n: int, size: int) -> bytes:
    return struct.pack("<II", n, size)


def parse_stream_request(request: bytes) -> tuple:
    return struct.unpack("<II", request)


def count_reply(n: int) -> bytes:
    return struct.pack("<Q", n)


def parse_count(reply: bytes) -> int:
    return struct.unpack("<Q", reply)[0]


class Messages:
    """How a workload's messages are made and read: raw bytes. ``own_connections``: each
    concurrent caller opens its own connection (so a multi-process server sees several)."""

    serialize = deserialize = None
    own_connections = False

    def message(self, size: int) -> Any:
        return payload(size)

    def stream_request(self, n: int, size: int) -> Any:
        return stream_request(n, size)

    def parse_stream_request(self, request: Any) -> tuple:
        return parse_stream_request(request)

    def count_reply(self, n: int) -> Any:
        return count_reply(n)

    def parse_count(self, reply: Any) -> int:
        return parse_count(reply)

    def size_of(self, reply: Any) -> int:
        return len(reply)


class PbMessages(Messages):
    """The protobuf ``Msg``: the payload in ``payload``, counts in ``seq``."""

    def __init__(self) -> None:
        import pb

        self.Msg = pb.Msg
        self.serialize = pb.serialize
        self.deserialize = pb.deserialize

    def message(self, size: int) -> Any:
        return self.Msg(payload=payload(size), seq=1)

    def stream_request(self, n: int, size: int) -> Any:
        return self.Msg(payload=stream_request(n, size))

    def parse_stream_request(self, request: Any) -> tuple:
        return parse_stream_request(request.payload)

    def count_reply(self, n: int) -> Any:
        return self.Msg(seq=n)

    def parse_count(self, reply: Any) -> int:
        return reply.seq

    def size_of(self, reply: Any) -> int:
        return len(reply.payload)


class UserMessages(Messages):
    """One 5-field user per unary call: protobuf (``pojo``) or a Java POJO in wrapper mode (``hessian``)."""

    def __init__(self, variant: str) -> None:
        import pojo

        self.variant = variant
        if variant == "pojo":
            self.user = pojo.pb_user()
            self.serialize, self.deserialize = pojo.PbUser.SerializeToString, pojo.PbUser.FromString
        else:
            self.user = pojo.user()
            self.serialize, self.deserialize = pojo.request_serializer, pojo.response_deserializer

    def message(self, size: int) -> Any:
        return self.user


class CpuMessages(Messages):
    own_connections = True


def messages(variant: str) -> Messages:
    if variant in ("pojo", "hessian"):
        return UserMessages(variant)
    if variant == "cpu":
        return CpuMessages()
    return PbMessages() if variant == "pb" else Messages()


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Checked(Exception):
    """A workload finished with the wrong number of messages: the run is invalid."""


def _rate(kind_unit: str, n: int, size: int, seconds: float) -> float:
    if kind_unit == "MiB/s":
        return n * size / (1 << 20) / seconds
    return n / seconds


# --- sync clients -------------------------------------------------------------------
# An adapter offers: unary(bytes) -> bytes; server_stream(bytes) -> iterable of bytes;
# client_stream(iterator) -> bytes; bidi(iterator) -> iterable of bytes;
# pingpong() -> (write, read, close) for a bidi call driven one message at a time.


def _sync_pass(adapter: Any, kind: str, n: int, size: int, latencies: List[int] = None) -> None:
    m = adapter.messages
    msg = m.message(size)
    if kind == "unary":
        call = adapter.unary
        if latencies is None:
            for _ in range(n):
                call(msg)
        else:
            clock = time.perf_counter_ns
            append = latencies.append
            for _ in range(n):
                t = clock()
                call(msg)
                append(clock() - t)
    elif kind == "unary_c8":
        calls = [adapter.connection() if m.own_connections else adapter.unary for _ in range(CONCURRENCY)]
        per = n // CONCURRENCY
        errors: List[BaseException] = []

        def worker(call) -> None:
            try:
                for _ in range(per):
                    call(msg)
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    elif kind == "server_stream":
        got = 0
        for _ in adapter.server_stream(m.stream_request(n, size)):
            got += 1
        if got != n:
            raise Checked(f"server_stream: got {got} of {n}")
    elif kind == "client_stream":
        got = m.parse_count(adapter.client_stream(msg for _ in range(n)))
        if got != n:
            raise Checked(f"client_stream: server counted {got} of {n}")
    elif kind == "bidi_bulk":
        got = 0
        for _ in adapter.bidi(msg for _ in range(n)):
            got += 1
        if got != n:
            raise Checked(f"bidi_bulk: got {got} of {n}")
    elif kind == "bidi_pingpong":
        write, read, close = adapter.pingpong()
        for _ in range(n):
            write(msg)
            if m.size_of(read()) != size:
                raise Checked("bidi_pingpong: wrong echo")
        close()
    else:
        raise ValueError(kind)


def run_sync(adapter: Any, workload: str, n: int) -> Dict[str, Any]:
    """Warm up (2% of n, at least a few), then time one pass of n."""
    kind, size, unit, _ = WORKLOADS[workload]
    warm = max(CONCURRENCY * 2, n // 50)
    _sync_pass(adapter, kind, warm, size)
    latencies: List[int] = [] if kind == "unary" and size < 4096 else None
    t0 = time.perf_counter()
    _sync_pass(adapter, kind, n, size, latencies)
    seconds = time.perf_counter() - t0
    return _result(workload, n, size, unit, seconds, latencies)


def _result(workload: str, n: int, size: int, unit: str, seconds: float, latencies) -> Dict[str, Any]:
    result = {"workload": workload, "n": n, "seconds": seconds, "rate": _rate(unit, n, size, seconds), "unit": unit}
    if latencies:
        latencies.sort()
        result["p50_us"] = latencies[len(latencies) // 2] / 1000
        result["p99_us"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] / 1000
    return result


# --- asyncio clients ----------------------------------------------------------------
# The same adapter shape with coroutines: await unary(bytes); server_stream(bytes) ->
# async iterable; await client_stream(async-or-sync iterator); bidi(iterator) -> async
# iterable; await pingpong() -> (async write, async read, async close).


async def _async_pass(adapter: Any, kind: str, n: int, size: int, latencies: List[int] = None) -> None:
    import asyncio

    m = adapter.messages
    msg = m.message(size)
    if kind == "unary":
        call = adapter.unary
        if latencies is None:
            for _ in range(n):
                await call(msg)
        else:
            clock = time.perf_counter_ns
            append = latencies.append
            for _ in range(n):
                t = clock()
                await call(msg)
                append(clock() - t)
    elif kind == "unary_c8":
        calls = [adapter.connection() if m.own_connections else adapter.unary for _ in range(CONCURRENCY)]
        per = n // CONCURRENCY

        async def worker(call) -> None:
            for _ in range(per):
                await call(msg)

        await asyncio.gather(*(worker(call) for call in calls))
    elif kind == "server_stream":
        got = 0
        async for _ in adapter.server_stream(m.stream_request(n, size)):
            got += 1
        if got != n:
            raise Checked(f"server_stream: got {got} of {n}")
    elif kind == "client_stream":
        got = m.parse_count(await adapter.client_stream(msg for _ in range(n)))
        if got != n:
            raise Checked(f"client_stream: server counted {got} of {n}")
    elif kind == "bidi_bulk":
        got = 0
        async for _ in adapter.bidi(msg for _ in range(n)):
            got += 1
        if got != n:
            raise Checked(f"bidi_bulk: got {got} of {n}")
    elif kind == "bidi_pingpong":
        write, read, close = await adapter.pingpong()
        for _ in range(n):
            await write(msg)
            if m.size_of(await read()) != size:
                raise Checked("bidi_pingpong: wrong echo")
        await close()
    else:
        raise ValueError(kind)


async def run_async(adapter: Any, workload: str, n: int) -> Dict[str, Any]:
    kind, size, unit, _ = WORKLOADS[workload]
    warm = max(CONCURRENCY * 2, n // 50)
    await _async_pass(adapter, kind, warm, size)
    latencies: List[int] = [] if kind == "unary" and size < 4096 else None
    t0 = time.perf_counter()
    await _async_pass(adapter, kind, n, size, latencies)
    seconds = time.perf_counter() - t0
    return _result(workload, n, size, unit, seconds, latencies)


# --- the process protocol ------------------------------------------------------------


def announce_port(port: int) -> None:
    """Tell the orchestrator where the server listens (first stdout line)."""
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def wait_for_stdin_eof() -> None:
    """Serve until the orchestrator closes our stdin."""
    sys.stdin.read()


def report_and_exit(extra: Dict[str, Any] = None) -> None:
    """Last stdout line: this process's peak RSS; then exit without slow teardown."""
    import os

    report = {"peak_rss_kib": peak_rss_kib()}
    report.update(extra or {})
    sys.stdout.write("RESULT " + json.dumps(report) + "\n")
    sys.stdout.flush()
    os._exit(0)
