"""Unary, bytes in and bytes out: the smallest Dubbo service. Run from the repository root:
``python -m samples.helloworld.server``, then ``python -m samples.helloworld.client``."""

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler


def say_hello(message: bytes) -> bytes:
    print(f"Received message from client: {message!r}")
    return b"Hello from server"


if __name__ == "__main__":
    service_handler = RpcServiceHandler(
        service_name="org.apache.dubbo.samples.HelloWorld",
        method_handlers=[RpcMethodHandler.unary(say_hello, method_name="unary")],
    )
    server = dubbo.Server(ServiceConfig(service_handler, host="127.0.0.1", port=50051)).start()
    input("Press Enter to stop the server...\n")
    server.stop(grace=1)
