"""ZooKeeper stopped and restarted with its data lost (a rebuilt ensemble): every session
and node is gone, yet consumers keep calling the providers they last knew, the providers
write their nodes again under new sessions, and consumers see providers added afterwards.

(A restart that keeps the data, which sessions survive, is tests/test_cluster.py's
``test_calls_go_on_while_zookeeper_restarts``. Note: a restart that keeps the data does
not expire sessions even after an outage longer than the session timeout: ZooKeeper
restores them and restarts their clocks.)"""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

import dubbo
from dubbo import RegistryConfig

from harness import record
from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    connect_registry,
    own_zookeeper,
    registry_config,
    start_provider,
    wait_until,
    zookeeper_classpath,
    zookeeper_server,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(zookeeper_classpath() is None, reason="Debian's zookeeper package is not installed"),
]

SESSION_MS = 2000
OUTAGE_S = 3 * SESSION_MS / 1000


def _owners(hosts: str, root: str) -> set:
    """The sessions owning the provider nodes now."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts)
    zk.start(30)
    try:
        path = f"/{root}/{SERVICE}/providers"
        children = zk.get_children(path) if zk.exists(path) else []
        stats = [zk.exists(f"{path}/{child}") for child in children]
        return {stat.ephemeralOwner for stat in stats if stat is not None}
    finally:
        zk.stop()
        zk.close()


def test_zookeeper_restarted_empty_loses_no_call_and_the_providers_register_again(
    own_zookeeper, start_provider, connect_registry
):
    root = "relzk"
    registry = RegistryConfig.from_url(f"{own_zookeeper.url}?group={root}&session={SESSION_MS}")
    start_provider("a", registry=registry)
    start_provider("b", registry=registry)
    whoami = connect_registry(registry=registry).unary("whoami")
    replies, failures = [], []
    stop = threading.Event()

    def call() -> None:
        while not stop.is_set():
            try:
                replies.append(whoami(b"").decode())
            except dubbo.RpcError as error:
                failures.append(error)
            time.sleep(0.005)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(replies) > 50, "calls before the outage")
        old_sessions = wait_until(lambda: _owners(own_zookeeper.hosts, root), "provider nodes")
        own_zookeeper.stop()
        before = len(replies)
        time.sleep(OUTAGE_S)
        during = len(replies) - before
        shutil.rmtree(own_zookeeper.data_dir)  # it comes back knowing no session and no node
        os.makedirs(own_zookeeper.data_dir)
        own_zookeeper.start()
        # The old sessions expired: the nodes are written again, by new sessions.
        wait_until(
            lambda: (lambda owners: len(owners) >= 1 and not owners & old_sessions)(_owners(own_zookeeper.hosts, root)),
            "provider nodes written again by new sessions",
            timeout=60,
        )
        start_provider("late", registry=registry)
        wait_until(lambda: "late" in replies[-300:], "a provider added after the outage is called", timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    record("zookeeper restarted empty", outage_s=OUTAGE_S, calls=len(replies), calls_during_outage=during, failures=len(failures))
    assert failures == []
    assert during > 0
    assert {"a", "b", "late"} <= set(replies)
