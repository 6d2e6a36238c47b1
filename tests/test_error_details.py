"""Rich error details, Triple's exception code, and requests the server cannot deserialize."""

from concurrent import futures

import grpc
import pytest
from google.protobuf import duration_pb2, wrappers_pb2

import dubbo
from dubbo import RpcError, RpcMethodHandler, RpcServiceHandler, server_context


def test_rich_error_details_reach_the_caller(serve, connect):
    def refuse(request):
        raise RpcError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "quota used up",
            status_details=[wrappers_pb2.StringValue(value="plan=free"), duration_pb2.Duration(seconds=30)],
        )

    server = serve(RpcServiceHandler("demo.Rich", [RpcMethodHandler.unary(refuse, "refuse")]))
    with pytest.raises(RpcError) as caught:
        connect(f"tri://127.0.0.1:{server.port}/demo.Rich").unary("refuse")(b"")
    error = caught.value
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error.message == "quota used up"
    text, retry = wrappers_pb2.StringValue(), duration_pb2.Duration()
    assert error.status_details[0].Unpack(text) and text.value == "plan=free"
    assert error.status_details[1].Unpack(retry) and retry.seconds == 30


def test_rich_details_are_google_rpc_status_on_the_wire(serve, greeter_pb2):
    """A plain grpcio client decodes them with grpcio-status."""
    from grpc_status import rpc_status

    def refuse(request):
        raise RpcError(grpc.StatusCode.NOT_FOUND, "gone", status_details=[wrappers_pb2.Int32Value(value=7)])

    server = serve(RpcServiceHandler("demo.Rich", [RpcMethodHandler.unary(refuse, "refuse")]))
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        with pytest.raises(grpc.RpcError) as caught:
            channel.unary_unary("/demo.Rich/refuse")(b"")
    status = rpc_status.from_call(caught.value)
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0] and status.message == "gone"
    assert len(status.details) == 1


def test_a_handler_can_abort_through_its_context(serve, connect):
    def deny(request):
        server_context().abort(grpc.StatusCode.PERMISSION_DENIED, "not yours")

    server = serve(RpcServiceHandler("demo.Deny", [RpcMethodHandler.unary(deny, "deny")]))
    with pytest.raises(RpcError) as caught:
        connect(f"tri://127.0.0.1:{server.port}/demo.Deny").unary("deny")(b"")
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.message == "not yours"


def test_the_triple_exception_code_is_surfaced_on_the_error():
    def fail(request, context):
        context.send_initial_metadata((("tri-exception-code", "3"),))
        context.abort(grpc.StatusCode.UNKNOWN, "java.lang.IllegalStateException: boom")

    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("demo.Java", {"m": grpc.unary_unary_rpc_method_handler(fail)})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with dubbo.Client(dubbo.ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/demo.Java")) as client:
            with pytest.raises(RpcError) as caught:
                client.unary("m")(b"")
    finally:
        server.stop(0)
    assert caught.value.exception_code == 3
    assert "IllegalStateException" in caught.value.message


@pytest.mark.parametrize("mode", ["unary", "client_stream", "server_stream", "bi_stream"])
def test_an_undecodable_request_gets_a_status_naming_the_method(serve, connect, greeter_pb2, mode):
    def handler(request_or_stream):
        if mode in ("unary",):
            return greeter_pb2.GreeterReply()
        if mode == "client_stream":
            list(request_or_stream)
            return greeter_pb2.GreeterReply()
        return iter(list(request_or_stream))

    method = getattr(RpcMethodHandler, mode)(
        handler, "strict", greeter_pb2.GreeterRequest.FromString, greeter_pb2.GreeterReply.SerializeToString
    )
    server = serve(RpcServiceHandler("demo.Strict", [method, RpcMethodHandler.unary(lambda b: b, "echo")]))
    client = connect(f"tri://127.0.0.1:{server.port}/demo.Strict")
    garbage = b"\xff\xff\xff"  # not a valid protobuf encoding
    factory = {"unary": client.unary, "client_stream": client.client_stream,
               "server_stream": client.server_stream, "bi_stream": client.bidi_stream}[mode]
    with pytest.raises(RpcError) as caught:
        if mode == "unary":
            factory("strict")(garbage)
        elif mode == "client_stream":
            factory("strict")([garbage]).read()
        elif mode == "server_stream":
            list(factory("strict")(garbage))
        else:
            list(factory("strict")([garbage]))
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert "/demo.Strict/strict" in caught.value.message
    assert "deserialize" in caught.value.message
    assert client.unary("echo")(b"still serving") == b"still serving"
