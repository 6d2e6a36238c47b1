"""Calling a service through the registry: a channel-shaped object whose multicallables pick
a provider per call (load balancing) and handle failures (the cluster mode).

``dubbo.Client`` uses it in place of a grpc channel when its reference has no host, so the
four call shapes in ``_client/callables`` serve direct and discovered services alike.

Cluster modes (``ReferenceConfig.cluster``), for unary calls: ``failover`` (default) tries
up to ``retries + 1`` providers (``retries`` defaults to 2), moving on only when the
provider went away (UNAVAILABLE, or a CANCELLED that gRPC's transport produced while the
caller still waits), never after a handler's own error; ``failfast`` makes one attempt;
``failsafe`` makes one and returns ``None`` on failure (having no provider at all still
raises, as Java's ``checkInvokers`` runs before ``FailsafeClusterInvoker``); ``forking``
calls ``forks`` (2) providers at once and takes the first success. Streaming calls pick
one provider per call and are never retried.

Per method, ``ReferenceConfig.parameters`` accepts Java's method keys:
``{"sayHello.loadbalance": "roundrobin", "sayHello.retries": "0"}``. A unary call's
deadline follows Java's precedence: the consumer's timeout, else the provider URL's
``timeout`` (``method.timeout`` first), else 3000 ms.

The policy lives in ``MethodPolicy``, once, for both front ends: the sync multicallables
here and dubbo.aio's (``aio/_cluster.py``), which differ only in awaiting.
"""

from __future__ import annotations

import itertools
import logging
import queue
from typing import Any, Dict, List, Optional, Sequence, Tuple

import grpc

from .._core.calls import current_call
from .._core.config import DEFAULT_UNARY_TIMEOUT_MS, ReferenceConfig, RegistryConfig
from .._core.errors import RpcError
from .._core.triple import SERVICE_GROUP, SERVICE_VERSION
from .channel_pool import SharedChannels
from .directory import Channels, Directory, Invoker, Started
from .loadbalance import load_balance
from .migration import MigrationRule
from .url import consumer_url, local_host
from .zookeeper import CONSUMERS, ZooKeeperRegistry, acquire_registry

__all__ = ["ClusterChannel", "MethodPolicy", "CLUSTER_MODES", "hash_key_of", "provider_went_away"]

log = logging.getLogger("dubbo.cluster")

CLUSTER_MODES = ("failover", "failfast", "failsafe", "forking")
DEFAULT_RETRIES = 2
DEFAULT_FORKS = 2
_PROVIDER_HEADERS = (SERVICE_VERSION, SERVICE_GROUP)
_DEFAULT_TIMEOUT = DEFAULT_UNARY_TIMEOUT_MS / 1000.0

# What gRPC itself says when it cancels a call, as opposed to a handler's status: a server's
# core cancelling, as it shuts down, a call no handler has taken yet ("CANCELLED" and nothing
# more), a stream the peer reset, a connection the peer closed with GOAWAY.
_CORE_CANCELLED = "CANCELLED"
_TRANSPORT_CANCELLATIONS = ("Received RST_STREAM", "GOAWAY")


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


def hash_key_of(request: Any) -> bytes:
    """What consistent hashing maps to a provider: the serialized request."""
    return request if isinstance(request, bytes) else str(request).encode()


def provider_went_away(error: grpc.RpcError) -> bool:
    """Whether a failed attempt's status says its provider is going away (so another may
    serve the call): UNAVAILABLE, or CANCELLED in gRPC's own words rather than a handler's."""
    code = error.code()
    if code is grpc.StatusCode.UNAVAILABLE:
        return True
    if code is not grpc.StatusCode.CANCELLED:
        return False
    details = error.details() or ""
    return details == _CORE_CANCELLED or details.startswith(_TRANSPORT_CANCELLATIONS)


def caller_is_active() -> bool:
    """False when the call this one is made for (the handler it runs in) has been cancelled or
    has expired: retrying for a caller that has gone serves nobody."""
    context = current_call.get()
    if context is None:
        return True
    is_active = getattr(context, "is_active", None)  # grpc.ServicerContext
    if is_active is not None:
        return bool(is_active())
    done = getattr(context, "done", None)  # grpc.aio.ServicerContext
    return not (done is not None and done())


