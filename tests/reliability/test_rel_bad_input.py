"""Hostile and malformed requests over raw HTTP/2 and raw bytes: each gets a clear answer
(a gRPC status, or a reset/GOAWAY where HTTP/2 itself is broken), and the server keeps
serving normal calls afterwards. The statuses are grpc-core's where it answers before
our code runs; RELIABILITY.md lists them."""

from __future__ import annotations

import os
import socket
import threading

import grpc
import pytest

from harness import (
    GRPC_HEADERS,
    SERVICE,
    RawH2,
    aio_server,  # noqa: F401  (fixture)
    assert_serving,
    connect,
    frame,
    server,  # noqa: F401  (fixture)
    start_server,
)

pytestmark = pytest.mark.reliability

OK = grpc.StatusCode.OK.value[0]
UNKNOWN = grpc.StatusCode.UNKNOWN.value[0]
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED.value[0]
INTERNAL = grpc.StatusCode.INTERNAL.value[0]
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
HTTP2_INTERNAL_ERROR = 2  # RST_STREAM code grpc-core uses for requests that are not gRPC


def raw_call(port: int, **request) -> "Reply":  # noqa: F821
    with RawH2(port) as h2:
        return h2.call(**request)


# --- headers and paths ---------------------------------------------------------------


def test_a_wrong_content_type_is_not_checked_by_grpc_core_and_the_frames_are_served(server):
    # grpc-core does not look at content-type (nor does it show it to handlers), so a
    # text/plain request with valid gRPC framing is served like any other.
    reply = raw_call(server.port, body=frame(b"hi"), headers=(("content-type", "text/plain"), ("te", "trailers")))
    assert reply.status == OK and bytes(reply.data) == frame(b"hi")
    assert_serving(server.port)


def test_a_request_without_te_trailers_is_reset(server):
    reply = raw_call(server.port, body=frame(b"hi"), headers=(("content-type", "application/grpc"),))
    assert reply.reset == HTTP2_INTERNAL_ERROR and reply.status is None
    assert_serving(server.port)


def test_a_get_request_is_reset(server):
    pseudo = ((":method", "GET"), (":scheme", "http"), (":path", f"/{SERVICE}/echo"), (":authority", "x"))
    reply = raw_call(server.port, pseudo=pseudo, body=frame(b"hi"))
    assert reply.reset == HTTP2_INTERNAL_ERROR
    assert_serving(server.port)


@pytest.mark.parametrize("path", [f"/{SERVICE}", "/", "/nomethod"])
def test_a_path_without_a_method_is_unimplemented_naming_the_path(server, path):
    reply = raw_call(server.port, path=path, body=frame(b"hi"))
    assert reply.status == UNIMPLEMENTED
    assert "malformed path" in reply.message and path in reply.message
    assert_serving(server.port)


def test_an_empty_method_name_is_unimplemented(server):
    reply = raw_call(server.port, path=f"/{SERVICE}/", body=frame(b"hi"))
    assert reply.status == UNIMPLEMENTED and "Method not found" in reply.message
    assert_serving(server.port)


def test_an_unknown_service_is_unimplemented_naming_it(server):
    reply = raw_call(server.port, path="/no.Such/echo", body=frame(b"hi"))
    assert reply.status == UNIMPLEMENTED and reply.message == "Service not found: no.Such"
    assert_serving(server.port)


def test_an_unknown_method_is_unimplemented_naming_it(server):
    reply = raw_call(server.port, path=f"/{SERVICE}/nope", body=frame(b"hi"))
    assert reply.status == UNIMPLEMENTED and "nope" in reply.message
    assert_serving(server.port)


# --- framing ---------------------------------------------------------------------------


def test_a_truncated_length_prefix_on_a_unary_call_is_a_missing_request(server):
    reply = raw_call(server.port, body=b"\x00\x00\x00")
    assert reply.status == UNIMPLEMENTED and "requires exactly one request message" in reply.message
    assert_serving(server.port)


def test_a_length_prefix_longer_than_the_body_on_a_unary_call_is_a_missing_request(server):
    reply = raw_call(server.port, body=frame(b"hi", length=100))
    assert reply.status == UNIMPLEMENTED and "requires exactly one request message" in reply.message
    assert_serving(server.port)


def test_a_truncated_last_message_of_a_client_stream_is_dropped_and_the_whole_ones_counted(server):
    reply = raw_call(server.port, path=f"/{SERVICE}/count", body=frame(b"abc") + frame(b"a", length=50))
    assert reply.status == OK and bytes(reply.data) == frame(b"1:3")
    assert_serving(server.port)


def test_a_length_prefix_shorter_than_the_payload_splits_it_into_the_declared_size(server):
    reply = raw_call(server.port, body=frame(b"hello", length=2))
    assert reply.status == OK and bytes(reply.data) == frame(b"he")
    assert_serving(server.port)


