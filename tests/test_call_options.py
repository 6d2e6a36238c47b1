"""Per-call options compose, mean what the reference's settings mean, and futures are grpcio's."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

import dubbo
from dubbo import ReferenceConfig, RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig

SERVICE = "demo.Options"


def _service() -> RpcServiceHandler:
    def attachments(request):
        values = dubbo.server_context().attachments
        return ",".join(f"{k}={values[k]}" for k in sorted(values) if k.startswith("x-")).encode()

    def slow(request):
        time.sleep(float(request))
        return b"done"

    def fail(request):
        raise RpcError(grpc.StatusCode.NOT_FOUND, "nothing here")

    return RpcServiceHandler(SERVICE, [
        RpcMethodHandler.unary(attachments, "attachments"),
        RpcMethodHandler.unary(slow, "slow"),
        RpcMethodHandler.unary(fail, "fail"),
    ])


@pytest.fixture
def client(serve, connect):
    return connect(f"tri://127.0.0.1:{serve(_service()).port}/{SERVICE}")


def test_chained_with_options_add_attachments_to_those_set_before(client):
    call = client.unary("attachments").with_options(attachments={"x-a": "1", "x-b": "1"})
    call = call.with_options(attachments={"x-b": "2", "x-c": "3"}).with_options(timeout=5)
    assert call(b"") == b"x-a=1,x-b=2,x-c=3"


def test_with_options_timeout_zero_means_no_deadline_as_in_urls(client):
    assert client.unary("slow").with_options(timeout=0)(b"0.3") == b"done"


def test_a_url_timeout_of_zero_means_no_deadline(serve, connect):
    client = connect(f"tri://127.0.0.1:{serve(_service()).port}/{SERVICE}?timeout=0")
    assert client.unary("slow")(b"0.3") == b"done"


def test_a_unary_future_is_a_grpc_future(client):
    future = client.unary("slow").future(b"0.2")
    finished = threading.Event()
    seen = []
    future.add_done_callback(lambda f: (seen.append(f), finished.set()))
    assert not future.done() and future.running()
    assert finished.wait(5) and seen == [future]
    assert future.done() and not future.cancelled() and future.exception() is None
    assert future.result() == b"done"


def test_a_failed_future_gives_its_rpc_error_from_exception(client):
    future = client.unary("fail").future(b"")
    error = future.exception(timeout=5)
    assert isinstance(error, RpcError) and error.code() is grpc.StatusCode.NOT_FOUND


def test_a_callback_added_after_the_call_ended_runs_at_once(client):
    future = client.unary("slow").future(b"0")
    future.result(timeout=5)
    seen = []
    future.add_done_callback(seen.append)
    assert seen == [future]


@pytest.mark.parametrize("url", ["dubbo://127.0.0.1:20880/demo.S", "rest://127.0.0.1:80/demo.S", "http://h:1/demo.S"])
def test_a_url_for_another_protocol_is_refused_naming_what_is_supported(url):
    with pytest.raises(ValueError, match=r"not supported: this library speaks Triple \(tri://\)"):
        ReferenceConfig.from_url(url)


def test_a_service_config_for_another_protocol_is_refused():
    with pytest.raises(ValueError, match="not supported"):
        ServiceConfig(_service(), protocol="dubbo")
