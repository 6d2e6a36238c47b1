"""Calling a service through the registry from asyncio: the sync cluster's registry
subscription, directory, load balancers and cluster modes, with grpc.aio calls.

Only the calls differ: each provider gets a grpc.aio channel of this client's (made in
the running loop on first use), and failover / forking await instead of block.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Sequence

import grpc

from .._core.errors import RpcError
from .._core.transport import open_channel
from .._registry import cluster as _cluster
from .._registry.directory import Invoker

__all__ = ["ClusterChannel"]

log = logging.getLogger("dubbo.cluster")


class ClusterChannel(_cluster.ClusterChannel):
    """``dubbo._cluster.ClusterChannel`` whose multicallables are awaitable grpc.aio calls."""

    def __init__(self, reference: Any, registry_config: Any, application: Optional[str]) -> None:
        super().__init__(reference, registry_config, application)
        self._channels: Dict[str, grpc.aio.Channel] = {}  # provider address -> this client's channel
        self._stubs: Dict[tuple, Any] = {}
        self._listed: Any = ()  # the directory's invokers when channels were last pruned

    def stub(self, invoker: Invoker, kind: str, method: str, serializer: Any, deserializer: Any) -> Any:
        if self.directory.invokers is not self._listed:
            self._prune()
        key = (invoker.address, kind, method, serializer, deserializer)
        stub = self._stubs.get(key)
        if stub is None:
            channel = self._channels.get(invoker.address)
            if channel is None:
                channel = self._channels[invoker.address] = open_channel(self.reference, invoker.address, grpc.aio)
            stub = self._stubs[key] = getattr(channel, kind)(f"/{invoker.path}/{method}", serializer, deserializer)
        return stub

    def _prune(self) -> None:
        """Close the channels of providers that left, once their running calls end (30 s at most)."""
        self._listed = self.directory.invokers
        listed = {invoker.address for invoker in self._listed}
        for address in [a for a in self._channels if a not in listed]:
            channel = self._channels.pop(address)
            self._stubs = {key: stub for key, stub in self._stubs.items() if key[0] != address}
            asyncio.ensure_future(channel.close(grace=30))

    def unary_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Unary":
        return _Unary(self, "unary_unary", path, request_serializer, response_deserializer)

    def unary_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Stream":
        return _Stream(self, "unary_stream", path, request_serializer, response_deserializer)

    def stream_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Stream":
        return _Stream(self, "stream_unary", path, request_serializer, response_deserializer)

    def stream_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> "_Stream":
        return _Stream(self, "stream_stream", path, request_serializer, response_deserializer)

    async def aclose(self) -> None:
        """Close this client's channels, then leave the registry as the sync cluster does."""
        channels, self._channels = list(self._channels.values()), {}
        self._stubs = {}
        for channel in channels:
            await channel.close()
        self.close()


class _MultiCallable(_cluster.MultiCallableBase):
    def _stub(self, invoker: Invoker) -> Any:
        return self._cluster.stub(invoker, self._kind, self._method, self._serializer, self._deserializer)


class _Unary(_MultiCallable):
    """A unary call under the reference's cluster mode (failover, failfast, failsafe, forking)."""

    async def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                       credentials: Any = None, wait_for_ready: Optional[bool] = None,
                       compression: Optional[grpc.Compression] = None) -> Any:
        options = {"timeout": timeout, "wait_for_ready": wait_for_ready, "compression": compression}
        mode = self._cluster.mode
        if mode == "failover":
            return await self._failover(request, metadata, options)
        if mode == "forking":
            return await self._forking(request, metadata, options)
        try:
            return await self._once(request, metadata, options)
        except grpc.RpcError as error:
            if mode != "failsafe":
                raise
            log.warning("failsafe: ignoring the failure of %s: %s", self._method, error)
            return None

    async def _once(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any], tried: Optional[list] = None) -> Any:
        invoker, token = self._pick(_cluster.request_key(request), tried or ())
        if tried is not None:
            tried.append(invoker.address)
        succeeded = False
        try:
            response = await self._stub(invoker)(request, metadata=self._metadata(invoker, metadata), **options)
            succeeded = True
            return response
        finally:
            invoker.end(token, succeeded)

    async def _failover(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any]) -> Any:
        tried: list = []
        attempts = self._cluster.retries(self._method) + 1
        for attempt in range(attempts):
            try:
                return await self._once(request, metadata, options, tried)
            except grpc.RpcError as error:
                if isinstance(error, RpcError) or attempt + 1 == attempts or error.code() not in _cluster.RETRYABLE:
                    raise
        raise self._cluster.no_provider()  # not reached: the last attempt raises

    async def _forking(self, request: Any, metadata: Optional[Sequence], options: Dict[str, Any]) -> Any:
        invokers = list(self._cluster.directory.invokers)
        forks = self._cluster.forks
        chosen = []
        while invokers and (forks <= 0 or len(chosen) < forks):
            invoker = self._balancer.select(invokers, self._method, _cluster.request_key(request))
            invokers.remove(invoker)
            token = invoker.begin(self._method)
            if token is not None:
                chosen.append((invoker, token))
        if not chosen:
            raise self._cluster.no_provider()

        async def attempt(invoker: Invoker, token: Any) -> Any:
            succeeded = False
            try:
                response = await self._stub(invoker)(request, metadata=self._metadata(invoker, metadata), **options)
                succeeded = True
                return response
            finally:
                invoker.end(token, succeeded)

        pending = {asyncio.ensure_future(attempt(invoker, token)) for invoker, token in chosen}
        error: Optional[BaseException] = None
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is None:
                        for other in pending:  # the other forks finish on their own, as in Java
                            other.add_done_callback(_ignored)
                        return task.result()
                    error = task.exception()
        except asyncio.CancelledError:  # the caller gave up: so do the forks
            for task in pending:
                task.cancel()
            raise
        raise error


def _ignored(task: "asyncio.Future") -> None:
    if not task.cancelled():
        task.exception()


class _Stream(_MultiCallable):
    """A streaming call: one provider for the whole call, never retried."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        key = _cluster.request_key(request) if self._kind == "unary_stream" else b""
        invoker, token = self._pick(key)
        try:
            call = self._stub(invoker)(
                request, timeout=timeout, metadata=self._metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(token, False)
            raise

        async def record() -> None:
            invoker.end(token, not call.cancelled() and await call.code() is grpc.StatusCode.OK)

        call.add_done_callback(lambda _call: asyncio.ensure_future(record()))
        return call
