"""Apache Dubbo's Triple protocol with Dubbo's Python API, on grpcio.

    client = dubbo.Client(ReferenceConfig.from_url("tri://127.0.0.1:50051/demo.Greeter"))
    say_hello = client.unary("sayHello", Request.SerializeToString, Reply.FromString)
    reply = say_hello(Request(name="world"))
"""

from ._bootstrap import Dubbo
from ._callables import CallResult, ResponseStream, SingleResponse
from ._client import Client
from ._context import ServerContext, server_context
from ._config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig
from ._errors import RpcError
from ._handlers import RpcMethodHandler, RpcServiceHandler
from ._interceptors import CallInfo, Interceptor
from ._server import Server
from ._server_calls import ServerStream
from ._stream import EOF
from ._tls import TlsConfig
from ._transport import Keepalive

__version__ = "0.1.0"

__all__ = [
    "ApplicationConfig",
    "CallInfo",
    "CallResult",
    "Client",
    "Dubbo",
    "EOF",
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
