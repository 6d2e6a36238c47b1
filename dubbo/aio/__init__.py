"""Dubbo's Python API native to asyncio, on grpc.aio: switch by import.

    from dubbo import aio as dubbo
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/demo.Greeter"))
    reply = await client.unary("sayHello", Request.SerializeToString, Reply.FromString)(request)
    async for reply in client.server_stream("sayHellos", ...)(request): ...

Configs, handlers, ``EOF`` and ``RpcError`` are the sync API's own objects; the same
``RpcServiceHandler`` (async or sync handlers) serves on ``dubbo.Server`` and here.
"""

from .._config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig
from .._errors import RpcError
from .._handlers import RpcMethodHandler, RpcServiceHandler
from .._stream import EOF
from ._bootstrap import Dubbo
from ._callables import ResponseStream, SingleResponse
from ._client import Client
from ._server import Server
from ._stream import AsyncServerStream as ServerStream

__all__ = [
    "ApplicationConfig",
    "Client",
    "Dubbo",
    "EOF",
    "ReferenceConfig",
    "RegistryConfig",
    "ResponseStream",
    "RpcError",
    "RpcMethodHandler",
    "RpcServiceHandler",
    "Server",
    "ServerStream",
    "ServiceConfig",
    "SingleResponse",
]