def test_a_length_prefix_of_4_gib_is_resource_exhausted_without_reading_it(server):
    reply = raw_call(server.port, body=frame(b"hi", length=2**32 - 1))
    assert reply.status == RESOURCE_EXHAUSTED and "larger than max" in reply.message
    assert_serving(server.port)


def test_an_oversized_message_is_resource_exhausted(server):
    reply = raw_call(server.port, body=frame(b"x" * (5 * 1024 * 1024)))
    assert reply.status == RESOURCE_EXHAUSTED and "5242880 vs. 4194304" in reply.message
    assert_serving(server.port)


def test_a_message_of_exactly_the_default_limit_is_served(server):
    payload = b"x" * (4 * 1024 * 1024)
    reply = raw_call(server.port, body=frame(payload))
    assert reply.status == OK and bytes(reply.data) == frame(payload)
    assert_serving(server.port)


def test_an_invalid_compressed_flag_byte_is_not_rejected_by_grpc_core(server):
    # Found here: grpc-core 1.85 accepts flag bytes other than 0 and 1, delivers an empty
    # message (or none) and drops the rest of the stream. Our handlers cannot tell; the
    # call still ends with a status and the server goes on (RELIABILITY.md, finding F2).
    reply = raw_call(server.port, path=f"/{SERVICE}/count", body=b"\x02\x00\x00\x00\x02hi" + frame(b"abc"))
    assert reply.status == OK and bytes(reply.data) in (frame(b"0:0"), frame(b"1:0"))
    assert_serving(server.port)


# --- compression -----------------------------------------------------------------------


def test_a_compressed_flag_without_grpc_encoding_is_internal(server):
    reply = raw_call(server.port, body=frame(b"hi", compressed=True))
    assert reply.status == INTERNAL and reply.message == "Compression bit set but no encoding configured"
    assert_serving(server.port)


def test_an_unknown_encoding_is_internal(server):
    headers = GRPC_HEADERS + (("grpc-encoding", "snappy"),)
    reply = raw_call(server.port, body=frame(b"hi", compressed=True), headers=headers)
    assert reply.status == INTERNAL and "grpc-encoding" in reply.message
    assert_serving(server.port)


def test_a_gzip_message_that_does_not_inflate_is_internal(server):
    headers = GRPC_HEADERS + (("grpc-encoding", "gzip"),)
    reply = raw_call(server.port, body=frame(b"not gzip at all", compressed=True), headers=headers)
    assert reply.status == INTERNAL and "Decompression failed" in reply.message
    assert_serving(server.port)


def test_a_gzip_bomb_is_resource_exhausted(server):
    import gzip

    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB
    headers = GRPC_HEADERS + (("grpc-encoding", "gzip"),)
    reply = raw_call(server.port, body=frame(bomb, compressed=True), headers=headers)
    assert reply.status == RESOURCE_EXHAUSTED
    assert_serving(server.port)


# --- metadata --------------------------------------------------------------------------


def test_a_header_over_the_16_kib_hard_limit_is_resource_exhausted(server):
    headers = GRPC_HEADERS + (("x-big", "a" * 17_000),)
    reply = raw_call(server.port, body=frame(b"hi"), headers=headers)
    assert reply.status == RESOURCE_EXHAUSTED and "hard limit" in reply.message
    assert_serving(server.port)


def test_many_small_headers_over_the_limit_are_resource_exhausted(server):
    headers = GRPC_HEADERS + tuple((f"x-h{i}", "v" * 10) for i in range(2000))
    reply = raw_call(server.port, body=frame(b"hi"), headers=headers)
    # No grpc-message: grpc-core's explanation lists every header and is itself too long
    # for its 2 KiB header-value limit, so it is dropped.
    assert reply.status == RESOURCE_EXHAUSTED
    assert_serving(server.port)


def test_a_100_kib_header_is_resource_exhausted_and_the_connection_stays_usable(server):
    # (Bigger blocks take the pure-Python HPACK encoder minutes; grpc-core answers the same.)
    with RawH2(server.port) as h2:
        reply = h2.call(body=frame(b"hi"), headers=GRPC_HEADERS + (("x-big", "a" * 100_000),))
        assert reply.status == RESOURCE_EXHAUSTED and "hard limit" in reply.message
        again = h2.call(body=frame(b"same connection"))
        assert again.status == OK and bytes(again.data) == frame(b"same connection")
    assert_serving(server.port)


def test_invalid_base64_in_a_bin_header_is_internal(server):
    headers = GRPC_HEADERS + (("x-bin", "!!!not base64@@"),)
    reply = raw_call(server.port, body=frame(b"hi"), headers=headers)
    assert reply.status == INTERNAL and "base64" in reply.message
    assert_serving(server.port)


def test_an_unparseable_grpc_timeout_is_internal(server):
    headers = GRPC_HEADERS + (("grpc-timeout", "soon"),)
    reply = raw_call(server.port, body=frame(b"hi"), headers=headers)
    assert reply.status == INTERNAL and "grpc-timeout" in reply.message
    assert_serving(server.port)


