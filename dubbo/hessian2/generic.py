"""Java's generic invocation, served: ``$invoke`` on every service with wrapper-mode handlers.

A Java generic consumer (``GenericService``, as gateways such as Apache ShenYu and dubbo-admin use it) calls
``/<service>/$invoke`` (``$invokeAsync`` from its async API) with a wrapper of three arguments, ``(String method,
String[] parameterTypes, Object[] args)``, and the ``generic`` attachment. The provider does what Java's
GenericFilter does: finds the method by name (``hessian2.overloads`` chooses by the parameter types), realizes
the arguments (a map with a ``"class"`` key becomes that class's object, as PojoUtils.realize does), calls the
handler, and generalizes its result (an object becomes a map holding its class under ``"class"``, as
PojoUtils.generalize does), which the consumer reads as ``java.lang.Object``.

``generic=true`` (the default) and ``generic=raw.return`` (the result as it is) are served; Java's other modes
(``gson``, ``bean``, ``nativejava``, ``protobuf-json``) are refused as UNIMPLEMENTED naming the mode.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import enum
import inspect
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import grpc

from .._core.calls import UNARY, current_call
from .._core.errors import RpcError
from ._encoder import type_arguments
from ._types import HessianError, JavaObject, binding
from .invocation import Arguments, JavaException

__all__ = ["realize", "generalize", "GENERIC_METHODS", "generic_invoker"]

GENERIC_METHODS = ("$invoke", "$invokeAsync")
"""The paths a Java generic consumer calls: ``$invokeAsync`` is what its ``GenericService.$invokeAsync`` sends."""

RPC_EXCEPTION = "org.apache.dubbo.rpc.RpcException"  # what Java's GenericFilter throws for a call it cannot make

_DEFAULT_MODES = ("", "true")  # Java compares "true" ignoring case
_RAW_RETURN = "raw.return"
_PLAIN = (type(None), bool, int, float, str, bytes)


# -- realize: generic arguments as the handler's own ---------------------------------------------------------


def realize(value: Any, java_type: Optional[str] = None, classes: Optional[Mapping[str, type]] = None) -> Any:
    """``value``, an argument of declared type ``java_type``, as Java's PojoUtils.realize makes it: a dict with a
    ``"class"`` key, or declared as one of ``classes`` (Java class name -> bound dataclass or Enum), becomes an
    instance of that class, a string declared as a bound Enum its constant, a string declared
    ``java.time.LocalDate``/``LocalDateTime``/``LocalTime`` a date/datetime/time; other values keep their form.
    Type arguments (``java.util.List<org.example.User>``) are followed into elements, keys and values."""
    return _realize(value, java_type, classes or {}, {})


def _realize(value: Any, java_type: Optional[str], classes: Mapping[str, type], seen: Dict[int, Any]) -> Any:
    if value.__class__ in _PLAIN:
        if value.__class__ is str and java_type is not None:
            parse = _LOCAL_PARSERS.get(java_type)
            if parse is not None:
                return _local(parse, value, java_type)
            constants = classes.get(java_type)
            if constants is not None and issubclass(constants, enum.Enum):
                return _constant(constants, value)
        return value
    done = seen.get(id(value))
    if done is not None:
        return done
    raw, arguments = (java_type, ()) if java_type is None or "<" not in java_type else type_arguments(java_type)
    if isinstance(value, (dict, JavaObject)):
        fields = value if isinstance(value, dict) else value.fields
        name = fields.get("class") if isinstance(value, dict) else value.java_class
        target = classes.get(name) if isinstance(name, str) else None
        if target is None and raw is not None:
            target = classes.get(raw)
        if target is None:
            return _realize_fields(value, classes, seen, (arguments[0], arguments[1]) if len(arguments) == 2 else (None, None))
        if issubclass(target, enum.Enum):
            return _constant(target, fields.get("name"))
        return _instance(target, fields, classes, seen, id(value))
    if isinstance(value, (list, tuple)):
        items: List[Any] = []
        seen[id(value)] = items
        element = arguments[0] if len(arguments) == 1 else _component(java_type)
        items.extend(_realize(item, element, classes, seen) for item in value)
        return items
    return value


def _realize_fields(
    value: Any, classes: Mapping[str, type], seen: Dict[int, Any], types: Tuple[Optional[str], Optional[str]]
) -> Any:
    """A dict or JavaObject of no bound class, its values realized (a map stays a map, as in Java); a map's
    keys and values as ``types`` (a declared ``Map<K, V>``'s) say."""
    if isinstance(value, JavaObject):
        result = JavaObject(value.java_class)
        seen[id(value)] = result
        result.fields = {key: _realize(item, None, classes, seen) for key, item in value.fields.items()}
        return result
    mapping: Dict[Any, Any] = {}
    seen[id(value)] = mapping
    key_type, value_type = types
    for key, item in value.items():
        mapping[_realize(key, key_type, classes, seen)] = _realize(item, value_type, classes, seen)
    return mapping


def _instance(
    target: type, fields: Mapping[str, Any], classes: Mapping[str, type], seen: Dict[int, Any], key: int
) -> Any:
    """A bound dataclass built from ``fields`` as the decoder builds one: no constructor; a field missing or
    null takes its default (None without one), as Java keeps the field's initial value."""
    result: Any = object.__new__(target)
    seen[key] = result
    found = binding(target)
    layout = dict(found[1] or ()) if found is not None else {}
    for field in dataclasses.fields(target):
        item = fields.get(field.name)
        if item is not None:
            item = _realize(item, layout.get(field.name), classes, seen)
        elif field.default is not dataclasses.MISSING:
            item = field.default
        elif field.default_factory is not dataclasses.MISSING:
            item = field.default_factory()
        object.__setattr__(result, field.name, item)
    return result


def _constant(target: Any, name: Any) -> Any:
    try:
        return target[name]
    except (KeyError, TypeError):
        raise HessianError(f"No enum constant {binding(target)[0]}.{name}") from None  # type: ignore[index]


def _local_date_time(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        raise ValueError("a LocalDateTime has no offset")
    return value


def _local_time(text: str) -> datetime.time:
    return datetime.datetime.fromisoformat(text).time() if "T" in text else datetime.time.fromisoformat(text)


# A string declared as one of these is parsed, as Java's CompatibleTypeUtils does (nanoseconds kept to microseconds).
_LOCAL_PARSERS: Dict[str, Callable[[str], Any]] = {
    "java.time.LocalDate": datetime.date.fromisoformat,
    "java.time.LocalDateTime": _local_date_time,
    "java.time.LocalTime": _local_time,
}


def _local(parse: Callable[[str], Any], text: str, java_type: str) -> Any:
    try:
        return parse(text)
    except ValueError:
        raise HessianError(f"{text!r} is not a {java_type}") from None


def _component(java_type: Optional[str]) -> Optional[str]:
    """The element class of an array type (``[Lorg.example.User;`` -> ``org.example.User``), else None."""
    if java_type is None or not java_type.startswith("["):
        return None
    if java_type.startswith("[L") and java_type.endswith(";"):
        return java_type[2:-1]
    return java_type[1:] if java_type.startswith("[[") else None


# -- generalize: a result as a generic consumer reads it -------------------------------------------------------


def generalize(value: Any) -> Any:
    """``value`` as Java's PojoUtils.generalize gives it to a generic consumer: a bound dataclass or a
    JavaObject becomes a dict of its fields with its Java class under ``"class"``, an enum constant its name,
    lists, sets and dicts are generalized throughout, a date, naive datetime or naive time (LocalDate,
    LocalDateTime, LocalTime) its Java ``toString()``, and anything else is returned as it is."""
    return _generalize(value, {})


def _java_time_text(value: datetime.time) -> str:
    """A time of day as Java's LocalTime.toString() writes it: seconds and fractions only when not zero."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
        if value.microsecond:
            micros = value.microsecond
            text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text


def _local_text(value: Any) -> Optional[str]:
    """A LocalDate, LocalDateTime or LocalTime (date, naive datetime, naive time) as its Java toString()."""
    cls = value.__class__
    if cls is datetime.date:
        return value.isoformat()
    if cls is datetime.datetime and value.tzinfo is None:
        return f"{value.date().isoformat()}T{_java_time_text(value.time())}"
    if cls is datetime.time and value.tzinfo is None:
        return _java_time_text(value)
    return None


def _generalize(value: Any, seen: Dict[int, Any]) -> Any:
    if value.__class__ in _PLAIN:
        return value
    text = _local_text(value)
    if text is not None:  # as PojoUtils.generalize gives a LocalDate, LocalDateTime or LocalTime: its toString()
        return text
    if isinstance(value, enum.Enum) and not isinstance(value, (int, str)):
        return value.name
    done = seen.get(id(value))
    if done is not None:
        return done
    if isinstance(value, (list, tuple)):
        items: List[Any] = []
        seen[id(value)] = items
        items.extend(_generalize(item, seen) for item in value)
        return items
    if isinstance(value, dict):
        mapping: Dict[Any, Any] = {}
        seen[id(value)] = mapping
        for key, item in value.items():
            mapping[_generalize(key, seen)] = _generalize(item, seen)
        return mapping
    if isinstance(value, (set, frozenset)):
        elements = [_generalize(item, seen) for item in value]
        try:
            return set(elements)
        except TypeError:  # objects became dicts, which a Python set cannot hold: a list carries them
            return elements
    if isinstance(value, JavaObject):
        pojo: Dict[str, Any] = {"class": value.java_class}
        seen[id(value)] = pojo
        for name, item in value.fields.items():
            pojo[name] = _generalize(item, seen)
        return pojo
    found = binding(value.__class__) if dataclasses.is_dataclass(value) else None
    if found is not None and found[1] is not None:
        pojo = {"class": found[0]}
        seen[id(value)] = pojo
        for name, _java_type in found[1]:
            pojo[name] = _generalize(getattr(value, name), seen)
        return pojo
    return value


# -- serving $invoke -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Target:
    """A unary wrapper-mode method a generic call may reach: its (adapted) function and its bound classes."""

    method: Callable[[Arguments], Any]
    is_async: bool
    classes: Mapping[str, type]


def _mode() -> bool:
    """Whether the call's ``generic`` attachment asks for the result as it is (raw.return) rather than
    generalized; UNIMPLEMENTED for a mode this provider does not serve."""
    context = current_call.get()
    mode = ""
    if context is not None:
        for key, value in context.invocation_metadata() or ():
            if key == "generic":
                mode = value.strip() if isinstance(value, str) else ""
    if mode.lower() in _DEFAULT_MODES:
        return False
    if mode == _RAW_RETURN:
        return True
    raise RpcError(
        grpc.StatusCode.UNIMPLEMENTED,
        f"generic={mode} is not supported by this provider: it serves generic=true and generic=raw.return",
    )


class _Invoker:
    """One service's generic dispatch: a ``$invoke`` request's method, types and arguments to a handler call."""

    def __init__(self, service: str, handlers: Mapping[str, Any], targets: Mapping[str, Any]) -> None:
        self.service = service
        self.kinds = {name: handler.kind for name, handler in handlers.items()}
        self.targets = {
            name: _Target(handler.method, inspect.iscoroutinefunction(handler.method), _classes(handler))
            for name, handler in targets.items()
        }

    def prepare(self, request: Arguments) -> Tuple[_Target, Arguments]:
        """The target method of a ``$invoke`` request and its realized arguments, or the error Java gives."""
        if len(request) != 3:
            raise _malformed(f"not {len(request)} arguments")
        name, types, args = request
        if not isinstance(name, str):
            raise _malformed(f"the method name is a {type(name).__name__}")
        if not (types is None or isinstance(types, list) and all(isinstance(t, str) for t in types)):
            raise _malformed("the parameter types are not a String[]")
        if not (args is None or isinstance(args, list)):
            raise _malformed(f"the arguments are a {type(args).__name__}, not an Object[]")
        name = name.strip()
        target = self.targets.get(name)
        if target is None:
            kind = self.kinds.get(name)
            if kind is None:
                raise JavaException(RPC_EXCEPTION, f"No such method {name} in class interface {self.service}")
            what = "a protobuf (IDL)" if kind == UNARY else f"a {kind}"
            raise JavaException(
                RPC_EXCEPTION, f"{name} of {self.service} is {what} method: $invoke calls unary wrapper-mode methods"
            )
        types = types or []
        args = [None] * len(types) if args is None else args
        if len(args) != len(types):
            raise JavaException(
                RPC_EXCEPTION, f"args.length != types.length: {len(args)} arguments for {len(types)} parameter types"
            )
        try:
            values = [_realize(arg, java_type, target.classes, {}) for arg, java_type in zip(args, types)]
        except HessianError as error:
            raise JavaException(RPC_EXCEPTION, f"Deserialize generic invocation failed: {error}") from None
        return target, Arguments(values, types)

    def invoke(self, request: Arguments) -> Any:
        """A generic call on a service whose handlers are all sync."""
        raw = _mode()
        target, args = self.prepare(request)
        result = target.method(args)
        return result if raw else generalize(result)

    async def invoke_async(self, request: Arguments) -> Any:
        """A generic call on a service with async handlers; a sync one among them runs on a worker thread."""
        raw = _mode()
        target, args = self.prepare(request)
        if target.is_async:
            result = await target.method(args)
        else:
            result = await asyncio.to_thread(target.method, args)
        return result if raw else generalize(result)


def _malformed(problem: str) -> RpcError:
    """INVALID_ARGUMENT for a request not shaped as GenericService.$invoke's parameters."""
    return RpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"$invoke takes (String method, String[] parameterTypes, Object[] args): {problem}",
    )


def _classes(handler: Any) -> Dict[str, type]:
    """The Java class names of the classes a handler's deserializer binds, mapped to them."""
    classes: Dict[str, type] = {}
    for cls in handler.request_deserializer.classes:
        found = binding(cls)
        if found is not None:
            classes[found[0]] = cls
    return classes


def generic_invoker(service: str, handlers: Mapping[str, Any], targets: Mapping[str, Any]) -> Callable[[Arguments], Any]:
    """The function that serves ``$invoke`` for ``service``: a generic call's method, types and arguments to a
    call of one of ``targets`` (its unary wrapper-mode handlers); async if any of them is."""
    invoker = _Invoker(service, handlers, targets)
    return invoker.invoke_async if any(t.is_async for t in invoker.targets.values()) else invoker.invoke
