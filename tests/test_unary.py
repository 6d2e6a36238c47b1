"""Unary calls: one request, one response."""

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler

from conftest import GreeterStub, greeter_service


def test_unary_returns_the_handlers_response(serve, connect, greeter_pb2):
    server = serve(greeter_service(greeter_pb2))
    client = connect(f"tri://127.0.0.1:{server.port}/org.apache.dubbo.samples.proto.Greeter")
    reply = GreeterStub(client, greeter_pb2).say_hello(greeter_pb2.GreeterRequest(name="dubbo"))
    assert reply.message == "hello dubbo"


def test_without_serializers_bytes_pass_through(serve, connect):
    service = RpcServiceHandler("demo.Bytes", [RpcMethodHandler.unary(lambda b: b[::-1], "reverse")])
    server = serve(service)
    reverse = connect(f"tri://127.0.0.1:{server.port}/demo.Bytes").unary("reverse")
    assert reverse(b"abc") == b"cba"


def test_a_serializer_may_take_several_arguments(serve, connect):
    import json

    def person(name, age):
        return json.dumps({"name": name, "age": age}).encode()

    def greet(request):
        return f"{request['name']} is {request['age']}"

    service = RpcServiceHandler(
        "demo.Json", [RpcMethodHandler.unary(greet, "greet", json.loads, str.encode)]
    )
    server = serve(service)
    call = connect(f"tri://127.0.0.1:{server.port}/demo.Json").unary("greet", person, bytes.decode)
    assert call("dubbo", 18) == "dubbo is 18"
    assert call(name="py", age=3) == "py is 3"


def test_method_handlers_may_be_a_dict_whose_keys_name_the_methods(serve, connect):
    def anything(request):
        return b"ok:" + request

    service = RpcServiceHandler("demo.Dict", method_handlers={"ping": RpcMethodHandler.unary(anything)})
    server = serve(service)
    assert connect(f"tri://127.0.0.1:{server.port}/demo.Dict").unary("ping")(b"x") == b"ok:x"


def test_a_java_style_capitalised_method_name_reaches_the_lower_case_handler(serve, connect):
    service = RpcServiceHandler("demo.Case", [RpcMethodHandler.unary(lambda b: b"low", "sayHello")])
    server = serve(service)
    assert connect(f"tri://127.0.0.1:{server.port}/demo.Case").unary("SayHello")(b"") == b"low"


def test_one_client_serves_many_calls_from_many_threads(serve, connect, greeter_pb2):
    from concurrent.futures import ThreadPoolExecutor

    server = serve(greeter_service(greeter_pb2))
    stub = GreeterStub(connect(f"tri://127.0.0.1:{server.port}/org.apache.dubbo.samples.proto.Greeter"), greeter_pb2)
    names = [f"n{i}" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda n: stub.say_hello(greeter_pb2.GreeterRequest(name=n)).message, names))
    assert replies == [f"hello {n}" for n in names]


def test_server_start_returns_the_running_server(greeter_pb2):
    server = dubbo.Server(dubbo.ServiceConfig(greeter_service(greeter_pb2), host="127.0.0.1", port=0))
    try:
        assert server.start() is server
    finally:
        server.stop(0)
