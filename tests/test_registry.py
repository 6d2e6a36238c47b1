"""The ZooKeeper registry: what is written where (read back with a plain kazoo client and
compared with Java's format), who sees whom, and what happens when sessions end."""

from __future__ import annotations

import os
import threading
import time
import urllib.parse

import grpc
import pytest
from kazoo.client import KazooClient

import dubbo
from dubbo import RegistryConfig, RpcError, ServiceConfig
from dubbo._registry.zookeeper import acquire_registry, is_match
from dubbo._registry.url import URL, decode, encode
from zookeeper import (  # noqa: F401  (fixtures)
    who_service,
    SERVICE,
    connect_registry,
    free_port,
    own_zookeeper,
    registry_config,
    stack,
    start_provider,
    wait_until,
    zk_client,
    zookeeper_server,
)

JAVA_PROVIDER_KEYS = {
    "anyhost", "application", "background", "deprecated", "dubbo", "dynamic", "generic", "interface",
    "methods", "pid", "prefer.serialization", "release", "side", "timestamp",
}


def _root(config: RegistryConfig) -> str:
    return "/" + config.group


def _children(zk, path):
    return zk.get_children(path) if zk.exists(path) else []


def _providers(zk, config: RegistryConfig, service: str = SERVICE):
    return [URL.parse(decode(c)) for c in _children(zk, f"{_root(config)}/{encode(service)}/providers")]


# -- the URL format, without ZooKeeper -------------------------------------------------------------


def test_node_names_are_encoded_like_java_url_encoder():
    assert encode("tri://1.2.3.4:50051/a.B?x=1,2&y=a b") == "tri%3A%2F%2F1.2.3.4%3A50051%2Fa.B%3Fx%3D1%2C2%26y%3Da+b"
    assert encode("*-_.~") == "*-_.%7E"
    assert decode(encode("a b+c~")) == "a b+c~"


def test_full_string_sorts_keys_and_leaves_values_raw():
    url = URL("tri", "10.0.0.1", 50051, "demo.Greeter", {"side": "provider", "methods": "b,a", "application": "x"})
    assert url.to_full_string() == "tri://10.0.0.1:50051/demo.Greeter?application=x&methods=b,a&side=provider"
    assert URL.parse(url.to_full_string()) == url


def test_a_java_provider_url_parses():
    text = (
        "tri://172.20.10.6:50051/com.bhuang.api.SimpleService?anyhost=true&application=Bhuang-Dubbo-Provider"
        "&background=false&deprecated=false&dubbo=2.0.2&dynamic=true&executor-management-mode=default"
        "&file.cache=true&generic=false&interface=com.bhuang.api.SimpleService&methods=sayHello&pid=24580"
        "&prefer.serialization=fastjson2,hessian2&release=3.2.0-beta.4&service-name-mapping=true&side=provider"
        "&timestamp=1722955607627"
    )
    url = URL.parse(decode(encode(text)))
    assert (url.protocol, url.host, url.port, url.path) == ("tri", "172.20.10.6", 50051, "com.bhuang.api.SimpleService")
    assert url.parameters["prefer.serialization"] == "fastjson2,hessian2"
    assert url.to_full_string() == text


@pytest.mark.parametrize(
    "consumer, provider, expected",
    [
        ({}, {}, True),
        ({"version": "1.0.0"}, {}, False),
        ({}, {"version": "1.0.0"}, False),
        ({"version": "*"}, {"version": "2.0.0"}, True),
        ({"group": "a"}, {"group": "a"}, True),
        ({"group": "a,b"}, {"group": "b"}, True),
        ({"group": "a,b"}, {"group": "c"}, False),
        ({"group": "*"}, {"group": "c"}, True),
        ({"group": "a"}, {}, False),
        ({}, {"enabled": "false"}, False),
        ({}, {"category": "consumers"}, False),
        ({"protocol": "tri"}, {"_protocol": "dubbo"}, False),
        ({"interface": "other.Svc"}, {}, False),
    ],
)
def test_providers_are_matched_as_java_url_utils_is_match(consumer, provider, expected):
    protocol = provider.pop("_protocol", "tri")
    consumer_url = URL("consumer", "1.1.1.1", 0, SERVICE, {"interface": SERVICE, "protocol": "tri", **consumer})
    provider_url = URL(protocol, "2.2.2.2", 50051, SERVICE, {"interface": SERVICE, **provider})
    assert is_match(consumer_url, provider_url) is expected


