"""Calls the Greeter in all four streaming modes: ``python -m samples.greeter.client [PORT]``."""

import sys

import dubbo
from dubbo.classes import EOF
from dubbo.configs import ReferenceConfig
from samples.proto import greeter_pb2

Request = greeter_pb2.GreeterRequest


class GreeterStub:
    def __init__(self, client: dubbo.Client):
        codec = dict(
            request_serializer=Request.SerializeToString,
            response_deserializer=greeter_pb2.GreeterReply.FromString,
        )
        self.say_hello = client.unary("sayHello", **codec)
        self.client_stream = client.client_stream("clientStream", **codec)
        self.server_stream = client.server_stream("serverStream", **codec)
        self.bi_stream = client.bi_stream("biStream", **codec)


def main(port: int) -> None:
    url = f"tri://127.0.0.1:{port}/org.apache.dubbo.samples.proto.Greeter?timeout=5000"
    with dubbo.Client(ReferenceConfig.from_url(url)) as client:
        stub = GreeterStub(client)

        print("unary:        ", stub.say_hello(Request(name="dubbo")).message)

        names = (Request(name=n) for n in ["streams", "of", "requests"])
        print("client stream:", stub.client_stream(names).read().message)

        words = [reply.message for reply in stub.server_stream(Request(name="one two three"))]
        print("server stream:", words)

        stream = stub.bi_stream()
        for name in ["ping", "pong"]:
            stream.write(Request(name=name))
            print("bidi stream:  ", stream.read(timeout=5).message)
        stream.done_writing()
        print("bidi stream:  ", "EOF" if stream.read(timeout=5) is EOF else "more?")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051)
