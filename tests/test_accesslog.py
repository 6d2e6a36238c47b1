"""The access log: one line per call with its start time, side, peer, method, status and duration."""

from __future__ import annotations

import logging
import re
import time

import pytest

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler
from dubbo.observability import AccessLog

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (client|server) (\S+) /demo\.Logged/echo (\w+) \d+\.\d\dms$"
)


def _service():
    def echo(request):
        if request == b"boom":
            raise ValueError("boom")
        return request

    return RpcServiceHandler("demo.Logged", [RpcMethodHandler.unary(echo, "echo")])


def _lines(caplog, count):
    deadline = time.monotonic() + 5
    while len([r for r in caplog.records if r.name == "dubbo.accesslog"]) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [LINE.match(r.getMessage()).groups() for r in caplog.records if r.name == "dubbo.accesslog"]


def test_each_call_logs_one_line_per_side_with_peer_and_status(serve, caplog):
    caplog.set_level(logging.INFO, logger="dubbo.accesslog")
    server = serve(_service(), interceptors=[AccessLog()])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Logged")
    with dubbo.Client(reference, interceptors=[AccessLog()]) as client:
        client.unary("echo")(b"x")
        with pytest.raises(RpcError):
            client.unary("echo")(b"boom")
    lines = _lines(caplog, 4)
    client_lines = [line for line in lines if line[0] == "client"]
    server_lines = [line for line in lines if line[0] == "server"]
    assert client_lines == [("client", f"127.0.0.1:{server.port}", "OK"), ("client", f"127.0.0.1:{server.port}", "UNKNOWN")]
    assert [line[2] for line in server_lines] == ["OK", "UNKNOWN"]
    assert all(re.fullmatch(r"127\.0\.0\.1:\d+", line[1]) for line in server_lines)

