"""Bidi stream driven by the caller: write, read, write more, done_writing, read to EOF."""

import dubbo
from dubbo.classes import EOF
from dubbo.configs import ReferenceConfig
from samples.proto import greeter_pb2

if __name__ == "__main__":
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/org.apache.dubbo.samples.data.Greeter"))
    bi_stream = client.bi_stream(
        method_name="biStream",
        request_serializer=greeter_pb2.GreeterRequest.SerializeToString,
        response_deserializer=greeter_pb2.GreeterReply.FromString,
    )
    stream = bi_stream()
    stream.write(greeter_pb2.GreeterRequest(name="jock"))
    print(f"Received response: {stream.read().message}")
    for name in ["jane", "alice", "dave"]:
        stream.write(greeter_pb2.GreeterRequest(name=name))
    stream.done_writing()
    while True:
        reply = stream.read(timeout=0.5)  # None: nothing within 0.5 s; EOF: the server is done
        if reply is EOF:
            break
        if reply is None:
            print("No message received")
            continue
        print(f"Received response: {reply.message}")
