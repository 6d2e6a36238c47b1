"""Dubbo's Python API native to asyncio, on grpc.aio: switch by import.

    from dubbo import aio as dubbo
    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/demo.Greeter"))
    reply = await client.unary("sayHello", Request.SerializeToString, Reply.FromString)(request)
    async for reply in client.server_stream("sayHellos", ...)(request): ...

Every name of ``dubbo`` is here. Configs, handlers, ``EOF``, ``RpcError``,
``server_context()`` and interceptors are the sync API's own objects; ``Client``,
``Server``, ``Dubbo`` and the call results are the asyncio ones. The same
``RpcServiceHandler`` (async or sync handlers) serves on ``dubbo.Server`` and here.
"""

from .._client.callables import CallResult
from .._core.async_stream import AsyncServerStream as ServerStream
from .._core.config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig
from .._core.errors import RpcError
from .._core.interceptors import CallInfo, Interceptor
from .._core.stream import EOF
from .._core.tls import TlsConfig
from .._core.transport import Keepalive
from .._server.context import ServerContext, server_context
from .._server.handlers import RpcMethodHandler, RpcServiceHandler
from .._server.http.options import HttpOptions
from ._bootstrap import Dubbo
from ._callables import ResponseStream, SingleResponse
from ._client import Client
from ._server import Server

__all__ = [
    "ApplicationConfig",
    "CallInfo",
    "CallResult",
    "Client",
    "Dubbo",
    "EOF",
    "HttpOptions",
    "Interceptor",
    "Keepalive",
    "ReferenceConfig",
    "RegistryConfig",
    "ResponseStream",
    "RpcError",
    "RpcMethodHandler",
    "RpcServiceHandler",
    "Server",
    "ServerContext",
    "ServerStream",
    "ServiceConfig",
    "SingleResponse",
    "TlsConfig",
    "server_context",
]
