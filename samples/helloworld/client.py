"""Calls samples.helloworld.server with a unary call."""

import dubbo
from dubbo.configs import ReferenceConfig

if __name__ == "__main__":
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/org.apache.dubbo.samples.HelloWorld"))
    say_hello = client.unary(method_name="unary")
    print(say_hello(b"Hello from client"))
