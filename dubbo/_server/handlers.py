"""Server-side declarations: which function serves which method, in which streaming mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from .._core.calls import BIDI_STREAM, CLIENT_STREAM, SERVER_STREAM, UNARY, Deserializer, Serializer

__all__ = ["RpcMethodHandler", "RpcServiceHandler"]



@dataclass(frozen=True)
class RpcMethodHandler:
    """One method of a service: the function, its name, its mode and its (de)serializers.

    Handler shapes (Apache's): unary ``fn(request) -> response``; client stream
    ``fn(request_stream) -> response``; server stream ``fn(stream)`` where
    ``stream.read()`` is the request; bidi ``fn(stream)`` iterating requests. Streaming
    handlers yield responses, return an iterable, or call ``stream.write()`` and
    ``stream.done_writing()``. Generator functions are the fastest.

    A request deserializer with an ``adapt_handler(handler)`` method (wrapper mode's,
    ``dubbo.hessian2.request_deserializer``) adapts the handler to its calling convention
    once, here, so the servers run it as any other and IDL handlers pay nothing.
    """

    kind: str
    method: Callable[..., Any]
    method_name: str
    request_deserializer: Optional[Deserializer] = None
    response_serializer: Optional[Serializer] = None

    @classmethod
    def _make(cls, kind, method, method_name, request_deserializer, response_serializer):
        if not callable(method):
            raise TypeError(f"{kind} handler must be callable, got {method!r}")
        name = method_name or getattr(method, "__name__", None)
        if not name:
            raise ValueError("method_name is required for a handler without __name__")
        handler = cls(kind, method, name, request_deserializer, response_serializer)
        adapt = getattr(request_deserializer, "adapt_handler", None)
        return handler if adapt is None else adapt(handler)

    @classmethod
    def unary(
        cls,
        method: Callable[[Any], Any],
        method_name: Optional[str] = None,
        request_deserializer: Optional[Deserializer] = None,
        response_serializer: Optional[Serializer] = None,
    ) -> "RpcMethodHandler":
        """``fn(request) -> response``."""
        return cls._make(UNARY, method, method_name, request_deserializer, response_serializer)

    @classmethod
    def client_stream(
        cls,
        method: Callable[[Any], Any],
        method_name: Optional[str] = None,
        request_deserializer: Optional[Deserializer] = None,
        response_serializer: Optional[Serializer] = None,
    ) -> "RpcMethodHandler":
        """``fn(request_stream) -> response``."""
        return cls._make(CLIENT_STREAM, method, method_name, request_deserializer, response_serializer)

    @classmethod
    def server_stream(
        cls,
        method: Callable[[Any], Any],
        method_name: Optional[str] = None,
        request_deserializer: Optional[Deserializer] = None,
        response_serializer: Optional[Serializer] = None,
    ) -> "RpcMethodHandler":
        """``fn(stream)``: ``stream.read()`` is the request; yield or write the responses."""
        return cls._make(SERVER_STREAM, method, method_name, request_deserializer, response_serializer)

    @classmethod
    def bi_stream(
        cls,
        method: Callable[[Any], Any],
        method_name: Optional[str] = None,
        request_deserializer: Optional[Deserializer] = None,
        response_serializer: Optional[Serializer] = None,
    ) -> "RpcMethodHandler":
        """``fn(stream)``: iterate the requests; yield or write the responses."""
        return cls._make(BIDI_STREAM, method, method_name, request_deserializer, response_serializer)

    bidi_stream = bi_stream


class RpcServiceHandler:
    """A service: its name and its method handlers, given as a list or a name → handler dict."""

    def __init__(
        self,
        service_name: str,
        method_handlers: Union[Iterable[RpcMethodHandler], Dict[str, RpcMethodHandler]],
    ) -> None:
        if not service_name or not isinstance(service_name, str):
            raise ValueError("service_name must be a non-empty string")
        if isinstance(method_handlers, dict):
            pairs = list(method_handlers.items())
        else:
            pairs = [(h.method_name, h) for h in method_handlers]
        handlers: Dict[str, RpcMethodHandler] = {}
        for name, handler in pairs:
            if not isinstance(handler, RpcMethodHandler):
                raise TypeError(f"method {name!r}: expected an RpcMethodHandler, got {handler!r}")
            if name in handlers:
                raise ValueError(f"method {name!r} is declared twice in {service_name}")
            handlers[name] = handler
        self.service_name = service_name
        self.method_handlers: Dict[str, RpcMethodHandler] = handlers

    @property
    def method_names(self) -> List[str]:
        return sorted(self.method_handlers)

    def __repr__(self) -> str:
        return f"RpcServiceHandler({self.service_name!r}, methods={self.method_names})"
