"""Server stream: one request, iterate the responses."""

import dubbo
from dubbo.configs import ReferenceConfig
from samples.proto import greeter_pb2

if __name__ == "__main__":
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/org.apache.dubbo.samples.data.Greeter"))
    server_stream = client.server_stream(
        method_name="serverStream",
        request_serializer=greeter_pb2.GreeterRequest.SerializeToString,
        response_deserializer=greeter_pb2.GreeterReply.FromString,
    )
    for reply in server_stream(greeter_pb2.GreeterRequest(name="hello world from dubbo-python")):
        print(f"Received response: {reply.message}")
