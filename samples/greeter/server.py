"""The Greeter of protos/greeter.proto in all four streaming modes, on one server.

``python -m samples.greeter.server [PORT]``; stops on Enter, Ctrl-C or SIGTERM.
"""

import signal
import sys
import threading

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2

SERVICE = "org.apache.dubbo.samples.proto.Greeter"
Reply = greeter_pb2.GreeterReply


def say_hello(request):
    return Reply(message=f"Hello, {request.name}!")


def client_stream(requests):
    return Reply(message=" ".join(request.name for request in requests))


def server_stream(stream):
    for word in stream.read().name.split():
        yield Reply(message=word)


def bi_stream(stream):
    for request in stream:
        yield Reply(message=f"echo {request.name}")


def service_handler() -> RpcServiceHandler:
    codec = dict(
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=Reply.SerializeToString,
    )
    return RpcServiceHandler(
        SERVICE,
        [
            RpcMethodHandler.unary(say_hello, "sayHello", **codec),
            RpcMethodHandler.client_stream(client_stream, "clientStream", **codec),
            RpcMethodHandler.server_stream(server_stream, "serverStream", **codec),
            RpcMethodHandler.bi_stream(bi_stream, "biStream", **codec),
        ],
    )


def main(port: int) -> None:
    server = dubbo.Server(ServiceConfig(service_handler(), host="127.0.0.1", port=port)).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    print(f"Greeter serving on 127.0.0.1:{server.port}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop(grace=2)
    print("Greeter stopped", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051)
