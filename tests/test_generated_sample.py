"""samples/generated: the Greeter served and called through stubs generated at test time."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


EXPECTED = [
    "unary:         Hello, dubbo!",
    "client stream: streams of requests",
    "server stream: ['one', 'two', 'three']",
    "bidi stream:   echo ping",
    "bidi stream:   echo pong",
    "",
]


@pytest.mark.parametrize("client", ["client", "async_client"])
def test_generated_sample_server_and_client_run_all_four_modes(client):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    generate = [sys.executable, "-m", "dubbo.codegen", "-Isamples/generated=protos", "--dubbo_out=.", "protos/greeter.proto"]
    subprocess.run(generate, cwd=ROOT, env=env, check=True, timeout=120)  # what `make protos` runs
    server = subprocess.Popen(
        [sys.executable, "-m", "samples.generated.server", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        banner = server.stdout.readline()
        assert banner.startswith("Greeter (generated) serving on 127.0.0.1:"), banner
        port = banner.rsplit(":", 1)[1].strip()
        done = subprocess.run(
            [sys.executable, "-m", f"samples.generated.{client}", port], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        server.send_signal(signal.SIGTERM)
        rest, _ = server.communicate(timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == EXPECTED
    assert "Greeter stopped" in rest and server.returncode == 0
