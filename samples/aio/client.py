"""Calling the Greeter from asyncio: ``python -m samples.aio.client [PORT]``.

The same factories as the sync client; calls are awaited and streams are read with
``async for`` or ``await stream.read(timeout)``.
"""

import asyncio
import sys

from dubbo import aio
from dubbo.configs import ReferenceConfig
from samples.proto import greeter_pb2

SERVICE = "org.apache.dubbo.samples.proto.Greeter"
Request, Reply = greeter_pb2.GreeterRequest, greeter_pb2.GreeterReply


async def main(port: int) -> None:
    reference = ReferenceConfig.from_url(f"tri://127.0.0.1:{port}/{SERVICE}?timeout=5000")
    async with aio.Client(reference) as client:
        say_hello = client.unary("sayHello", Request.SerializeToString, Reply.FromString)
        client_stream = client.client_stream("clientStream", Request.SerializeToString, Reply.FromString)
        server_stream = client.server_stream("serverStream", Request.SerializeToString, Reply.FromString)
        bi_stream = client.bi_stream("biStream", Request.SerializeToString, Reply.FromString)

        print("unary:        ", (await say_hello(Request(name="dubbo"))).message)

        async def names():  # request streams may be async generators (or any iterable)
            for name in ["streams", "of", "requests"]:
                yield Request(name=name)

        print("client stream:", (await client_stream(names())).message)

        async for reply in server_stream(Request(name="one two three")):
            print("server stream:", reply.message)

        # Ten unary calls at once on one channel.
        replies = await asyncio.gather(*(say_hello(Request(name=str(i))) for i in range(10)))
        print("concurrent:   ", len(replies), "replies")

        call = bi_stream()  # no requests given: the caller writes
        for name in ["ping", "pong"]:
            await call.write(Request(name=name))
            reply = await call.read(timeout=5)
            print("bidi stream:  ", reply.message if reply else reply)
        await call.done_writing()
        print("bidi stream:  ", await call.read(timeout=5))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051))
