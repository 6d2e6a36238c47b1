"""A Greeter provider that registers itself in ZooKeeper (Apache's samples/registry/zookeeper).

    python -m samples.registry.server [NAME [WEIGHT]]

The registry is ``zookeeper://127.0.0.1:2181`` unless ``DUBBO_REGISTRY`` names another.
Each provider listens on a free port and answers with its name, so the client can show
which provider served each call.
"""

import os
import sys

import dubbo
from dubbo.configs import RegistryConfig, ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2

SERVICE = "org.apache.dubbo.samples.data.Greeter"


class GreeterServiceServicer:
    def __init__(self, name: str) -> None:
        self.name = name

    def say_hello(self, request):
        return greeter_pb2.GreeterReply(message=f"Hello, {request.name}! from {self.name}")


def build_server_handler(name: str) -> RpcServiceHandler:
    method_handler = RpcMethodHandler.unary(
        GreeterServiceServicer(name).say_hello,
        method_name="sayHello",
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=greeter_pb2.GreeterReply.SerializeToString,
    )
    return RpcServiceHandler(service_name=SERVICE, method_handlers=[method_handler])


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "provider"
    weight = sys.argv[2] if len(sys.argv) > 2 else "100"
    registry_config = RegistryConfig.from_url(os.environ.get("DUBBO_REGISTRY", "zookeeper://127.0.0.1:2181"))
    bootstrap = dubbo.Dubbo(registry_config=registry_config)

    # port=0: a free port, so several providers can run on one machine. warmup=0: full
    # weight at once (Dubbo otherwise ramps a new provider up over 10 minutes).
    service_config = ServiceConfig(build_server_handler(name), port=0, parameters={"weight": weight, "warmup": "0"})
    server = bootstrap.create_server(service_config).start()
    print(f"{name} (weight {weight}) registered, listening on port {server.port}", flush=True)

    try:
        input("Press Enter to stop the server...\n")
    except EOFError:
        pass
    server.stop(grace=1)  # unregisters first, then lets running calls finish
