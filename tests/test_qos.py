"""The QoS port: ls, offline/online against a real ZooKeeper, and the probes Kubernetes reads."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest

import dubbo
from dubbo import ServiceConfig
from dubbo._cli import main as cli
from dubbo.observability import Metrics, Qos

from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    registry_config,
    stack,
    start_provider,
    who_service,
    zk_client,
    zookeeper_server,
)


def get(qos: Qos, command: str) -> tuple:
    """``(HTTP status, body)`` of ``GET /command`` on the QoS port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{qos.port}/{command}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def provider_nodes(zk_client, registry_config) -> list:
    path = f"/{registry_config.group}/{SERVICE}/providers"
    return zk_client.get_children(path) if zk_client.exists(path) else []


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


@pytest.fixture
def qos_of():
    """``qos_of(*targets, **options)`` → a started ``Qos`` on a free port, stopped at the end."""
    started = []

    def start(*targets, **options) -> Qos:
        qos = Qos(*targets, port=0, **options).start()
        started.append(qos)
        return qos

    yield start
    for qos in started:
        qos.stop()


def test_offline_removes_the_provider_nodes_while_a_call_in_flight_finishes(
    start_provider, qos_of, zk_client, registry_config
):
    provider = start_provider("p1")
    qos = qos_of(provider.server)
    assert len(provider_nodes(zk_client, registry_config)) == 1
    direct = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{provider.server.port}/{SERVICE}?timeout=10000"))
    try:
        in_flight = direct.unary("block").future(b"")
        assert wait_until(lambda: provider.calls.get("block") == 1)
        assert get(qos, "offline") == (200, "OK\n")
        assert provider_nodes(zk_client, registry_config) == []
        provider.gate.set()
        assert in_flight.result(timeout=5) == b"p1"  # the call in flight finished
        assert direct.unary("whoami")(b"") == b"p1"  # and the server still serves
    finally:
        direct.close()


def test_online_writes_the_provider_nodes_again(start_provider, qos_of, zk_client, registry_config):
    provider = start_provider("p1")
    qos = qos_of(provider.server)
    before = provider_nodes(zk_client, registry_config)
    get(qos, "offline")
    assert provider_nodes(zk_client, registry_config) == []
    assert get(qos, "online") == (200, "OK\n")
    assert provider_nodes(zk_client, registry_config) == before


def test_offline_and_online_work_on_the_asyncio_server(stack, qos_of, zk_client, registry_config):
    server = stack.serve(ServiceConfig(who_service("a1", {}), host="127.0.0.1", port=0, parameters={"warmup": "0"}))
    qos = qos_of(server)
    assert len(provider_nodes(zk_client, registry_config)) == 1
    get(qos, "offline")
    assert provider_nodes(zk_client, registry_config) == []
    assert get(qos, "ready")[0] == 503
    get(qos, "online")
    assert len(provider_nodes(zk_client, registry_config)) == 1
    assert get(qos, "ready") == (200, "true\n")


def test_ready_is_false_while_offline_and_true_again_once_online(start_provider, qos_of):
    qos = qos_of(start_provider("p1").server)
    assert get(qos, "ready") == (200, "true\n")
    get(qos, "offline")
    assert get(qos, "ready") == (503, "false\n")
    assert get(qos, "live") == (200, "true\n")
    get(qos, "online")
    assert get(qos, "ready") == (200, "true\n")


def test_startup_and_ready_are_false_until_the_server_starts(qos_of):
    server = dubbo.Server(ServiceConfig(who_service("s", {}), host="127.0.0.1", port=0))
    qos = qos_of(server)
    try:
        assert get(qos, "startup") == (503, "false\n")
        assert get(qos, "ready") == (503, "false\n")
        assert get(qos, "live") == (200, "true\n")
        server.start()
        assert get(qos, "startup") == (200, "true\n")
        assert get(qos, "ready") == (200, "true\n")
    finally:
        server.stop(0)


def test_ready_is_false_from_the_moment_the_server_begins_to_stop(qos_of):
    gate = threading.Event()
    server = dubbo.Server(ServiceConfig(who_service("s", {}, gate), host="127.0.0.1", port=0)).start()
    qos = qos_of(server)
    client = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}?timeout=10000"))
    try:
        in_flight = client.unary("block").future(b"")
        time.sleep(0.2)
        stopping = threading.Thread(target=server.stop, args=(10,))
        stopping.start()
        assert wait_until(lambda: server.state == "stopping")
        assert get(qos, "ready") == (503, "false\n")  # draining: no new traffic
        assert get(qos, "startup") == (200, "true\n")
        gate.set()
        assert in_flight.result(timeout=5) == b"s"
        stopping.join(10)
        assert get(qos, "ready") == (503, "false\n")
    finally:
        gate.set()
        client.close()
        server.stop(0)


def test_ls_lists_services_provided_and_consumed_with_their_registration(start_provider, qos_of, connect):
    provider = start_provider("p1", version="1.0.0", group="g1")
    consumer = connect(f"tri://127.0.0.1:{provider.server.port}/demo.Other")
    qos = qos_of(provider.server, consumer)
    status, text = get(qos, "ls")
    assert status == 200
    assert "|g1/test.Who:1.0.0    |Y  |" in text
    assert f"|demo.Other           |127.0.0.1:{provider.server.port}|" in text
    get(qos, "offline")
    assert "|g1/test.Who:1.0.0    |N  |" in get(qos, "ls")[1]


def test_the_metrics_of_a_given_registry_are_served_on_the_qos_port_as_in_java(qos_of, serve):
    metrics = Metrics()
    server = serve(who_service("m", {}), interceptors=[metrics])
    qos = qos_of(server, metrics=metrics)
    with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}")) as client:
        client.unary("whoami")(b"")
    status, text = get(qos, "metrics")
    assert status == 200
    assert 'dubbo_provider_requests_total{application_name="",interface="test.Who",method="whoami"} 1.0' in text


def test_an_unknown_command_is_not_found(qos_of):
    assert get(qos_of(), "nonsense") == (404, "Unsupported command: nonsense")


def test_the_dubbo_command_asks_the_qos_port_and_exits_by_the_answer(start_provider, qos_of, capsys):
    qos = qos_of(start_provider("p1").server)
    assert cli(["qos", "ready", "--port", str(qos.port)]) == 0
    assert capsys.readouterr().out == "true\n"
    assert cli(["qos", "offline", "--port", str(qos.port)]) == 0
    assert capsys.readouterr().out == "OK\n"
    assert cli(["qos", "ready", "--port", str(qos.port)]) == 14  # UNAVAILABLE, like health not SERVING
    assert capsys.readouterr().out == "false\n"
    assert cli(["qos", "online", "--port", str(qos.port)]) == 0
    capsys.readouterr()
    assert cli(["qos", "ls", "--port", str(qos.port)]) == 0
    assert "test.Who" in capsys.readouterr().out
