"""Tracing: a CLIENT span per call and a SERVER span per handled call, joined by W3C
``traceparent`` attachments into one trace, on both stacks, with the status the call ended with."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, aio
from dubbo.observability import Tracing

from aio_support import aio_serve, aio_test  # noqa: F401

BACK = "demo.Back"
FRONT = "demo.Front"
JAVA_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
JAVA_SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture
def spans():
    """A tracer provider whose finished spans are kept in memory; ``spans.tracing`` uses it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    exporter.tracing = Tracing(tracer_provider=provider)
    yield exporter
    provider.shutdown()


def _finished(exporter, count):
    """The finished spans once there are ``count`` (a server span may end just after its client's)."""
    deadline = time.monotonic() + 5
    while len(exporter.get_finished_spans()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    finished = exporter.get_finished_spans()
    assert len(finished) == count, [s.name for s in finished]
    return finished


def _one(finished, name, kind):
    [span] = [s for s in finished if s.name == name and s.kind == kind]
    return span


def _back_service():
    def echo(request):
        if request == b"boom":
            raise ValueError("boom")
        if request == b"bad":
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "bad request")
        return request

    def collect(requests):
        return b"+".join(requests)

    def split(stream):
        yield from stream.read().split(b",")

    def chat(stream):
        for request in stream:
            yield request

    def forever(stream):
        stream.read()
        while True:
            yield b"tick"
            time.sleep(0.01)

    return RpcServiceHandler(BACK, [
        RpcMethodHandler.unary(echo, "echo"),
        RpcMethodHandler.client_stream(collect, "collect"),
        RpcMethodHandler.server_stream(split, "split"),
        RpcMethodHandler.bi_stream(chat, "chat"),
        RpcMethodHandler.server_stream(forever, "forever"),
    ])


def _client(port, service, interceptors):
    return dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{service}"), interceptors=interceptors)


MODES = {
    "unary": lambda c: c.unary("echo")(b"a"),
    "client_stream": lambda c: c.client_stream("collect")([b"a", b"b"]).read(),
    "server_stream": lambda c: list(c.server_stream("split")(b"a,b")),
    "bi_stream": lambda c: list(c.bidi_stream("chat")([b"a", b"b"])),
}
METHODS = {"unary": "echo", "client_stream": "collect", "server_stream": "split", "bi_stream": "chat"}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_each_mode_makes_a_client_span_that_parents_the_server_span(serve, spans, mode):
    server = serve(_back_service(), interceptors=[spans.tracing])
    with _client(server.port, BACK, [spans.tracing]) as client:
        MODES[mode](client)
    name = f"{BACK}/{METHODS[mode]}"
    finished = _finished(spans, 2)
    client_span, server_span = _one(finished, name, SpanKind.CLIENT), _one(finished, name, SpanKind.SERVER)
    assert server_span.context.trace_id == client_span.context.trace_id
    assert server_span.parent.span_id == client_span.context.span_id


def test_spans_carry_the_rpc_conventions_and_the_peer(serve, spans):
    server = serve(_back_service(), interceptors=[spans.tracing])
    with _client(server.port, BACK, [spans.tracing]) as client:
        client.unary("echo")(b"a")
    finished = _finished(spans, 2)
    client_span = _one(finished, f"{BACK}/echo", SpanKind.CLIENT)
    server_span = _one(finished, f"{BACK}/echo", SpanKind.SERVER)
    for span in (client_span, server_span):
        assert span.attributes["rpc.system"] == "apache_dubbo"
        assert span.attributes["rpc.service"] == BACK
        assert span.attributes["rpc.method"] == "echo"
        assert span.attributes["rpc.grpc.status_code"] == 0
        assert span.status.status_code is StatusCode.UNSET
    assert client_span.attributes["server.address"] == "127.0.0.1"
    assert client_span.attributes["server.port"] == server.port
    assert server_span.attributes["network.peer.address"] == "127.0.0.1"
    assert server_span.attributes["network.peer.port"] > 0


