"""Client stream: the handler reads every request, then answers once."""

import dubbo
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2


def client_stream(request_stream):
    names = [request.name for request in request_stream]
    print(f"Received requests: {names}")
    return greeter_pb2.GreeterReply(message=" ".join(names))


if __name__ == "__main__":
    handler = RpcMethodHandler.client_stream(
        client_stream,
        method_name="clientStream",
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=greeter_pb2.GreeterReply.SerializeToString,
    )
    service = RpcServiceHandler("org.apache.dubbo.samples.data.Greeter", [handler])
    server = dubbo.Server(ServiceConfig(service, host="127.0.0.1", port=50051)).start()
    input("Press Enter to stop the server...\n")
    server.stop(grace=1)