class ClusterChannel:
    """Looks like a ``grpc.Channel`` to ``Client``; every multicallable it makes balances over the
    providers the registry currently lists for the reference."""

    def __init__(self, reference: ReferenceConfig, registry_config: RegistryConfig, application: Optional[str],
                 channels: Optional[Channels] = None) -> None:
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
        # With no timeout of the consumer's own, a provider's ``timeout`` replaces the 3000 ms default.
        self.provider_timeout = reference.timeout is None
        # With group/version patterns ("*", "a,b") each call names the chosen provider's own.
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
        rule = MigrationRule.of(reference.parameters, registry_config.parameters)
        self.closed = False
        registry = acquire_registry(registry_config)
        self._registry: Optional[ZooKeeperRegistry] = registry
        try:
            self._consumer_path = registry.register(consumer, CONSUMERS)
            self.directory = Directory(registry, consumer, reference, channels or SharedChannels(reference), rule=rule)
        except BaseException:
            registry.release()
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

    def unary_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Unary(self, "unary_unary", path, request_serializer, response_deserializer)

    def unary_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Stream(self, "unary_stream", path, request_serializer, response_deserializer)

    def stream_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _StreamUnary(self, "stream_unary", path, request_serializer, response_deserializer)

    def stream_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Stream(self, "stream_stream", path, request_serializer, response_deserializer)

    def close(self) -> None:
        """Stop watching, unregister the consumer, and let go of channels and the registry."""
        registry, self._registry = self._registry, None
        if registry is None:
            return
        self.closed = True
        self.directory.close()
        registry.unregister(self._consumer_path)
        registry.release()


class MethodPolicy:
    """What the cluster mode decides for the calls of one method, on both front ends: which
    provider next, how many attempts, whether a failure moves on, each attempt's deadline and
    metadata, and what failsafe gives instead of an error."""

    def __init__(self, cluster: ClusterChannel, method: str) -> None:
        self.method = method
        self.mode = cluster.mode
        self.attempts = cluster.retries(method) + 1 if cluster.mode == "failover" else 1
        self._cluster = cluster
        self._balancer = cluster.balancer(method)

    def pick(self, hash_key: bytes, tried: Optional[List[str]] = None) -> Tuple[Invoker, Started]:
        """The next provider, one not in ``tried`` (any, when all were), with its call counted
        in; its address is added to ``tried``. No provider at all is UNAVAILABLE."""
        for _ in range(8):  # a provider may leave between the pick and the start
            invokers = self._cluster.directory.invokers
            if not invokers:
                break
            candidates = [i for i in invokers if i.address not in tried] if tried else invokers
            invoker = self._balancer.select(candidates or invokers, self.method, hash_key)
            started = invoker.begin(self.method)
            if started is not None:
                if tried is not None:
                    tried.append(invoker.address)
                return invoker, started
        raise self._cluster.no_provider()

    def fork(self, hash_key: bytes) -> List[Tuple[Invoker, Started]]:
        """Forking's providers: up to ``forks`` different ones (all for ``forks <= 0``), each
        with its call counted in."""
        invokers = list(self._cluster.directory.invokers)
        forks = self._cluster.forks
        chosen: List[Tuple[Invoker, Started]] = []
        while invokers and (forks <= 0 or len(chosen) < forks):
            invoker = self._balancer.select(invokers, self.method, hash_key)
            invokers.remove(invoker)
            started = invoker.begin(self.method)
            if started is not None:
                chosen.append((invoker, started))
        if not chosen:
            raise self._cluster.no_provider()
        return chosen

    def retry(self, error: grpc.RpcError, attempt: int) -> bool:
        """Whether the failed attempt number ``attempt`` (from 0) moves on to another provider:
        attempts are left, the provider went away, and the caller still waits."""
        return (
            attempt + 1 < self.attempts
            and provider_went_away(error)
            and not self._cluster.closed
            and caller_is_active()
        )

    def failed(self, error: grpc.RpcError) -> None:
        """After the last attempt failed: raise ``error``, or under failsafe log it and return ``None``."""
        if self.mode != "failsafe":
            raise error
        log.warning("failsafe: ignoring the failure of %s: %s", self.method, error)

    def timeout(self, invoker: Invoker, requested: Optional[float]) -> Optional[float]:
        """The attempt's deadline: the provider's ``timeout`` in place of the 3000 ms default."""
        if self._cluster.provider_timeout and requested == _DEFAULT_TIMEOUT:
            return invoker.timeout(self.method) or _DEFAULT_TIMEOUT
        return requested

    def metadata(self, invoker: Invoker, metadata: Optional[Sequence]) -> Optional[Sequence]:
        """The call's metadata for this provider: its version and group headers when the
        reference names patterns, and its token when it has one."""
        if not self._cluster.provider_headers and not invoker.token:
            return metadata
        pairs = tuple(metadata or ())
        if self._cluster.provider_headers:
            pairs = invoker.headers + tuple(pair for pair in pairs if pair[0] not in _PROVIDER_HEADERS)
        if invoker.token and not any(pair[0] == "token" for pair in pairs):
            pairs += invoker.token
        return pairs


class MultiCallableBase:
    """What the four kinds share, on both front ends: the method, its policy and its stubs."""

    def __init__(self, cluster: ClusterChannel, kind: str, path: str, serializer: Any, deserializer: Any) -> None:
        self._kind = kind
        self._method = path.rsplit("/", 1)[1]
        self._serializer = serializer
        self._deserializer = deserializer
        self.policy = MethodPolicy(cluster, self._method)

    def _stub(self, invoker: Invoker) -> Any:
        return invoker.stub(self._kind, self._method, self._serializer, self._deserializer)


