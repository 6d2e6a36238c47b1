"""Client stream: send a generator of requests, read the one response."""

import dubbo
from dubbo.configs import ReferenceConfig
from samples.proto import greeter_pb2

if __name__ == "__main__":
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/org.apache.dubbo.samples.data.Greeter"))
    client_stream = client.client_stream(
        method_name="clientStream",
        request_serializer=greeter_pb2.GreeterRequest.SerializeToString,
        response_deserializer=greeter_pb2.GreeterReply.FromString,
    )
    stream = client_stream(greeter_pb2.GreeterRequest(name=n) for n in ["hello", "world", "from", "dubbo-python"])
    print(f"Received response: {stream.read().message}")
