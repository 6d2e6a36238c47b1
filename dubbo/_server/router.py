"""Finding the handler for a call: Triple's routing on path, group and version.

Java's order (``TriplePathResolver``): the exact ``group/path:version`` from the
request headers, then ``group/path:1.0.0``, then the bare path, which names the first
service exported under it. Method names also match with their first letter
lower-cased (``/Svc/SayHello`` reaches ``sayHello``). ``strict`` turns the fallbacks
off, so a missing or unknown version or group is UNIMPLEMENTED.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import grpc

from .._core.config import ServiceConfig
from .._core.interceptors import Interceptor
from .._core.transport import compression_of, with_compression
from .._core.triple import DEFAULT_VERSION, SERVICE_GROUP, SERVICE_VERSION
from .auth import with_token
from .calls import grpc_method_handler
from .handlers import RpcMethodHandler
from .intercepted import intercept_handler

__all__ = ["Router"]

Methods = Dict[str, grpc.RpcMethodHandler]
Build = Callable[[str, RpcMethodHandler], grpc.RpcMethodHandler]


def service_key(path: str, group: Optional[str], version: Optional[str]) -> str:
    """Dubbo's service key, ``group/path:version`` with empty parts left out."""
    key = f"{group}/{path}" if group else path
    return f"{key}:{version}" if version else key


def _methods(config: ServiceConfig, build: Build, interceptors: Sequence[Interceptor]) -> Methods:
    service = config.service_handler
    methods: Methods = {}
    compression = compression_of(config.compression)
    handlers = {**service.method_handlers, **_added_methods(service.service_name, service.method_handlers)}
    for name, handler in handlers.items():
        handler = intercept_handler(service.service_name, handler, interceptors)
        built = with_compression(build(service.service_name, handler), compression)
        methods[name] = with_token(built, config.token, f"/{service.service_name}/{name}")
    # Java also finds ``sayHello`` when called as ``SayHello``.
    for name in list(methods):
        alias = name[:1].upper() + name[1:]
        methods.setdefault(alias, methods[name])
    return methods


def _added_methods(service: str, handlers: Mapping[str, RpcMethodHandler]) -> Dict[str, RpcMethodHandler]:
    """Methods the service answers besides its own, as its handlers' request deserializers offer them
    (``service_methods``: wrapper mode's adds Java's generic ``$invoke``); a method it declares stays its own."""
    for handler in handlers.values():
        offer = getattr(handler.request_deserializer, "service_methods", None)
        if offer is not None:  # each such deserializer offers the same methods, made from all the handlers
            return {name: added for name, added in offer(service, handlers).items() if name not in handlers}
    return {}


def _unimplemented(message: str) -> grpc.RpcMethodHandler:
    def abort(requests, context: grpc.ServicerContext) -> None:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

    return grpc.stream_stream_rpc_method_handler(abort)


class Router(grpc.GenericRpcHandler):
    """One grpcio generic handler that serves every exported (service, group, version)."""

    def __init__(
        self,
        configs: Iterable[ServiceConfig],
        strict: bool = False,
        build: Build = grpc_method_handler,
        unimplemented: Callable[[str], grpc.RpcMethodHandler] = _unimplemented,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        # ``build`` and ``unimplemented`` make grpcio handlers: sync ones here, grpc.aio's in dubbo.aio.
        self._unimplemented = unimplemented
        self._by_key: Dict[str, Methods] = {}
        first_by_path: Dict[str, Methods] = {}
        exports_per_path: Dict[str, int] = {}
        for config in configs:
            path = config.service_handler.service_name
            key = service_key(path, config.group, config.version)
            if key in self._by_key:
                raise ValueError(f"service {key} is exported twice")
            methods = _methods(config, build, interceptors)
            self._by_key[key] = methods
            first_by_path.setdefault(path, methods)
            exports_per_path[path] = exports_per_path.get(path, 0) + 1
        self._strict = strict
        self._first_by_path = first_by_path
        # A path exported once, with fallback on, needs no header lookup at all.
        self._only: Dict[str, Methods] = (
            {}
            if strict
            else {path: first_by_path[path] for path, count in exports_per_path.items() if count == 1}
        )

    @property
    def service_keys(self) -> Tuple[str, ...]:
        return tuple(self._by_key)

    def service(self, details: grpc.HandlerCallDetails) -> Optional[grpc.RpcMethodHandler]:
        full = details.method
        cut = full.rfind("/")
        if cut <= 0:
            return self._unimplemented(f"malformed path {full!r}: expected /service/method")
        path = full[1:cut]
        methods = self._only.get(path)
        if methods is None:
            methods = self._resolve(path, details.invocation_metadata)
            if methods is None:
                return self._unimplemented(f"Service not found: {path}")
        handler = methods.get(full[cut + 1 :])
        if handler is None:
            return self._unimplemented(f"Method not found: {full[cut + 1:]} in service {path}")
        return handler

    def _resolve(self, path: str, metadata) -> Optional[Methods]:
        group = version = None
        for key, value in metadata or ():
            if key == SERVICE_VERSION:
                version = value
            elif key == SERVICE_GROUP:
                group = value
        methods = self._by_key.get(service_key(path, group, version))
        if methods is not None or self._strict:
            return methods
        return self._by_key.get(service_key(path, group, DEFAULT_VERSION)) or self._first_by_path.get(path)
