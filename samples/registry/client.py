"""Calls the Greeter providers found in ZooKeeper and shows how the calls were spread.

    python -m samples.registry.client [CALLS [LOADBALANCE]]
"""

import collections
import os
import sys

import dubbo
from dubbo.configs import ReferenceConfig, RegistryConfig
from samples.proto import greeter_pb2


class GreeterServiceStub:
    def __init__(self, client: dubbo.Client) -> None:
        self.say_hello = client.unary(
            method_name="sayHello",
            request_serializer=greeter_pb2.GreeterRequest.SerializeToString,
            response_deserializer=greeter_pb2.GreeterReply.FromString,
        )


if __name__ == "__main__":
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    loadbalance = sys.argv[2] if len(sys.argv) > 2 else None  # random (weighted) by default
    registry_config = RegistryConfig.from_url(os.environ.get("DUBBO_REGISTRY", "zookeeper://127.0.0.1:2181"))
    bootstrap = dubbo.Dubbo(registry_config=registry_config)

    # No host: the providers come from the registry.
    reference_config = ReferenceConfig(protocol="tri", service="org.apache.dubbo.samples.data.Greeter", loadbalance=loadbalance)
    with bootstrap.create_client(reference_config) as dubbo_client:
        stub = GreeterServiceStub(dubbo_client)
        print(stub.say_hello(greeter_pb2.GreeterRequest(name="world")).message)
        spread = collections.Counter(
            stub.say_hello(greeter_pb2.GreeterRequest(name="world")).message.rpartition(" from ")[2] for _ in range(calls)
        )
    print(f"{calls} calls, loadbalance={loadbalance or 'random'}:")
    for provider, count in sorted(spread.items()):
        print(f"  {provider:<12} {count:>5}  {'#' * (60 * count // calls)}")
