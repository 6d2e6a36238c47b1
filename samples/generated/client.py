"""Calls the Greeter through the generated ``GreeterStub``: ``python -m samples.generated.client [PORT]``."""

import sys

import dubbo
from dubbo.configs import ReferenceConfig
from samples.generated.greeter_dubbo import GreeterStub
from samples.generated.greeter_pb2 import GreeterRequest


def main(port: int) -> None:
    url = f"tri://127.0.0.1:{port}/{GreeterStub.service_name}?timeout=5000"
    with dubbo.Client(ReferenceConfig.from_url(url)) as client:
        stub = GreeterStub(client)

        print("unary:        ", stub.say_hello(GreeterRequest(name="dubbo")).message)

        names = (GreeterRequest(name=n) for n in ["streams", "of", "requests"])
        print("client stream:", stub.client_stream(names).result().message)

        print("server stream:", [r.message for r in stub.server_stream(GreeterRequest(name="one two three"))])

        call = stub.bi_stream()
        for name in ["ping", "pong"]:
            call.write(GreeterRequest(name=name))
            reply = call.read(timeout=5)
            print("bidi stream:  ", reply.message if reply else reply)
        call.done_writing()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051)
