"""The plain-HTTP endpoint (``http_port``): curl-style JSON and protobuf POSTs, Server-Sent
Events, Java 3.3's errors, routing, timeouts, interceptors, the token and CORS, on dubbo.Server."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from typing import Dict, Optional, Tuple

import grpc
import pytest

import dubbo
from dubbo import HttpOptions, RpcMethodHandler, RpcServiceHandler, ServiceConfig

from conftest import GreeterStub, greeter_service

pytest.importorskip("hypercorn", reason="the HTTP endpoint needs the [http] extra")

SERVICE = "org.apache.dubbo.samples.proto.Greeter"


def post(
    port: int, path: str, body: bytes, content_type: Optional[str] = "application/json",
    headers: Optional[Dict[str, str]] = None, method: str = "POST",
) -> Tuple[int, Dict[str, str], bytes]:
    """One HTTP/1.1 request: (status, lower-cased headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = dict(headers or {})
        if content_type is not None:
            sent["content-type"] = content_type
        connection.request(method, path, body, sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def greeter(serve, greeter_pb2):
    """A dubbo.Server of the Greeter with its HTTP endpoint on a free port."""
    return serve(greeter_service(greeter_pb2), http_port=0)


def test_a_json_post_calls_a_protobuf_unary_method(greeter):
    status, headers, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b'{"name": "curl"}')
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {"message": "hello curl"})


def test_a_json_array_holding_the_one_argument_is_the_same_request(greeter):
    status, _, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b'[{"name": "java"}]')
    assert (status, json.loads(body)) == (200, {"message": "hello java"})


