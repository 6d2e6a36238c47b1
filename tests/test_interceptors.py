"""Interceptors see the method, attachments, every message and the final status, in all four modes."""

import time

import grpc
import pytest

import dubbo
from dubbo import Interceptor, RpcError, RpcMethodHandler, RpcServiceHandler, server_context


class Recorder(Interceptor):
    def __init__(self):
        self.events = []

    def on_call(self, call):
        self.events.append(("call", call.side, call.kind, call.method))

    def on_request(self, call, message):
        self.events.append(("request", message))

    def on_response(self, call, message):
        self.events.append(("response", message))

    def on_end(self, call, code, message):
        self.events.append(("end", code, message))


def _service():
    def unary(request):
        if request == b"boom":
            raise ValueError("boom")
        return request.upper()

    def client_stream(requests):
        return b"+".join(requests)

    def server_stream(stream):
        yield from stream.read().split(b",")

    def bi_stream(stream):  # a writing handler: its writes pass the interceptors too
        for request in stream:
            stream.write(request * 2)
        stream.done_writing()

    def whoami(request):
        return server_context().attachments.get("user", "nobody").encode()

    return RpcServiceHandler(
        "demo.Icpt",
        [
            RpcMethodHandler.unary(unary, "unary"),
            RpcMethodHandler.client_stream(client_stream, "clientStream"),
            RpcMethodHandler.server_stream(server_stream, "serverStream"),
            RpcMethodHandler.bi_stream(bi_stream, "biStream"),
            RpcMethodHandler.unary(whoami, "whoami"),
        ],
    )


@pytest.fixture
def recorders(serve):
    server_side, client_side = Recorder(), Recorder()
    server = serve(_service(), interceptors=[server_side])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Icpt")
    client = dubbo.Client(reference, interceptors=[client_side])
    yield client, client_side, server_side
    client.close()


def _settled(recorder):
    """Server-side on_end may run just after the client returned: wait for it."""
    deadline = time.monotonic() + 5
    while not any(e[0] == "end" for e in recorder.events) and time.monotonic() < deadline:
        time.sleep(0.01)
    return recorder.events


def test_unary_calls_pass_both_sides_interceptors(recorders):
    client, client_side, server_side = recorders
    assert client.unary("unary")(b"hi") == b"HI"
    expected = [("request", b"hi"), ("response", b"HI"), ("end", grpc.StatusCode.OK, "")]
    assert client_side.events == [("call", "client", "unary", "/demo.Icpt/unary")] + expected
    assert _settled(server_side) == [("call", "server", "unary", "/demo.Icpt/unary")] + expected


def test_client_streams_show_every_request(recorders):
    client, client_side, server_side = recorders
    assert client.client_stream("clientStream")([b"a", b"b"]).read() == b"a+b"
    assert _settled(client_side)[1:] == [
        ("request", b"a"), ("request", b"b"), ("response", b"a+b"), ("end", grpc.StatusCode.OK, ""),
    ]
    assert _settled(server_side)[1:] == client_side.events[1:]


def test_server_streams_show_every_response(recorders):
    client, client_side, server_side = recorders
    assert list(client.server_stream("serverStream")(b"x,y")) == [b"x", b"y"]
    expected = [("request", b"x,y"), ("response", b"x"), ("response", b"y"), ("end", grpc.StatusCode.OK, "")]
    assert client_side.events[1:] == expected
    assert _settled(server_side)[1:] == expected


def test_bidi_streams_show_written_requests_and_responses(recorders):
    client, client_side, server_side = recorders
    stream = client.bidi_stream("biStream")()
    stream.write(b"p")
    assert stream.read(timeout=10) == b"pp"
    stream.done_writing()
    assert list(stream) == []
    assert client_side.events[1:] == [("request", b"p"), ("response", b"pp"), ("end", grpc.StatusCode.OK, "")]
    assert ("response", b"pp") in _settled(server_side)


def test_failures_reach_on_end_with_their_status(recorders):
    client, client_side, server_side = recorders
    with pytest.raises(RpcError):
        client.unary("unary")(b"boom")
    assert client_side.events[-1][:2] == ("end", grpc.StatusCode.UNKNOWN)
    assert "boom" in client_side.events[-1][2]
    assert _settled(server_side)[-1] == ("end", grpc.StatusCode.UNKNOWN, "ValueError: boom")


class AddUser(Interceptor):
    def on_call(self, call):
        call.attachments["user"] = "alice"


class RequireUser(Interceptor):
    def on_call(self, call):
        if call.attachments.get("user") != "alice":
            raise RpcError(grpc.StatusCode.UNAUTHENTICATED, "who are you?")


def test_a_client_interceptor_can_add_attachments_and_a_server_one_can_refuse(serve):
    server = serve(_service(), interceptors=[RequireUser()])
    reference = dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{server.port}/demo.Icpt")
    with dubbo.Client(reference) as anonymous, dubbo.Client(reference, interceptors=[AddUser()]) as alice:
        with pytest.raises(RpcError) as caught:
            anonymous.unary("whoami")(b"")
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert alice.unary("whoami")(b"") == b"alice"
        assert alice.unary("whoami").with_options(timeout=5)(b"") == b"alice"


def test_with_call_and_future_pass_the_interceptors_too(recorders):
    client, client_side, _ = recorders
    response, _result = client.unary("unary").with_call(b"w")
    assert response == b"W"
    assert client.unary("unary").future(b"f").result(timeout=10) == b"F"
    assert ("response", b"W") in client_side.events
    deadline = time.monotonic() + 5  # the future's outcome reaches on_end from grpcio's thread
    while ("response", b"F") not in client_side.events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("response", b"F") in client_side.events
