"""Apache Dubbo's Triple protocol with Dubbo's Python API, on grpcio.

    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/demo.Greeter"))
    say_hello = client.unary("sayHello", Request.SerializeToString, Reply.FromString)
    reply = say_hello(Request(name="world"))
"""

from ._bootstrap import Dubbo
from ._client.callables import CallResult, ResponseStream, SingleResponse
from ._client.client import Client
from ._core.config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig
from ._core.errors import RpcError
from ._core.interceptors import CallInfo, Interceptor
from ._core.stream import EOF
from ._core.tls import TlsConfig
from ._core.transport import Keepalive
from ._server.calls import ServerStream
from ._server.context import ServerContext, server_context
from ._server.handlers import RpcMethodHandler, RpcServiceHandler
from ._server.http.options import HttpOptions
from ._server.server import Server

__version__ = "0.1.0"

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
