"""Attachments: request headers to handlers, response headers and trailers back to callers."""

from concurrent import futures

import grpc
import pytest

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, server_context


def _echo_attachments_service():
    def unary(request):
        context = server_context()
        context.set_response_headers({"Served-By": "unary"})
        context.set_trailers({"Echo": repr(sorted(context.attachments.items())), "blob": b"\x00\xff"})
        return b"ok"

    def server_stream(stream):
        stream.read()
        context = server_context()
        for key, value in sorted(context.attachments.items()):
            yield f"{key}={value!r}".encode()
        context.set_trailers({"count": len(context.attachments)})

    return RpcServiceHandler(
        "demo.Attach",
        [RpcMethodHandler.unary(unary, "unary"), RpcMethodHandler.server_stream(server_stream, "stream")],
    )


@pytest.fixture
def client(serve, connect):
    server = serve(_echo_attachments_service())
    return connect(f"tri://127.0.0.1:{server.port}/demo.Attach")


def test_a_handler_reads_the_callers_attachments_with_their_original_case(client):
    stream = client.server_stream("stream").with_options(attachments={"Trace-Id": "abc", "tenant": 7})(b"")
    assert list(stream) == [b"Trace-Id='abc'", b"tenant='7'"]


def test_bytes_attachments_arrive_as_bytes(client):
    stream = client.server_stream("stream").with_options(attachments={"token": b"\x01\x02\xff"})(b"")
    assert list(stream) == [b"token=b'\\x01\\x02\\xff'"]


def test_reference_attachments_are_sent_on_every_call(serve):
    server = serve(_echo_attachments_service())
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Attach")
    reference.attachments = {"Region": "eu"}
    with dubbo.Client(reference) as client:
        call = client.server_stream("stream")
        assert list(call(b"")) == [b"Region='eu'"]
        both = call.with_options(attachments={"extra": "1"})
        assert list(both(b"")) == [b"Region='eu'", b"extra='1'"]


def test_callers_read_response_headers_and_trailers(client):
    response, result = client.unary("unary").with_options(attachments={"k": "v"}).with_call(b"")
    assert response == b"ok"
    assert result.headers == {"Served-By": "unary"}
    assert result.trailers["Echo"] == "[('k', 'v')]"
    assert result.trailers["blob"] == b"\x00\xff"


def test_stream_trailers_are_readable_after_the_stream_ends(client):
    stream = client.server_stream("stream").with_options(attachments={"a": "1", "b": "2"})(b"")
    assert len(list(stream)) == 2
    assert stream.trailers == {"count": "2"}


def test_attachments_are_plain_lower_case_headers_on_the_wire():
    """What a Java provider (or any gRPC server) receives: lower-case keys, -bin for bytes,
    and the original spelling in tri-header-convert."""
    seen = []

    def record(request, context):
        seen.append(dict(context.invocation_metadata()))
        return request

    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("demo.W", {"m": grpc.unary_unary_rpc_method_handler(record)})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/demo.W")) as client:
            client.unary("m").with_options(attachments={"Trace-Id": "t1", "raw": b"\x00", "flag": True})(b"")
    finally:
        server.stop(0)
    headers = seen[0]
    assert headers["trace-id"] == "t1"
    assert headers["raw-bin"] == b"\x00"
    assert headers["flag"] == "true"
    assert "Trace-Id" in headers["tri-header-convert"] and "%22" in headers["tri-header-convert"]


@pytest.mark.parametrize("bad", [{"grpc-timeout": "1"}, {"tri-service-version": "1"}, {":path": "/x"}, {"k": "é"}])
def test_reserved_keys_and_non_ascii_text_are_refused_with_a_clear_error(client, bad):
    with pytest.raises(ValueError):
        client.unary("unary").with_options(attachments=bad)


def test_server_context_outside_a_handler_is_a_lookup_error():
    with pytest.raises(LookupError, match="inside a handler"):
        server_context()
