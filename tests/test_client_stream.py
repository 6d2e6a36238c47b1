"""Client-streaming calls: many requests, one response read with ``read()``."""

import pytest

from dubbo import EOF

from conftest import GreeterStub, greeter_service

SERVICE = "org.apache.dubbo.samples.proto.Greeter"


@pytest.fixture
def stub(serve, connect, greeter_pb2):
    server = serve(greeter_service(greeter_pb2))
    return GreeterStub(connect(f"tri://127.0.0.1:{server.port}/{SERVICE}"), greeter_pb2)


@pytest.mark.parametrize("kind", ["generator", "list", "tuple"])
def test_any_iterable_is_a_request_stream(stub, greeter_pb2, kind):
    made = [greeter_pb2.GreeterRequest(name=n) for n in ["a", "b", "c"]]
    requests = {"generator": (r for r in made), "list": made, "tuple": tuple(made)}[kind]
    assert stub.client_stream(requests).read().message == "a,b,c"


def test_read_returns_the_response_then_eof(stub, greeter_pb2):
    stream = stub.client_stream([greeter_pb2.GreeterRequest(name="x")])
    assert stream.read().message == "x"
    assert stream.read() is EOF
    assert not EOF


def test_caller_can_write_then_done_writing_then_read(stub, greeter_pb2):
    stream = stub.client_stream()
    stream.write(greeter_pb2.GreeterRequest(name="one"))
    stream.write(greeter_pb2.GreeterRequest(name="two"))
    stream.done_writing()
    assert stream.read().message == "one,two"


def test_read_with_timeout_returns_none_while_the_response_is_pending(stub, greeter_pb2):
    stream = stub.client_stream()
    stream.write(greeter_pb2.GreeterRequest(name="late"))
    assert stream.read(timeout=0.2) is None  # the server waits for the end of the requests
    stream.done_writing()
    assert stream.read(timeout=10).message == "late"
    assert stream.read() is EOF


def test_an_empty_list_sends_no_requests(stub):
    assert stub.client_stream([]).read().message == ""


def test_write_after_done_writing_is_an_error(stub, greeter_pb2):
    stream = stub.client_stream()
    stream.done_writing()
    with pytest.raises(ValueError, match="done_writing"):
        stream.write(greeter_pb2.GreeterRequest(name="x"))
    stream.read()


def test_write_is_refused_when_requests_were_given_as_an_iterable(stub, greeter_pb2):
    stream = stub.client_stream([greeter_pb2.GreeterRequest(name="x")])
    with pytest.raises(TypeError, match="without a request iterable"):
        stream.write(greeter_pb2.GreeterRequest(name="y"))
    assert stream.read().message == "x"
