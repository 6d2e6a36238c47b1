"""Calling a service through the registry: a channel-shaped object whose multicallables pick
a provider per call (load balancing) and handle failures (the cluster mode).

``dubbo.Client`` uses it in place of a grpc channel when its reference has no host, so the
four call shapes in ``_callables`` serve direct and discovered services alike.

Cluster modes (``ReferenceConfig.cluster``), for unary calls: ``failover`` (default) tries
up to ``retries + 1`` providers (``retries`` defaults to 2), moving on only when a call
failed with UNAVAILABLE (it never reached a handler, or the provider is going away), never
after a handler's error; ``failfast`` makes one attempt; ``failsafe`` makes one and returns
``None`` on failure; ``forking`` calls ``forks`` (2) providers at once and takes the first
success. Streaming calls pick one provider per call and are never retried.

Per method, ``ReferenceConfig.parameters`` accepts Java's method keys:
``{"sayHello.loadbalance": "roundrobin", "sayHello.retries": "0"}``. A unary call's
deadline follows Java's precedence: the consumer's timeout, else the provider URL's
``timeout`` (``method.timeout`` first), else 3000 ms.
"""

from __future__ import annotations

import logging
import queue
from typing import Any, Dict, Optional, Sequence

import grpc

from .._core.config import DEFAULT_UNARY_TIMEOUT_MS, ReferenceConfig, RegistryConfig
from .._core.errors import RpcError
from .._core.triple import SERVICE_GROUP, SERVICE_VERSION
from .directory import Directory, Invoker
from .loadbalance import load_balance
from .url import consumer_url, local_host
from .zookeeper import CONSUMERS, acquire_registry

__all__ = ["ClusterChannel", "CLUSTER_MODES"]

log = logging.getLogger("dubbo.cluster")

CLUSTER_MODES = ("failover", "failfast", "failsafe", "forking")
DEFAULT_RETRIES = 2
DEFAULT_FORKS = 2
RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)
_PROVIDER_HEADERS = (SERVICE_VERSION, SERVICE_GROUP)
_DEFAULT_TIMEOUT = DEFAULT_UNARY_TIMEOUT_MS / 1000.0


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


class ClusterChannel:
    """Looks like a ``grpc.Channel`` to ``Client``; every multicallable it makes balances over the
    providers the registry currently lists for the reference."""

    def __init__(self, reference: ReferenceConfig, registry_config: RegistryConfig, application: Optional[str]) -> None:
        self.reference = reference
        self.mode = (reference.cluster or "failover").lower()
        if self.mode not in CLUSTER_MODES:
            raise ValueError(f"unknown cluster {reference.cluster!r}; choose one of {', '.join(CLUSTER_MODES)}")
        self._params = reference.parameters
        self._default_retries = max(_int(reference.retries, "retries", DEFAULT_RETRIES), 0)
        self._default_balance = reference.loadbalance or registry_config.load_balance or "random"
        self.forks = _int(self._params.get("forks"), "forks", DEFAULT_FORKS)
        self._balancers: Dict[str, Any] = {}
        load_balance(self._default_balance)  # reject an unknown name now, not at the first call
        # With group/version patterns ("*", "a,b") each call names the chosen provider's own.
        # With no timeout of the consumer's own, a provider's ``timeout`` replaces the 3000 ms default.
        self.provider_timeout = reference.timeout is None
        self.provider_headers = any(v and ("*" in v or "," in v) for v in (reference.version, reference.group))
        self._unavailable = (
            f"no provider of {reference.service} (version={reference.version or ''}, group={reference.group or ''}, "
            f"protocol={reference.protocol}) in the registry {','.join(registry_config.addresses)}"
        )
        consumer = consumer_url(
            local_host(),
            reference.service,
            application or "dubbo-python",
            protocol=reference.protocol,
            version=reference.version,
            group=reference.group,
        )
        self._registry = acquire_registry(registry_config)
        try:
            self._consumer_path = self._registry.register(consumer, CONSUMERS)
            self.directory = Directory(self._registry, consumer, reference)
        except BaseException:
            self._registry.release()
            raise

    # -- per method settings ------------------------------------------------------------

    def balancer(self, method: str) -> Any:
        name = (self._params.get(f"{method}.loadbalance") or self._default_balance).lower()
        balancer = self._balancers.get(name)
        if balancer is None:
            balancer = self._balancers.setdefault(name, load_balance(name))
        return balancer

    def retries(self, method: str) -> int:
        return max(_int(self._params.get(f"{method}.retries"), f"{method}.retries", self._default_retries), 0)

    def no_provider(self) -> RpcError:
        return RpcError(grpc.StatusCode.UNAVAILABLE, self._unavailable)

    # -- the grpc.Channel surface Client uses -------------------------------------------

    def unary_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Unary":
        return _Unary(self, "unary_unary", path, request_serializer, response_deserializer)

    def unary_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Stream":
        return _Stream(self, "unary_stream", path, request_serializer, response_deserializer)

    def stream_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_StreamUnary":
        return _StreamUnary(self, "stream_unary", path, request_serializer, response_deserializer)

    def stream_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Stream":
        return _Stream(self, "stream_stream", path, request_serializer, response_deserializer)

    def close(self) -> None:
        """Stop watching, unregister the consumer, and let go of channels and the registry."""
        registry, self._registry = self._registry, None
        if registry is None:
            return
        self.directory.close()
        registry.unregister(self._consumer_path)
        registry.release()