def _front_service(back_port, tracing, style):
    """A Front whose handler calls Back (one traced client), in the handler ``style`` given."""
    back = _client(back_port, BACK, [tracing])
    echo = back.unary("echo")

    def unary(request):
        return echo(request)

    def yielding(stream):
        yield echo(stream.read())

    def writing(stream):  # runs on a thread of its own: the span must be current there too
        stream.write(echo(stream.read()))
        stream.done_writing()

    handler = {
        "unary": RpcMethodHandler.unary(unary, "relay"),
        "yielding": RpcMethodHandler.server_stream(yielding, "relay"),
        "writing": RpcMethodHandler.server_stream(writing, "relay"),
    }[style]
    return RpcServiceHandler(FRONT, [handler]), back


@pytest.mark.parametrize("style", ["unary", "yielding", "writing"])
def test_a_call_made_inside_a_handler_is_a_child_of_the_handlers_span(serve, spans, style):
    back_server = serve(_back_service(), interceptors=[spans.tracing])
    front_service, back_client = _front_service(back_server.port, spans.tracing, style)
    front_server = serve(front_service, interceptors=[spans.tracing])
    with _client(front_server.port, FRONT, [spans.tracing]) as client:
        relay = client.unary("relay") if style == "unary" else client.server_stream("relay")
        result = relay(b"x")
        assert (result if style == "unary" else list(result)) in (b"x", [b"x"])
    back_client.close()
    finished = _finished(spans, 4)
    outer = _one(finished, f"{FRONT}/relay", SpanKind.CLIENT)
    handled = _one(finished, f"{FRONT}/relay", SpanKind.SERVER)
    nested = _one(finished, f"{BACK}/echo", SpanKind.CLIENT)
    innermost = _one(finished, f"{BACK}/echo", SpanKind.SERVER)
    assert {s.context.trace_id for s in finished} == {outer.context.trace_id}
    assert handled.parent.span_id == outer.context.span_id
    assert nested.parent.span_id == handled.context.span_id
    assert innermost.parent.span_id == nested.context.span_id


def test_a_java_consumers_traceparent_continues_into_the_provider_and_its_calls(serve, spans):
    back_server = serve(_back_service(), interceptors=[spans.tracing])
    front_service, back_client = _front_service(back_server.port, spans.tracing, "unary")
    front_server = serve(front_service, interceptors=[spans.tracing])
    # What Java Dubbo's tracing filter puts in the attachments, sent by an untraced client.
    traceparent = f"00-{JAVA_TRACE_ID}-{JAVA_SPAN_ID}-01"
    with _client(front_server.port, FRONT, []) as java_like:
        java_like.unary("relay").with_options(attachments={"traceparent": traceparent})(b"x")
    back_client.close()
    finished = _finished(spans, 3)
    handled = _one(finished, f"{FRONT}/relay", SpanKind.SERVER)
    assert format(handled.context.trace_id, "032x") == JAVA_TRACE_ID
    assert format(handled.parent.span_id, "016x") == JAVA_SPAN_ID
    assert {format(s.context.trace_id, "032x") for s in finished} == {JAVA_TRACE_ID}


def test_a_handlers_exception_ends_both_spans_in_error_with_unknown(serve, spans):
    server = serve(_back_service(), interceptors=[spans.tracing])
    with _client(server.port, BACK, [spans.tracing]) as client, pytest.raises(RpcError):
        client.unary("echo")(b"boom")
    finished = _finished(spans, 2)
    for kind in (SpanKind.CLIENT, SpanKind.SERVER):
        span = _one(finished, f"{BACK}/echo", kind)
        assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.UNKNOWN.value[0]
        assert span.status.status_code is StatusCode.ERROR