def _succeeded(future: Any) -> bool:
    return not future.cancelled() and future.exception() is None


class _Unary(MultiCallableBase):
    """A unary call under the reference's cluster mode; ``with_call`` too. ``future`` picks
    one provider and is not retried (like a stream)."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        options = {"wait_for_ready": wait_for_ready, "compression": compression}
        return self._invoke(request, timeout, metadata, options, False)

    def with_call(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                  credentials: Any = None, wait_for_ready: Optional[bool] = None,
                  compression: Optional[grpc.Compression] = None) -> Any:
        """``(response, call)``; under failsafe a failure gives ``(None, the failed call)``."""
        options = {"wait_for_ready": wait_for_ready, "compression": compression}
        return self._invoke(request, timeout, metadata, options, True)

    def future(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
               credentials: Any = None, wait_for_ready: Optional[bool] = None,
               compression: Optional[grpc.Compression] = None) -> Any:
        policy = self.policy
        invoker, started = policy.pick(hash_key_of(request))
        try:
            future = self._stub(invoker).future(
                request, timeout=policy.timeout(invoker, timeout), metadata=policy.metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(started, False)
            raise
        future.add_done_callback(lambda f: invoker.end(started, _succeeded(f)))
        return future

    def _invoke(self, request: Any, timeout: Optional[float], metadata: Optional[Sequence],
                options: Dict[str, Any], with_call: bool) -> Any:
        policy = self.policy
        if policy.mode == "forking":
            return self._forking(request, timeout, metadata, options, with_call)
        hash_key = hash_key_of(request)
        tried: List[str] = []
        for attempt in itertools.count():
            invoker, started = policy.pick(hash_key, tried)
            stub = self._stub(invoker)
            succeeded = False
            try:
                response = (stub.with_call if with_call else stub)(
                    request, timeout=policy.timeout(invoker, timeout), metadata=policy.metadata(invoker, metadata),
                    **options,
                )
                succeeded = True
                return response
            except grpc.RpcError as error:
                if not policy.retry(error, attempt):
                    policy.failed(error)
                    return (None, error) if with_call else None
            finally:
                invoker.end(started, succeeded)

    def _forking(self, request: Any, timeout: Optional[float], metadata: Optional[Sequence],
                 options: Dict[str, Any], with_call: bool) -> Any:
        policy = self.policy
        chosen = policy.fork(hash_key_of(request))
        done: "queue.Queue[Any]" = queue.Queue()
        for invoker, started in chosen:
            future = self._stub(invoker).future(
                request, timeout=policy.timeout(invoker, timeout), metadata=policy.metadata(invoker, metadata),
                **options,
            )

            def finished(future: Any, invoker: Invoker = invoker, started: Started = started) -> None:
                invoker.end(started, _succeeded(future))
                done.put(future)

            future.add_done_callback(finished)
        error: BaseException = RpcError(grpc.StatusCode.CANCELLED, "cancelled")
        for _ in chosen:
            future = done.get()  # each fork ends: answered, failed, or past its deadline
            if _succeeded(future):
                return (future.result(), future) if with_call else future.result()
            if not future.cancelled():
                error = future.exception()
        raise error


class _Stream(MultiCallableBase):
    """A server- or bidi-streaming call: one provider for the whole call."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        hash_key = hash_key_of(request) if self._kind == "unary_stream" else b""
        invoker, started = self.policy.pick(hash_key)
        try:
            call = self._stub(invoker)(
                request, timeout=timeout, metadata=self.policy.metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(started, False)
            raise

        def ended() -> None:
            invoker.end(started, call.code() is grpc.StatusCode.OK)

        if not call.add_callback(ended):
            ended()
        return call


class _StreamUnary(MultiCallableBase):
    """A client-streaming call: one provider for the whole call."""

    def future(self, request_iterator: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
               credentials: Any = None, wait_for_ready: Optional[bool] = None,
               compression: Optional[grpc.Compression] = None) -> Any:
        invoker, started = self.policy.pick(b"")
        try:
            future = self._stub(invoker).future(
                request_iterator, timeout=timeout, metadata=self.policy.metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(started, False)
            raise
        future.add_done_callback(lambda f: invoker.end(started, _succeeded(f)))
        return future

    def with_call(self, request_iterator: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                  credentials: Any = None, wait_for_ready: Optional[bool] = None,
                  compression: Optional[grpc.Compression] = None) -> Any:
        """``(response, call)`` on one provider, blocking: grpcio's fast path for client streams."""
        invoker, started = self.policy.pick(b"")
        succeeded = False
        try:
            result = self._stub(invoker).with_call(
                request_iterator, timeout=timeout, metadata=self.policy.metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
            succeeded = True
            return result
        finally:
            invoker.end(started, succeeded)

    def __call__(self, request_iterator: Any, **options: Any) -> Any:
        return self.with_call(request_iterator, **options)[0]
