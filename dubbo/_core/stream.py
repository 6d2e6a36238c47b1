"""Streams of messages: reading (iterate, or ``read(timeout)``) and caller-driven writing.

Both sides of a call use these: the client reads responses and may write requests,
a handler reads requests. Plain iteration hands grpcio's own iterator straight
through; only ``read(timeout)`` starts a helper thread, the first time it is used.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Any, Callable, Iterator, Optional

__all__ = ["EOF", "Handoff", "ReadStream", "RequestQueue"]


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


class Handoff:
    """Messages from one thread to another, bounded, with a wake-up only for a side that sleeps.

    The reader sleeps when it is empty; the writer when it holds ``high`` messages, until it
    has drained to half, so a writer faster than its reader is woken once per ``high / 2``
    messages rather than once per message (as ``queue.Queue`` does when full). Correct under
    the GIL: a side sets its waiting flag before it looks, and the other looks after it acts.
    """

    __slots__ = ("_items", "_high", "_low", "_lock", "_filled", "_drained", "_reader_waits", "_writer_waits", "closed")

    def __init__(self, high: int = 64) -> None:
        self._items: deque = deque()
        self._high, self._low = high, high // 2
        self._lock = threading.Lock()
        self._filled = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._reader_waits = self._writer_waits = False
        self.closed = False

    def put(self, item: Any, alive: Callable[[], bool]) -> bool:
        """Hand over ``item``, waiting while full; False (and nothing sent) once closed or not ``alive()``."""
        items = self._items
        if len(items) >= self._high:
            with self._lock:
                self._writer_waits = True
                try:
                    while len(items) > self._low:
                        if self.closed or not alive():
                            return False
                        self._drained.wait(0.2)
                finally:
                    self._writer_waits = False
        self.put_last(item)
        return True

    def put_last(self, item: Any) -> None:
        """Hand over ``item`` without waiting for room (a stream's end or outcome)."""
        self._items.append(item)
        if self._reader_waits:
            with self._lock:
                self._filled.notify()

    def get(self, timeout: Optional[float] = None) -> Any:
        """The next item; raises ``queue.Empty`` if none came within ``timeout`` seconds."""
        items = self._items
        if not items:
            with self._lock:
                self._reader_waits = True
                try:
                    while not items:
                        if not self._filled.wait(timeout) and not items:
                            raise queue.Empty
                finally:
                    self._reader_waits = False
        item = items.popleft()
        if self._writer_waits and len(items) <= self._low:
            with self._lock:
                self._drained.notify()
        return item

    def close(self) -> None:
        """The reader has stopped: drop what is left, and a waiting writer gives up at once."""
        self.closed = True
        self._items.clear()
        with self._lock:
            self._drained.notify()


class RequestQueue:
    """The request side of a call made without an iterable: ``write()`` then ``done_writing()``.

    grpcio pulls from it as an iterator on its own thread. The queue is bounded so a fast
    writer waits for the network instead of growing memory; ``is_active`` tells a
    blocked writer when the call has ended and nobody will take its message.
    """

    __slots__ = ("_queue", "_done", "is_active")

    def __init__(self, maxsize: int = 64, is_active: Callable[[], bool] = lambda: True) -> None:
        self._queue = Handoff(maxsize)
        self._done = False
        self.is_active = is_active

    def write(self, message: Any) -> None:
        if self._done:
            raise ValueError("write() after done_writing(): the request stream is closed")
        if not self._queue.put(message, self._is_active):
            raise ValueError("write() on a call that has already ended")

    def _is_active(self) -> bool:
        return self.is_active()

    def done_writing(self) -> None:
        if not self._done:
            self._done = True
            self._queue.put_last(_DONE)

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
