"""Interceptors on the client: a callable of the same shape that runs the hooks around the call
(dubbo/_core/interceptors.py says what the hooks are)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import grpc

from .._core.calls import CLIENT_STREAM, SERVER_STREAM, UNARY
from .._core.errors import RpcError
from .._core.interceptors import CallInfo, Hooks, Interceptor

__all__ = ["InterceptedCallable", "ObservedWriter", "end_single"]


class InterceptedCallable:
    """Wraps one of the four client callables; ``with_options`` keeps the interceptors."""

    __slots__ = ("_inner", "_interceptors", "_method", "_kind", "_attachments", "_peer")

    def __init__(self, inner: Any, interceptors: Sequence[Interceptor], method: str, kind: str,
                 attachments: Optional[Dict[str, Any]] = None, peer: str = "") -> None:
        self._inner = inner
        self._interceptors = interceptors
        self._method = method
        self._kind = kind
        self._attachments = dict(attachments or {})
        self._peer = peer

    def with_options(self, *, attachments: Optional[Dict[str, Any]] = None, **options: Any) -> "InterceptedCallable":
        merged = {**self._attachments, **(attachments or {})}
        return InterceptedCallable(self._inner.with_options(**options), self._interceptors, self._method,
                                   self._kind, merged, self._peer)

    def _start(self) -> tuple:
        run = Hooks(self._interceptors, CallInfo("client", self._method, self._kind, dict(self._attachments), self._peer))
        inner = self._inner
        if run.info.attachments:
            inner = inner.with_options(attachments=run.info.attachments)
        return run, inner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run, inner = self._start()
        if self._kind in (UNARY, SERVER_STREAM):
            run.request(args[0] if len(args) == 1 and not kwargs else args)
        elif args and args[0] is not None and not (args[0].__class__ is tuple and not args[0]):
            args = (run.requests(args[0]),)
        try:
            result = inner(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        if self._kind == UNARY:
            run.response(result)
            run.end()
            return result
        if self._kind == CLIENT_STREAM:
            if result._writer is not None:
                result._writer = ObservedWriter(result._writer, run)
            result._call.add_done_callback(lambda future: end_single(run, future))
            return result
        if result._writer is not None:  # requests written by the caller pass the hooks too
            result._writer = ObservedWriter(result._writer, run)
        result._source = run.responses(result._source)
        return result


    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        """Unary only: ``(response, CallResult)``, through the interceptors."""
        run, inner = self._start()
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        try:
            response, result = inner.with_call(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        run.response(response)
        run.end()
        return response, result

    def future(self, *args: Any, **kwargs: Any) -> Any:
        """Unary only: a ``SingleResponse`` whose outcome reaches the interceptors."""
        run, inner = self._start()
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        result = inner.future(*args, **kwargs)
        result._call.add_done_callback(lambda future: end_single(run, future))
        return result


class ObservedWriter:
    """A request writer whose messages pass the hooks."""

    __slots__ = ("_writer", "_run")

    def __init__(self, writer: Any, run: Hooks) -> None:
        self._writer = writer
        self._run = run

    def write(self, message: Any) -> None:
        self._writer.write(self._run.request(message))

    def done_writing(self) -> None:
        self._writer.done_writing()


def end_single(run: Hooks, future: Any) -> None:
    try:
        response = future.result()
    except grpc.RpcError as error:
        run.fail(RpcError.from_grpc(error))
        return
    except Exception as error:  # cancelled
        run.end(grpc.StatusCode.CANCELLED, str(error))
        return
    run.response(response)
    run.end()
