"""Streams of messages: reading (iterate, or ``read(timeout)``) and caller-driven writing.

Both sides of a call use these: the client reads responses and may write requests,
a handler reads requests. Plain iteration hands grpcio's own iterator straight
through; only ``read(timeout)`` starts a helper thread, the first time it is used.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator, Optional

__all__ = ["EOF", "ReadStream", "RequestQueue"]


class EOFType:
    """The end of a stream: falsy, and a singleton to compare with ``is``."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "EOF"

    def __reduce__(self) -> str:
        return "EOF"


EOF = EOFType()

_END = object()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadStream:
    """Messages from the peer, in order.

    ``for msg in stream`` reads until the end; ``read()`` returns the next message or
    ``EOF``; ``read(timeout)`` returns ``None`` when nothing arrived in time. A stream
    that ends with an error raises it, from iteration and from ``read`` alike.
    """

    __slots__ = ("_source", "_pump", "_ended", "_error", "_lock")

    def __init__(self, source: Iterator[Any]) -> None:
        self._source = source
        self._pump: Optional[queue.SimpleQueue] = None
        self._ended = False
        self._error: Optional[BaseException] = None
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Any]:
        if self._pump is None and not self._ended:
            return self._source
        return iter(self.read, EOF)

    def __next__(self) -> Any:
        message = self.read()
        if message is EOF:
            raise StopIteration
        return message

    def read(self, timeout: Optional[float] = None) -> Any:
        """The next message, ``EOF`` at the end, or ``None`` if ``timeout`` seconds passed."""
        if self._error is not None:
            raise self._error
        if self._ended:
            return EOF
        if self._pump is None:
            if timeout is None:
                try:
                    return next(self._source)
                except StopIteration:
                    self._ended = True
                    return EOF
                except BaseException as error:
                    self._error = error
                    raise
            self._start_pump()
        assert self._pump is not None
        try:
            item = self._pump.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._ended = True
            return EOF
        if item.__class__ is _Failure:
            self._error = item.error
            raise item.error
        return item

    def _start_pump(self) -> None:
        with self._lock:
            if self._pump is not None:
                return
            pump: queue.SimpleQueue = queue.SimpleQueue()
            source = self._source

            def run() -> None:
                try:
                    for message in source:
                        pump.put(message)
                except BaseException as error:  # handed to the reader, never lost
                    pump.put(_Failure(error))
                else:
                    pump.put(_END)

            threading.Thread(target=run, name="dubbo-stream-reader", daemon=True).start()
            self._pump = pump


_DONE = object()


class RequestQueue:
    """The request side of a call made without an iterable: ``write()`` then ``done_writing()``.

    grpcio pulls from it as an iterator on its own thread. The queue is bounded so a fast
    writer waits for the network instead of growing memory; ``is_active`` tells a
    blocked writer when the call has ended and nobody will take its message.
    """

    __slots__ = ("_queue", "_done", "is_active")

    def __init__(self, maxsize: int = 64, is_active: Callable[[], bool] = lambda: True) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._done = False
        self.is_active = is_active

    def write(self, message: Any) -> None:
        if self._done:
            raise ValueError("write() after done_writing(): the request stream is closed")
        while True:
            try:
                self._queue.put(message, timeout=0.2)
                return
            except queue.Full:
                if not self.is_active():
                    raise ValueError("write() on a call that has already ended") from None

    def done_writing(self) -> None:
        if not self._done:
            self._done = True
            try:
                self._queue.put_nowait(_DONE)
            except queue.Full:  # grpcio is slow to drain: hand the marker over when it can
                threading.Thread(target=self._queue.put, args=(_DONE,), daemon=True).start()

    def __iter__(self) -> "RequestQueue":
        return self

    def __next__(self) -> Any:
        while True:
            try:
                message = self._queue.get(timeout=0.5)
                break
            except queue.Empty:
                # The call ended (cancelled, failed, past its deadline) without done_writing():
                # end the iteration, or grpcio's sending thread waits here forever.
                if not self.is_active():
                    raise StopIteration from None
        if message is _DONE:
            raise StopIteration
        return message