def test_registry_url_takes_digest_auth_group_and_timeout():
    config = RegistryConfig.from_url("zookeeper://u:p%40ss@h1:2181,h2:2182?group=g&timeout=5000&session=9000")
    assert config.addresses == ["h1:2181", "h2:2182"]
    assert (config.username, config.password, config.group, config.timeout) == ("u", "p@ss", "g", 5000)
    assert config.parameters["session"] == "9000"


# -- against a real ZooKeeper ----------------------------------------------------------------------


def test_provider_node_is_ephemeral_and_in_java_format(start_provider, registry_config, zk_client):
    provider = start_provider("p1", weight=150, version="1.0.0", group="g1")
    directory = f"{_root(registry_config)}/{encode(SERVICE)}/providers"
    (name,) = zk_client.get_children(directory)
    data, stat = zk_client.get(f"{directory}/{name}")
    assert stat.ephemeralOwner != 0
    assert name == urllib.parse.quote_plus(decode(name), safe="*")  # exactly one level of encoding
    url = URL.parse(decode(name))
    assert url.protocol == "tri" and url.path == SERVICE and url.port == provider.server.port
    assert url.host not in ("0.0.0.0", "::", "") and not url.host.startswith("127.")
    assert JAVA_PROVIDER_KEYS <= set(url.parameters)
    params = url.parameters
    assert params["side"] == "provider" and params["dubbo"] == "2.0.2" and params["anyhost"] == "true"
    assert params["interface"] == SERVICE and params["dynamic"] == "true"
    assert params["methods"] == "block,cancelled,count,echo,fail,total,unavailable,whoami"
    assert (params["version"], params["group"], params["weight"]) == ("1.0.0", "g1", "150")
    assert params["pid"] == str(os.getpid()) and int(params["timestamp"]) > 1_600_000_000_000
    assert list(decode(name).partition("?")[2].split("&")) == sorted(decode(name).partition("?")[2].split("&"))
    assert data  # Curator's default node data: the local address


def test_a_provider_claims_no_service_name_mapping_it_has_not_written(start_provider, registry_config, zk_client):
    start_provider("p1")
    (url,) = _providers(zk_client, registry_config)
    assert "service-name-mapping" not in url.parameters
    assert not zk_client.exists(f"/dubbo/mapping/{SERVICE}")


def test_advertised_host_can_be_set_like_java(start_provider, registry_config, zk_client, monkeypatch):
    monkeypatch.setenv("DUBBO_IP_TO_REGISTRY", "10.9.8.7")
    start_provider("p1")
    (url,) = _providers(zk_client, registry_config)
    assert url.host == "10.9.8.7"


def test_consumer_registers_its_node_and_the_category_directories(start_provider, connect_registry, registry_config, zk_client):
    start_provider("p1")
    client = connect_registry(version=None, application="shop")
    base = f"{_root(registry_config)}/{encode(SERVICE)}"
    assert set(zk_client.get_children(base)) == {"providers", "consumers", "configurators", "routers"}
    (name,) = zk_client.get_children(f"{base}/consumers")
    url = URL.parse(decode(name))
    assert url.protocol == "consumer" and url.path == SERVICE and url.port == 0
    params = url.parameters
    assert (params["category"], params["side"], params["check"], params["application"]) == ("consumers", "consumer", "false", "shop")
    client.close()
    assert zk_client.get_children(f"{base}/consumers") == []


def test_stopping_a_server_unregisters_before_in_flight_calls_finish(start_provider, connect_registry, registry_config, zk_client):
    provider = start_provider("p1")
    call = connect_registry().unary("block")
    result = {}
    caller = threading.Thread(target=lambda: result.setdefault("reply", call(b"x")))
    caller.start()
    wait_until(lambda: provider.calls.get("block"), "the call reached the handler")
    stopper = threading.Thread(target=provider.server.stop, args=(20,))
    stopper.start()
    wait_until(lambda: not _providers(zk_client, registry_config), "the provider node is gone")
    assert caller.is_alive()  # still being served
    provider.gate.set()
    caller.join(30)
    stopper.join(30)
    assert result["reply"] == b"p1"


def test_versions_and_groups_are_isolated(start_provider, connect_registry):
    start_provider("v1-a", version="1.0.0", group="a", strict_routing=True)
    start_provider("v2-a", version="2.0.0", group="a", strict_routing=True)
    start_provider("v1-b", version="1.0.0", group="b", strict_routing=True)
    start_provider("plain", strict_routing=True)

    def reached(**fields):
        whoami = connect_registry(**fields).unary("whoami")
        return {whoami(b"").decode() for _ in range(60)}

    assert reached(version="1.0.0", group="a") == {"v1-a"}
    assert reached() == {"plain"}
    assert reached(version="*", group="a") == {"v1-a", "v2-a"}
    assert reached(version="1.0.0", group="a,b") == {"v1-a", "v1-b"}
    with pytest.raises(RpcError) as error:
        connect_registry(version="3.0.0").unary("whoami")(b"")
    assert error.value.code().name == "UNAVAILABLE" and "no provider" in error.value.message


