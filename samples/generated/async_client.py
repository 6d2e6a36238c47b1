"""The same calls under asyncio, through ``GreeterAsyncStub``: ``python -m samples.generated.async_client [PORT]``."""

import asyncio
import sys

from dubbo import aio
from dubbo.configs import ReferenceConfig
from samples.generated.greeter_dubbo import GreeterAsyncStub
from samples.generated.greeter_pb2 import GreeterRequest


async def main(port: int) -> None:
    url = f"tri://127.0.0.1:{port}/{GreeterAsyncStub.service_name}?timeout=5000"
    async with aio.Client(ReferenceConfig.from_url(url)) as client:
        stub = GreeterAsyncStub(client)

        print("unary:        ", (await stub.say_hello(GreeterRequest(name="dubbo"))).message)

        names = [GreeterRequest(name=n) for n in ["streams", "of", "requests"]]
        print("client stream:", (await stub.client_stream(names)).message)

        print("server stream:", [r.message async for r in stub.server_stream(GreeterRequest(name="one two three"))])

        call = stub.bi_stream()
        for name in ["ping", "pong"]:
            await call.write(GreeterRequest(name=name))
            reply = await call.read(timeout=5)
            print("bidi stream:  ", reply.message if reply else reply)
        await call.done_writing()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051))
