"""The samples run as written: the documented streaming example, Apache-style samples, the demo."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import re
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "streaming-calls.md"  # the documented example, as published


@pytest.fixture
def env(protos):
    """An environment in which the samples import ``dubbo`` and their generated protobuf code."""
    from conftest import compile_protos

    compile_protos(ROOT / "samples" / "proto", "greeter.proto", grpc_stubs=False)
    compile_protos(ROOT / "samples" / "streaming", "chat.proto", grpc_stubs=False)
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def port_50051():
    """The samples use Triple's default port; one test at a time holds it, machine-wide."""
    with open("/tmp/dubbo-grpcio-port-50051.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _wait_until_free(50051)
        yield 50051


def _wait_until_free(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"port {port} stays busy: another program listens on it")
        time.sleep(0.2)


def _wait_until_listening(port: int, server: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"server exited early: {server.communicate()}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    pytest.fail(f"server never listened on {port}")


def _run_pair(server_args, client_args, env, cwd=ROOT):
    server = subprocess.Popen(
        [sys.executable, *server_args], cwd=cwd, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_listening(50051, server)
        client = subprocess.run(
            [sys.executable, *client_args], cwd=cwd, env=env, text=True, capture_output=True, timeout=60
        )
    finally:
        server_out, _ = server.communicate("\n", timeout=20)  # "Press Enter to stop the server"
    assert client.returncode == 0, client.stdout + client.stderr
    assert server.returncode == 0, server_out
    return client.stdout, server_out


def _code_blocks(markdown: str):
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


def test_the_streaming_samples_are_the_documented_example_exactly():
    client_block, server_block = _code_blocks(SPEC.read_text())
    streaming = ROOT / "samples" / "streaming"
    assert (streaming / "client.py").read_text().endswith(client_block)
    assert (streaming / "server.py").read_text().endswith(server_block)


def test_the_documented_streaming_example_runs_unchanged(env, port_50051):
    streaming = ROOT / "samples" / "streaming"
    out, server_out = _run_pair(["server.py"], ["client.py"], env, cwd=streaming)
    names = ["hello", "world", "from", "dubbo-python"]
    received = re.findall(r"Received response: user=(\S+), message=(\S+)", out)
    assert [message for _, message in received] == names
    for user, message in received:  # the server swaps user and message
        assert f"Received message from {message}: {user}" in server_out


@pytest.mark.parametrize(
    "sample, expected",
    [
        ("helloworld", ["b'Hello from server'"]),
        ("stream.client_stream", ["Received response: hello world from dubbo-python"]),
        ("stream.server_stream", [f"Received response: {w}" for w in "hello world from dubbo-python".split()]),
        (
            "stream.bidi_stream",
            ["Received response: Hello, jock!", "No message received"]
            + [f"Received response: Hello, {n}!" for n in ["jane", "alice", "dave"]],
        ),
    ],
)
def test_apache_style_samples_run(env, port_50051, sample, expected):
    out, _ = _run_pair(["-m", f"samples.{sample}.server"], ["-m", f"samples.{sample}.client"], env)
    lines = out.splitlines()
    if sample == "stream.bidi_stream":  # how many read(timeout) calls come back empty depends on timing
        lines = [line for i, line in enumerate(lines) if line != "No message received" or lines[i - 1] != line]
    assert lines == expected


def test_the_demo_prints_all_four_modes(env):
    result = subprocess.run(
        [sys.executable, "-m", "samples.demo"], cwd=ROOT, env=env, text=True, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unary:         Hello, dubbo!" in result.stdout
    assert "client stream: streams of requests" in result.stdout
    assert "server stream: ['one', 'two', 'three']" in result.stdout
    assert "bidi stream:   echo pong" in result.stdout
    assert "bidi stream:   EOF" in result.stdout
