"""The Greeter served from generated code: ``greeter_dubbo.GreeterServicer`` with its methods filled in.

``make protos`` (or ``python -m dubbo.codegen -Isamples/generated=protos --dubbo_out=. protos/greeter.proto``)
generates ``greeter_pb2.py`` and ``greeter_dubbo.py`` here. Run ``python -m samples.generated.server [PORT]``;
it stops on Ctrl-C or SIGTERM.
"""

import sys
from typing import Iterator

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.typing import HandlerStream, RequestStream
from samples.generated.greeter_dubbo import GreeterServicer, greeter_handler
from samples.generated.greeter_pb2 import GreeterReply, GreeterRequest


class Greeter(GreeterServicer):
    def sayHello(self, request: GreeterRequest) -> GreeterReply:
        return GreeterReply(message=f"Hello, {request.name}!")

    def clientStream(self, requests: RequestStream[GreeterRequest]) -> GreeterReply:
        return GreeterReply(message=" ".join(request.name for request in requests))

    def serverStream(self, stream: HandlerStream[GreeterRequest, GreeterReply]) -> Iterator[GreeterReply]:
        for word in stream.read().name.split():
            yield GreeterReply(message=word)

    def biStream(self, stream: HandlerStream[GreeterRequest, GreeterReply]) -> Iterator[GreeterReply]:
        for request in stream:
            yield GreeterReply(message=f"echo {request.name}")


def main(port: int) -> None:
    server = dubbo.Server(ServiceConfig(greeter_handler(Greeter()), host="127.0.0.1", port=port))
    print(f"Greeter (generated) serving on 127.0.0.1:{server.port}", flush=True)
    server.run_until_signal(grace=2)
    print("Greeter stopped", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051)
