"""Client interceptors on asyncio calls: the sync stack's hooks (dubbo/_client/intercepted.py),
run around awaited calls, async iterables of requests and async reads."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

import grpc

from .._client import intercepted as _intercepted
from .._client.callables import no_requests_given
from .._core.calls import SERVER_STREAM, UNARY
from .._core.errors import RpcError

__all__ = ["InterceptedCallable"]


async def _async_requests(run: Any, requests: Any) -> Any:
    async for message in requests:
        yield run.request(message)


def _observed_read(read: Any, run: Any) -> Any:
    async def observed() -> Any:
        try:
            message = await read()
        except grpc.RpcError as error:
            run.fail(RpcError.from_grpc(error))
            raise
        except asyncio.CancelledError:
            run.end(grpc.StatusCode.CANCELLED, "cancelled")
            raise
        if message is grpc.aio.EOF:
            run.end()
        else:
            run.response(message)
        return message

    return observed


class InterceptedCallable(_intercepted.InterceptedCallable):
    """Wraps one of the four asyncio callables; ``with_options`` keeps the interceptors."""

    __slots__ = ()

    def with_options(self, *, attachments: Optional[Dict[str, Any]] = None, **options: Any) -> "InterceptedCallable":
        merged = {**self._attachments, **(attachments or {})}
        return InterceptedCallable(
            self._inner.with_options(**options), self._interceptors, self._method, self._kind, merged, self._peer
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run, inner = self._start()
        if self._kind == UNARY:
            return self._unary(run, inner, args, kwargs)
        if self._kind == SERVER_STREAM:
            run.request(args[0] if len(args) == 1 and not kwargs else args)
        elif args and not no_requests_given(args[0]):
            requests = args[0]
            args = (_async_requests(run, requests) if hasattr(requests, "__aiter__") else run.requests(requests),)
        try:
            result = inner(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        result._run = run  # requests the caller writes pass the hooks too
        if hasattr(result, "_read"):  # a stream of responses
            result._read = _observed_read(result._read, run)
        else:  # the one response of a client stream
            result._call.add_done_callback(lambda call: asyncio.ensure_future(_end_single(run, call)))
        return result

    async def _unary(self, run: Any, inner: Any, args: tuple, kwargs: dict) -> Any:
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        try:
            response = await inner(*args, **kwargs)
        except BaseException as error:
            run.fail(error)
            raise
        run.response(response)
        run.end()
        return response

    async def with_call(self, *args: Any, **kwargs: Any) -> Any:
        """Unary only: ``(response, CallResult)``, through the interceptors."""
        run, inner = self._start()
        run.request(args[0] if len(args) == 1 and not kwargs else args)
        try:
            response, result = await inner.with_call(*args, **kwargs)
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
        result._call.add_done_callback(lambda call: asyncio.ensure_future(_end_single(run, call)))
        return result


async def _end_single(run: Any, call: Any) -> None:
    try:
        response = await call
    except grpc.RpcError as error:
        run.fail(RpcError.from_grpc(error))
        return
    except asyncio.CancelledError:
        run.end(grpc.StatusCode.CANCELLED, "cancelled")
        return
    run.response(response)
    run.end()
