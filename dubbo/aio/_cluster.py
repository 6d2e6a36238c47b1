"""Calling a service through the registry from asyncio: the sync cluster's registry
subscription, directory and policy (``MethodPolicy`` in ``_registry/cluster.py``: which
provider, how many attempts, which failures move on, deadlines, failsafe), with grpc.aio
calls that are awaited. A unary call is a grpc.aio-shaped object over a task running the
attempts, so ``with_call``, ``future`` and cancelling the awaiting task work as they do on
a direct client.

Each provider gets a grpc.aio channel of this client's, made in the running loop on its
first call and closed when the directory lets go of the provider (once its last running
call has ended), or when the client closes.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any, Dict, List, Optional, Sequence, Set

import grpc

from .._core.transport import open_channel
from .._registry import cluster
from .._registry.directory import Invoker, Started

__all__ = ["ClusterChannel", "LoopChannels"]


class _LoopChannel:
    """A grpc.aio channel to one address, made in the running loop on first use (it belongs to that loop)."""

    def __init__(self, reference: Any, address: str, closing: Set["asyncio.Future[Any]"]) -> None:
        self._reference = reference
        self._address = address
        self._closing = closing
        self._channel: Any = None  # a grpc.aio.Channel once made
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    @property
    def is_open(self) -> bool:
        return self._channel is not None

    def _open(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._loop = asyncio.get_running_loop()
            self._channel = open_channel(self._reference, self._address, grpc.aio)
        return self._channel

    def unary_unary(self, path: str, serializer: Any, deserializer: Any) -> Any:
        return self._open().unary_unary(path, serializer, deserializer)

    def unary_stream(self, path: str, serializer: Any, deserializer: Any) -> Any:
        return self._open().unary_stream(path, serializer, deserializer)

    def stream_unary(self, path: str, serializer: Any, deserializer: Any) -> Any:
        return self._open().stream_unary(path, serializer, deserializer)

    def stream_stream(self, path: str, serializer: Any, deserializer: Any) -> Any:
        return self._open().stream_stream(path, serializer, deserializer)

    def close(self) -> None:
        """Close the channel, from any thread: the registry's watch lets go of providers on its own."""
        channel, self._channel = self._channel, None
        loop = self._loop
        if channel is None or loop is None or loop.is_closed():
            return

        def start() -> None:
            task = asyncio.ensure_future(channel.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            start()
        else:
            loop.call_soon_threadsafe(start)


class LoopChannels:
    """This client's grpc.aio channels, one per provider address (a directory's ``Channels``)."""

    def __init__(self, reference: Any) -> None:
        self._reference = reference
        self._channels: Dict[str, List[Any]] = {}  # address -> [_LoopChannel, users]
        self._closing: Set["asyncio.Future[Any]"] = set()
        self._lock = threading.Lock()

    def acquire(self, address: str) -> _LoopChannel:
        with self._lock:
            entry = self._channels.get(address)
            if entry is None:
                entry = self._channels[address] = [_LoopChannel(self._reference, address, self._closing), 0]
            entry[1] += 1
            return entry[0]

    def release(self, address: str) -> None:
        with self._lock:
            entry = self._channels.get(address)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del self._channels[address]
        entry[0].close()

    def open_addresses(self) -> List[str]:
        """Addresses with an open grpc.aio channel (for tests and diagnostics)."""
        with self._lock:
            return sorted(address for address, entry in self._channels.items() if entry[0].is_open)

    async def aclose(self) -> None:
        """Close every channel now (calls still running are cancelled) and wait until they are closed."""
        with self._lock:
            entries, self._channels = list(self._channels.values()), {}
        for channel, _ in entries:
            channel.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


class ClusterChannel(cluster.ClusterChannel):
    """The sync ``ClusterChannel`` with this client's grpc.aio channels, whose multicallables are awaited."""

    def __init__(self, reference: Any, registry_config: Any, application: Optional[str]) -> None:
        self.channels = LoopChannels(reference)
        super().__init__(reference, registry_config, application, self.channels)

    def unary_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Unary(self, "unary_unary", path, request_serializer, response_deserializer)

    def unary_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Stream(self, "unary_stream", path, request_serializer, response_deserializer)

    def stream_unary(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Stream(self, "stream_unary", path, request_serializer, response_deserializer)

    def stream_stream(self, path: str, request_serializer: Any = None, response_deserializer: Any = None) -> Any:
        return _Stream(self, "stream_stream", path, request_serializer, response_deserializer)

    async def aclose(self) -> None:
        """Leave the registry as the sync cluster does, then close this client's channels."""
        self.close()
        await self.channels.aclose()


class _UnaryCall:
    """A unary call under the cluster mode, shaped like grpc.aio's call: started when made,
    awaited for the response, cancellable; its metadata and status are those of the attempt
    that ended it (none when no provider could be tried)."""

    def __init__(self) -> None:
        self.attempt: Any = None  # the grpc.aio call of the latest attempt
        self._task: "Optional[asyncio.Future[Any]]" = None

    def start(self, run: Any) -> "_UnaryCall":
        self._task = asyncio.ensure_future(run)
        return self

    def __await__(self) -> Any:
        return self._started().__await__()

    def _started(self) -> "asyncio.Future[Any]":
        assert self._task is not None, "start() first"
        return self._task

    def cancel(self) -> bool:
        return self._started().cancel()

    def cancelled(self) -> bool:
        return self._started().cancelled()

    def done(self) -> bool:
        return self._started().done()

    def add_done_callback(self, callback: Any) -> None:
        self._started().add_done_callback(lambda _task: callback(self))

    async def _ended(self) -> Any:
        await asyncio.wait({self._started()})
        return self.attempt

    async def initial_metadata(self) -> Any:
        attempt = await self._ended()
        return await attempt.initial_metadata() if attempt is not None else ()

    async def trailing_metadata(self) -> Any:
        attempt = await self._ended()
        return await attempt.trailing_metadata() if attempt is not None else ()

    async def code(self) -> grpc.StatusCode:
        attempt = await self._ended()
        if attempt is not None:
            return await attempt.code()
        task = self._started()
        if task.cancelled():
            return grpc.StatusCode.CANCELLED
        error = task.exception()
        return error.code() if isinstance(error, grpc.RpcError) else grpc.StatusCode.UNKNOWN

    async def details(self) -> str:
        attempt = await self._ended()
        if attempt is not None:
            return await attempt.details()
        error = None if self._started().cancelled() else self._started().exception()
        return (error.details() or "") if isinstance(error, grpc.RpcError) else ""


class _Unary(cluster.MultiCallableBase):
    """A unary call under the reference's cluster mode: the sync one's loop, awaited."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> _UnaryCall:
        options = {"wait_for_ready": wait_for_ready, "compression": compression}
        call = _UnaryCall()
        run = self._forking if self.policy.mode == "forking" else self._attempts
        return call.start(run(call, request, timeout, metadata, options))

    async def _attempts(self, call: _UnaryCall, request: Any, timeout: Optional[float],
                        metadata: Optional[Sequence], options: Dict[str, Any]) -> Any:
        policy = self.policy
        hash_key = cluster.hash_key_of(request)
        tried: List[str] = []
        for attempt in itertools.count():
            invoker, started = policy.pick(hash_key, tried)
            succeeded = False
            try:
                call.attempt = self._stub(invoker)(
                    request, timeout=policy.timeout(invoker, timeout), metadata=policy.metadata(invoker, metadata),
                    **options,
                )
                response = await call.attempt
                succeeded = True
                return response
            except grpc.RpcError as error:
                if not policy.retry(error, attempt):
                    policy.failed(error)
                    return None
            finally:
                invoker.end(started, succeeded)

    async def _forking(self, call: _UnaryCall, request: Any, timeout: Optional[float],
                       metadata: Optional[Sequence], options: Dict[str, Any]) -> Any:
        policy = self.policy
        answered = False

        async def attempt(invoker: Invoker, started: Started) -> Any:
            nonlocal answered
            succeeded = False
            fork = self._stub(invoker)(
                request, timeout=policy.timeout(invoker, timeout), metadata=policy.metadata(invoker, metadata),
                **options,
            )
            try:
                response = await fork
                succeeded = True
                return response
            finally:
                invoker.end(started, succeeded)
                if not answered:  # the call's metadata: the first answer's, else the last failure's
                    call.attempt, answered = fork, succeeded

        pending = {asyncio.ensure_future(attempt(*chosen)) for chosen in policy.fork(cluster.hash_key_of(request))}
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
        assert error is not None
        raise error


def _ignored(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()


class _Stream(cluster.MultiCallableBase):
    """A streaming call: one provider for the whole call, never retried."""

    def __call__(self, request: Any, timeout: Optional[float] = None, metadata: Optional[Sequence] = None,
                 credentials: Any = None, wait_for_ready: Optional[bool] = None,
                 compression: Optional[grpc.Compression] = None) -> Any:
        hash_key = cluster.hash_key_of(request) if self._kind == "unary_stream" else b""
        invoker, started = self.policy.pick(hash_key)
        try:
            call = self._stub(invoker)(
                request, timeout=timeout, metadata=self.policy.metadata(invoker, metadata),
                wait_for_ready=wait_for_ready, compression=compression,
            )
        except BaseException:
            invoker.end(started, False)
            raise

        async def record() -> None:
            invoker.end(started, not call.cancelled() and await call.code() is grpc.StatusCode.OK)

        call.add_done_callback(lambda _call: asyncio.ensure_future(record()))
        return call