def test_an_application_proto_body_is_the_message_and_the_reply_is_protobuf(greeter, greeter_pb2):
    request = greeter_pb2.GreeterRequest(name="bin").SerializeToString()
    status, headers, body = post(greeter.http_port, f"/{SERVICE}/sayHello", request, "application/proto")
    assert (status, headers["content-type"]) == (200, "application/proto")
    assert greeter_pb2.GreeterReply.FromString(body).message == "hello bin"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_http2_with_prior_knowledge_is_served(greeter):
    out = subprocess.run(
        ["curl", "-sS", "--http2-prior-knowledge", "-H", "content-type: application/json", "-d", '{"name":"h2"}',
         "-w", "\n%{http_version}", f"http://127.0.0.1:{greeter.http_port}/{SERVICE}/sayHello"],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout
    assert out.splitlines() == ['{"message": "hello h2"}', "2"]


def test_a_server_stream_answers_with_server_sent_events(greeter):
    status, headers, body = post(greeter.http_port, f"/{SERVICE}/serverStream", b'{"name": "a b c"}')
    assert (status, headers["content-type"]) == (200, "text/event-stream")
    assert body == b'data:{"message": "a"}\n\ndata:{"message": "b"}\n\ndata:{"message": "c"}\n\n'


def test_a_handler_error_is_sent_as_java_sends_it(serve):
    def fail(request):
        raise dubbo.RpcError(grpc.StatusCode.PERMISSION_DENIED, "not you")

    server = serve(RpcServiceHandler("demo.Fail", [RpcMethodHandler.unary(fail, "fail")]), http_port=0)
    status, headers, body = post(server.http_port, "/demo.Fail/fail", b"")
    assert (status, headers["content-type"], json.loads(body)) == (
        403, "application/json", {"status": "403", "message": "not you"})


def test_an_exception_in_a_handler_is_500_with_its_type_and_message(serve):
    def boom(request):
        raise ValueError("bad value")

    server = serve(RpcServiceHandler("demo.Boom", [RpcMethodHandler.unary(boom, "boom")]), http_port=0)
    status, _, body = post(server.http_port, "/demo.Boom/boom", b"x", "application/proto")
    assert (status, json.loads(body)) == (500, {"status": "500", "message": "ValueError: bad value"})


def test_an_unknown_service_or_method_is_404(greeter):
    assert post(greeter.http_port, "/no.Such/thing", b"{}")[0] == 404
    status, _, body = post(greeter.http_port, f"/{SERVICE}/nothing", b"{}")
    assert (status, json.loads(body)["status"]) == (404, "404")


def test_a_method_name_with_a_capital_first_letter_reaches_the_method(greeter):
    assert post(greeter.http_port, f"/{SERVICE}/SayHello", b'{"name": "j"}')[0] == 200


def test_version_and_group_headers_route_with_the_grpc_ports_fallbacks(serve, greeter_pb2):
    server = serve(
        ServiceConfig(greeter_service(greeter_pb2, tag="v1:"), version="1.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="v2:"), version="2.0.0"),
        ServiceConfig(greeter_service(greeter_pb2, tag="g:"), version="2.0.0", group="g"),
        http_port=0,
    )

    def reply(headers):
        return json.loads(post(server.http_port, f"/{SERVICE}/sayHello", b'{"name": "x"}', headers=headers)[2])["message"]

    assert reply({"tri-service-version": "2.0.0"}) == "v2:hello x"
    assert reply({"tri-service-version": "2.0.0", "tri-service-group": "g"}) == "g:hello x"
    assert reply({"rest-service-version": "2.0.0", "rest-service-group": "g"}) == "g:hello x"  # Java's aliases
    assert reply({"tri-service-version": "9.9.9"}) == "v1:hello x"  # falls back to 1.0.0, as Java does


def test_strict_routing_refuses_an_unknown_version_over_http(serve, greeter_pb2):
    server = serve(ServiceConfig(greeter_service(greeter_pb2), version="1.0.0"), http_port=0, strict_routing=True)
    status, _, _ = post(server.http_port, f"/{SERVICE}/sayHello", b"{}", headers={"tri-service-version": "2.0.0"})
    assert status == 404


def test_tri_service_timeout_ends_a_slow_call_with_504_and_the_handler_sees_its_deadline(serve):
    seen = []

    def slow(request):
        seen.append(dubbo.server_context().time_remaining())
        time.sleep(1.0)
        return b"late"

    server = serve(RpcServiceHandler("demo.Slow", [RpcMethodHandler.unary(slow, "slow")]), http_port=0)
    started = time.monotonic()
    status, _, body = post(server.http_port, "/demo.Slow/slow", b"", "application/proto", {"tri-service-timeout": "200"})
    assert (status, json.loads(body)["status"]) == (504, "504")
    assert time.monotonic() - started < 0.9
    assert 0 < seen[0] <= 0.2


def test_server_context_reads_attachments_and_sets_response_headers(serve):
    def whoami(request):
        context = dubbo.server_context()
        context.set_response_headers({"served-by": "node-1"})
        context.set_trailers({"cost": 3})
        return context.attachments.get("user-id", "nobody").encode()

    server = serve(RpcServiceHandler("demo.Who", [RpcMethodHandler.unary(whoami, "whoami")]), http_port=0)
    status, headers, body = post(server.http_port, "/demo.Who/whoami", b"", "application/proto", {"User-Id": "42"})
    assert (status, body, headers["served-by"], headers["cost"]) == (200, b"42", "node-1", "3")


def test_interceptors_see_http_calls(serve, greeter_pb2):
    seen = []

    class Record(dubbo.Interceptor):
        def on_request(self, call, message):
            seen.append((call.method, message.name))

        def on_end(self, call, code, message):
            seen.append(code)

    server = serve(greeter_service(greeter_pb2), http_port=0, interceptors=[Record()])
    post(server.http_port, f"/{SERVICE}/sayHello", b'{"name": "i"}')
    assert seen == [(f"/{SERVICE}/sayHello", "i"), grpc.StatusCode.OK]


def test_the_provider_token_is_checked_over_http(serve, greeter_pb2):
    server = serve(ServiceConfig(greeter_service(greeter_pb2), token="s3cret"), http_port=0)
    assert post(server.http_port, f"/{SERVICE}/sayHello", b"{}")[0] == 401
    assert post(server.http_port, f"/{SERVICE}/sayHello", b"{}", headers={"token": "s3cret"})[0] == 200


def test_async_handlers_are_served_over_http(serve):
    async def hello(request):
        return b"async " + request

    async def count(stream):
        for word in (await stream.read()).split():
            yield word

    server = serve(
        RpcServiceHandler("demo.Async", [RpcMethodHandler.unary(hello, "hello"), RpcMethodHandler.server_stream(count, "count")]),
        http_port=0,
    )
    assert post(server.http_port, "/demo.Async/hello", b"x", "application/proto")[2] == b"async x"
    assert post(server.http_port, "/demo.Async/count", b"a b")[2] == b"data:a\n\ndata:b\n\n"


def test_a_raw_bytes_handler_gets_the_body_as_it_came(serve):
    server = serve(RpcServiceHandler("demo.Echo", [RpcMethodHandler.unary(lambda body: body[::-1], "echo")]), http_port=0)
    status, headers, body = post(server.http_port, "/demo.Echo/echo", b'["abc"]')
    assert (status, headers["content-type"], body) == (200, "application/json", b']"cba"[')


def test_a_streaming_handler_that_fails_midway_ends_with_an_error_event(serve):
    def words(stream):
        yield b"one"
        raise dubbo.RpcError(grpc.StatusCode.INTERNAL, "broke")

    server = serve(RpcServiceHandler("demo.Words", [RpcMethodHandler.server_stream(words, "words")]), http_port=0)
    status, _, body = post(server.http_port, "/demo.Words/words", b"")
    assert status == 200
    assert body == b'data:one\n\ndata:{"status": "500", "message": "broke"}\n\n'


def test_a_cors_preflight_from_an_allowed_origin_may_post(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0, http_options=HttpOptions(cors_origins=("https://app.example",)))
    status, headers, _ = post(
        server.http_port, f"/{SERVICE}/sayHello", b"", None, method="OPTIONS",
        headers={"origin": "https://app.example", "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type,tri-service-version"},
    )
    assert (status, headers["access-control-allow-origin"], headers["access-control-allow-methods"]) == (
        204, "https://app.example", "POST")
    assert headers["access-control-allow-headers"] == "content-type,tri-service-version"
    _, headers, _ = post(server.http_port, f"/{SERVICE}/sayHello", b"{}", headers={"origin": "https://app.example"})
    assert headers["access-control-allow-origin"] == "https://app.example"


def test_other_origins_get_no_cors_headers(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0, http_options=HttpOptions(cors_origins=("https://app.example",)))
    status, headers, _ = post(server.http_port, f"/{SERVICE}/sayHello", b"{}", headers={"origin": "https://evil.example"})
    assert status == 200 and "access-control-allow-origin" not in headers
    preflight = post(server.http_port, f"/{SERVICE}/sayHello", b"", None, method="OPTIONS",
                     headers={"origin": "https://evil.example", "access-control-request-method": "POST"})
    assert preflight[0] == 403


# -- bad input -------------------------------------------------------------------------


def test_malformed_json_is_400_naming_the_method(greeter):
    status, _, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b'{"name": ')
    assert status == 400
    assert json.loads(body)["message"].startswith(f"/{SERVICE}/sayHello: the request body is not JSON")


def test_json_that_is_not_the_request_message_is_400(greeter):
    status, _, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b'{"nom": "x"}')
    assert status == 400
    assert "org.apache.dubbo.samples.proto.GreeterRequest" in json.loads(body)["message"]


