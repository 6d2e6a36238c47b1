"""The streaming example of Dubbo's documentation (streaming-calls.md), server side.

Everything below the imports is exactly as written there; the document leaves the
imports out. Run `make protos` first, then `python samples/streaming/server.py`.
"""

import chat_pb2

import dubbo
from dubbo import RpcMethodHandler, RpcServiceHandler, ServiceConfig

def chat(request_stream):
    for request in request_stream:
        print(f"Received message from {request.user}: {request.message}")
        yield chat_pb2.ChatMessage(user=request.message, message=request.user)


if __name__ == "__main__":
    # build a method handler
    method_handler = RpcMethodHandler.bi_stream(
        chat,
        request_deserializer=chat_pb2.ChatMessage.FromString,
        response_serializer=chat_pb2.ChatMessage.SerializeToString,
    )
    # build a service handler
    service_handler = RpcServiceHandler(
        service_name="org.apache.dubbo.samples.stream",
        method_handlers={"chat": method_handler},
    )

    service_config = ServiceConfig(service_handler)

    # start the server
    server = dubbo.Server(service_config).start()

    input("Press Enter to stop the server...\n")

