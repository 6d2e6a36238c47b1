"""Apache dubbo-python's import path for the handler declarations."""

from .._server.handlers import RpcMethodHandler, RpcServiceHandler

__all__ = ["RpcMethodHandler", "RpcServiceHandler"]
