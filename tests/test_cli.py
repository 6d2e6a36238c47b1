"""The ``dubbo`` command-line client, run as the installed console script against real servers."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import urllib.parse
from concurrent import futures

import grpc
import pytest

from conftest import PROTOS, greeter_service
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, ServiceConfig
from dubbo._cli import provider_record

try:
    from zookeeper import zookeeper_server  # noqa: F401  (the registry tests' real ZooKeeper)
except ImportError:

    @pytest.fixture
    def zookeeper_server():
        pytest.skip("tests/zookeeper.py, the ZooKeeper fixture, is not there")


ROOT = pathlib.Path(__file__).resolve().parent.parent
GREETER = "org.apache.dubbo.samples.proto.Greeter"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dubbo_cli(*args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the ``dubbo`` console script (``python -m dubbo`` where it is not installed)."""
    script = pathlib.Path(sys.executable).parent / "dubbo"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dubbo"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run(command + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def lines(done: subprocess.CompletedProcess) -> list:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def greeter(serve, greeter_pb2) -> str:
    """Our server with the Greeter (reflection on by default): its ``tri://`` address."""
    return f"tri://127.0.0.1:{serve(greeter_service(greeter_pb2)).port}"


def test_call_unary_prints_the_reply_as_json(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/sayHello", '{"name": "world"}')
    assert lines(done) == [{"message": "hello world"}]


def test_call_with_proto_file_needs_no_reflection(serve, greeter_pb2):
    port = serve(greeter_service(greeter_pb2), reflection=False).port
    done = dubbo_cli("call", "--proto", str(PROTOS / "greeter.proto"), f"tri://127.0.0.1:{port}/{GREETER}/sayHello", '{"name": "p"}')
    assert lines(done) == [{"message": "hello p"}]


def test_server_without_reflection_exits_unimplemented_and_suggests_proto(serve, greeter_pb2):
    port = serve(greeter_service(greeter_pb2), reflection=False).port
    done = dubbo_cli("call", f"tri://127.0.0.1:{port}/{GREETER}/sayHello", "{}")
    assert done.returncode == grpc.StatusCode.UNIMPLEMENTED.value[0]
    assert "--proto" in done.stderr


def test_call_server_stream_prints_one_json_document_per_line(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/serverStream", '{"name": "a b c"}')
    assert lines(done) == [{"message": "a"}, {"message": "b"}, {"message": "c"}]


def test_call_client_stream_reads_json_lines_from_stdin(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/clientStream", stdin='{"name": "x"}\n\n{"name": "y"}\n')
    assert lines(done) == [{"message": "x,y"}]


def test_call_bidi_stream_answers_each_stdin_line(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/biStream", stdin='{"name": "1"}\n{"name": "2"}\n')
    assert lines(done) == [{"message": "echo 1"}, {"message": "echo 2"}]


def test_method_name_with_capital_first_letter_finds_the_method(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/SayHello", '{"name": "j"}')
    assert lines(done) == [{"message": "hello j"}]


def test_version_and_group_options_pick_the_export(serve, greeter_pb2):
    exports = [
        ServiceConfig(greeter_service(greeter_pb2, tag=f"{version}/{group}:"), version=version, group=group)
        for version, group in [("1.0.0", None), ("2.0.0", "g2")]
    ]
    url = f"tri://127.0.0.1:{serve(*exports).port}/{GREETER}/sayHello"
    assert lines(dubbo_cli("call", "--service-version", "2.0.0", "--group", "g2", url, '{"name": "v"}')) == [
        {"message": "2.0.0/g2:hello v"}
    ]
    assert lines(dubbo_cli("call", f"{url}?version=1.0.0", '{"name": "v"}')) == [{"message": "1.0.0/None:hello v"}]


def test_handler_error_status_becomes_the_exit_code(serve, greeter_pb2):
    def say_hello(request):
        raise RpcError(grpc.StatusCode.NOT_FOUND, f"no user {request.name}")

    handler = RpcMethodHandler.unary(say_hello, "sayHello", greeter_pb2.GreeterRequest.FromString)
    port = serve(RpcServiceHandler(GREETER, [handler])).port
    done = dubbo_cli("call", "--proto", str(PROTOS / "greeter.proto"), f"tri://127.0.0.1:{port}/{GREETER}/sayHello", '{"name": "eve"}')
    assert done.returncode == grpc.StatusCode.NOT_FOUND.value[0] == 5
    assert "NOT_FOUND: no user eve" in done.stderr


def test_client_stream_the_server_ends_early_exits_with_its_status(serve, greeter_pb2):
    def client_stream(requests):
        raise RpcError(grpc.StatusCode.PERMISSION_DENIED, "not you")

    handler = RpcMethodHandler.client_stream(client_stream, "clientStream", greeter_pb2.GreeterRequest.FromString)
    port = serve(RpcServiceHandler(GREETER, [handler])).port
    many = '{"name": "x"}\n' * 5000
    done = dubbo_cli("call", "--proto", str(PROTOS / "greeter.proto"), f"tri://127.0.0.1:{port}/{GREETER}/clientStream", stdin=many)
    assert done.returncode == grpc.StatusCode.PERMISSION_DENIED.value[0], done.stderr
    assert done.stderr.strip() == "PERMISSION_DENIED: not you"


def test_timeout_expiry_exits_deadline_exceeded(serve, greeter_pb2):
    release = threading.Event()

    def say_hello(request):
        release.wait(30)
        return greeter_pb2.GreeterReply()

    handler = RpcMethodHandler.unary(
        say_hello, "sayHello", greeter_pb2.GreeterRequest.FromString, greeter_pb2.GreeterReply.SerializeToString
    )
    port = serve(RpcServiceHandler(GREETER, [handler])).port
    try:
        done = dubbo_cli(
            "call", "--timeout", "0.5", "--proto", str(PROTOS / "greeter.proto"), f"tri://127.0.0.1:{port}/{GREETER}/sayHello", "{}"
        )
    finally:
        release.set()
    assert done.returncode == grpc.StatusCode.DEADLINE_EXCEEDED.value[0], done.stderr


def test_unknown_method_exits_unimplemented(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/noSuchMethod", "{}")
    assert done.returncode == grpc.StatusCode.UNIMPLEMENTED.value[0]
    assert "noSuchMethod" in done.stderr


def test_unreachable_server_exits_unavailable():
    done = dubbo_cli("call", f"tri://127.0.0.1:{free_port()}/{GREETER}/sayHello", "{}")
    assert done.returncode == grpc.StatusCode.UNAVAILABLE.value[0], done.stderr


def test_request_that_is_not_json_for_the_type_exits_invalid_argument(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/sayHello", '{"nmae": 1}')
    assert done.returncode == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "GreeterRequest" in done.stderr


def test_bad_stdin_line_in_a_bidi_stream_exits_invalid_argument(greeter):
    done = dubbo_cli("call", f"{greeter}/{GREETER}/biStream", stdin='{"name": "ok"}\nnot json\n')
    assert done.returncode == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "stdin line 2" in done.stderr


def test_command_line_mistake_exits_invalid_argument():
    done = dubbo_cli("call")
    assert done.returncode == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def test_list_shows_services_and_methods_with_their_streaming_modes(greeter):
    done = dubbo_cli("list", greeter)
    assert done.returncode == 0, done.stderr
    assert GREETER in done.stdout.splitlines()
    request, reply = f"{GREETER[: -len('Greeter')]}GreeterRequest", f"{GREETER[: -len('Greeter')]}GreeterReply"
    assert f"  rpc sayHello({request}) returns ({reply})" in done.stdout
    assert f"  rpc biStream(stream {request}) returns (stream {reply})" in done.stdout


def test_list_of_one_service_from_a_proto_file():
    done = dubbo_cli("list", "--proto", str(PROTOS / "chat.proto"), "tri://127.0.0.1:1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "org.apache.dubbo.samples.stream.ChatService"
    assert "rpc chat(stream " in done.stdout


def test_health_of_a_hosted_service_is_serving(greeter):
    done = dubbo_cli("health", f"{greeter}/{GREETER}")
    assert (done.returncode, done.stdout.strip()) == (0, "SERVING")


def test_health_of_an_unknown_service_exits_not_found_saying_so(greeter):
    done = dubbo_cli("health", f"{greeter}/no.Such")
    assert done.returncode == grpc.StatusCode.NOT_FOUND.value[0]
    assert done.stderr == "NOT_FOUND: the server reports no health status for service no.Such\n"


def test_dubbo_version_is_the_package_and_call_service_version_the_services(greeter):
    assert dubbo_cli("--version").stdout.startswith("dubbo-grpcio ")
    done = dubbo_cli("call", "--version", "1.0.0", f"{greeter}/{GREETER}/sayHello", "{}")
    assert done.returncode == grpc.StatusCode.INVALID_ARGUMENT.value[0]  # not a call option: --service-version is


def test_python_dash_m_dubbo_is_the_same_client():
    done = subprocess.run([sys.executable, "-m", "dubbo", "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("dubbo-grpcio ")


# -- attachments and TLS, against a plain grpcio server with grpcio's reflection ---------------


def _grpcio_greeter(greeter_pb2, greeter_pb2_grpc, credentials=None):
    from grpc_reflection.v1alpha import reflection

    class Greeter(greeter_pb2_grpc.GreeterServicer):
        def sayHello(self, request, context):
            headers = dict(context.invocation_metadata())
            return greeter_pb2.GreeterReply(message=f"{headers.get('x-user')}/{headers.get('tri-service-version')}")

    server = grpc.server(futures.ThreadPoolExecutor(4))
    greeter_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
    reflection.enable_server_reflection((GREETER, reflection.SERVICE_NAME), server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, port


def test_attachments_and_version_reach_a_plain_grpcio_server_as_headers(greeter_pb2, greeter_pb2_grpc):
    server, port = _grpcio_greeter(greeter_pb2, greeter_pb2_grpc)
    try:
        done = dubbo_cli(
            "call", "-H", "x-user=ann", "--service-version", "3.1.0", f"tri://127.0.0.1:{port}/{GREETER}/sayHello", "{}"
        )
    finally:
        server.stop(0)
    assert lines(done) == [{"message": "ann/3.1.0"}]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> pathlib.Path:
    """PEM files: a CA, a server certificate for 127.0.0.1 and a client one from it, and another CA."""
    from certs import CertificateAuthority

    d = tmp_path_factory.mktemp("tls")
    ca, other = CertificateAuthority("cli-test-ca"), CertificateAuthority("other-ca")
    server, client = ca.issue("localhost", ["127.0.0.1", "localhost"]), ca.issue("cli", client=True)
    for name, pem in [("ca.pem", ca.cert), ("other-ca.pem", other.cert), ("server.pem", server.cert),
                      ("server.key", server.key), ("client.pem", client.cert), ("client.key", client.key)]:
        (d / name).write_bytes(pem)
    return d


@pytest.fixture(params=[False, True], ids=["tls", "mutual-tls"])
def tls_greeter(request, certificates, greeter_pb2, greeter_pb2_grpc):
    """A grpcio Greeter over TLS; with mutual TLS it wants a client certificate from the same CA."""
    key, chain = (certificates / "server.key").read_bytes(), (certificates / "server.pem").read_bytes()
    mutual = request.param
    credentials = grpc.ssl_server_credentials(
        [(key, chain)], (certificates / "ca.pem").read_bytes() if mutual else None, require_client_auth=mutual
    )
    server, port = _grpcio_greeter(greeter_pb2, greeter_pb2_grpc, credentials)
    yield f"tri://127.0.0.1:{port}", (
        ["--cert", str(certificates / "client.pem"), "--key", str(certificates / "client.key")] if mutual else []
    )
    server.stop(0)


def test_tls_call_trusting_the_servers_ca_succeeds(tls_greeter, certificates):
    url, client_cert = tls_greeter
    done = dubbo_cli("call", "--ca", str(certificates / "ca.pem"), *client_cert, f"{url}/{GREETER}/sayHello", "{}")
    assert lines(done) == [{"message": "None/None"}]


def test_tls_call_trusting_another_ca_exits_unavailable(tls_greeter, certificates):
    url, client_cert = tls_greeter
    done = dubbo_cli(
        "call", "--ca", str(certificates / "other-ca.pem"), *client_cert, "--timeout", "5", f"{url}/{GREETER}/sayHello", "{}"
    )
    assert done.returncode == grpc.StatusCode.UNAVAILABLE.value[0], done.stderr


def test_mutual_tls_server_refuses_a_caller_without_certificate(certificates, greeter_pb2, greeter_pb2_grpc):
    key, chain = (certificates / "server.key").read_bytes(), (certificates / "server.pem").read_bytes()
    credentials = grpc.ssl_server_credentials([(key, chain)], (certificates / "ca.pem").read_bytes(), require_client_auth=True)
    server, port = _grpcio_greeter(greeter_pb2, greeter_pb2_grpc, credentials)
    try:
        done = dubbo_cli(
            "call", "--ca", str(certificates / "ca.pem"), "--timeout", "5", f"tri://127.0.0.1:{port}/{GREETER}/sayHello", "{}"
        )
    finally:
        server.stop(0)
    assert done.returncode == grpc.StatusCode.UNAVAILABLE.value[0], done.stderr


def test_list_over_tls_reads_reflection_with_the_same_certificates(tls_greeter, certificates):
    url, client_cert = tls_greeter
    done = dubbo_cli("list", "--ca", str(certificates / "ca.pem"), *client_cert, url)
    assert done.returncode == 0, done.stderr
    assert GREETER in done.stdout.splitlines()


# -- providers --------------------------------------------------------------------------

JAVA_NODE = (
    "tri%3A%2F%2F172.20.10.6%3A50051%2Fcom.example.Greeter%3Fanyhost%3Dtrue%26application%3Ddemo-provider"
    "%26interface%3Dcom.example.Greeter%26methods%3DsayHello%2CsayBye%26side%3Dprovider%26version%3D1.0.0"
)


def test_provider_node_name_decodes_to_its_url_and_fields():
    record = provider_record(JAVA_NODE)
    assert record["url"] == (
        "tri://172.20.10.6:50051/com.example.Greeter?anyhost=true&application=demo-provider"
        "&interface=com.example.Greeter&methods=sayHello,sayBye&side=provider&version=1.0.0"
    )
    assert (record["address"], record["service"], record["version"], record["group"]) == (
        "172.20.10.6:50051",
        "com.example.Greeter",
        "1.0.0",
        None,
    )
    assert record["methods"] == ["sayHello", "sayBye"]


def test_providers_lists_what_the_registry_holds(zookeeper_server):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=zookeeper_server.hosts)
    zk.start(timeout=30)
    try:
        zk.create(f"/cli-test/com.example.Greeter/providers/{JAVA_NODE}", makepath=True, ephemeral=True)
        url = f"{zookeeper_server.url}/com.example.Greeter?group=cli-test"
        listed = dubbo_cli("providers", url)
        as_json = dubbo_cli("providers", "--json", url)
        same_version = dubbo_cli("providers", "--service-version", "1.0.0", url)
        other_version = dubbo_cli("providers", "--service-version", "2.0.0", url)
        services = dubbo_cli("providers", f"{zookeeper_server.url}?group=cli-test")
    finally:
        zk.stop()
        zk.close()
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [provider_record(JAVA_NODE)["url"]]
    assert [r["address"] for r in lines(as_json)] == ["172.20.10.6:50051"]
    assert same_version.stdout == listed.stdout
    assert other_version.returncode == grpc.StatusCode.NOT_FOUND.value[0]
    assert services.stdout.splitlines() == ["com.example.Greeter\t1 provider"]


def test_providers_with_zookeeper_unreachable_exits_unavailable_with_one_line():
    address = f"127.0.0.1:{free_port()}"
    done = dubbo_cli("providers", "--timeout", "1", f"zookeeper://{address}/com.example.Greeter")
    assert done.returncode == grpc.StatusCode.UNAVAILABLE.value[0], done.stderr
    assert done.stderr == f"UNAVAILABLE: ZooKeeper at {address} is unreachable (no answer within 1.0 s)\n"  # no kazoo noise


def test_providers_lists_a_provider_apache_dubbo_python_registered(zookeeper_server):
    from kazoo.client import KazooClient

    url = "tri://10.0.0.9:50051?service=com.example.Greeter"
    zk = KazooClient(hosts=zookeeper_server.hosts)
    zk.start(timeout=30)
    try:
        zk.create(f"/cli-python/com.example.Greeter/providers/{urllib.parse.quote(url, safe='')}", makepath=True, ephemeral=True)
        done = dubbo_cli("providers", "--json", f"{zookeeper_server.url}/com.example.Greeter?group=cli-python")
    finally:
        zk.stop()
        zk.close()
    assert [(r["address"], r["service"]) for r in lines(done)] == [("10.0.0.9:50051", "com.example.Greeter")]