def test_a_callers_mistake_is_an_error_on_the_client_span_only(serve, spans):
    server = serve(_back_service(), interceptors=[spans.tracing])
    with _client(server.port, BACK, [spans.tracing]) as client, pytest.raises(RpcError):
        client.unary("echo")(b"bad")
    finished = _finished(spans, 2)
    client_span = _one(finished, f"{BACK}/echo", SpanKind.CLIENT)
    server_span = _one(finished, f"{BACK}/echo", SpanKind.SERVER)
    assert client_span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert client_span.status.status_code is StatusCode.ERROR
    assert server_span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert server_span.status.status_code is StatusCode.UNSET  # OpenTelemetry's gRPC rule


def test_a_cancelled_stream_ends_both_spans_cancelled(serve, spans):
    server = serve(_back_service(), interceptors=[spans.tracing])
    with _client(server.port, BACK, [spans.tracing]) as client:
        stream = client.server_stream("forever")(b"")
        assert stream.read(timeout=5) == b"tick"
        stream.cancel()
        with pytest.raises(RpcError):
            while stream.read(timeout=5):
                pass
        finished = _finished(spans, 2)
    for kind in (SpanKind.CLIENT, SpanKind.SERVER):
        span = _one(finished, f"{BACK}/forever", kind)
        assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.CANCELLED.value[0]


def _async_front(back_port, tracing):
    """A Front of async handlers on the asyncio stack, relaying to Back through a traced aio client."""

    async def relay(request):
        async with aio.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{back_port}/{BACK}"),
                              interceptors=[tracing]) as back:
            await asyncio.sleep(0)  # the span stays current across awaits
            return await back.unary("echo")(request)

    async def relay_stream(stream):
        async with aio.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{back_port}/{BACK}"),
                              interceptors=[tracing]) as back:
            request = await stream.read()
            yield await back.unary("echo")(request)

    return RpcServiceHandler(FRONT, [
        RpcMethodHandler.unary(relay, "relay"),
        RpcMethodHandler.server_stream(relay_stream, "relayStream"),
    ])


@pytest.mark.parametrize("method", ["relay", "relayStream"])
@aio_test
async def test_asyncio_clients_and_async_handlers_make_one_trace(aio_serve, spans, method):
    back_server = aio_serve(_back_service(), interceptors=[spans.tracing])
    front_server = aio_serve(_async_front(back_server.port, spans.tracing), interceptors=[spans.tracing])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{front_server.port}/{FRONT}")
    async with aio.Client(reference, interceptors=[spans.tracing]) as client:
        if method == "relay":
            assert await client.unary("relay")(b"x") == b"x"
        else:
            assert [m async for m in client.server_stream("relayStream")(b"x")] == [b"x"]
    finished = _finished(spans, 4)
    outer = _one(finished, f"{FRONT}/{method}", SpanKind.CLIENT)
    handled = _one(finished, f"{FRONT}/{method}", SpanKind.SERVER)
    nested = _one(finished, f"{BACK}/echo", SpanKind.CLIENT)
    innermost = _one(finished, f"{BACK}/echo", SpanKind.SERVER)
    assert {s.context.trace_id for s in finished} == {outer.context.trace_id}
    assert handled.parent.span_id == outer.context.span_id
    assert nested.parent.span_id == handled.context.span_id
    assert innermost.parent.span_id == nested.context.span_id


@aio_test
async def test_an_asyncio_calls_failure_ends_its_client_span_in_error(aio_serve, spans):
    server = aio_serve(_back_service(), interceptors=[spans.tracing])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{BACK}")
    async with aio.Client(reference, interceptors=[spans.tracing]) as client:
        with pytest.raises(RpcError):
            await client.unary("echo")(b"boom")
    finished = _finished(spans, 2)
    for kind in (SpanKind.CLIENT, SpanKind.SERVER):
        span = _one(finished, f"{BACK}/echo", kind)
        assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.UNKNOWN.value[0]
        assert span.status.status_code is StatusCode.ERROR
