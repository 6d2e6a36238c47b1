"""``dubbo call --hessian2``: one call to a Java interface method in Triple's wrapper mode, no reflection needed.

The request is a JSON array of the arguments, each sent in Hessian 2 as its ``--types`` entry declares; a JSON
object with a ``"class"`` key is an instance of that Java class (its other keys the fields), as Java's
PojoUtils reads it, any other object a ``java.util.Map``. The result prints as one JSON document, objects
with their ``"class"``. ``--generic`` calls ``$invoke``, as Java's GenericService does. A thrown Java
exception exits with its status (UNKNOWN, 2) and ``class: message``.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import decimal
import json
import sys
from typing import Any, Dict, List

import grpc

from ._client.client import Client
from ._core.config import ReferenceConfig
from ._core.errors import RpcError
from .hessian2 import GenericService, HessianError, JavaObject, realize, request_serializer, response_deserializer
from .hessian2._encoder import split_types

__all__ = ["call_hessian2"]


def _java(value: Any) -> Any:
    """A JSON value as the Java value it stands for."""
    if isinstance(value, dict):
        fields = {key: _java(item) for key, item in value.items()}
        java_class = fields.pop("class", None)
        return fields if java_class is None else JavaObject(str(java_class), fields)
    if isinstance(value, list):
        return [_java(item) for item in value]
    return value


def _json(value: Any) -> Any:
    """A decoded Hessian value as JSON."""
    if isinstance(value, JavaObject):
        return {"class": value.java_class, **{key: _json(item) for key, item in value.fields.items()}}
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, (datetime.date, datetime.time)):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, datetime.timedelta):  # ISO 8601 in seconds, as java.time.Duration.parse reads it
        seconds = decimal.Decimal(value.days * 86_400 + value.seconds) + decimal.Decimal(value.microseconds).scaleb(-6)
        return f"PT{seconds.normalize():f}S"
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _declared(value: Any, java_type: str) -> Any:
    """A JSON argument as its declared type reads it: an ISO 8601 string declared as a date or time is one."""
    if not isinstance(value, str):
        return _java(value)
    if java_type in ("java.util.Date", "java.time.Instant"):
        try:
            instant = datetime.datetime.fromisoformat(value)
        except ValueError:
            instant = None
        if instant is None or instant.tzinfo is None:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"{value!r} is not an ISO 8601 instant with an offset")
        return instant
    try:
        return realize(value, java_type)
    except HessianError as error:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, str(error)) from None


def _types(text: str) -> List[str]:
    """``--types``: Java types separated by commas outside type arguments (``java.util.Map<K, V>,int``)."""
    return [java_type for java_type in split_types(text)[0] if java_type]


def _arguments(args: argparse.Namespace, types: List[str]) -> List[Any]:
    text = sys.stdin.read() if args.request == "-" else args.request
    if text is None:
        values: Any = []
    else:
        try:
            values = json.loads(text)
        except ValueError as error:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not JSON: {error}") from None
    if not isinstance(values, list):
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "with --hessian2 the request is a JSON array of the arguments")
    if len(values) != len(types):
        raise RpcError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{len(values)} arguments for {len(types)} --types ({', '.join(types) or 'none'})",
        )
    if args.generic:  # the provider reads them by their types, as Java's GenericFilter does
        return [_java(value) for value in values]
    return [_declared(value, java_type) for value, java_type in zip(values, types)]


def call_hessian2(args: argparse.Namespace, reference: ReferenceConfig, method: str, options: Dict[str, Any]) -> None:
    """Call ``method`` with the command line's arguments and types; print the result as JSON."""
    types = _types(args.types)
    values = _arguments(args, types)
    with Client(reference) as client:
        if args.generic:
            generic = GenericService(client)
            result = (generic.with_options(**options) if options else generic).invoke(method, types, values)
        else:
            call = client.unary(method, request_serializer(*types), response_deserializer)
            result = (call.with_options(**options) if options else call)(*values)
    try:
        print(json.dumps(_json(result), ensure_ascii=False))
    except (TypeError, ValueError) as error:  # a cycle, or a value JSON cannot hold
        raise RpcError(grpc.StatusCode.INTERNAL, f"the result cannot be shown as JSON: {error}") from None
