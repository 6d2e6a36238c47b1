"""Hessian 2.0, byte for byte as Java's Hessian2Output writes it: the serialization of Dubbo's wrapped calls.

Why our own: on PyPI, python-hessian (1.2.0) writes Hessian 1.0 only and needs six; pyhessian2, hessianpy and
mustaine are unmaintained for years and none writes Java's UTF-16 string lengths, surrogate pairs, compact
doubles or typed arrays as Java does. So this is a small pure-Python codec, checked against Caucho's own jar.

    dumps(value, java_type=None) -> bytes      java_type: the declared Java class, as Class.getName() spells it
    loads(data, classes=(), **limits) -> value

None, bool, int, float, str, bytes, list/tuple, dict, datetime (aware), Decimal travel as null, boolean, int (long
beyond 32 bits, or when declared long), double, String, byte[], List, Map, Date, BigDecimal; a set as a HashSet
(lists of any kind read back as lists); declared type arguments (``java.util.List<java.lang.Long>``) decide how
elements are written and are dropped on the wire. date, time and timedelta
travel as java.time's LocalDate, LocalTime and Duration, a datetime declared ``java.time.LocalDateTime`` (naive) or
``java.time.Instant`` (aware) as that, each as Dubbo's hessian-lite writes it (its handle objects); ``loads`` reads
them, and hessian-lite's compact mode, back as those Python types (nanoseconds truncated to microseconds).

A dataclass or Enum bound with ``@java_class("org.example.User")`` travels as that POJO or enum, its fields in the
dataclass's order (Java reads them by name; Caucho writes a class's fields in declaration order, hessian-lite in
reverse, so the order is the only thing that may differ from a Java writer's bytes);
declare a field's Java type with ``field(metadata={JAVA_TYPE: "long"})``. The binding is an attribute of the class,
so there is no global registry: ``loads`` builds instances only of the classes it is given, and returns any other
object as a ``JavaObject``. It never imports anything by name, and refuses malformed or oversized input with
HessianError.

Triple's wrapper mode (dubbo/hessian2/wrapper.py) carries Java interface calls in it:

    client.unary("sayHello", request_serializer("java.lang.String"), response_deserializer)("world")
    RpcMethodHandler.unary(fn, "sayHello", request_deserializer, response_serializer)   # fn(args)
    JavaService(client, {"sayHello": (["java.lang.String"], "java.lang.String")}).sayHello("world")
    GenericService(client).invoke("sayHello", ["java.lang.String"], ["world"])          # Java's $invoke

and serves Java's generic ``$invoke`` on every service with wrapper-mode handlers (dubbo/hessian2/generic.py).
"""

from ._decoder import loads
from ._encoder import dumps
from ._types import JAVA_TYPE, HessianError, JavaObject, java_class
from .generic import generalize, realize
from .wrapper import (
    Arguments,
    GenericService,
    JavaException,
    JavaService,
    RequestDeserializer,
    RequestSerializer,
    ResponseDeserializer,
    ResponseSerializer,
    overloads,
    request_deserializer,
    request_serializer,
    response_deserializer,
    response_serializer,
)

__all__ = [
    "dumps", "loads", "java_class", "JavaObject", "HessianError", "JAVA_TYPE",
    "request_serializer", "response_deserializer", "request_deserializer", "response_serializer",
    "RequestSerializer", "ResponseDeserializer", "RequestDeserializer", "ResponseSerializer",
    "Arguments", "JavaException", "overloads", "JavaService", "GenericService", "realize", "generalize",
]  # fmt: skip
