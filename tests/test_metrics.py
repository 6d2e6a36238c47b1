"""Metrics: per side, service and method, read back from the Prometheus endpoint after known traffic."""

from __future__ import annotations

import threading
import time
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

import dubbo
from dubbo import Interceptor, RpcError, RpcMethodHandler, RpcServiceHandler, aio
from dubbo.observability import Metrics

from aio_support import aio_serve, aio_test  # noqa: F401

SERVICE = "demo.Metered"


def _service(gate: threading.Event):
    def echo(request):
        if request == b"boom":
            raise ValueError("boom")
        if request == b"slow":
            time.sleep(0.5)
        return request

    def wait(request):
        gate.wait(10)
        return request

    def split(stream):
        yield from stream.read().split(b",")

    def chat(stream):
        for request in stream:
            yield request

    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(echo, "echo"),
        RpcMethodHandler.unary(wait, "wait"),
        RpcMethodHandler.server_stream(split, "split"),
        RpcMethodHandler.bi_stream(chat, "chat"),
    ])


@pytest.fixture
def metered(serve):
    """A server and a client sharing one ``Metrics`` served on a free port: ``(client, metrics, port, gate)``."""
    metrics = Metrics(application_name="demo-app")
    port = metrics.serve(0, host="127.0.0.1")
    gate = threading.Event()
    server = serve(_service(gate), interceptors=[metrics])
    client = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}"),
                          interceptors=[metrics])
    yield client, metrics, port, gate
    gate.set()
    client.close()
    metrics.close()


def scrape(port: int) -> dict:
    """``{(name, frozenset(labels)): value}`` from the endpoint, over HTTP."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, method: str, **labels: str) -> float:
    key = frozenset({"application_name": "demo-app", "interface": SERVICE, "method": method, **labels}.items())
    return samples.get((name, key), 0.0)


def settled(port: int, name: str, method: str, expected: float, **labels: str) -> dict:
    """The scrape once ``name`` reads ``expected`` (server-side ends may land just after the client returns)."""
    deadline = time.monotonic() + 5
    while True:
        samples = scrape(port)
        if value(samples, name, method, **labels) == expected or time.monotonic() > deadline:
            return samples
        time.sleep(0.02)


def test_requests_and_successes_are_counted_per_side_and_method(metered):
    client, _, port, _ = metered
    echo = client.unary("echo")
    for _ in range(3):
        echo(b"hi")
    samples = settled(port, "dubbo_provider_requests_succeed_total", "echo", 3)
    for side in ("consumer", "provider"):
        assert value(samples, f"dubbo_{side}_requests_total", "echo") == 3
        assert value(samples, f"dubbo_{side}_requests_succeed_total", "echo") == 3
        assert value(samples, f"dubbo_{side}_requests_failed_total", "echo", code="UNKNOWN") == 0
        assert value(samples, f"dubbo_{side}_rt_milliseconds_histogram_seconds_count", "echo") == 3
        assert value(samples, f"dubbo_{side}_rt_milliseconds_histogram_seconds_bucket", "echo", le="10.0") == 3


def test_failures_are_counted_by_status_code_and_timeouts_apart(metered):
    client, _, port, _ = metered
    echo = client.unary("echo")
    with pytest.raises(RpcError):
        echo(b"boom")
    with pytest.raises(RpcError) as timed_out:
        echo.with_options(timeout=0.1)(b"slow")
    assert timed_out.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    samples = settled(port, "dubbo_provider_requests_total", "echo", 2)
    assert value(samples, "dubbo_consumer_requests_failed_total", "echo", code="UNKNOWN") == 1
    assert value(samples, "dubbo_consumer_requests_failed_total", "echo", code="DEADLINE_EXCEEDED") == 1
    assert value(samples, "dubbo_consumer_requests_timeout_total", "echo") == 1
    assert value(samples, "dubbo_consumer_requests_succeed_total", "echo") == 0
    assert value(samples, "dubbo_provider_requests_failed_total", "echo", code="UNKNOWN") == 1


def test_calls_in_flight_are_a_gauge_that_returns_to_zero(metered):
    client, _, port, gate = metered
    future = client.unary("wait").future(b"x")
    samples = settled(port, "dubbo_provider_requests_processing_total", "wait", 1)
    assert value(samples, "dubbo_consumer_requests_processing_total", "wait") == 1
    assert value(samples, "dubbo_provider_requests_processing_total", "wait") == 1
    gate.set()
    assert future.result(timeout=5) == b"x"
    samples = settled(port, "dubbo_provider_requests_processing_total", "wait", 0)
    assert value(samples, "dubbo_consumer_requests_processing_total", "wait") == 0
    assert value(samples, "dubbo_provider_requests_processing_total", "wait") == 0


def test_stream_messages_are_counted_sent_and_received_on_each_side(metered):
    client, _, port, _ = metered
    assert list(client.server_stream("split")(b"a,b,c")) == [b"a", b"b", b"c"]
    assert list(client.bidi_stream("chat")([b"x", b"y"])) == [b"x", b"y"]
    samples = settled(port, "dubbo_provider_requests_succeed_total", "chat", 1)
    assert value(samples, "dubbo_consumer_messages_sent_total", "split") == 1
    assert value(samples, "dubbo_consumer_messages_received_total", "split") == 3
    assert value(samples, "dubbo_provider_messages_received_total", "split") == 1
    assert value(samples, "dubbo_provider_messages_sent_total", "split") == 3
    assert value(samples, "dubbo_consumer_messages_sent_total", "chat") == 2
    assert value(samples, "dubbo_provider_messages_sent_total", "chat") == 2


class Refuse(Interceptor):
    def on_call(self, call):
        raise RpcError(grpc.StatusCode.PERMISSION_DENIED, "no")


def test_a_call_a_later_interceptor_refuses_is_counted_failed_and_not_left_in_flight(serve):
    metrics = Metrics(application_name="demo-app")
    port = metrics.serve(0, host="127.0.0.1")
    try:
        server = serve(_service(threading.Event()))
        reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}")
        with dubbo.Client(reference, interceptors=[metrics, Refuse()]) as client, pytest.raises(RpcError):
            client.unary("echo")(b"x")
        samples = scrape(port)
        assert value(samples, "dubbo_consumer_requests_failed_total", "echo", code="PERMISSION_DENIED") == 1
        assert value(samples, "dubbo_consumer_requests_processing_total", "echo") == 0
    finally:
        metrics.close()


@aio_test
async def test_asyncio_clients_and_servers_are_counted_too(aio_serve):
    metrics = Metrics(application_name="demo-app")
    port = metrics.serve(0, host="127.0.0.1")
    try:
        server = aio_serve(_service(threading.Event()), interceptors=[metrics])
        reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}")
        async with aio.Client(reference, interceptors=[metrics]) as client:
            for _ in range(2):
                assert await client.unary("echo")(b"hi") == b"hi"
            assert [m async for m in client.server_stream("split")(b"a,b")] == [b"a", b"b"]
        samples = settled(port, "dubbo_provider_requests_succeed_total", "split", 1)
        assert value(samples, "dubbo_consumer_requests_succeed_total", "echo") == 2
        assert value(samples, "dubbo_provider_requests_succeed_total", "echo") == 2
        assert value(samples, "dubbo_consumer_messages_received_total", "split") == 2
    finally:
        metrics.close()
