"""Failures reach the caller as ``dubbo.RpcError`` with a gRPC status; the server keeps serving."""

import threading
import time

import grpc
import pytest

import dubbo
from dubbo import EOF, RpcError, RpcMethodHandler, RpcServiceHandler


def _failing_service():
    def unary(request):
        if request == b"fail":
            raise ValueError("bad request: fail")
        return b"ok"

    def rpc_error(request):
        raise RpcError(grpc.StatusCode.NOT_FOUND, "no such user")

    def stream_then_fail(stream):
        stream.read()
        yield b"one"
        yield b"two"
        raise RuntimeError("broke after two")

    def write_then_fail(stream):
        for request in stream:
            stream.write(request)
            if request == b"stop":
                raise KeyError("stop")

    def slow(request):
        time.sleep(float(request))
        return b"done"

    return RpcServiceHandler(
        "demo.Failing",
        [
            RpcMethodHandler.unary(unary, "unary"),
            RpcMethodHandler.unary(rpc_error, "rpcError"),
            RpcMethodHandler.server_stream(stream_then_fail, "streamThenFail"),
            RpcMethodHandler.bi_stream(write_then_fail, "writeThenFail"),
            RpcMethodHandler.unary(slow, "slow"),
        ],
    )


@pytest.fixture
def client(serve, connect):
    server = serve(_failing_service())
    return connect(f"tri://127.0.0.1:{server.port}/demo.Failing")


def test_a_handler_exception_is_unknown_with_its_message(client):
    with pytest.raises(RpcError) as caught:
        client.unary("unary")(b"fail")
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "bad request: fail" in caught.value.message
    assert "Traceback" not in caught.value.message


def test_code_that_catches_grpcio_errors_reads_them_with_grpcio_s_methods(client):
    with pytest.raises(grpc.RpcError) as caught:
        client.unary("rpcError").with_options(attachments={"who": "me"})(b"")
    error = caught.value
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error.details() == "no such user"
    assert isinstance(error.initial_metadata(), tuple) and isinstance(error.trailing_metadata(), tuple)


def test_the_server_keeps_serving_after_a_handler_exception(client):
    call = client.unary("unary")
    for _ in range(3):
        with pytest.raises(RpcError):
            call(b"fail")
        assert call(b"fine") == b"ok"


def test_a_handler_raising_rpc_error_chooses_the_status(client):
    with pytest.raises(RpcError) as caught:
        client.unary("rpcError")(b"")
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.message == "no such user"


def test_rpc_error_is_a_grpc_rpc_error(client):
    with pytest.raises(grpc.RpcError):
        client.unary("rpcError")(b"")


def test_an_error_mid_stream_raises_after_the_messages_sent_before_it(client):
    stream = client.server_stream("streamThenFail")(b"")
    received = []
    with pytest.raises(RpcError) as caught:
        for message in stream:
            received.append(message)
    assert received == [b"one", b"two"]
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "broke after two" in caught.value.message


def test_read_raises_a_stream_error_instead_of_returning_eof(client):
    stream = client.server_stream("streamThenFail")(b"")
    assert stream.read() == b"one"
    assert stream.read(timeout=10) == b"two"
    with pytest.raises(RpcError):
        stream.read(timeout=10)
    with pytest.raises(RpcError):  # and keeps raising: it never turns into EOF
        stream.read()


def test_a_writing_handler_failure_reaches_the_caller(client):
    stream = client.bidi_stream("writeThenFail")()
    stream.write(b"go")
    assert stream.read(timeout=10) == b"go"
    stream.write(b"stop")
    with pytest.raises(RpcError) as caught:
        list(stream)
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert "stop" in caught.value.message


def test_deadline_expiry_raises_deadline_exceeded(client):
    with pytest.raises(RpcError) as caught:
        client.unary("slow").with_options(timeout=0.2)(b"2")
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def test_the_reference_timeout_is_in_milliseconds(serve, connect):
    server = serve(_failing_service())
    client = connect(f"tri://127.0.0.1:{server.port}/demo.Failing?timeout=200")
    with pytest.raises(RpcError) as caught:
        client.unary("slow")(b"2")
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert client.unary("slow")(b"0") == b"done"


def test_a_stream_deadline_raises_deadline_exceeded_while_reading(serve, connect):
    def forever(stream):
        stream.read()
        yield b"first"
        time.sleep(5)
        yield b"never"

    server = serve(RpcServiceHandler("demo.Forever", [RpcMethodHandler.server_stream(forever, "forever")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Forever").server_stream("forever").with_options(timeout=0.5)(b"")
    assert stream.read() == b"first"
    with pytest.raises(RpcError) as caught:
        stream.read()
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def test_an_unknown_service_is_unimplemented(serve, connect):
    server = serve(_failing_service())
    with pytest.raises(RpcError) as caught:
        connect(f"tri://127.0.0.1:{server.port}/demo.Nobody").unary("unary")(b"")
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "demo.Nobody" in caught.value.message


@pytest.mark.parametrize("shape", ["unary", "client_stream", "server_stream", "bidi_stream"])
def test_an_unknown_method_is_unimplemented_in_every_mode(client, shape):
    call = getattr(client, shape)("noSuchMethod")
    with pytest.raises(RpcError) as caught:
        if shape == "unary":
            call(b"")
        elif shape == "client_stream":
            call([b""]).read()
        else:
            list(call([b""]) if shape == "bidi_stream" else call(b""))
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "noSuchMethod" in caught.value.message


def test_an_unreachable_server_is_unavailable():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/demo.X")) as client:
        with pytest.raises(RpcError) as caught:
            client.unary("m")(b"")
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE


def test_a_cancelled_stream_raises_cancelled(serve, connect):
    started = threading.Event()

    def endless(stream):
        stream.read()
        while True:
            started.set()
            yield b"tick"
            time.sleep(0.01)

    server = serve(RpcServiceHandler("demo.Endless", [RpcMethodHandler.server_stream(endless, "ticks")]))
    stream = connect(f"tri://127.0.0.1:{server.port}/demo.Endless").server_stream("ticks")(b"")
    assert stream.read() == b"tick"
    stream.cancel()
    with pytest.raises(RpcError) as caught:
        while stream.read() is not EOF:
            pass
    assert caught.value.code() is grpc.StatusCode.CANCELLED
