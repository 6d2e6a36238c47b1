"""dubbo.Server(config, processes=N): one port served from N worker processes.

Each server runs in a fresh Python (forking is only allowed before a process uses grpc,
and this test process has); its handler answers with the pid of the worker that ran it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import grpc
import pytest

import dubbo
from dubbo.configs import ReferenceConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from zookeeper import registry_config, zk_client, zookeeper_server  # noqa: F401  (fixtures)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes= needs Linux (SO_REUSEPORT)")

SERVER = textwrap.dedent(
    """
    import os, sys, time
    import dubbo
    from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

    def pid(request):
        if request == b"slow":
            print("entered", flush=True)
            time.sleep(1.0)  # still running when SIGTERM arrives
        return str(os.getpid()).encode()

    service = RpcServiceHandler("demo.Pid", [RpcMethodHandler.unary(pid)])
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=0), processes=int(sys.argv[1]))
    server.start()
    print(server.port, " ".join(map(str, server.worker_pids)), flush=True)
    signum = server.run_until_signal(grace=30)
    print("stopped by", signum, flush=True)
    """
)


class Served:
    """A multi-process server in its own Python: its port and first workers, and its process."""

    def __init__(self, processes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(processes)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        port, *pids = self.process.stdout.readline().split()
        self.port = int(port)
        self.workers = {int(pid) for pid in pids}

    def pid_of_a_call(self, request: bytes = b"") -> int:
        """The worker that served one call on a fresh connection."""
        with dubbo.Client(ReferenceConfig(service="demo.Pid", host="127.0.0.1", port=self.port)) as client:
            return int(client.unary("pid").with_options(timeout=30)(request))

    def pids_serving(self, wanted: set, attempts: int = 400) -> set:
        """Workers seen over fresh connections, until ``wanted`` have all been seen (or attempts run out)."""
        seen: set = set()
        for _ in range(attempts):
            seen.add(self.pid_of_a_call())
            if wanted <= seen:
                break
        return seen

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def two_workers():
    served = Served(2)
    yield served
    served.close()


def test_calls_reach_every_worker_and_none_reach_the_parent(two_workers):
    assert len(two_workers.workers) == 2
    assert two_workers.process.pid not in two_workers.workers
    assert two_workers.pids_serving(two_workers.workers) == two_workers.workers


def test_a_killed_worker_is_replaced_by_a_new_one_that_serves(two_workers):
    killed, kept = sorted(two_workers.workers)
    os.kill(killed, signal.SIGKILL)
    seen: set = set()
    for _ in range(1500):  # the replacement starts after a pause, as its predecessor died young
        try:
            seen.add(two_workers.pid_of_a_call())
        except dubbo.RpcError as error:  # the kernel may hand the killed worker's socket one last connection: reset
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
        if seen - {kept}:
            break
        time.sleep(0.02)
    replacement = seen - {kept}
    assert len(replacement) == 1 and killed not in replacement
    two_workers.workers |= replacement


def test_a_second_server_on_the_port_is_refused(two_workers):
    service = RpcServiceHandler("demo.Other", [RpcMethodHandler.unary(lambda request: request, "echo")])
    with pytest.raises(OSError, match="Address already in use"):
        dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=two_workers.port))
    assert two_workers.pids_serving(two_workers.workers) == two_workers.workers


def test_sigterm_drains_the_calls_in_flight_and_stops_every_worker(two_workers):
    results: list = []
    in_flight = threading.Thread(target=lambda: results.append(two_workers.pid_of_a_call(b"slow")))
    in_flight.start()
    assert two_workers.process.stdout.readline().strip() == "entered"
    two_workers.process.send_signal(signal.SIGTERM)
    in_flight.join(30)
    assert results and results[0] in two_workers.workers
    assert two_workers.process.wait(30) == 0
    assert two_workers.process.stdout.read().strip() == f"stopped by {int(signal.SIGTERM)}"
    for pid in two_workers.workers:  # the parent returns only once the supervisor has reaped them all
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_processes_zero_means_one_worker_per_core():
    served = Served(0)
    try:
        assert len(served.workers) == os.cpu_count()
    finally:
        served.close()


def test_a_process_that_already_uses_grpc_is_told_to_start_the_server_first(two_workers):
    service = RpcServiceHandler("demo.Other", [RpcMethodHandler.unary(lambda request: request, "echo")])
    two_workers.pid_of_a_call()  # grpc now runs in this process
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=0), processes=2)
    with pytest.raises(RuntimeError, match="before any Client or Server"):
        server.start()


REGISTERED = textwrap.dedent(
    """
    import os, sys
    import dubbo
    from dubbo import RegistryConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig

    def pid(request):
        return str(os.getpid()).encode()

    service = RpcServiceHandler("demo.Pid", [RpcMethodHandler.unary(pid)])
    bootstrap = dubbo.Dubbo(registry_config=RegistryConfig.from_url(sys.argv[1]))
    server = bootstrap.create_server(ServiceConfig(service, host="127.0.0.1", port=0), processes=2).start()
    print(server.port, flush=True)
    server.run_until_signal(grace=5)
    """
)


def test_through_the_bootstrap_the_address_is_registered_once(registry_config, zk_client):
    url = f"zookeeper://{registry_config.addresses[0]}?group={registry_config.group}"
    process = subprocess.Popen([sys.executable, "-c", REGISTERED, url], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        (node,) = zk_client.get_children(f"/{registry_config.group}/demo.Pid/providers")
        assert f"%3A{port}%2F" in node
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert zk_client.get_children(f"/{registry_config.group}/demo.Pid/providers") == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
