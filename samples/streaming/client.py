"""The streaming example of Dubbo's documentation (streaming-calls.md), client side.

Everything below the imports is exactly as written there; the document leaves the
imports out. Run `make protos` first, then `python samples/streaming/client.py`.
"""

import uuid

import chat_pb2

import dubbo
from dubbo import ReferenceConfig

class ChatServiceStub:

    def __init__(self, client: dubbo.Client):
        self.chat = client.bidi_stream(
            method_name="chat",
            request_serializer=chat_pb2.ChatMessage.SerializeToString,
            response_deserializer=chat_pb2.ChatMessage.FromString,
        )

    def chat(self, values):
        return self.chat(values)


if __name__ == "__main__":
    reference_config = ReferenceConfig.from_url(
        "tri://127.0.0.1:50051/org.apache.dubbo.samples.stream"
    )
    dubbo_client = dubbo.Client(reference_config)

    chat_service_stub = ChatServiceStub(dubbo_client)

    # Iterator of request
    def request_generator():
        for item in ["hello", "world", "from", "dubbo-python"]:
            yield chat_pb2.ChatMessage(user=item, message=str(uuid.uuid4()))

    result = chat_service_stub.chat(request_generator())

    for i in result:
        print(f"Received response: user={i.user}, message={i.message}")