def _write_apache_python_provider(zk, config: RegistryConfig, url: str) -> None:
    """A provider node as Apache dubbo-python writes it: ``quote(url, safe='')``, data ``host:port``."""
    host_port = url.split("://", 1)[1].split("?", 1)[0]
    path = f"{_root(config)}/{SERVICE}/providers/{urllib.parse.quote(url, safe='')}"
    zk.create(path, host_port.encode(), ephemeral=True, makepath=True)


def test_a_provider_registered_by_apache_dubbo_python_is_called(registry_config, connect_registry, zk_client):
    config = dubbo.ServiceConfig(who_service("apache", {}), host="127.0.0.1", port=0)
    with dubbo.Server(config) as server:  # no registry of its own: the node is written by hand
        _write_apache_python_provider(zk_client, registry_config, f"tri://127.0.0.1:{server.port}?service={SERVICE}")
        assert connect_registry().unary("whoami")(b"") == b"apache"


def test_a_skipped_provider_is_logged_at_debug_level_with_the_reason(registry_config, connect_registry, zk_client, caplog):
    _write_apache_python_provider(zk_client, registry_config, f"tri://127.0.0.1:1?service={SERVICE}&version=9.9.9")
    with caplog.at_level("DEBUG", logger="dubbo.registry"):
        connect_registry()
    (record,) = [r for r in caplog.records if r.name == "dubbo.registry" and "skipping provider" in r.getMessage()]
    assert record.levelname == "DEBUG"
    assert "tri://127.0.0.1:1?service=test.Who&version=9.9.9" in record.getMessage()
    assert "version '9.9.9' is not None" in record.getMessage()


def test_session_expiry_writes_the_provider_again(start_provider, registry_config, zookeeper_server, zk_client):
    provider = start_provider("p1")
    registry = acquire_registry(registry_config)  # the same shared registry the provider uses
    try:
        old_session = registry.client.client_id[0]
        (old,) = _providers(zk_client, registry_config)
        # The classic way to expire a session: attach to it from another client, then close that one.
        thief = KazooClient(zookeeper_server.hosts, client_id=registry.client.client_id)
        thief.start(30)
        thief.stop()
        thief.close()
        wait_until(lambda: registry.client.client_id and registry.client.client_id[0] != old_session, "a new session")
        directory = f"{_root(registry_config)}/{encode(SERVICE)}/providers"

        def rewritten():
            children = _children(zk_client, directory)
            stat = children and zk_client.exists(f"{directory}/{children[0]}")
            return stat and stat.ephemeralOwner == registry.client.client_id[0]

        wait_until(rewritten, "the provider node written by the new session")
        assert _providers(zk_client, registry_config)[0].port == old.port == provider.server.port
    finally:
        registry.release()


def test_the_kazoo_client_is_shared_and_closed_with_its_last_user(start_provider, registry_config):
    provider = start_provider("p1")
    registry = acquire_registry(registry_config)
    client = dubbo.Dubbo(registry_config=registry_config).create_client(dubbo.ReferenceConfig(service=SERVICE))
    assert client._channel._registry is registry is provider.server._exporter._registry
    client.close()
    provider.stop()
    assert registry.client.connected  # still ours
    registry.release()
    assert not registry.client.connected


def test_digest_auth_guards_the_nodes_as_java_does(start_provider, connect_registry, zookeeper_server, zk_client):
    from kazoo.exceptions import NoAuthError

    secured = RegistryConfig.from_url(f"zookeeper://alice:secret@{zookeeper_server.hosts}?group=auth{os.getpid()}")
    start_provider("p1", registry=secured)
    assert connect_registry(registry=secured).unary("whoami")(b"") == b"p1"
    with pytest.raises(NoAuthError):  # nodes are CREATOR_ALL_ACL, like Curator's with authorization
        zk_client.get_children(f"/{secured.group}/{SERVICE}/providers")


@pytest.fixture
def unreachable_registry():
    """A registry URL with nothing listening at its address, and a connect timeout of 1 s."""
    address = f"127.0.0.1:{free_port()}"
    return address, RegistryConfig.from_url(f"zookeeper://{address}?timeout=1000")