def request_key(request: Any) -> bytes:
    return request if isinstance(request, bytes) else str(request).encode()


class MultiCallableBase:
    """What the four kinds share: the method, its balancer, and choosing a live provider."""

    def __init__(self, cluster: ClusterChannel, kind: str, path: str, serializer: Any, deserializer: Any) -> None:
        self._cluster = cluster
        self._kind = kind
        self._method = path.rsplit("/", 1)[1]
        self._serializer = serializer
        self._deserializer = deserializer
        self._balancer = cluster.balancer(self._method)

    def _metadata(self, invoker: Invoker, metadata: Optional[Sequence]) -> Optional[Sequence]:
        if not self._cluster.provider_headers and not invoker.token:
            return metadata
        pairs = tuple(metadata or ())
        if self._cluster.provider_headers:
            pairs = invoker.headers + tuple(pair for pair in pairs if pair[0] not in _PROVIDER_HEADERS)
        if invoker.token and not any(pair[0] == "token" for pair in pairs):
            pairs += invoker.token
        return pairs

    def _pick(self, key: bytes, tried: Sequence[str] = ()) -> Any:
        """A provider not tried yet (any, when all were) and its started-call token."""
        for _ in range(8):  # a provider may leave between the pick and the start
            invokers = self._cluster.directory.invokers
            if not invokers:
                break
            candidates = [i for i in invokers if i.address not in tried] or invokers
            invoker = self._balancer.select(candidates, self._method, key)
            token = invoker.begin(self._method)
            if token is not None:
                return invoker, token
        raise self._cluster.no_provider()

    def _stub(self, invoker: Invoker) -> Any:
        return invoker.stub(self._kind, self._method, self._serializer, self._deserializer)