@pytest.mark.parametrize("convert", ["%zz%", "%7B%22a%22", "%FF%FE", "[1,2]", "%7B%22x%22%3A%22Y%22%7D"])
def test_a_malformed_tri_header_convert_only_loses_the_key_spelling(convert):
    from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig, Server, server_context

    def attachments(_request: bytes) -> bytes:
        return repr(sorted(server_context().attachments.items())).encode()

    service = RpcServiceHandler(SERVICE, [RpcMethodHandler.unary(attachments, "echo")])
    running = Server(ServiceConfig(service, host="127.0.0.1", port=0)).start()
    try:
        headers = GRPC_HEADERS + (("tri-header-convert", convert), ("my-key", "v"))
        reply = raw_call(running.port, body=frame(b""), headers=headers)
        assert reply.status == OK and b"('my-key', 'v')" in bytes(reply.data)
    finally:
        running.stop(None)


# --- not HTTP/2 at all -----------------------------------------------------------------


def _frame_types(data: bytes) -> list:
    types, at = [], 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at : at + 3], "big")
        types.append(data[at + 3])
        at += 9 + length
    return types


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(500),  # a TLS ClientHello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(range(256)) * 4,  # the preface, then noise
        bytes(range(256)) * 16,
    ],
    ids=["http1", "tls-hello", "preface-then-noise", "noise"],
)
def test_bytes_that_are_not_http2_get_the_connection_closed_unserved(server, garbage):
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(garbage)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    # The server sent its SETTINGS, served nothing (no HEADERS frame) and hung up.
    types = _frame_types(received)
    assert types[:1] == [4] and 1 not in types, received[:100]
    assert_serving(server.port)


def test_random_bytes_from_many_connections_leave_the_server_serving(server):
    def spray() -> None:
        for _ in range(20):
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                    sock.sendall(os.urandom(4096))
                    sock.recv(1024)
            except OSError:
                pass

    threads = [threading.Thread(target=spray) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_serving(server.port)


# --- the deserializer rejects the body --------------------------------------------------


@pytest.mark.parametrize("method", ["upper", "join", "upperStream"])
def test_a_body_the_deserializer_rejects_is_internal_naming_the_method(server, method):
    body = frame(b"\x0a\x01a") + frame(b"\xff\xff\xff")
    reply = raw_call(server.port, path=f"/{SERVICE}/{method}", body=body if method != "upper" else frame(b"\xff\xff"))
    assert reply.status == INTERNAL
    assert reply.message.startswith(f"could not deserialize the request of /{SERVICE}/{method}: DecodeError")
    assert_serving(server.port)


def test_the_dubbo_client_sees_the_deserializer_error_as_rpc_error(server):
    import dubbo

    with connect(server.port) as client:
        with pytest.raises(dubbo.RpcError) as caught:
            client.unary("upper")(b"\xff\xff")
    assert caught.value.code() == grpc.StatusCode.INTERNAL and "/upper" in caught.value.message


# --- the same hostile requests against dubbo.aio.Server ---------------------------------


AIO_CASES = {
    "unknown service": (dict(path="/no.Such/echo", body=frame(b"hi")), UNIMPLEMENTED, "Service not found"),
    "path without method": (dict(path=f"/{SERVICE}", body=frame(b"hi")), UNIMPLEMENTED, "malformed path"),
    "4 GiB length prefix": (dict(body=frame(b"hi", length=2**32 - 1)), RESOURCE_EXHAUSTED, "larger than max"),
    "compressed without encoding": (dict(body=frame(b"hi", compressed=True)), INTERNAL, "Compression bit set"),
    "invalid base64": (dict(body=frame(b"hi"), headers=GRPC_HEADERS + (("x-bin", "!!!"),)), INTERNAL, "base64"),
    "17 KB header": (dict(body=frame(b"hi"), headers=GRPC_HEADERS + (("x-big", "a" * 17_000),)), RESOURCE_EXHAUSTED, "hard limit"),
    "deserializer rejects": (dict(path=f"/{SERVICE}/upper", body=frame(b"\xff\xff")), INTERNAL, f"/{SERVICE}/upper"),
    "deserializer rejects, bidi": (
        dict(path=f"/{SERVICE}/upperStream", body=frame(b"\x0a\x01a") + frame(b"\xff\xff")),
        INTERNAL,
        f"/{SERVICE}/upperStream",
    ),
}


@pytest.mark.parametrize("case", AIO_CASES)
def test_the_asyncio_server_answers_hostile_requests_like_the_sync_one(aio_server, case):
    request, status, words = AIO_CASES[case]
    reply = raw_call(aio_server.port, **request)
    assert reply.status == status and words in reply.message, reply
    assert_serving(aio_server.port)


def test_the_asyncio_server_survives_bytes_that_are_not_http2(aio_server):
    for garbage in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(256)) * 16):
        with socket.create_connection(("127.0.0.1", aio_server.port), timeout=10) as sock:
            sock.sendall(garbage)
            while sock.recv(65536):
                pass
    assert_serving(aio_server.port)
