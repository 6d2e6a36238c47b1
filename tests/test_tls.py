"""TLS and mutual TLS on both sides, with a CA and certificates made for each test session."""

from __future__ import annotations

import ssl

import grpc
import pytest
from certs import CertificateAuthority
from conftest import GreeterStub, greeter_service
from raw_h2 import RawServer

import dubbo
from dubbo import ReferenceConfig, ServiceConfig, TlsConfig

GREETER = "org.apache.dubbo.samples.proto.Greeter"
MODES = ["sayHello", "clientStream", "serverStream", "biStream"]


@pytest.fixture(scope="module")
def ca():
    return CertificateAuthority("dubbo test CA")


@pytest.fixture(scope="module")
def other_ca():
    return CertificateAuthority("some other CA")


@pytest.fixture(scope="module")
def server_cert(ca):
    return ca.issue("dubbo test server", hosts=["localhost", "127.0.0.1"])


@pytest.fixture(scope="module")
def client_cert(ca):
    return ca.issue("dubbo test client", client=True)


@pytest.fixture
def client_for():
    clients = []

    def make(port: int, tls, **options) -> GreeterStub:
        reference = ReferenceConfig(service=GREETER, host="127.0.0.1", port=port, tls=tls, **options)
        clients.append(dubbo.Client(reference))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def say_hello(client: dubbo.Client, greeter_pb2, name: str = "tls") -> str:
    return GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name=name)).message


def call_in_mode(client: dubbo.Client, greeter_pb2, mode: str) -> list:
    stub, request = GreeterStub(client, greeter_pb2), greeter_pb2.GreeterRequest(name="a b")
    if mode == "sayHello":
        return [stub.say_hello(request).message]
    if mode == "clientStream":
        return [stub.client_stream([request, request]).result().message]
    if mode == "serverStream":
        return [r.message for r in stub.server_stream(request)]
    return [r.message for r in stub.bi_stream([request])]


def refused(client: dubbo.Client, greeter_pb2) -> dubbo.RpcError:
    with pytest.raises(dubbo.RpcError) as error:
        say_hello(client, greeter_pb2)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    return error.value


@pytest.fixture
def tls_server(serve, greeter_pb2, server_cert):
    tls = TlsConfig(cert_chain=server_cert.cert, private_key=server_cert.key)
    return serve(ServiceConfig(greeter_service(greeter_pb2), tls=tls))


@pytest.fixture
def mtls_server(serve, greeter_pb2, server_cert, ca):
    tls = TlsConfig(
        cert_chain=server_cert.cert, private_key=server_cert.key, root_certificates=ca.cert, require_client_auth=True
    )
    return serve(ServiceConfig(greeter_service(greeter_pb2), tls=tls))


@pytest.mark.parametrize("mode", MODES)
def test_calls_over_tls_work_in_every_mode(tls_server, client_for, greeter_pb2, ca, mode):
    client = client_for(tls_server.port, TlsConfig(root_certificates=ca.cert))
    expected = {
        "sayHello": ["hello a b"],
        "clientStream": ["a b,a b"],
        "serverStream": ["a", "b"],
        "biStream": ["echo a b"],
    }
    assert call_in_mode(client, greeter_pb2, mode) == expected[mode]


def test_certificates_can_be_given_as_file_paths(serve, client_for, greeter_pb2, ca, server_cert, tmp_path):
    for name, pem in [("ca.pem", ca.cert), ("server.pem", server_cert.cert), ("server.key", server_cert.key)]:
        (tmp_path / name).write_bytes(pem)
    tls = TlsConfig(cert_chain=tmp_path / "server.pem", private_key=str(tmp_path / "server.key"))
    server = serve(ServiceConfig(greeter_service(greeter_pb2), tls=tls))
    client = client_for(server.port, TlsConfig(root_certificates=str(tmp_path / "ca.pem")))
    assert say_hello(client, greeter_pb2) == "hello tls"


def test_certificates_can_be_given_as_pem_text(serve, client_for, greeter_pb2, ca, server_cert):
    tls = TlsConfig(cert_chain=server_cert.cert.decode(), private_key=server_cert.key.decode())
    server = serve(ServiceConfig(greeter_service(greeter_pb2), tls=tls))
    client = client_for(server.port, TlsConfig(root_certificates=ca.cert.decode()))
    assert say_hello(client, greeter_pb2) == "hello tls"