def test_an_unknown_content_type_is_415(greeter):
    for content_type in ("text/plain", "application/grpc", None):
        status, _, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b"{}", content_type)
        assert (status, json.loads(body)["status"]) == (415, "415")


def test_get_is_405_and_says_to_post(greeter):
    status, headers, _ = post(greeter.http_port, f"/{SERVICE}/sayHello", b"", None, method="GET")
    assert (status, headers["allow"]) == (405, "POST")


def test_a_body_over_the_limit_is_413(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0, http_options=HttpOptions(max_body_size=1000))
    status, _, body = post(server.http_port, f"/{SERVICE}/sayHello", json.dumps({"name": "x" * 2000}).encode())
    assert (status, json.loads(body)["status"]) == (413, "413")


def test_a_chunked_body_over_the_limit_is_413_too(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0, http_options=HttpOptions(max_body_size=1000))
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    connection.request("POST", f"/{SERVICE}/sayHello", iter([b"[" * 600, b"[" * 600]),
                       {"content-type": "application/json"}, encode_chunked=True)
    assert connection.getresponse().status == 413
    connection.close()


def test_a_client_too_slow_to_send_its_body_gets_408(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0, http_options=HttpOptions(body_timeout=0.3))
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(f"POST /{SERVICE}/sayHello HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     "content-length: 100\r\n\r\n{".encode())
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408")


def test_bad_http_input_leaves_the_grpc_port_serving(greeter, connect, greeter_pb2):
    post(greeter.http_port, f"/{SERVICE}/sayHello", b"{{{")
    post(greeter.http_port, f"/{SERVICE}/sayHello", b"\xff" * 100, "application/proto")
    stub = GreeterStub(connect(f"tri://127.0.0.1:{greeter.port}/{SERVICE}"), greeter_pb2)
    assert stub.say_hello(greeter_pb2.GreeterRequest(name="grpc")).message == "hello grpc"


# -- lifecycle ---------------------------------------------------------------------------


def test_stop_closes_the_http_port(serve, greeter_pb2):
    server = serve(greeter_service(greeter_pb2), http_port=0)
    port = server.http_port
    server.stop(0)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_busy_http_port_fails_the_server(greeter, greeter_pb2):
    with pytest.raises(OSError):
        dubbo.Server(ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0), http_port=greeter.http_port)


def test_a_server_without_http_port_has_none_and_imports_no_http_server():
    code = (
        "import sys, dubbo;"
        "s = dubbo.Server(dubbo.ServiceConfig(dubbo.RpcServiceHandler('a.B', []), host='127.0.0.1', port=0)).start();"
        "s.stop(0); assert s.http_port is None; assert 'hypercorn' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_compressed_body_is_refused_with_415(greeter):
    status, _, body = post(greeter.http_port, f"/{SERVICE}/sayHello", b"\x1f\x8b", headers={"content-encoding": "gzip"})
    assert (status, json.loads(body)["message"]) == (415, "content-encoding 'gzip': compressed requests are not supported")
