"""Calls through the registry: cluster modes, providers coming and going, ZooKeeper going
away, shared channels, and nothing left running after close."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest

import dubbo
from dubbo import EOF, ReferenceConfig, RegistryConfig, RpcError
from dubbo._registry.channel_pool import open_addresses
from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    connect_registry,
    own_zookeeper,
    registry_config,
    stack,
    start_provider,
    wait_until,
    zookeeper_server,
)

TESTS = pathlib.Path(__file__).resolve().parent


def total_calls(providers, method):
    return sum(p.calls.get(method, 0) for p in providers)


@pytest.fixture
def three(start_provider):
    providers = [start_provider(name) for name in ("a", "b", "c")]
    for provider in providers:
        provider.gate.set()
    return providers


# -- cluster modes, on both stacks (one policy decides for both) ---------------------------------


def test_failover_tries_three_providers_on_unavailable(stack, three):
    with pytest.raises(RpcError) as error:
        stack.unary("unavailable")(b"")
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE
    assert [p.calls.get("unavailable") for p in three] == [1, 1, 1]  # each once: tried ones are excluded


def test_failover_never_retries_a_business_error(stack, three):
    with pytest.raises(RpcError) as error:
        stack.unary("fail")(b"")
    assert error.value.code() is grpc.StatusCode.UNKNOWN and "business error" in error.value.message
    assert total_calls(three, "fail") == 1


def test_retries_are_set_per_reference_and_per_method(stack, three):
    with pytest.raises(RpcError):
        stack.unary("unavailable", retries=0)(b"")
    assert total_calls(three, "unavailable") == 1
    with pytest.raises(RpcError):
        stack.unary("unavailable", parameters={"unavailable.retries": "1"})(b"")
    assert total_calls(three, "unavailable") == 3


def test_failover_never_retries_a_cancelled_status_the_handler_sent(stack, three):
    with pytest.raises(RpcError) as error:
        stack.unary("cancelled")(b"")
    assert error.value.code() is grpc.StatusCode.CANCELLED and error.value.message == "handler says cancelled"
    assert total_calls(three, "cancelled") == 1


def test_failover_does_not_retry_for_a_caller_that_has_gone(three, connect_registry, serve):
    from dubbo import RpcMethodHandler, RpcServiceHandler, server_context

    unavailable = connect_registry().unary("unavailable")
    running, outcome = threading.Event(), {}

    def relay(request):  # a handler that calls on after its own caller has cancelled
        running.set()
        while server_context().is_active():
            time.sleep(0.01)
        try:
            unavailable(b"")
        except RpcError as error:
            outcome["code"] = error.code()
        return b""

    port = serve(RpcServiceHandler("test.Relay", [RpcMethodHandler.unary(relay)])).port
    with dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/test.Relay")) as front:
        call = front.unary("relay").future(b"")
        assert running.wait(10)
        call.cancel()
        wait_until(lambda: outcome, "the relay called on")
    assert outcome["code"] is grpc.StatusCode.UNAVAILABLE and total_calls(three, "unavailable") == 1


def test_failfast_makes_one_attempt(stack, three):
    with pytest.raises(RpcError) as error:
        stack.unary("unavailable", cluster="failfast")(b"")
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE and total_calls(three, "unavailable") == 1


def test_failsafe_returns_none_on_failure(stack, three):
    assert stack.unary("fail", cluster="failsafe")(b"") is None
    assert stack.unary("whoami", cluster="failsafe")(b"") in (b"a", b"b", b"c")


def test_failsafe_with_no_provider_at_all_raises_unavailable_as_java_does(stack):
    # Java's AbstractClusterInvoker#invoke runs checkInvokers before FailsafeClusterInvoker's try.
    with pytest.raises(RpcError) as error:
        stack.unary("whoami", cluster="failsafe")(b"")
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE and f"no provider of {SERVICE}" in error.value.message


def test_no_provider_is_unavailable_naming_the_service(stack):
    with pytest.raises(RpcError) as error:
        stack.unary("whoami")(b"")
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE and f"no provider of {SERVICE}" in error.value.message


def test_forking_calls_two_providers_and_returns_the_first_answer(stack, three):
    assert stack.unary("whoami", cluster="forking")(b"") in (b"a", b"b", b"c")
    wait_until(lambda: total_calls(three, "whoami") == 2, "both forks arrived")
    assert max(p.calls.get("whoami", 0) for p in three) == 1


def test_forking_fails_only_when_every_fork_fails(stack, three):
    with pytest.raises(RpcError) as error:
        stack.unary("fail", cluster="forking")(b"")
    assert error.value.code() is grpc.StatusCode.UNKNOWN


def test_a_provider_timeout_replaces_the_default_deadline(stack, registry_config):
    from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig, server_context

    def remaining(request):
        return b"%.1f" % server_context().time_remaining()

    service = RpcServiceHandler("test.Deadline", [RpcMethodHandler.unary(remaining)])
    config = ServiceConfig(service, port=0, parameters={"timeout": "9000", "remaining.timeout": "7000"})
    server = dubbo.Dubbo(registry_config=registry_config).create_server(config).start()
    try:
        provider_set = float(stack.unary("remaining", service="test.Deadline")(b""))
        consumer_set = float(stack.unary("remaining", service="test.Deadline", timeout=1000)(b""))
    finally:
        server.stop(0)
    assert 3.0 < provider_set <= 7.0  # the method-level provider timeout, not 3000 ms nor 9000 ms
    assert consumer_set <= 1.0  # the consumer's own wins


def test_unknown_cluster_is_refused(stack):
    with pytest.raises(ValueError, match="unknown cluster"):
        stack.connect(cluster="broadcast")


def test_no_registry_and_no_host_is_a_clear_error():
    with pytest.raises(ValueError, match="registry"):
        dubbo.Client(ReferenceConfig(service=SERVICE))


# -- streams pick once -----------------------------------------------------------------------------


def test_a_server_stream_stays_on_one_provider(three, connect_registry):
    count = connect_registry().server_stream("count")
    for _ in range(10):
        names = {message.split(b":")[0] for message in count(b"")}
        assert len(names) == 1


def test_a_bidi_stream_stays_on_one_provider(three, connect_registry):
    stream = connect_registry().bidi_stream("echo")()
    names = set()
    for i in range(5):
        stream.write(b"%d" % i)
        names.add(stream.read().split(b":")[0])
    stream.done_writing()
    assert stream.read() is EOF
    assert len(names) == 1


def test_a_client_stream_goes_to_one_provider(three, connect_registry):
    reply = connect_registry().client_stream("total")([b"1", b"2", b"3"]).read()
    name, _, count = reply.partition(b":")
    assert name in (b"a", b"b", b"c") and count == b"3"


# -- providers come and go -------------------------------------------------------------------------


def _spawn_provider(zookeeper_server, registry_config, name):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS)]))
    url = f"{zookeeper_server.url}?group={registry_config.group}"
    process = subprocess.Popen(
        [sys.executable, str(TESTS / "registry_provider.py"), url, name], stdout=subprocess.PIPE, env=env
    )
    port = process.stdout.readline().strip()
    assert port.isdigit(), f"provider {name} did not start"
    return process


def _call_in_background(whoami, threads=4, most=20_000):
    """Callers that call until stopped (or ``most`` calls each), recording every reply and every failure."""
    replies, failures, stop = [], [], threading.Event()

    def loop():
        for _ in range(most):
            if stop.is_set():
                return
            try:
                replies.append(whoami(b"").decode())
            except Exception as error:  # noqa: BLE001 - the test asserts there are none
                failures.append(error)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()

    def finish():
        stop.set()
        for worker in workers:
            worker.join(60)

    return replies, failures, finish


def test_a_killed_provider_fails_no_idempotent_call_under_failover(start_provider, connect_registry, zookeeper_server, registry_config):
    start_provider("a")
    start_provider("b")
    victim = _spawn_provider(zookeeper_server, registry_config, "victim")
    try:
        whoami = connect_registry().unary("whoami")
        wait_until(lambda: whoami(b"") == b"victim", "the victim is called")
        replies, failures, finish = _call_in_background(whoami)
        try:
            wait_until(lambda: replies.count("victim") >= 20, "calls reach the victim")
            victim.send_signal(signal.SIGKILL)  # no unregistration: its node stays until its session times out
            victim.wait(30)
            after = len(replies)
            wait_until(lambda: len(replies) > after + 300, "calls go on after the kill")
        finally:
            finish()
    finally:
        victim.kill()
        victim.wait()
    assert failures == []
    assert set(replies[after + 50:]) <= {"a", "b"}


def test_a_provider_stopping_cleanly_fails_no_call_under_failover(stack, start_provider):
    # A stop races the calls sent to the provider: some end UNAVAILABLE, some CANCELLED by
    # grpc core before a handler took them; both go to the other provider.
    for round in range(6):
        staying = start_provider(f"staying{round}", host="127.0.0.1", delay=0.002)
        leaving = start_provider(f"leaving{round}", host="127.0.0.1", delay=0.002)
        whoami = stack.unary("whoami", loadbalance="roundrobin")
        wait_until(lambda: {whoami(b"") for _ in range(4)} == {staying.name.encode(), leaving.name.encode()}, "both called")
        replies, failures, finish = _call_in_background(whoami, threads=6)
        try:
            wait_until(lambda: len(replies) > 60, "calls reach both providers")
            leaving.stop(0.5)
            after = len(replies)
            wait_until(lambda: len(replies) > after + 60, "calls go on after the stop")
        finally:
            finish()
            staying.stop(0)
        assert failures == [], f"round {round}"


def test_a_provider_added_at_run_time_receives_traffic(start_provider, connect_registry):
    start_provider("first")
    whoami = connect_registry().unary("whoami")
    assert whoami(b"") == b"first"
    start_provider("late")
    wait_until(lambda: whoami(b"") == b"late", "the new provider is called")


def test_stopped_providers_leave_the_cluster(start_provider, connect_registry):
    a, b = start_provider("a"), start_provider("b")
    client = connect_registry()
    whoami = client.unary("whoami")
    wait_until(lambda: len(client._channel.directory.invokers) == 2, "both providers known")
    a.stop()
    wait_until(lambda: len(client._channel.directory.invokers) == 1, "the stopped provider dropped")
    assert {whoami(b"") for _ in range(30)} == {b"b"}


def test_calls_go_on_while_zookeeper_restarts(own_zookeeper, start_provider, connect_registry):
    registry = RegistryConfig.from_url(f"{own_zookeeper.url}?group=restart")
    start_provider("a", registry=registry)
    start_provider("b", registry=registry)
    whoami = connect_registry(registry=registry).unary("whoami")
    replies, failures, finish = _call_in_background(whoami, threads=2)
    try:
        wait_until(lambda: len(replies) > 50, "calls before the outage")
        own_zookeeper.stop()
        during = len(replies)
        wait_until(lambda: len(replies) > during + 200, "calls while ZooKeeper is down (last known providers)")
        own_zookeeper.start()
        start_provider("late", registry=registry)  # needs the registry back, and the consumer's watch restored
        wait_until(lambda: "late" in replies[-200:], "the consumer sees a provider added after the restart")
    finally:
        finish()
    assert failures == []
    assert {"a", "b"} <= set(replies)


# -- resources -------------------------------------------------------------------------------------


def test_references_share_one_channel_per_provider(three, connect_registry):
    one, two = connect_registry(), connect_registry(version=None)
    channels = lambda client: {i.address: i._channel for i in client._channel.directory.invokers}  # noqa: E731
    first, second = channels(one), channels(two)
    assert len(first) == 3 and first.keys() == second.keys()
    assert all(first[address] is second[address] for address in first)


def test_closing_everything_leaves_no_threads_channels_or_nodes(registry_config, zookeeper_server):
    from kazoo.client import KazooClient
    from zookeeper import who_service

    baseline = set(threading.enumerate())
    bootstrap = dubbo.Dubbo(registry_config=registry_config)
    server = bootstrap.create_server(dubbo.ServiceConfig(who_service("x", {}, threading.Event()), port=0)).start()
    client = bootstrap.create_client(ReferenceConfig(service=SERVICE))
    assert client.unary("whoami")(b"") == b"x"
    assert list(client.server_stream("count")(b""))
    address = client._channel.directory.invokers[0].address
    assert address in open_addresses()
    client.close()
    server.stop(0)
    assert address not in open_addresses()
    wait_until(lambda: set(threading.enumerate()) <= baseline, "every thread started here has ended")

    zk = KazooClient(zookeeper_server.hosts)
    zk.start(30)
    try:
        base = f"/{registry_config.group}/{SERVICE}"
        assert zk.get_children(f"{base}/providers") == [] and zk.get_children(f"{base}/consumers") == []
    finally:
        zk.stop()
        zk.close()


def test_with_call_and_future_work_through_the_cluster(three, connect_registry):
    whoami = connect_registry().unary("whoami")
    response, result = whoami.with_call(b"")
    assert response in (b"a", b"b", b"c") and result.trailing_metadata() is not None
    assert whoami.future(b"").result() in (b"a", b"b", b"c")
    with pytest.raises(RpcError) as error:
        connect_registry().unary("unavailable").with_call(b"")
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE and total_calls(three, "unavailable") == 3
