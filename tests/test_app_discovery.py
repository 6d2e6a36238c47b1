"""Application-level service discovery (Dubbo 3) on a real ZooKeeper, checked against Java's formats.

What a provider writes is read back key by key; each check names the Java source it rests on
(apache/dubbo 3.3, apache/curator 5). Curator itself (Debian's libcurator-discovery-java) reads
the instance nodes and computes the revision, where Java is the judge. Java-shaped providers
are written by hand from those formats (and one by Curator), then found and called.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from typing import Dict, List, Optional

import grpc
import pytest
from kazoo.client import KazooClient

import dubbo
from dubbo import ApplicationConfig, ReferenceConfig, RegistryConfig, RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig
from dubbo._registry.metadata_service import MetadataInfoV2, MetadataRequest
from zookeeper import (  # noqa: F401  (fixtures)
    SERVICE,
    registry_config,
    stack,
    wait_until,
    who_service,
    zk_client,
    zookeeper_server,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CURATOR_JAR = "/usr/share/java/curator-x-discovery.jar"
ORACLE_SOURCES = [
    os.path.join(HERE, "java", "CuratorOracle.java"),
    os.path.join(HERE, "java", "org", "apache", "dubbo", "registry", "zookeeper", "ZookeeperInstance.java"),
]


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def serve(registry_config):
    """``serve(app, name, registry=..., service=..., **config)`` → a started server of ``who_service(name)``
    whose application is ``app`` (None: no application); all stopped at the end."""
    servers: List[dubbo.Server] = []

    def start(app: Optional[str], name: str, registry: Optional[RegistryConfig] = None,
              handler: Optional[RpcServiceHandler] = None, **config) -> dubbo.Server:
        config.setdefault("parameters", {"warmup": "0"})
        service = ServiceConfig(handler or who_service(name, {}), port=0, **config)
        bootstrap = dubbo.Dubbo(
            application_config=ApplicationConfig(name=app) if app else None,
            registry_config=registry or registry_config,
        )
        server = bootstrap.create_server(service).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(0)


@pytest.fixture
def consume(registry_config):
    """``consume(registry=..., **reference_fields)`` → ``whoami()`` through a new registry client."""
    clients: List[dubbo.Client] = []

    def connect(registry: Optional[RegistryConfig] = None, **fields):
        reference = ReferenceConfig(service=fields.pop("service", SERVICE), **fields)
        client = dubbo.Dubbo(registry_config=registry or registry_config).create_client(reference)
        clients.append(client)
        call = client.unary("whoami")
        return lambda: call(b"").decode()

    yield connect
    for client in clients:
        client.close()


def with_params(config: RegistryConfig, **params: str) -> RegistryConfig:
    return RegistryConfig.from_url(
        f"zookeeper://{','.join(config.addresses)}?group={config.group}&" + "&".join(f"{k}={v}" for k, v in params.items())
    )


def root(config: RegistryConfig) -> str:
    return "/" + config.group


def only_child(zk, path: str) -> str:
    children = wait_until(lambda: zk.exists(path) and zk.get_children(path), f"a child of {path}")
    assert len(children) == 1, children
    return f"{path}/{children[0]}"


def answers(call, count: int = 12) -> set:
    return {call() for _ in range(count)}


def unique_app() -> str:
    return f"app-{uuid.uuid4().hex[:8]}"


def write_java_shaped_provider(zk, config: RegistryConfig, app: str, port: int, storage: str = "remote",
                               revision: Optional[str] = None, version: Optional[str] = None) -> str:
    """What a Java 3.3 provider with register-mode=instance writes for ``test.Who`` at 127.0.0.1:port,
    built by hand from the formats; the instance node's path."""
    service: Dict[str, object] = {
        "name": SERVICE, "protocol": "tri", "port": port, "path": SERVICE,
        "params": {
            "anyhost": "true", "application": app, "background": "false", "deprecated": "false", "dubbo": "2.0.2",
            "dynamic": "true", "executor-management-mode": "isolation", "file-cache": "true", "generic": "false",
            "interface": SERVICE, "methods": "whoami", "prefer.serialization": "fastjson2,hessian2",
            "release": "3.3.1", "service-name-mapping": "true", "side": "provider",
        },
    }
    key = f"{SERVICE}:tri"
    if version:
        service["version"] = version
        service["params"]["version"] = version  # type: ignore[index]
        key = f"{SERVICE}:{version}:tri"
    revision = revision or hashlib.md5(f"{app}{port}{version}".encode()).hexdigest()
    if storage == "remote":
        document = {"app": app, "revision": revision, "services": {key: service}}
        zk.create(f"{root(config)}/metadata/{app}/{revision}", json.dumps(document).encode(), makepath=True)
    zk.ensure_path(f"{root(config)}/mapping")
    if zk.exists(f"{root(config)}/mapping/{SERVICE}"):
        content = zk.get(f"{root(config)}/mapping/{SERVICE}")[0].decode()
        zk.set(f"{root(config)}/mapping/{SERVICE}", f"{content},{app}".encode())
    else:
        zk.create(f"{root(config)}/mapping/{SERVICE}", app.encode())
    metadata = {
        "dubbo.endpoints": json.dumps([{"port": port, "protocol": "tri"}]),
        "dubbo.metadata.revision": revision,
        "dubbo.metadata.storage-type": storage,
        "meta-v": "2.0.0",
        "timestamp": str(int(time.time() * 1000) - 3_600_000),
    }
    if storage == "local":
        metadata["dubbo.metadata-service.url-params"] = json.dumps(
            {"connections": "1", "version": "2.0.0", "dubbo": "2.0.2", "release": "3.3.1", "side": "provider",
             "port": str(port), "protocol": "tri"}
        )
    instance_id = f"127.0.0.1:{port}"
    node = {
        "name": app, "id": instance_id, "address": "127.0.0.1", "port": port, "sslPort": None,
        "payload": {"@class": "org.apache.dubbo.registry.zookeeper.ZookeeperInstance", "id": instance_id,
                    "name": app, "metadata": metadata},
        "registrationTimeUTC": int(time.time() * 1000), "serviceType": "DYNAMIC", "uriSpec": None,
    }
    path = f"{root(config)}/{app}/{instance_id}"
    zk.create(path, json.dumps(node).encode(), ephemeral=True, makepath=True)
    return path


