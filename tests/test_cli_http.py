"""``dubbo call --http``: calling a plain-HTTP Triple endpoint from the shell, JSON in and out."""

from __future__ import annotations

import grpc
import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

from conftest import greeter_service
from test_cli import GREETER, dubbo_cli, lines

pytest.importorskip("hypercorn", reason="the HTTP endpoint needs the [http] extra")


@pytest.fixture
def http_greeter(serve, greeter_pb2) -> str:
    server = serve(
        ServiceConfig(greeter_service(greeter_pb2, tag="v1:"), version="1.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="v2:"), version="2.0.0"),
        http_port=0, reflection=False,
    )
    return f"http://127.0.0.1:{server.http_port}/{GREETER}"


def test_call_http_prints_the_json_reply(http_greeter):
    assert lines(dubbo_cli("call", "--http", f"{http_greeter}/sayHello", '{"name": "curl"}')) == [{"message": "v1:hello curl"}]


def test_call_http_prints_a_line_per_server_sent_event(http_greeter):
    done = dubbo_cli("call", "--http", f"{http_greeter}/serverStream", '{"name": "a b"}')
    assert lines(done) == [{"message": "v1:a"}, {"message": "v1:b"}]


def test_call_http_sends_the_service_version(http_greeter):
    done = dubbo_cli("call", "--http", "--service-version", "2.0.0", f"{http_greeter}/sayHello", '{"name": "x"}')
    assert lines(done) == [{"message": "v2:hello x"}]


def test_call_http_exits_with_the_status_of_an_unknown_method(http_greeter):
    done = dubbo_cli("call", "--http", f"{http_greeter}/nothing", "{}")
    assert done.returncode == grpc.StatusCode.UNIMPLEMENTED.value[0]
    assert done.stderr.startswith("UNIMPLEMENTED: Method not found: nothing")


def test_call_http_sends_attachments_and_reports_a_handlers_error(serve):
    def check(request):
        raise dubbo.RpcError(grpc.StatusCode.PERMISSION_DENIED, f"user {dubbo.server_context().attachments['user']}")

    server = serve(RpcServiceHandler("demo.Check", [RpcMethodHandler.unary(check, "check")]), http_port=0)
    done = dubbo_cli("call", "--http", "-H", "user=ann", f"http://127.0.0.1:{server.http_port}/demo.Check/check", "{}")
    assert (done.returncode, done.stderr.strip()) == (grpc.StatusCode.PERMISSION_DENIED.value[0], "PERMISSION_DENIED: user ann")


def test_call_http_to_a_closed_port_is_unavailable():
    done = dubbo_cli("call", "--http", "http://127.0.0.1:1/demo.X/y", "{}")
    assert done.returncode == grpc.StatusCode.UNAVAILABLE.value[0]
