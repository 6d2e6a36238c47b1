"""Security: no code-executing deserializer in the package, Dubbo's provider token
(UNAUTHENTICATED without it), and TLS refusing a client that trusts another CA while
the server keeps serving."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import grpc
import pytest

import dubbo
from dubbo import ReferenceConfig, RpcMethodHandler, RpcServiceHandler, ServiceConfig, TlsConfig

from harness import ROOT, SERVICE, RawH2, assert_serving, frame, make_service

pytestmark = pytest.mark.reliability

# Modules whose loaders can run code chosen by whoever wrote the bytes.
CODE_EXECUTING_MODULES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "jsonpickle", "marshal", "shelve", "yaml"}
CODE_EXECUTING_CALLS = {"eval", "exec", "compile", "__import__"}


def _package_sources():
    return sorted((ROOT / "dubbo").rglob("*.py"))


def test_the_package_imports_no_code_executing_deserializer_and_calls_no_eval():
    found = []
    sources = _package_sources()
    assert len(sources) > 20  # the walk really sees the package
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module.split(".")[0]]
            for name in names:
                if name in CODE_EXECUTING_MODULES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CODE_EXECUTING_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}()")
    assert found == []


def test_the_checker_would_see_a_pickle_import(tmp_path):
    # The check above must be able to fail: the same walk over a file that does it.
    tree = ast.parse("import pickle\nfrom yaml import load\neval('1')\n")
    hits = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) in CODE_EXECUTING_CALLS]
    assert {getattr(h, "module", None) or h.names[0].name for h in hits} <= CODE_EXECUTING_MODULES and len(calls) == 1


# --- the provider token -------------------------------------------------------------------

TOKEN = "s3cret-token"


@pytest.fixture
def token_server():
    config = ServiceConfig(make_service(), host="127.0.0.1", port=0, token=TOKEN)
    running = dubbo.Server(config).start()
    try:
        yield running
    finally:
        running.stop(None)


def _client(port: int, token=None) -> dubbo.Client:
    attachments = {"token": token} if token is not None else {}
    return dubbo.Client(ReferenceConfig(service=SERVICE, host="127.0.0.1", port=port, timeout=10_000, attachments=attachments))


def test_a_call_with_the_token_is_served(token_server):
    with _client(token_server.port, TOKEN) as client:
        assert client.unary("echo")(b"hi") == b"hi"
        assert list(client.bidi_stream("echoStream")([b"a", b"b"])) == [b"a", b"b"]


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_a_unary_call_without_the_right_token_is_unauthenticated(token_server, token):
    with _client(token_server.port, token) as client:
        with pytest.raises(dubbo.RpcError) as caught:
            client.unary("echo")(b"hi")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert caught.value.message == f"/{SERVICE}/echo: missing or wrong token"
    assert TOKEN not in caught.value.message


@pytest.mark.parametrize("mode", ["count", "flood", "echoStream"])
def test_streams_without_the_token_are_unauthenticated_in_every_mode(token_server, mode):
    with _client(token_server.port, "wrong") as client:
        with pytest.raises(dubbo.RpcError) as caught:
            if mode == "count":
                client.client_stream(mode)([b"a"]).result()
            elif mode == "flood":
                list(client.server_stream(mode)(b"3:10"))
            else:
                list(client.bidi_stream(mode)([b"a"]))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_handler_never_runs_for_a_call_without_the_token():
    ran = []
    service = RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(lambda r: ran.append(r) or r, "echo")])
    running = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=0, token=TOKEN)).start()
    try:
        with _client(running.port) as client, pytest.raises(dubbo.RpcError):
            client.unary("echo")(b"hi")
        with _client(running.port, TOKEN) as client:
            client.unary("echo")(b"ok")
    finally:
        running.stop(None)
    assert ran == [b"ok"]


def test_a_raw_http2_call_with_the_token_header_is_served(token_server):
    with RawH2(token_server.port) as h2:
        denied = h2.call(body=frame(b"x"))
        allowed = h2.call(body=frame(b"x"), headers=(("content-type", "application/grpc"), ("te", "trailers"), ("token", TOKEN)))
    assert denied.status == grpc.StatusCode.UNAUTHENTICATED.value[0]
    assert allowed.status == 0 and bytes(allowed.data) == frame(b"x")


def test_services_without_a_token_on_the_same_server_stay_open():
    protected = ServiceConfig(make_service(), host="127.0.0.1", port=0, token=TOKEN)
    open_service = ServiceConfig(make_service("reliability.Open"), host="127.0.0.1", port=0)
    running = dubbo.Server([protected, open_service]).start()
    try:
        with dubbo.Client(ReferenceConfig(service="reliability.Open", host="127.0.0.1", port=running.port)) as client:
            assert client.unary("echo")(b"free") == b"free"
        with _client(running.port) as client, pytest.raises(dubbo.RpcError) as caught:
            client.unary("echo")(b"hi")
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        running.stop(None)


def test_the_asyncio_server_checks_the_token_too():
    import dubbo.aio

    async def scenario():
        server = dubbo.aio.Server(ServiceConfig(make_service(), host="127.0.0.1", port=0, token=TOKEN))
        await server.start()
        try:
            async with dubbo.aio.Client(ReferenceConfig(service=SERVICE, host="127.0.0.1", port=server.port)) as client:
                with pytest.raises(dubbo.RpcError) as caught:
                    await client.unary("echo")(b"hi")
            reference = ReferenceConfig(service=SERVICE, host="127.0.0.1", port=server.port, attachments={"token": TOKEN})
            async with dubbo.aio.Client(reference) as client:
                return caught.value.code(), await client.unary("echo")(b"hi")
        finally:
            await server.stop(None)

    code, reply = asyncio.run(scenario())
    assert code == grpc.StatusCode.UNAUTHENTICATED and reply == b"hi"


# --- TLS ---------------------------------------------------------------------------------


def test_a_tls_server_refuses_a_client_trusting_another_ca_and_keeps_serving():
    from certs import CertificateAuthority

    ca, other = CertificateAuthority("reliability CA"), CertificateAuthority("someone else")
    issued = ca.issue("reliability server", hosts=["127.0.0.1", "localhost"])
    config = ServiceConfig(make_service(), host="127.0.0.1", port=0, tls=TlsConfig(cert_chain=issued.cert, private_key=issued.key))
    running = dubbo.Server(config).start()

    def client(roots) -> dubbo.Client:
        tls = TlsConfig(root_certificates=roots) if roots else None
        return dubbo.Client(ReferenceConfig(service=SERVICE, host="127.0.0.1", port=running.port, timeout=5000, tls=tls))

    try:
        for roots in (other.cert, None):  # another CA, then plaintext
            with client(roots) as stranger, pytest.raises(dubbo.RpcError) as caught:
                stranger.unary("echo")(b"hi")
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        with client(ca.cert) as trusted:
            assert trusted.unary("echo")(b"over tls") == b"over tls"
    finally:
        running.stop(None)