def plain_server(name: str, *handlers: RpcServiceHandler) -> dubbo.Server:
    """A server of ``who_service(name)`` on 127.0.0.1 that registers nowhere."""
    configs = [ServiceConfig(who_service(name, {}), host="127.0.0.1", port=0)]
    configs += [ServiceConfig(h, host="127.0.0.1", port=0) for h in handlers]
    return dubbo.Server(configs).start()


@pytest.fixture(scope="session")
def oracle(tmp_path_factory) -> str:
    """CuratorOracle compiled against Debian's Curator jars, once per session; its classpath."""
    if not os.path.exists(CURATOR_JAR):
        pytest.skip("libcurator-discovery-java is not installed (tests/debian-packages.txt)")
    if not (shutil.which("java") and shutil.which("javac")):
        pytest.skip("no java/javac on PATH")
    out = tmp_path_factory.mktemp("curator-oracle")
    done = subprocess.run(["javac", "-nowarn", "-cp", CURATOR_JAR, "-d", str(out), *ORACLE_SOURCES],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return f"{out}:{CURATOR_JAR}"


def java(classpath: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run(["java", "-cp", classpath, "org.example.CuratorOracle", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- what a provider writes -------------------------------------------------------------------------


def test_the_instance_node_is_curator_json_with_dubbos_payload(serve, registry_config, zk_client):
    app = unique_app()
    server = serve(app, "a")
    # ZookeeperServiceDiscovery: instances under the registry's group when it names one
    # (CuratorFrameworkUtils#getRootPath), the node named by generateId: host + ":" + port.
    path = only_child(zk_client, f"{root(registry_config)}/{app}")
    assert path.endswith(f":{server.port}")
    data, stat = zk_client.get(path)
    # ServiceDiscoveryImpl#internalRegisterService: ServiceType.DYNAMIC -> CreateMode.EPHEMERAL
    assert stat.ephemeralOwner != 0
    node = json.loads(data)
    # JsonInstanceSerializer (compatible mode: OldServiceInstance's fields, no "enabled")
    assert set(node) == {"name", "id", "address", "port", "sslPort", "payload", "registrationTimeUTC",
                         "serviceType", "uriSpec"}
    assert node["name"] == app and node["port"] == server.port and node["id"] == f"{node['address']}:{server.port}"
    assert node["sslPort"] is None and node["uriSpec"] is None and node["serviceType"] == "DYNAMIC"
    assert isinstance(node["registrationTimeUTC"], int)
    payload = node["payload"]
    # ServiceInstance#getPayload is @JsonTypeInfo(use = CLASS): Curator casts it to ZookeeperInstance
    assert payload["@class"] == "org.apache.dubbo.registry.zookeeper.ZookeeperInstance"
    assert payload["id"] == node["id"] and payload["name"] == app
    metadata = payload["metadata"]
    # ZookeeperInstance.metadata is Map<String, String>: every value a string
    assert all(isinstance(v, str) for v in metadata.values())
    # ServiceInstanceMetadataUtils: EXPORTED_SERVICES_REVISION_PROPERTY_NAME, METADATA_STORAGE_TYPE_PROPERTY_NAME
    assert len(metadata["dubbo.metadata.revision"]) == 32
    assert metadata["dubbo.metadata.storage-type"] == "remote"
    # ProtocolPortsMetadataCustomizer: ENDPOINTS is a JSON list of {port, protocol}, inside a string
    assert json.loads(metadata["dubbo.endpoints"]) == [{"port": server.port, "protocol": "tri"}]
    # MetadataServiceURLParamsMetadataCustomizer: meta-v; DefaultMetadataParamsFilter: timestamp is an instance param
    assert metadata["meta-v"] == "2.0.0" and metadata["timestamp"].isdigit()


def test_curator_reads_the_instance_as_java_does(serve, registry_config, oracle):
    app = unique_app()
    server = serve(app, "a")
    lines = java(oracle, "read", ",".join(registry_config.addresses), root(registry_config), app).splitlines()
    assert len(lines) == 1
    read = json.loads(lines[0])
    assert read["name"] == app and read["port"] == server.port and read["serviceType"] == "DYNAMIC"
    assert read["payloadClass"] == "org.apache.dubbo.registry.zookeeper.ZookeeperInstance"
    assert read["payloadId"] == read["id"] == f"{read['address']}:{server.port}"
    assert read["metadata"]["dubbo.metadata.storage-type"] == "remote"


def test_instances_live_under_services_with_the_default_group(serve, zookeeper_server, zk_client):
    app = unique_app()
    registry = RegistryConfig.from_url(zookeeper_server.url)  # group "dubbo": ZookeeperServiceDiscovery.DEFAULT_GROUP
    server = serve(app, "a", registry=registry)
    path = only_child(zk_client, f"/services/{app}")
    assert path.endswith(f":{server.port}")
    server.stop(0)
    wait_until(lambda: not zk_client.get_children(f"/services/{app}"), "the instance gone")


def test_the_metadata_report_holds_the_revision_java_computes(serve, registry_config, zk_client, oracle):
    app = unique_app()
    server = serve(app, "a", version="1.0.0", group="g")
    instance = json.loads(zk_client.get(only_child(zk_client, f"{root(registry_config)}/{app}"))[0])
    revision = instance["payload"]["metadata"]["dubbo.metadata.revision"]
    # ZookeeperMetadataReport#getNodePath(SubscriberMetadataIdentifier): /{group}/metadata/{app}/{revision}
    data, stat = zk_client.get(f"{root(registry_config)}/metadata/{app}/{revision}")
    assert stat.ephemeralOwner == 0  # createOrUpdate(path, content, false): persistent
    document = json.loads(data)
    assert document["app"] == app and document["revision"] == revision
    # MetadataInfo.services is keyed by ServiceInfo#getMatchKey: group/interface:version:protocol
    service = document["services"]["g/test.Who:1.0.0:tri"]
    assert service["name"] == service["path"] == SERVICE  # Java groups addresses by path, looks up by interface
    assert (service["group"], service["version"], service["protocol"], service["port"]) == ("g", "1.0.0", "tri", server.port)
    params = service["params"]
    assert params["interface"] == SERVICE and params["side"] == "provider" and params["service-name-mapping"] == "true"
    # DefaultMetadataParamsFilter#serviceParamsExcluded: pid and timestamp stay out of service params
    assert "pid" not in params and "timestamp" not in params
    # MetadataInfo#calAndGetRevision, recomputed by Java from the stored document
    assert java(oracle, "revision", stdin=data.decode()).strip() == revision


def test_the_mapping_appends_the_application_to_the_ones_already_there(serve, registry_config, zk_client):
    app = unique_app()
    mapping = f"{root(registry_config)}/mapping/{SERVICE}"
    zk_client.create(mapping, b"java-app", makepath=True)
    serve(app, "a")
    # MetadataServiceNameMapping#map: oldContent + "," + appName, written with the node's version
    wait_until(lambda: zk_client.get(mapping)[0] == f"java-app,{app}".encode(), "the app appended")
    data, stat = zk_client.get(mapping)
    assert stat.ephemeralOwner == 0 and stat.version == 1
    serve(app, "b", version="2")  # the same application again: the mapping is not rewritten
    assert zk_client.get(mapping)[1].version == 1


def test_applications_mapping_one_interface_at_once_all_get_in(serve, registry_config, zk_client):
    apps = [unique_app() for _ in range(4)]
    threads = [threading.Thread(target=serve, args=(app, app)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    data, _ = zk_client.get(f"{root(registry_config)}/mapping/{SERVICE}")
    assert sorted(data.decode().split(",")) == sorted(apps)  # compare-and-set lost no one


def test_a_second_server_of_the_application_updates_the_revision_after_its_metadata(serve, registry_config, zk_client):
    app = unique_app()
    serve(app, "a")
    path = only_child(zk_client, f"{root(registry_config)}/{app}")
    first = json.loads(zk_client.get(path)[0])["payload"]["metadata"]["dubbo.metadata.revision"]
    other = RpcServiceHandler("test.Other", [RpcMethodHandler.unary(lambda r: b"other", "whoami")])
    second_server = serve(app, "b", handler=other)

    def revision() -> str:
        return json.loads(zk_client.get(path)[0])["payload"]["metadata"]["dubbo.metadata.revision"]

    second = wait_until(lambda: revision() != first and revision(), "a new revision")
    data, stat = zk_client.get(f"{root(registry_config)}/metadata/{app}/{second}")
    assert set(json.loads(data)["services"]) == {"test.Who:tri", "test.Other:tri"}
    # AbstractServiceDiscovery#update -> reportMetadata before the instance's data changes
    assert stat.czxid < zk_client.exists(path).mzxid
    assert zk_client.get(f"{root(registry_config)}/mapping/test.Other")[0] == app.encode()
    second_server.stop(0)
    wait_until(lambda: revision() == first, "the first revision back")


def test_register_mode_chooses_the_levels(serve, registry_config, zk_client):
    base = root(registry_config)
    app_i, app_a = unique_app(), unique_app()
    serve(app_i, "i", registry=with_params(registry_config, **{"register-mode": "interface"}), version="i")
    serve(app_a, "a", registry=with_params(registry_config, **{"register-mode": "instance"}), version="a")
    providers = [n for n in zk_client.get_children(f"{base}/{SERVICE}/providers")]
    assert len(providers) == 1 and "version%3Di" in providers[0]
    assert not zk_client.exists(f"{base}/{app_i}") and zk_client.get_children(f"{base}/{app_a}")
    assert zk_client.get(f"{base}/mapping/{SERVICE}")[0] == app_a.encode()


def test_without_an_application_a_provider_registers_at_interface_level_only(serve, registry_config, zk_client):
    serve(None, "a")
    assert zk_client.get_children(f"{root(registry_config)}/{SERVICE}/providers")
    assert not zk_client.exists(f"{root(registry_config)}/mapping")


# -- consumers --------------------------------------------------------------------------------------


def test_a_default_consumer_finds_a_python_provider_registered_only_at_application_level(serve, consume, registry_config):
    serve(unique_app(), "app-only", registry=with_params(registry_config, **{"register-mode": "instance"}))
    assert consume()() == "app-only"


def test_a_java_shaped_provider_with_remote_metadata_is_found_and_called(registry_config, zk_client, consume):
    server = plain_server("java-remote")
    try:
        write_java_shaped_provider(zk_client, registry_config, unique_app(), server.port)
        assert consume()() == "java-remote"
    finally:
        server.stop(0)


def test_a_java_shaped_provider_with_local_metadata_is_asked_over_metadata_service_v2(registry_config, zk_client, consume):
    app, asked = unique_app(), []
    revision = hashlib.md5(app.encode()).hexdigest()

    def get_metadata_info(request):
        asked.append((request.revision, dubbo.server_context().attachments))
        reply = MetadataInfoV2(app=app, version=revision)
        service = reply.services[f"{SERVICE}:tri"]
        service.name, service.protocol, service.port, service.path = SERVICE, "tri", holder[0], SERVICE
        service.params.update({"interface": SERVICE, "side": "provider", "methods": "whoami"})
        return reply

    holder: List[int] = []
    # MetadataUtils#referMetadataService (V2): path MetadataServiceV2, group = the app, version 2.0.0
    metadata_service = RpcServiceHandler("org.apache.dubbo.metadata.MetadataServiceV2", [RpcMethodHandler.unary(
        get_metadata_info, "GetMetadataInfo", MetadataRequest.FromString, MetadataInfoV2.SerializeToString)])
    server = dubbo.Server([
        ServiceConfig(who_service("java-local", {}), host="127.0.0.1", port=0),
        ServiceConfig(metadata_service, host="127.0.0.1", port=0, group=app, version="2.0.0"),
    ], strict_routing=True).start()
    holder.append(server.port)
    try:
        write_java_shaped_provider(zk_client, registry_config, app, server.port, storage="local", revision=revision)
        assert consume()() == "java-local"
        assert [r for r, _ in asked] == [revision]
    finally:
        server.stop(0)


def test_an_instance_curator_registers_is_found_and_called(registry_config, zk_client, consume, oracle):
    app = unique_app()
    server = plain_server("curator")
    registered = None
    try:
        write_java_shaped_provider(zk_client, registry_config, app, server.port)
        node = only_child(zk_client, f"{root(registry_config)}/{app}")
        metadata = json.loads(zk_client.get(node)[0])["payload"]["metadata"]
        zk_client.delete(node)  # Curator writes the instance this time
        registered = subprocess.Popen(
            ["java", "-cp", oracle, "org.example.CuratorOracle", "register", ",".join(registry_config.addresses),
             root(registry_config), app, "127.0.0.1", str(server.port), json.dumps(metadata)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert registered.stdout.readline().strip() == "registered"
        assert consume()() == "curator"
    finally:
        if registered is not None:
            registered.stdin.close()
            registered.wait(60)
        server.stop(0)


def test_application_level_versions_and_groups_are_matched_like_interface_level_ones(serve, consume, registry_config):
    mode = with_params(registry_config, **{"register-mode": "instance"})
    serve(unique_app(), "v1", registry=mode, version="1.0.0")
    serve(unique_app(), "v2", registry=mode, version="2.0.0")
    assert answers(consume(version="2.0.0")) == {"v2"}
    assert answers(consume(version="*")) == {"v1", "v2"}


@pytest.fixture
def mixed(serve, registry_config):
    """One provider at interface level only ("interface") and one at application level only ("application")."""
    serve(None, "interface", host="127.0.0.1")
    serve(unique_app(), "application", host="127.0.0.1", registry=with_params(registry_config, **{"register-mode": "instance"}))


def test_application_first_uses_the_application_level_providers_when_there_are_any(mixed, consume):
    assert answers(consume()) == {"application"}


def test_application_first_keeps_interface_level_providers_below_the_threshold(mixed, consume):
    # DefaultMigrationAddressComparator: 1 application-level / 1 interface-level < 2.0
    assert answers(consume(parameters={"migration.threshold": "2"})) == {"interface"}


def test_force_interface_on_a_reference_uses_interface_level_providers(mixed, consume):
    assert answers(consume(parameters={"migration.step": "FORCE_INTERFACE"})) == {"interface"}


def test_force_interface_on_a_registry_uses_interface_level_providers_unless_the_reference_says_otherwise(mixed, consume, registry_config):
    registry = with_params(registry_config, **{"dubbo.application.migration.step": "FORCE_INTERFACE"})
    assert answers(consume(registry=registry)) == {"interface"}
    assert answers(consume(registry=registry, parameters={"migration.step": "FORCE_APPLICATION"})) == {"application"}


def test_force_application_finds_no_interface_level_provider(serve, consume, registry_config):
    serve(None, "interface")
    call = consume(parameters={"migration.step": "FORCE_APPLICATION"})
    with pytest.raises(RpcError) as raised:
        call()
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


def test_application_first_falls_back_to_interface_level_when_the_last_instance_leaves(serve, consume, registry_config):
    serve(None, "interface")
    app_server = serve(unique_app(), "application", registry=with_params(registry_config, **{"register-mode": "instance"}))
    call = consume()
    assert call() == "application"
    app_server.stop(0)
    wait_until(lambda: _succeeds(call) == "interface", "the interface-level provider in use")


def test_instances_that_come_and_go_are_added_and_dropped(serve, consume, registry_config, zk_client):
    app = unique_app()
    mode = with_params(registry_config, **{"register-mode": "instance"})
    serve(app, "one", registry=mode, host="127.0.0.1")
    call = consume()
    assert answers(call) == {"one"}
    two = serve(app, "two", registry=mode, host="127.0.0.2")  # another host: another instance of the app
    wait_until(lambda: answers(call) == {"one", "two"}, "the second instance in use")
    two.stop(0)
    wait_until(lambda: answers(call) == {"one"}, "the second instance dropped")


def test_a_new_service_of_a_known_application_is_found_through_the_mapping_watch(serve, consume, registry_config):
    app = unique_app()
    mode = with_params(registry_config, **{"register-mode": "instance"})
    call = consume(service="test.Late")
    with pytest.raises(RpcError):
        call()
    late = RpcServiceHandler("test.Late", [RpcMethodHandler.unary(lambda r: b"late", "whoami")])
    serve(app, "late", registry=mode, handler=late)
    wait_until(lambda: _succeeds(call) == "late", "the late service found")


def _succeeds(call) -> Optional[str]:
    try:
        return call()
    except RpcError:
        return None


def test_session_expiry_writes_the_instance_again(serve, consume, registry_config, zookeeper_server, zk_client):
    from dubbo._registry.zookeeper import acquire_registry

    app = unique_app()
    serve(app, "survivor", registry=with_params(registry_config, **{"register-mode": "instance"}))
    registry = acquire_registry(with_params(registry_config, **{"register-mode": "instance"}))
    try:
        call = consume()
        assert call() == "survivor"
        path = only_child(zk_client, f"{root(registry_config)}/{app}")
        old_session = registry.client.client_id[0]
        thief = KazooClient(zookeeper_server.hosts, client_id=registry.client.client_id)
        thief.start(30)
        thief.stop()
        thief.close()
        wait_until(lambda: registry.client.client_id and registry.client.client_id[0] != old_session, "a new session")

        def rewritten() -> bool:
            stat = zk_client.exists(path)
            return bool(stat and stat.ephemeralOwner == registry.client.client_id[0])

        wait_until(rewritten, "the instance written by the new session")
        assert call() == "survivor"
    finally:
        registry.release()


def test_asyncio_clients_find_application_level_providers(serve, registry_config, stack):
    serve(unique_app(), "app-only", registry=with_params(registry_config, **{"register-mode": "instance"}))
    assert stack.unary("whoami")(b"") == b"app-only"


def test_dubbo_providers_shows_both_levels(serve, registry_config):
    import sys

    app = unique_app()
    serve(None, "interface", host="127.0.0.1")
    server = serve(app, "application", host="127.0.0.1", registry=with_params(registry_config, **{"register-mode": "instance"}))
    url = f"zookeeper://{','.join(registry_config.addresses)}"
    run = [sys.executable, "-m", "dubbo", "providers"]
    done = subprocess.run(run + ["--json", f"{url}/{SERVICE}?group={registry_config.group}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["level"] for r in records) == ["application", "interface"]
    [app_level] = [r for r in records if r["level"] == "application"]
    assert app_level["application"] == app and app_level["address"] == f"127.0.0.1:{server.port}"
    listed = subprocess.run(run + [f"{url}?group={registry_config.group}"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert listed.stdout.splitlines() == [f"{SERVICE}\t1 provider, 1 instance of {app}"]
