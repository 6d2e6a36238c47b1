"""Load and soak: 1,000 concurrent streams on one server, clients that open thousands of
streams and never read, a bounded soak of mixed traffic, and threads and file
descriptors back to baseline once clients and servers close."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter

import grpc
import pytest

import dubbo
import dubbo.aio

from harness import (
    SERVICE,
    RawH2,
    ServerProcess,
    assert_serving,
    connect,
    eventually_serving,
    frame,
    open_fds,
    record,
    rss_kib,
    settle,
    start_server,
)

pytestmark = pytest.mark.reliability

STREAMS = 1000


async def _hold_streams(port: int, count: int, wait: float):
    """Open ``count`` bidi streams; each echoes one message, waits until all have (or
    ``wait`` s pass), then echoes a second. Returns (held at once, completed, errors)."""
    reference = dubbo.ReferenceConfig(service=SERVICE, host="127.0.0.1", port=port, timeout=0)
    async with dubbo.aio.Client(reference) as client:
        call = client.bidi_stream("echoStream")
        held, completed, errors = 0, 0, {}
        everyone = asyncio.Event()

        async def one(i: int) -> None:
            nonlocal held, completed
            stream = call()
            try:
                await stream.write(b"first %d" % i)
                reply = await stream.read(timeout=wait)
                if reply is None:
                    errors["no reply while others held their streams"] = errors.get("no reply while others held their streams", 0) + 1
                    stream.cancel()
                    return
                assert reply == b"first %d" % i
                held += 1
                if held == count:
                    everyone.set()
                try:
                    await asyncio.wait_for(everyone.wait(), wait)
                except asyncio.TimeoutError:
                    pass
                await stream.write(b"second %d" % i)
                assert await stream.read(timeout=wait) == b"second %d" % i
                await stream.done_writing()
                completed += 1
            except dubbo.RpcError as error:
                errors[error.code().name] = errors.get(error.code().name, 0) + 1

        await asyncio.gather(*(one(i) for i in range(count)))
        return held, completed, errors


def test_1000_concurrent_streams_are_all_served_at_once_with_a_worker_each():
    proc = ServerProcess(0, "max_workers=1100")
    try:
        before = proc.rss_kib(), proc.threads()
        held, completed, errors = asyncio.run(_hold_streams(proc.port, STREAMS, wait=60))
        after = proc.rss_kib(), proc.threads()
        assert_serving(proc.port)
    finally:
        proc.stop()
    record(
        "1000 concurrent streams, max_workers=1100",
        held_at_once=held,
        completed=completed,
        errors=errors,
        server_rss_kib_before=before[0],
        server_rss_kib_after=after[0],
        server_threads_before=before[1],
        server_threads_after=after[1],
    )
    assert (held, completed, errors) == (STREAMS, STREAMS, {})
    assert after[0] - before[0] < 300 * 1024  # measured ~50 MiB: ~50 KiB per stream


def test_with_the_default_200_workers_200_of_1000_streams_run_and_the_rest_are_refused_at_once():
    proc = ServerProcess()
    try:
        held, completed, errors = asyncio.run(_hold_streams(proc.port, STREAMS, wait=20))
        assert_serving(proc.port)
    finally:
        proc.stop()
    record("1000 concurrent streams, default max_workers=200", held_at_once=held, completed=completed, errors=errors)
    # As Java's exhausted thread pool does: streams beyond it get a status at once, none waits silently.
    # The status is RESOURCE_EXHAUSTED, unless the stream's first write races the refusal: grpc.aio
    # then reports INTERNAL "Internal error from Core" for the call (raw grpc.aio does the same).
    assert held == 200 and completed == 200
    assert sum(errors.values()) == STREAMS - 200
    assert set(errors) <= {"RESOURCE_EXHAUSTED", "CANCELLED", "INTERNAL"}


def test_max_concurrent_rpcs_answers_streams_beyond_it_with_resource_exhausted():
    running = start_server(max_workers=8, max_concurrent_rpcs=8)
    try:
        with connect(running.port) as client:
            call = client.bidi_stream("echoStream")
            held = []
            for i in range(8):
                stream = call()
                stream.write(b"%d" % i)
                assert stream.read() == b"%d" % i
                held.append(stream)
            refused = []
            for _ in range(12):
                with pytest.raises(dubbo.RpcError) as caught:
                    list(call([b"x"]))
                refused.append(caught.value.code())
            for stream in held:
                stream.done_writing()
                assert list(stream) == []
            assert_serving(running.port)
    finally:
        running.stop(None)
    assert set(refused) == {grpc.StatusCode.RESOURCE_EXHAUSTED}


# --- a client that opens thousands of streams and never reads -----------------------------


def _never_reading_client(port: int, streams: int = 2000) -> RawH2:
    h2 = RawH2(port)
    for _ in range(streams):
        h2.request(path=f"/{SERVICE}/flood", body=frame(b"1000:1024"))  # 1 MiB each, never read
    return h2


def test_2000_never_read_streams_hold_bounded_memory_and_the_server_recovers_when_they_go():
    proc = ServerProcess()
    try:
        base_rss, base_threads = proc.rss_kib(), proc.threads()
        attacker = _never_reading_client(proc.port)
        time.sleep(3)
        peak_rss, peak_threads = proc.rss_kib(), proc.threads()
        # While it lasts, the 200 workers are all blocked on flow control (finding F1), and
        # other clients are refused at once rather than left waiting:
        with connect(proc.port) as client:
            with pytest.raises(dubbo.RpcError) as starved:
                client.unary("echo").with_options(timeout=2)(b"x")
        attacker.sock.close()
        eventually_serving(proc.port)
        after_rss = proc.rss_kib()
    finally:
        proc.stop()
    record(
        "2000 streams never read",
        server_rss_kib=[base_rss, peak_rss, after_rss],
        server_threads=[base_threads, peak_threads],
        other_clients_during=starved.value.code().name,
    )
    assert starved.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert peak_rss - base_rss < 256 * 1024  # 2 GiB offered; measured ~45 MiB


def test_with_max_concurrent_rpcs_a_never_reading_client_gets_resource_exhausted_not_the_others_a_hang():
    proc = ServerProcess(0, "max_workers=64", "max_concurrent_rpcs=64")
    try:
        attacker = _never_reading_client(proc.port)
        # The attacker's own streams beyond 64 are refused at once.
        while sum(r.ended for r in attacker.replies.values()) < 2000 - 64 and attacker.pump(5):
            pass
        refused = Counter(r.status for r in attacker.replies.values() if r.ended)
        with connect(proc.port) as client:
            with pytest.raises(dubbo.RpcError) as other:
                client.unary("echo")(b"x")
        attacker.sock.close()
        eventually_serving(proc.port)  # once the server has seen the attacker go
    finally:
        proc.stop()
    record("2000 streams never read, max_concurrent_rpcs=64", attacker_statuses=dict(refused), others=other.value.code().name)
    # All but the 64 admitted end at once; a handful race grpcio's limit and come back CANCELLED.
    assert sum(refused.values()) == 2000 - 64
    assert set(refused) <= {grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], grpc.StatusCode.CANCELLED.value[0]}
    assert refused[grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]] > 1900
    assert other.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


# --- soak --------------------------------------------------------------------------------

SOAK_SECONDS = float(os.environ.get("DUBBO_SOAK_SECONDS", "150"))
SOAK_RSS_BOUND_KIB = 64 * 1024  # growth after warm-up, server and client alike


def test_a_soak_of_mixed_traffic_has_no_unexpected_errors_and_bounded_memory():
    proc = ServerProcess()
    counts = {"unary": 0, "client_stream": 0, "server_stream": 0, "bidi_stream": 0, "deadline": 0, "late": 0, "cancel": 0}
    unexpected = []
    stop = threading.Event()
    lock = threading.Lock()

    def bump(kind: str) -> None:
        with lock:
            counts[kind] += 1

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        with connect(proc.port) as client:
            echo = client.unary("echo")
            count = client.client_stream("count")
            flood = client.server_stream("flood")
            chat = client.bidi_stream("echoStream")
            slow = client.unary("sleep").with_options(timeout=0.05)
            while not stop.is_set():
                kind = rng.random()
                try:
                    if kind < 0.4:
                        payload = os.urandom(rng.randrange(0, 64 * 1024))
                        assert echo(payload) == payload
                        bump("unary")
                    elif kind < 0.55:
                        messages = [os.urandom(rng.randrange(0, 4096)) for _ in range(rng.randrange(0, 50))]
                        expected = b"%d:%d" % (len(messages), sum(map(len, messages)))
                        assert count(messages).result() == expected
                        bump("client_stream")
                    elif kind < 0.7:
                        n = rng.randrange(0, 200)
                        got = [m[:8] for m in flood(b"%d:%d" % (n, rng.randrange(8, 8192)))]
                        assert got == [b"%08d" % i for i in range(n)]
                        bump("server_stream")
                    elif kind < 0.85:
                        messages = [b"%d" % i for i in range(rng.randrange(0, 100))]
                        assert list(chat(messages)) == messages
                        bump("bidi_stream")
                    elif kind < 0.93:
                        try:
                            slow(b"1000")
                            # Not a failure: on a loaded machine grpc's deadline timer can
                            # fire after the answer came (seen once in 1,388 with 200 ms work).
                            bump("late")
                        except dubbo.RpcError as error:
                            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, error
                            bump("deadline")
                    else:
                        stream = flood(b"100000:1024")
                        stream.read()
                        stream.cancel()
                        bump("cancel")
                except Exception as error:  # every failure is unexpected here
                    unexpected.append(repr(error))

    try:
        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        warmup = min(30.0, SOAK_SECONDS / 4)
        time.sleep(warmup)
        server_warm, client_warm = proc.rss_kib(), rss_kib()
        samples = []
        end = time.monotonic() + SOAK_SECONDS - warmup
        while time.monotonic() < end:
            time.sleep(min(10.0, max(0.0, end - time.monotonic())))
            samples.append(proc.rss_kib())
        stop.set()
        for thread in threads:
            thread.join(60)
        server_end, client_end = proc.rss_kib(), rss_kib()
    finally:
        stop.set()
        proc.stop()
    record(
        "soak",
        seconds=SOAK_SECONDS,
        calls=counts,
        unexpected=len(unexpected),
        server_rss_kib_warm=server_warm,
        server_rss_kib_end=server_end,
        server_rss_kib_max=max(samples + [server_end]),
        client_rss_kib_warm=client_warm,
        client_rss_kib_end=client_end,
    )
    assert unexpected == []
    assert all(counts[k] > 0 for k in ("unary", "client_stream", "server_stream", "bidi_stream"))
    assert max(samples + [server_end]) - server_warm < SOAK_RSS_BOUND_KIB
    assert client_end - client_warm < SOAK_RSS_BOUND_KIB


# --- threads and file descriptors back to baseline ----------------------------------------


def _exercise(port: int) -> None:
    with connect(port) as client:
        assert client.unary("echo")(b"x") == b"x"
        assert client.client_stream("count")([b"a", b"b"]).result() == b"2:2"
        assert len(list(client.server_stream("floodWritten")(b"10:10"))) == 10
        reader = client.server_stream("flood")(b"3:10")
        assert reader.read(timeout=5) is not None  # starts a reader thread
        stream = client.bidi_stream("echoStream")()
        stream.write(b"a")
        assert stream.read(timeout=5) == b"a"
        stream.cancel()
        reader.cancel()


def _round(servers: int = 3, clients_each: int = 4) -> None:
    running = [start_server() for _ in range(servers)]
    try:
        for server in running:
            workers = [threading.Thread(target=_exercise, args=(server.port,)) for _ in range(clients_each)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        for server in running:
            server.stop(None)


def test_threads_and_file_descriptors_return_to_baseline_after_clients_and_servers_close():
    _round(1, 1)  # grpcio's process-wide threads and sockets start on first use
    time.sleep(1)
    base_threads, base_fds = threading.active_count(), open_fds()
    for _ in range(5):
        _round()
    threads = settle(threading.active_count, base_threads, 2)
    fds = settle(open_fds, base_fds, 4)
    record("threads and fds after 5 rounds of 3 servers x 4 clients", threads=[base_threads, threads], fds=[base_fds, fds])
    assert threads <= base_threads + 2, [t.name for t in threading.enumerate()]
    assert fds <= base_fds + 4
