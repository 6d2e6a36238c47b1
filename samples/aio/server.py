"""The Greeter under asyncio: ``async def`` handlers and async generators on ``dubbo.aio.Server``.

``python -m samples.aio.server [PORT]``; stops on Enter, Ctrl-C or SIGTERM, letting
running calls finish.
"""

import asyncio
import signal
import sys

from dubbo import aio
from dubbo.configs import ServiceConfig
from dubbo.proxy.handlers import RpcMethodHandler, RpcServiceHandler
from samples.proto import greeter_pb2

SERVICE = "org.apache.dubbo.samples.proto.Greeter"
Reply = greeter_pb2.GreeterReply


async def say_hello(request):
    return Reply(message=f"Hello, {request.name}!")


async def client_stream(requests):
    return Reply(message=" ".join([request.name async for request in requests]))


async def server_stream(stream):
    request = await stream.read()
    for word in request.name.split():
        await asyncio.sleep(0)  # e.g. awaiting the next token of a model
        yield Reply(message=word)


async def bi_stream(stream):
    async for request in stream:
        yield Reply(message=f"echo {request.name}")


def service_handler() -> RpcServiceHandler:
    codec = dict(
        request_deserializer=greeter_pb2.GreeterRequest.FromString,
        response_serializer=Reply.SerializeToString,
    )
    return RpcServiceHandler(
        SERVICE,
        [
            RpcMethodHandler.unary(say_hello, "sayHello", **codec),
            RpcMethodHandler.client_stream(client_stream, "clientStream", **codec),
            RpcMethodHandler.server_stream(server_stream, "serverStream", **codec),
            RpcMethodHandler.bi_stream(bi_stream, "biStream", **codec),
        ],
    )


async def main(port: int) -> None:
    server = await aio.Server(ServiceConfig(service_handler(), host="127.0.0.1", port=port)).start()
    print(f"Greeter (asyncio) serving on 127.0.0.1:{server.port}", flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    enter = loop.run_in_executor(None, sys.stdin.readline)
    await asyncio.wait([asyncio.ensure_future(stop.wait()), enter], return_when=asyncio.FIRST_COMPLETED)
    await server.stop(grace=2)
    print("Greeter stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50051))
