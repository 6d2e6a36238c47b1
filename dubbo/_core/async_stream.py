"""Reading a stream of messages under asyncio: ``async for``, or ``await read(timeout)``.

The same contract as the sync ``ReadStream``: ``read()`` returns the next message or
``dubbo.EOF``; ``read(timeout)`` returns ``None`` when nothing arrived in time, and the
message it was waiting for is kept for the next read (it is never lost, and the call is
not cancelled). A stream that ends with an error raises it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional

import grpc
from grpc.aio import EOF as _GRPC_EOF

from .errors import RpcError
from .stream import EOF

__all__ = ["AsyncReadStream", "AsyncServerStream", "task_cancelling"]


def _cancelled_error() -> RpcError:
    """What reading a call the caller cancelled raises (grpc.aio raises CancelledError, which
    would look like the reading task itself being cancelled)."""
    return RpcError(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")


def task_cancelling() -> bool:
    """Whether the running task itself is being cancelled (always assumed before Python 3.11)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0


def _retrieved(task: "asyncio.Future") -> None:
    if not task.cancelled():
        task.exception()


class AsyncReadStream:
    """Messages from the peer, in order, pulled with ``read`` (a coroutine giving a message or grpc's EOF)."""

    __slots__ = ("_read", "_pending", "_ended", "_error", "_cancelled")

    def __init__(self, read: Callable[[], Awaitable[Any]]) -> None:
        self._read = read
        self._pending: Optional[asyncio.Future] = None
        self._ended = False
        self._error: Optional[BaseException] = None
        self._cancelled = False  # cancel() was called: reads raise CANCELLED, as in the sync API

    def __aiter__(self) -> "AsyncReadStream":
        return self

    async def __anext__(self) -> Any:
        message = await self.read()
        if message is EOF:
            raise StopAsyncIteration
        return message

    async def _next(self, awaitable: Awaitable[Any]) -> Any:
        """The message ``awaitable`` gives, ``EOF`` at the end; grpcio's errors as ``RpcError``."""
        try:
            message = await awaitable
        except grpc.RpcError as error:
            raise self._failed(error) from None
        except asyncio.CancelledError:
            why = self._why_cancelled()
            if why is None:
                raise
            raise self._failed(why) from None
        if message is _GRPC_EOF:
            self._ended = True
            return EOF
        return message

    async def read(self, timeout: Optional[float] = None) -> Any:
        """The next message, ``EOF`` at the end, or ``None`` if ``timeout`` seconds passed."""
        if self._error is not None:
            raise self._error
        if self._ended:
            return EOF
        pending = self._pending
        if pending is None:
            if timeout is None:  # the fast path: one await on grpcio per message
                return await self._next(self._read())
            # A read that may time out runs as a task, so giving up waiting leaves it running.
            pending = self._pending = asyncio.ensure_future(self._read())
            pending.add_done_callback(_retrieved)  # a read nobody comes back for logs nothing
        try:
            done, _ = await asyncio.wait((pending,), timeout=timeout)
        except asyncio.CancelledError:  # the caller's task was cancelled: so is the read (and the call)
            pending.cancel()
            self._pending = None
            raise
        if not done:
            return None
        self._pending = None
        return await self._next(pending)

    def _why_cancelled(self) -> Optional[RpcError]:
        """The error a cancelled call stands for, or None when it is this task that is being cancelled."""
        if self._cancelled:
            return _cancelled_error()
        if not task_cancelling():  # the call was cancelled under us (the client closed), not this task
            return RpcError(grpc.StatusCode.CANCELLED, "the call was cancelled: the client closed")
        return None

    def _failed(self, error: grpc.RpcError) -> RpcError:
        self._error = RpcError.from_grpc(error)
        return self._error


class AsyncServerStream(AsyncReadStream):
    """What an async streaming handler gets: the requests to read, ``await write()``, ``await done_writing()``.

    An async generator handler yields instead of writing.
    """

    __slots__ = ("_write", "_closed")

    def __init__(self, read: Callable[[], Awaitable[Any]], write: Callable[[Any], Awaitable[None]]) -> None:
        super().__init__(read)
        self._write = write
        self._closed = False

    async def write(self, message: Any) -> None:
        """Send one response now."""
        if self._closed:
            raise RpcError(grpc.StatusCode.CANCELLED, "the response stream is already closed")
        await self._write(message)

    async def done_writing(self) -> None:
        """No more responses: the call completes with OK when the handler returns."""
        self._closed = True
