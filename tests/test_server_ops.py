"""Server operations: many services on one port, graceful stop, waiting for termination,
the context manager, and SIGTERM handling through ``run_until_signal``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading

import grpc
import pytest
from conftest import ROOT, GreeterStub, greeter_service

import dubbo
from dubbo import ReferenceConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig

GREETER = "org.apache.dubbo.samples.proto.Greeter"
MODES = ["unary", "client_stream", "server_stream", "bidi_stream"]


class Gate:
    """A service whose every method waits for ``release`` before answering ``b"done"``."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def _hold(self) -> bytes:
        self.entered.release()
        self.release.wait(30)
        return b"done"

    def service(self) -> RpcServiceHandler:
        def unary(request):
            return self._hold()

        def client_stream(requests):
            list(requests)
            return self._hold()

        def server_stream(stream):
            yield self._hold()

        def bidi_stream(stream):
            for _ in stream:
                yield self._hold()

        return RpcServiceHandler(
            "demo.Gate",
            [
                RpcMethodHandler.unary(unary),
                RpcMethodHandler.client_stream(client_stream),
                RpcMethodHandler.server_stream(server_stream),
                RpcMethodHandler.bi_stream(bidi_stream),
            ],
        )


def call(client: dubbo.Client, mode: str) -> bytes:
    if mode == "unary":
        return client.unary("unary").with_options(timeout=30)(b"go")
    if mode == "client_stream":
        return client.client_stream("client_stream")([b"go"]).result()
    if mode == "server_stream":
        (response,) = client.server_stream("server_stream")(b"go")
        return response
    (response,) = client.bidi_stream("bidi_stream")([b"go"])
    return response


class InFlight(threading.Thread):
    """A call running on its own thread; ``result`` or ``error`` once it ends."""

    def __init__(self, client: dubbo.Client, mode: str) -> None:
        super().__init__(daemon=True)
        self.client, self.mode = client, mode
        self.result = self.error = None
        self.start()

    def run(self) -> None:
        try:
            self.result = call(self.client, self.mode)
        except dubbo.RpcError as error:
            self.error = error


@pytest.fixture
def gate():
    gate = Gate()
    yield gate
    gate.release.set()


@pytest.fixture
def gated(gate):
    """A started server hosting the gate, and a way to connect to it; stopped at the end."""
    server = dubbo.Server(ServiceConfig(gate.service(), host="127.0.0.1", port=0)).start()
    clients = []

    def connect() -> dubbo.Client:
        clients.append(dubbo.Client(ReferenceConfig(service="demo.Gate", host="127.0.0.1", port=server.port)))
        return clients[-1]

    yield server, connect
    gate.release.set()
    server.stop(0)
    for client in clients:
        client.close()


def test_several_services_versions_and_groups_share_one_port(serve, connect, greeter_pb2):
    server = serve(
        ServiceConfig(greeter_service(greeter_pb2, tag="v1:"), version="1.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="v2:"), version="2.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="blue:"), version="2.0.0", group="blue"),
        ServiceConfig(greeter_service(greeter_pb2, name="demo.Other", tag="other:")),
    )
    assert len(server.ports) == 1
    base = f"tri://127.0.0.1:{server.port}"
    expected = {
        f"{base}/{GREETER}?version=1.0.0": "v1:hello x",
        f"{base}/{GREETER}?version=2.0.0": "v2:hello x",
        f"{base}/{GREETER}?version=2.0.0&group=blue": "blue:hello x",
        f"{base}/demo.Other": "other:hello x",
    }
    for url, reply in expected.items():
        stub = GreeterStub(connect(url), greeter_pb2)
        assert stub.say_hello(greeter_pb2.GreeterRequest(name="x")).message == reply


@pytest.mark.parametrize("mode", MODES)
def test_stop_lets_a_call_finish_within_grace(gated, gate, mode):
    server, connect = gated
    in_flight = InFlight(connect(), mode)
    assert gate.entered.acquire(timeout=30)

    stopping = threading.Thread(target=server.stop, args=(30,))
    stopping.start()
    gate.release.set()
    in_flight.join(30)
    stopping.join(30)

    assert in_flight.error is None
    assert in_flight.result == b"done"
    assert not stopping.is_alive()


def test_stop_refuses_new_calls_while_in_flight_ones_finish(gated, gate):
    server, connect = gated
    in_flight = InFlight(connect(), "unary")
    assert gate.entered.acquire(timeout=30)

    stopping = threading.Thread(target=server.stop, args=(30,))
    stopping.start()
    refused = None
    for _ in range(200):  # until the stop has begun; each attempt is a fresh connection
        late = dubbo.Client(ReferenceConfig(service="demo.Gate", host="127.0.0.1", port=server.port))
        try:
            late.unary("unary").with_options(timeout=0.5)(b"late")
        except dubbo.RpcError as error:
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                refused = error
                break
        finally:
            late.close()
    assert refused is not None
    assert in_flight.is_alive()  # the first call is still being served
    gate.release.set()
    in_flight.join(30)
    stopping.join(30)
    assert in_flight.result == b"done"


@pytest.mark.parametrize("mode", MODES)
def test_stop_cancels_calls_still_running_after_grace(gated, gate, mode):
    server, connect = gated
    in_flight = InFlight(connect(), mode)
    assert gate.entered.acquire(timeout=30)

    server.stop(grace=0.2)
    in_flight.join(30)

    assert in_flight.result is None
    assert in_flight.error.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)


def test_wait_for_termination_returns_once_the_server_stops(gated):
    server, _ = gated
    assert server.wait_for_termination(timeout=0.1) is False
    threading.Timer(0.1, server.stop, args=(0,)).start()
    assert server.wait_for_termination(timeout=30) is True


def test_the_context_manager_serves_inside_and_stops_on_exit(greeter_pb2):
    config = ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0)
    reference = ReferenceConfig(service=GREETER, host="127.0.0.1")
    with dubbo.Server(config) as server:
        reference.port = server.port
        with dubbo.Client(reference) as client:
            assert GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="in")).message == "hello in"
    with dubbo.Client(reference) as client:
        with pytest.raises(dubbo.RpcError) as error:
            GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="after"))
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert server.wait_for_termination(timeout=0) is True


SIGNAL_SERVER = textwrap.dedent(
    """
    import time
    import dubbo
    from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

    def slow(request):
        print("entered", flush=True)
        time.sleep(1.0)  # still running when SIGTERM arrives
        return b"drained"

    service = RpcServiceHandler("demo.Slow", [RpcMethodHandler.unary(slow)])
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=0))
    print(server.port, flush=True)
    signum = server.run_until_signal(grace=30)
    print("stopped by", signum, flush=True)
    """
)


def test_run_until_signal_drains_calls_on_sigterm_and_exits_cleanly():
    process = subprocess.Popen([sys.executable, "-c", SIGNAL_SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        results: list = []
        with dubbo.Client(ReferenceConfig(service="demo.Slow", host="127.0.0.1", port=port)) as client:
            slow = client.unary("slow").with_options(timeout=30)
            in_flight = threading.Thread(target=lambda: results.append(slow(b"")))
            in_flight.start()
            assert process.stdout.readline().strip() == "entered"
            process.send_signal(signal.SIGTERM)
            in_flight.join(30)
        assert results == [b"drained"]
        assert process.wait(30) == 0
        assert process.stdout.read().strip() == f"stopped by {int(signal.SIGTERM)}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
