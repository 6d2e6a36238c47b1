"""A provider with a plain-HTTP endpoint notes its port on its tri:// URL in ZooKeeper, as a key
Java consumers ignore; it writes no provider URL of its own that a Java consumer could pick."""

from __future__ import annotations

import pytest

import dubbo
from dubbo._registry.url import URL, decode, encode
from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    registry_config,
    wait_until,
    who_service,
    zk_client,
    zookeeper_server,
)

pytest.importorskip("hypercorn", reason="the HTTP endpoint needs the [http] extra")


def test_the_http_port_is_a_parameter_of_the_one_tri_provider_url(registry_config, zk_client):
    directory = f"/{registry_config.group}/{encode(SERVICE)}/providers"
    config = dubbo.ServiceConfig(who_service("p", {}), port=0)
    server = dubbo.Dubbo(registry_config=registry_config).create_server(config, http_port=0).start()
    try:
        wait_until(lambda: zk_client.exists(directory) and zk_client.get_children(directory), "the provider's node")
        (url,) = [URL.parse(decode(name)) for name in zk_client.get_children(directory)]
        assert (url.protocol, url.port, url.parameters["http.port"]) == ("tri", server.port, str(server.http_port))
    finally:
        server.stop(0)
