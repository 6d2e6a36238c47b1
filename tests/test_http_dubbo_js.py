"""dubbo-js's own Triple-transport client (``@apachedubbo/dubbo-node`` 3.0.0-alpha, tests/js/)
calling a Python provider's plain-HTTP endpoint: unary JSON and protobuf, streams, errors,
version/group routing, over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

import grpc
import pytest

import dubbo
from dubbo import ServiceConfig

from conftest import greeter_service

pytest.importorskip("hypercorn", reason="the HTTP endpoint needs the [http] extra")

JS = pathlib.Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="module")
def dubbo_js() -> pathlib.Path:
    """tests/js with its node_modules, installed by ``npm ci`` the first time."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed for the dubbo-js interop tests")
        pytest.skip("node and npm are not installed: the dubbo-js interop tests need them")
    if not (JS / "node_modules" / "@apachedubbo" / "dubbo-node").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=300, capture_output=True)
    return JS


def call(js: pathlib.Path, port: int, scenario: str, http_version: str = "1.1", fmt: str = "json", *routing: str):
    """Run one dubbo-js call; its result, or the DubboError's (code, message)."""
    out = subprocess.run(
        ["node", str(js / "client.mjs"), f"http://127.0.0.1:{port}", scenario, http_version, fmt, *routing],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    outcome = json.loads(out)
    if "error" in outcome:
        return grpc.StatusCode(next(c.value for c in grpc.StatusCode if c.value[0] == outcome["error"]["code"])), outcome["error"]["message"]
    return outcome["ok"]


@pytest.fixture
def greeter_http(serve, greeter_pb2) -> int:
    return serve(greeter_service(greeter_pb2), http_port=0).http_port


@pytest.mark.parametrize("http_version", ["1.1", "2"])
@pytest.mark.parametrize("fmt", ["json", "proto"])
def test_dubbo_js_calls_a_unary_method(dubbo_js, greeter_http, http_version, fmt):
    assert call(dubbo_js, greeter_http, "unary", http_version, fmt) == "hello js"


@pytest.mark.parametrize("http_version", ["1.1", "2"])
@pytest.mark.parametrize("fmt", ["json", "proto"])
def test_dubbo_js_reads_a_server_stream(dubbo_js, greeter_http, http_version, fmt):
    assert call(dubbo_js, greeter_http, "serverStream", http_version, fmt) == ["a", "b", "c"]


def test_dubbo_js_sends_a_client_stream(dubbo_js, greeter_http):
    assert call(dubbo_js, greeter_http, "clientStream", "2", "proto") == "x,y"


def test_dubbo_js_runs_a_bidi_stream_half_duplex(dubbo_js, greeter_http):
    assert call(dubbo_js, greeter_http, "biStream", "2", "json") == ["echo p", "echo q"]


def test_dubbo_js_sees_an_unknown_method_as_unimplemented(dubbo_js, greeter_http):
    code, message = call(dubbo_js, greeter_http, "missing")
    assert code == grpc.StatusCode.UNIMPLEMENTED and "missing" in message


@pytest.mark.parametrize("fmt", ["json", "proto"])
def test_dubbo_js_sees_a_handlers_status_and_message(dubbo_js, serve, greeter_pb2, fmt):
    def refuse(request):
        raise dubbo.RpcError(grpc.StatusCode.PERMISSION_DENIED, f"not you, {request.name}")

    service = dubbo.RpcServiceHandler("org.apache.dubbo.samples.proto.Greeter", [
        dubbo.RpcMethodHandler.unary(refuse, "sayHello", greeter_pb2.GreeterRequest.FromString),
        dubbo.RpcMethodHandler.server_stream(lambda stream: refuse(stream.read()), "serverStream", greeter_pb2.GreeterRequest.FromString),
    ])
    port = serve(service, http_port=0).http_port
    assert call(dubbo_js, port, "unary", "1.1", fmt) == (grpc.StatusCode.PERMISSION_DENIED, "not you, js")
    assert call(dubbo_js, port, "serverStream", "2", fmt) == (grpc.StatusCode.PERMISSION_DENIED, "not you, a b c")


def test_dubbo_js_service_version_and_group_route_the_call(dubbo_js, serve, greeter_pb2):
    port = serve(
        ServiceConfig(greeter_service(greeter_pb2, tag="v1:"), version="1.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="v2g:"), version="2.0.0", group="g"),
        http_port=0,
    ).http_port
    assert call(dubbo_js, port, "unary", "1.1", "json", "2.0.0", "g") == "v2g:hello js"
    assert call(dubbo_js, port, "unary", "1.1", "json") == "v1:hello js"
