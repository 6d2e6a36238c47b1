"""Cancellation and deadlines as a handler sees them, and deadline inheritance across calls."""

import threading
import time

import grpc
import pytest

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, server_context


class Observed:
    """What a handler saw of its call ending, reported across threads."""

    def __init__(self):
        self.started = threading.Event()
        self.callback_ran = threading.Event()
        self.saw_inactive = threading.Event()
        self.requests_stopped = threading.Event()


def _watching(observed):
    def wait_until_inactive():
        context = server_context()
        context.add_callback(observed.callback_ran.set)
        observed.started.set()
        deadline = time.monotonic() + 10
        while context.is_active() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not context.is_active():
            observed.saw_inactive.set()

    def unary(request):
        wait_until_inactive()
        return b"late"

    def server_stream(stream):
        stream.read()
        server_context().add_callback(observed.callback_ran.set)
        try:
            while True:
                yield b"tick"
                time.sleep(0.01)
        finally:  # grpcio stops resuming a cancelled call's generator and closes it
            observed.saw_inactive.set()

    def bidi(stream):
        context = server_context()
        assert context.add_callback(observed.callback_ran.set)
        observed.started.set()
        try:
            for _ in stream:
                pass
        except Exception:
            pass
        observed.requests_stopped.set()
        if not context.is_active():
            observed.saw_inactive.set()
        return iter(())

    def client_stream(requests):
        return bidi(requests) and b""

    return RpcServiceHandler(
        "demo.Watch",
        [
            RpcMethodHandler.unary(unary, "unary"),
            RpcMethodHandler.server_stream(server_stream, "serverStream"),
            RpcMethodHandler.bi_stream(bidi, "bidi"),
            RpcMethodHandler.client_stream(client_stream, "clientStream"),
        ],
    )


@pytest.fixture
def observed():
    return Observed()


@pytest.fixture
def client(serve, connect, observed):
    server = serve(_watching(observed))
    return connect(f"tri://127.0.0.1:{server.port}/demo.Watch?timeout=0")


def test_cancelling_a_unary_call_is_seen_by_the_handler(client, observed):
    call = client.unary("unary").future(b"")
    assert observed.started.wait(10)
    assert call.cancel()
    with pytest.raises(RpcError) as caught:
        call.read()
    assert caught.value.code() is grpc.StatusCode.CANCELLED
    assert observed.saw_inactive.wait(10)
    assert observed.callback_ran.wait(10)


def test_cancelling_a_server_stream_is_seen_by_the_handler(client, observed):
    stream = client.server_stream("serverStream")(b"")
    assert stream.read(timeout=10) == b"tick"
    stream.cancel()
    assert observed.saw_inactive.wait(10)
    assert observed.callback_ran.wait(10)


@pytest.mark.parametrize("method", ["bidi", "clientStream"])
def test_cancelling_a_request_stream_stops_the_handlers_iteration(client, observed, method):
    call = client.bidi_stream(method)() if method == "bidi" else client.client_stream(method)()
    call.write(b"one")
    assert observed.started.wait(10)
    call.cancel()
    assert observed.requests_stopped.wait(10)
    assert observed.callback_ran.wait(10)


def test_an_expired_deadline_is_seen_by_the_handler(client, observed):
    # Long enough for the handler to start on a loaded machine: grpcio never runs a handler
    # whose call expired while it waited for a worker.
    with pytest.raises(RpcError) as caught:
        client.unary("unary").with_options(timeout=2.0)(b"")
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert observed.started.wait(10)
    assert observed.saw_inactive.wait(10)


def test_a_handler_sees_the_time_remaining_and_the_peer(serve, connect):
    def report(request):
        context = server_context()
        return f"{context.time_remaining():.1f}|{context.peer[:5]}".encode()

    server = serve(RpcServiceHandler("demo.Time", [RpcMethodHandler.unary(report, "report")]))
    client = connect(f"tri://127.0.0.1:{server.port}/demo.Time")
    remaining, peer = client.unary("report").with_options(timeout=5)(b"").decode().split("|")
    assert 4.0 < float(remaining) <= 5.0
    assert peer == "ipv4:"


def test_no_deadline_reads_as_none(serve, connect):
    server = serve(RpcServiceHandler("demo.T", [RpcMethodHandler.unary(lambda _: repr(server_context().time_remaining()).encode(), "t")]))
    assert connect(f"tri://127.0.0.1:{server.port}/demo.T").unary("t").with_options(timeout=None)(b"") == b"None"


@pytest.fixture
def chain(serve):
    """A front service whose handler calls a back service that reports its deadline."""

    def back(request):
        remaining = server_context().time_remaining()
        return b"none" if remaining is None else f"{remaining:.2f}".encode()

    back_server = serve(RpcServiceHandler("demo.Back", [RpcMethodHandler.unary(back, "remaining")]))
    back_client = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{back_server.port}/demo.Back?timeout=0"))
    nested = back_client.unary("remaining")
    independent = nested.with_options(inherit_deadline=False)

    def front(request):
        return (independent if request == b"independent" else nested)(b"")

    front_server = serve(RpcServiceHandler("demo.Front", [RpcMethodHandler.unary(front, "call")]))
    yield front_server
    back_client.close()


def test_a_call_made_inside_a_handler_inherits_the_remaining_deadline(chain, connect):
    client = connect(f"tri://127.0.0.1:{chain.port}/demo.Front")
    remaining = float(client.unary("call").with_options(timeout=2.0)(b""))
    assert 0 < remaining <= 2.1  # grpc-timeout rounds up to its unit


def test_inheriting_the_deadline_can_be_turned_off(chain, connect):
    client = connect(f"tri://127.0.0.1:{chain.port}/demo.Front")
    assert client.unary("call").with_options(timeout=2.0)(b"independent") == b"none"


def test_a_nested_call_fails_with_deadline_exceeded_when_the_outer_deadline_passes(serve, connect):
    def slow_back(request):
        time.sleep(3)
        return b"too late"

    back = serve(RpcServiceHandler("demo.SlowBack", [RpcMethodHandler.unary(slow_back, "slow")]))
    back_client = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{back.port}/demo.SlowBack?timeout=0"))
    nested_error = []

    def front(request):
        try:
            return back_client.unary("slow")(b"")
        except RpcError as error:
            nested_error.append(error.code())
            raise

    front_server = serve(RpcServiceHandler("demo.F", [RpcMethodHandler.unary(front, "call")]))
    try:
        with pytest.raises(RpcError):
            connect(f"tri://127.0.0.1:{front_server.port}/demo.F").unary("call").with_options(timeout=0.5)(b"")
        deadline = time.monotonic() + 10
        while not nested_error and time.monotonic() < deadline:
            time.sleep(0.05)
        assert nested_error == [grpc.StatusCode.DEADLINE_EXCEEDED]
    finally:
        back_client.close()