class _Unary(MultiCallableBase):
    """A unary call under the reference's cluster mode; ``with_call`` too. ``future`` picks
    one provider and is not retried (like a stream)."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        options = {"timeout": timeout, "wait_for_ready": wait_for_ready, "compression": compression}
        return self._invoke(request, metadata, options, False)

    def with_call(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                  credentials: Any = None, wait_for_ready: Optional[bool] = None,
                  compression: Optional[grpc.Compression] = None) -> Any:
        """``(response, call)``; under failsafe a failure gives ``(None, the failed call)``."""
        options = {"timeout": timeout, "wait_for_ready": wait_for_ready, "compression": compression}
        return self._invoke(request, metadata, options, True)

    def future(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
               credentials: Any = None, wait_for_ready: Optional[bool] = None,
               compression: Optional[grpc.Compression] = None) -> Any:
        invoker, token = self._pick(request_key(request))
        options = self._options(invoker, {"timeout": timeout, "wait_for_ready": wait_for_ready, "compression": compression})
        try:
            future = self._stub(invoker).future(request, metadata=self._metadata(invoker, metadata), **options)
        except BaseException:
            invoker.end(token, False)
            raise
        future.add_done_callback(lambda f: invoker.end(token, not f.cancelled() and f.exception() is None))
        return future

    def _options(self, invoker: Invoker, options: Dict[str, Any]) -> Dict[str, Any]:
        """The call's options, with the provider's timeout in place of the default one."""
        if self._cluster.provider_timeout and options["timeout"] == _DEFAULT_TIMEOUT:
            return dict(options, timeout=invoker.timeout(self._method) or _DEFAULT_TIMEOUT)
        return options

    def _invoke(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any], with_call: bool) -> Any:
        mode = self._cluster.mode
        if mode == "failover":
            return self._failover(request, metadata, options, with_call)
        if mode == "forking":
            return self._forking(request, metadata, options, with_call)
        try:
            return self._once(request, metadata, options, with_call)
        except grpc.RpcError as error:
            if mode != "failsafe" or isinstance(error, RpcError):
                raise
            log.warning("failsafe: ignoring the failure of %s: %s", self._method, error)
            return (None, error) if with_call else None

    def _once(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any], with_call: bool,
              tried: Optional[list] = None) -> Any:
        """One attempt on one provider; its address is added to ``tried``."""
        invoker, token = self._pick(request_key(request), tried or ())
        if tried is not None:
            tried.append(invoker.address)
        stub = self._stub(invoker)
        succeeded = False
        try:
            response = (stub.with_call if with_call else stub)(
                request, metadata=self._metadata(invoker, metadata), **self._options(invoker, options)
            )
            succeeded = True
            return response
        finally:
            invoker.end(token, succeeded)

    def _failover(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any], with_call: bool) -> Any:
        tried: list = []
        attempts = self._cluster.retries(self._method) + 1
        for attempt in range(attempts):
            try:
                return self._once(request, metadata, options, with_call, tried)
            except grpc.RpcError as error:
                # RpcError here is ours (no provider at all); grpcio's errors carry the call's status.
                if isinstance(error, RpcError) or attempt + 1 == attempts or error.code() not in RETRYABLE:
                    raise
        raise self._cluster.no_provider()  # not reached: the last attempt raises

    def _forking(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any], with_call: bool) -> Any:
        invokers = list(self._cluster.directory.invokers)
        forks = self._cluster.forks
        chosen = []
        while invokers and (forks <= 0 or len(chosen) < forks):
            invoker = self._balancer.select(invokers, self._method, request_key(request))
            invokers.remove(invoker)
            token = invoker.begin(self._method)
            if token is not None:
                chosen.append((invoker, token))
        if not chosen:
            raise self._cluster.no_provider()
        done: "queue.Queue[Any]" = queue.Queue()
        for invoker, token in chosen:
            future = self._stub(invoker).future(
                request, metadata=self._metadata(invoker, metadata), **self._options(invoker, options)
            )

            def finished(future: Any, invoker: Invoker = invoker, token: Any = token) -> None:
                invoker.end(token, not future.cancelled() and future.exception() is None)
                done.put(future)

            future.add_done_callback(finished)
        error = None
        for _ in chosen:
            future = done.get()  # each fork ends: answered, failed, or past its deadline
            if not future.cancelled() and future.exception() is None:
                return (future.result(), future) if with_call else future.result()
            error = future.exception() if not future.cancelled() else RpcError(grpc.StatusCode.CANCELLED, "cancelled")
        raise error


class _Stream(MultiCallableBase):
    """A server- or bidi-streaming call: one provider for the whole call."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        key = request_key(request) if self._kind == "unary_stream" else b""
        invoker, token = self._pick(key)
        try:
            call = self._stub(invoker)(
                request, timeout=timeout, metadata=self._metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(token, False)
            raise

        def ended() -> None:
            invoker.end(token, call.code() is grpc.StatusCode.OK)

        if not call.add_callback(ended):
            ended()
        return call


class _StreamUnary(MultiCallableBase):
    """A client-streaming call: one provider for the whole call."""

    def future(self, request_iterator: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
               credentials: Any = None, wait_for_ready: Optional[bool] = None,
               compression: Optional[grpc.Compression] = None) -> Any:
        invoker, token = self._pick(b"")
        try:
            future = self._stub(invoker).future(
                request_iterator, timeout=timeout, metadata=self._metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(token, False)
            raise
        future.add_done_callback(lambda f: invoker.end(token, not f.cancelled() and f.exception() is None))
        return future

    def with_call(self, request_iterator: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                  credentials: Any = None, wait_for_ready: Optional[bool] = None,
                  compression: Optional[grpc.Compression] = None) -> Any:
        """``(response, call)`` on one provider, blocking: grpcio's fast path for client streams."""
        invoker, token = self._pick(b"")
        succeeded = False
        try:
            result = self._stub(invoker).with_call(
                request_iterator, timeout=timeout, metadata=self._metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
            succeeded = True
            return result
        finally:
            invoker.end(token, succeeded)

    def __call__(self, request_iterator: Any, **options: Any) -> Any:
        return self.with_call(request_iterator, **options)[0]