def test_a_tls_reference_sends_scheme_https(client_for, greeter_pb2, ca, server_cert, tmp_path):
    (tmp_path / "server.pem").write_bytes(server_cert.cert)
    (tmp_path / "server.key").write_bytes(server_cert.key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    context.set_alpn_protocols(["h2"])
    raw = RawServer(ssl_context=context)
    try:
        say_hello(client_for(raw.port, TlsConfig(root_certificates=ca.cert)), greeter_pb2)
        (request,) = raw.requests
        assert request.headers[":scheme"] == "https"
    finally:
        raw.close()


def test_a_plaintext_reference_sends_scheme_http(client_for, greeter_pb2):
    raw = RawServer()
    try:
        say_hello(client_for(raw.port, None), greeter_pb2)
        assert raw.requests[0].headers[":scheme"] == "http"
    finally:
        raw.close()


def test_a_client_trusting_another_ca_is_refused(tls_server, client_for, greeter_pb2, other_ca):
    refused(client_for(tls_server.port, TlsConfig(root_certificates=other_ca.cert)), greeter_pb2)


def test_a_plaintext_client_cannot_call_a_tls_server(tls_server, client_for, greeter_pb2):
    refused(client_for(tls_server.port, None), greeter_pb2)


def test_server_name_checks_the_certificate_against_another_name(serve, client_for, greeter_pb2, ca):
    issued = ca.issue("named", hosts=["greeter.dubbo.test"])
    server = serve(ServiceConfig(greeter_service(greeter_pb2), tls=TlsConfig(cert_chain=issued.cert, private_key=issued.key)))

    refused(client_for(server.port, TlsConfig(root_certificates=ca.cert)), greeter_pb2)
    client = client_for(server.port, TlsConfig(root_certificates=ca.cert, server_name="greeter.dubbo.test"))
    assert say_hello(client, greeter_pb2) == "hello tls"


@pytest.mark.parametrize("mode", MODES)
def test_mutual_tls_calls_work_in_every_mode(mtls_server, client_for, greeter_pb2, ca, client_cert, mode):
    tls = TlsConfig(root_certificates=ca.cert, cert_chain=client_cert.cert, private_key=client_cert.key)
    assert call_in_mode(client_for(mtls_server.port, tls), greeter_pb2, mode)


def test_a_mutual_tls_server_refuses_a_client_without_a_certificate(mtls_server, client_for, greeter_pb2, ca):
    refused(client_for(mtls_server.port, TlsConfig(root_certificates=ca.cert)), greeter_pb2)


def test_a_mutual_tls_server_refuses_a_client_certificate_from_another_ca(
    mtls_server, client_for, greeter_pb2, ca, other_ca
):
    stranger = other_ca.issue("stranger", client=True)
    tls = TlsConfig(root_certificates=ca.cert, cert_chain=stranger.cert, private_key=stranger.key)
    refused(client_for(mtls_server.port, tls), greeter_pb2)


def test_our_mutual_tls_client_is_identified_by_a_grpcio_server(client_for, greeter_pb2, ca, server_cert, client_cert):
    seen = []

    def say_hello_handler(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append(context.peer_identities())
        return greeter_pb2.GreeterReply(message="hi").SerializeToString()

    handler = grpc.method_handlers_generic_handler(
        GREETER, {"sayHello": grpc.unary_unary_rpc_method_handler(say_hello_handler)}
    )
    server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(2), handlers=(handler,))
    credentials = grpc.ssl_server_credentials([(server_cert.key, server_cert.cert)], ca.cert, True)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        tls = TlsConfig(root_certificates=ca.cert, cert_chain=client_cert.cert, private_key=client_cert.key)
        assert say_hello(client_for(port, tls), greeter_pb2) == "hi"
    finally:
        server.stop(0)
    assert seen == [[b"dubbo test client"]]


def test_a_server_tls_config_needs_a_certificate_and_key(greeter_pb2, ca):
    config = ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0, tls=TlsConfig(root_certificates=ca.cert))
    with pytest.raises(ValueError, match="cert_chain and private_key"):
        dubbo.Server(config)


def test_require_client_auth_needs_root_certificates(greeter_pb2, server_cert):
    tls = TlsConfig(cert_chain=server_cert.cert, private_key=server_cert.key, require_client_auth=True)
    with pytest.raises(ValueError, match="root_certificates"):
        dubbo.Server(ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0, tls=tls))


def test_an_unreadable_certificate_file_names_the_field_and_path(tmp_path):
    missing = tmp_path / "missing.pem"
    with pytest.raises(ValueError, match="root_certificates.*missing.pem"):
        dubbo.Client(ReferenceConfig(service=GREETER, host="127.0.0.1", port=1, tls=TlsConfig(root_certificates=missing)))


def test_a_client_certificate_needs_its_key(client_cert):
    with pytest.raises(ValueError, match="cert_chain and private_key"):
        dubbo.Client(ReferenceConfig(service=GREETER, host="127.0.0.1", port=1, tls=TlsConfig(cert_chain=client_cert.cert)))


def test_ssl_enabled_in_a_url_turns_on_tls_with_the_systems_cas():
    assert ReferenceConfig.from_url(f"tri://127.0.0.1:1/{GREETER}?ssl-enabled=true").tls == TlsConfig()
    assert ReferenceConfig.from_url(f"tri://127.0.0.1:1/{GREETER}").tls is None


def test_an_ssl_enabled_url_cannot_call_a_plaintext_server(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2))
    with dubbo.Client(ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/{GREETER}?ssl-enabled=true")) as client:
        refused(client, greeter_pb2)
