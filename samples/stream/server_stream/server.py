"""Server stream: ``stream.read()`` is the request; the handler yields the responses."""

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2


def server_stream(stream):
    request = stream.read()
    print(f"Received request: {request.name}")
    for word in request.name.split(" "):
        yield greeter_pb2.GreeterReply(message=word)


if __name__ == "__main__":
    handler = RpcMethodHandler.server_stream(
        server_stream,
        method_name="serverStream",
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=greeter_pb2.GreeterReply.SerializeToString,
    )
    service = RpcServiceHandler("org.apache.dubbo.samples.data.Greeter", [handler])
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=50051)).start()
    input("Press Enter to stop the server...\n")
    server.stop(grace=1)