def _assert_unreachable(caught, address: str, started: float) -> None:
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert caught.value.message == f"ZooKeeper at {address} is unreachable (no answer within 1.0 s)"
    assert time.monotonic() - started < 5  # the connect timeout, not kazoo's retries forever


def test_a_client_of_an_unreachable_zookeeper_fails_unavailable_naming_it(stack, unreachable_registry):
    address, registry = unreachable_registry
    started = time.monotonic()
    with pytest.raises(RpcError) as caught:
        stack.connect(registry=registry)
    _assert_unreachable(caught, address, started)


def test_a_server_of_an_unreachable_zookeeper_fails_to_start_unavailable_naming_it(stack, unreachable_registry):
    address, registry = unreachable_registry
    started = time.monotonic()
    with pytest.raises(RpcError) as caught:
        stack.serve(ServiceConfig(who_service("p", {}), port=0), registry=registry)
    _assert_unreachable(caught, address, started)


def test_a_missing_kazoo_is_a_clear_error(registry_config, monkeypatch):
    import dubbo._registry.zookeeper

    monkeypatch.setattr(dubbo._registry.zookeeper, "KazooClient", None)
    with pytest.raises(ImportError, match=r"dubbo-grpcio\[registry\]"):
        dubbo.Dubbo(registry_config=registry_config).create_client(dubbo.ReferenceConfig(service=SERVICE))


def test_a_closed_client_leaves_no_watcher_on_a_shared_session(start_provider, connect_registry, registry_config):
    provider = start_provider("p1")
    registry = provider.server._exporter._registry  # the provider keeps the shared session open
    base = f"{_root(registry_config)}/{encode(SERVICE)}"
    paths = [f"{base}/{category}" for category in ("providers", "configurators", "routers")]
    client = connect_registry()
    assert all(registry.client._child_watchers.get(path) for path in paths)
    client.close()
    assert not any(registry.client._child_watchers.get(path) for path in paths)
    assert not registry._subscriptions


def test_a_provider_process_that_exits_without_stopping_leaves_no_node(zookeeper_server, registry_config, zk_client):
    import subprocess
    import sys

    script = (
        "import sys, threading, dubbo\n"
        "from dubbo import RegistryConfig, ServiceConfig\n"
        "from zookeeper import who_service\n"
        "config = ServiceConfig(who_service('gone', {}, threading.Event()), port=0)\n"
        "dubbo.Dubbo(registry_config=RegistryConfig.from_url(sys.argv[1])).create_server(config).start()\n"
        "print('registered', flush=True)\n"
    )
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(tests), tests]))
    url = f"{zookeeper_server.url}?group={registry_config.group}"
    done = subprocess.run([sys.executable, "-c", script, url], env=env, capture_output=True, text=True, timeout=60)
    assert "registered" in done.stdout, done.stderr
    # Gone at exit, not after the 60 s session timeout (wait_until gives up after 30 s).
    wait_until(lambda: not _providers(zk_client, registry_config), "the exited provider's node is gone")


# -- the provider token, as Java's TokenFilter uses it ---------------------------------------------


def test_a_token_protected_provider_publishes_its_token_and_discovered_clients_send_it(
    registry_config, connect_registry, zk_client
):
    calls: dict = {}
    config = dubbo.ServiceConfig(
        who_service("guarded", calls), port=0, token="s3cret", parameters={"warmup": "0"}
    )
    server = dubbo.Dubbo(registry_config=registry_config).create_server(config).start()
    try:
        wait_until(lambda: _providers(zk_client, registry_config), "the provider's node")
        assert _providers(zk_client, registry_config)[0].parameters["token"] == "s3cret"
        client = connect_registry()
        assert client.unary("whoami")(b"") == b"guarded"
        direct = dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{SERVICE}"))
        with direct, pytest.raises(RpcError) as caught:
            direct.unary("whoami")(b"")
        assert caught.value.code().name == "UNAUTHENTICATED"
    finally:
        server.stop(0)


def test_a_token_in_a_direct_url_is_sent_as_the_token_attachment():
    calls: dict = {}
    config = dubbo.ServiceConfig(who_service("guarded", calls), host="127.0.0.1", port=0, token="t0k")
    with dubbo.Server(config) as server:
        url = f"tri://127.0.0.1:{server.port}/{SERVICE}?token=t0k"
        with dubbo.Client(dubbo.ReferenceConfig.from_url(url)) as client:
            assert client.unary("whoami")(b"") == b"guarded"
