"""Bidi stream: the handler reads each request and writes its answer straight away."""

import time

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2


def bi_stream(stream):
    for counter, request in enumerate(stream):
        print(f"Received request: {request.name}")
        if counter == 1:
            time.sleep(1)  # a slow answer, so the client's read(timeout) sees nothing for a while
        stream.write(greeter_pb2.GreeterReply(message=f"Hello, {request.name}!"))
    stream.done_writing()


if __name__ == "__main__":
    handler = RpcMethodHandler.bi_stream(
        bi_stream,
        method_name="biStream",
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=greeter_pb2.GreeterReply.SerializeToString,
    )
    service = RpcServiceHandler("org.apache.dubbo.samples.data.Greeter", [handler])
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=50051)).start()
    input("Press Enter to stop the server...\n")
    server.stop(grace=1)
