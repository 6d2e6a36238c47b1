"""Python values to Hessian 2.0 bytes, written the way Caucho's Hessian2Output writes the Java equivalents."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import math
import operator
import re
import struct
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _java_time as java_time
from ._types import HessianError, JavaObject

_H = struct.Struct(">H").pack
_I = struct.Struct(">i").pack
_Q = struct.Struct(">q").pack
_D = struct.Struct(">d").pack
_F = struct.Struct(">f")

_INT_MIN, _INT_MAX = -0x80000000, 0x7FFFFFFF
_LONG_MIN, _LONG_MAX = -0x8000000000000000, 0x7FFFFFFFFFFFFFFF
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MS = datetime.timedelta(milliseconds=1)
_SIZE = 8192  # Hessian2Output's buffer; where it flushes decides how byte[] is chunked
_CHUNK = 0x8000  # UTF-16 units in a non-final string chunk
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_INT_TYPES = {"int", "java.lang.Integer", "short", "java.lang.Short", "byte", "java.lang.Byte"}
_LONG_TYPES = {"long", "java.lang.Long"}
_PLAIN_LISTS = {"java.util.List", "java.util.ArrayList", "java.util.Collection", "java.lang.Iterable", "java.lang.Object"}
_PLAIN_MAPS = {"java.util.Map", "java.util.HashMap", "java.lang.Object"}
_SET_INTERFACES = {"java.util.Set", "java.util.Collection", "java.lang.Iterable", "java.lang.Object"}
_SORTED_SET_INTERFACES = {"java.util.SortedSet", "java.util.NavigableSet"}
_COLLECTIONS = (list, tuple, set, frozenset)
_ARRAY_ELEMENT = {"Z": "boolean", "B": "byte", "C": "char", "S": "short", "I": "int", "J": "long", "F": "float", "D": "double"}
_ARRAY_NAME = {"java.lang.String": "string", "java.lang.Object": "object", "java.util.Date": "date"}


def _split_astral(match: "re.Match[str]") -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def _java_float(value: float) -> float:
    """A double rounded to the nearest Java float, as ``(double) someFloat`` is."""
    try:
        return _F.unpack(_F.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _java_float_string(value: float) -> float:
    """A double parsed from ``Float.toString`` of the nearest float: how hessian-lite writes a boxed Float."""
    single = _java_float(value)
    if not math.isfinite(single):
        return single
    for digits in range(1, 10):  # the shortest decimal that names this float, as Float.toString prints it
        shortest = float(f"{single:.{digits}g}")
        if _java_float(shortest) == single:
            return shortest
    return single


@lru_cache(maxsize=256)
def _array_layout(java_type: str) -> Tuple[str, str]:
    """For an array's ``Class.getName()`` ("[I", "[Ljava.lang.String;"): its Hessian list type and element type."""
    component = java_type[1:]
    if component.startswith("["):
        return "[" + _array_layout(component)[0], component
    if component.startswith("L") and component.endswith(";"):
        name = component[1:-1]
        return "[" + _ARRAY_NAME.get(name, name), name
    if component in _ARRAY_ELEMENT:
        return "[" + _ARRAY_ELEMENT[component], _ARRAY_ELEMENT[component]
    raise HessianError(f"not a Java array type name: {java_type!r}")


# -- scalars: written straight into the message's buffer, needing nothing else of the encoder ------------------


def _null(out: bytearray, _value: Any = None) -> None:
    out.append(0x4E)


def _boolean(out: bytearray, value: Any) -> None:
    if value is True:
        out.append(0x54)
    elif value is False:
        out.append(0x46)
    else:
        raise TypeError(f"a Java boolean is written from a bool, not {type(value).__name__}")


def _int32(out: bytearray, value: Any) -> None:
    if value.__class__ is not int:
        value = _index(value)
    if -0x10 <= value <= 0x2F:
        out.append(0x90 + value)
    elif -0x800 <= value <= 0x7FF:
        out.append(0xC8 + (value >> 8))
        out.append(value & 0xFF)
    elif -0x40000 <= value <= 0x3FFFF:
        out.append(0xD4 + (value >> 16))
        out += _H(value & 0xFFFF)
    elif _INT_MIN <= value <= _INT_MAX:
        out.append(0x49)
        out += _I(value)
    else:
        raise HessianError(f"{value} does not fit a Java int")


def _int64(out: bytearray, value: Any) -> None:
    if value.__class__ is not int:
        value = _index(value)
    if -0x8 <= value <= 0xF:
        out.append(0xE0 + value)
    elif -0x800 <= value <= 0x7FF:
        out.append(0xF8 + (value >> 8))
        out.append(value & 0xFF)
    elif -0x40000 <= value <= 0x3FFFF:
        out.append(0x3C + (value >> 16))
        out += _H(value & 0xFFFF)
    elif _INT_MIN <= value <= _INT_MAX:
        out.append(0x59)
        out += _I(value)
    elif _LONG_MIN <= value <= _LONG_MAX:
        out.append(0x4C)
        out += _Q(value)
    else:
        raise HessianError(f"{value} does not fit a Java long")


def _integer(out: bytearray, value: int) -> None:
    """A Python int: a Java int when it fits 32 bits, else a long."""
    if _INT_MIN <= value <= _INT_MAX:
        _int32(out, value)
    else:
        _int64(out, value)


def _double(out: bytearray, value: Any) -> None:
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise TypeError(f"a Java double is written from a number, not {type(value).__name__}")
        value = float(value)
    if -2147483648.0 <= value <= 2147483647.0:  # Java's (int) cast, NaN excluded
        whole = int(value)
        if whole == value:
            if whole == 0:
                out.append(0x5B)  # -0.0 too, as Java writes it
                return
            if whole == 1:
                out.append(0x5C)
                return
            if -0x80 <= whole < 0x80:
                out.append(0x5D)
                out.append(whole & 0xFF)
                return
            if -0x8000 <= whole < 0x8000:
                out.append(0x5E)
                out += _H(whole & 0xFFFF)
                return
    scaled = value * 1000
    if math.isnan(scaled):
        mills = 0
    elif scaled >= 2147483647.0:
        mills = _INT_MAX
    elif scaled <= -2147483648.0:
        mills = _INT_MIN
    else:
        mills = int(scaled)
    if 0.001 * mills == value:  # Java's test, in the same double arithmetic
        out.append(0x5F)
        out += _I(mills)
        return
    out.append(0x44)
    out += _D(value)


def _float32(out: bytearray, value: Any) -> None:
    """A Java float: Java writes it as the double of equal value."""
    _double(out, _java_float(_real(value)))


def _boxed_float(out: bytearray, value: Any) -> None:
    """A java.lang.Float: Dubbo's hessian-lite writes the double its decimal string reads as (0.1f -> 0.1)."""
    _double(out, _java_float_string(_real(value)))


def _date(out: bytearray, value: datetime.datetime) -> None:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"a java.util.Date is written from a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise HessianError(
            f"naive datetime {value!r}: give it a timezone (java.util.Date is an instant), or declare it"
            " java.time.LocalDateTime"
        )
    millis = (value - _EPOCH) // _MS
    if millis % 60000 == 0 and -0x80000000 <= millis // 60000 <= 0x7FFFFFFF:
        out.append(0x4B)
        out += _I(millis // 60000)
    elif _LONG_MIN <= millis <= _LONG_MAX:
        out.append(0x4A)
        out += _Q(millis)
    else:
        raise HessianError(f"{value!r} is out of java.util.Date's range")


def _string(out: bytearray, value: str) -> None:
    if type(value) is not str:
        if not isinstance(value, str):
            raise TypeError(f"a Java String is written from a str, not {type(value).__name__}")
        value = str(value)
    if value.isascii():
        length = len(value)
        if length <= 0x1F:
            out.append(length)
            out += value.encode()
            return
        if length <= 0x3FF:
            out.append(0x30 + (length >> 8))
            out.append(length & 0xFF)
            out += value.encode()
            return
    elif max(value) > "\uffff":
        value = _ASTRAL.sub(_split_astral, value)  # one Python char per UTF-16 unit, as Java counts
    length = len(value)
    start = 0
    while length - start > _CHUNK:
        end = start + _CHUNK
        if "\ud800" <= value[end - 1] <= "\udbff":  # a chunk never ends inside a surrogate pair
            end -= 1
        out.append(0x52)
        out += _H(end - start)
        out += value[start:end].encode("utf-8", "surrogatepass")
        start = end
    rest = length - start
    if rest <= 0x1F:
        out.append(rest)
    elif rest <= 0x3FF:
        out.append(0x30 + (rest >> 8))
        out.append(rest & 0xFF)
    else:
        out.append(0x53)
        out += _H(rest)
    out += (value[start:] if start else value).encode("utf-8", "surrogatepass")


def _char(out: bytearray, value: str) -> None:
    if not isinstance(value, str) or len(value.encode("utf-16-le", "surrogatepass")) != 2:
        raise HessianError(f"a Java char is one UTF-16 unit, not {value!r}")
    _string(out, value)


Scalar = Callable[[bytearray, Any], None]


class Encoder:
    """One message's writer: its buffer and the refs, class definitions and type names it has written."""

    __slots__ = ("out", "refs", "keep", "slots", "classes", "types", "flushed")

    def __init__(self) -> None:
        self.out = bytearray()
        self.refs: Dict[Any, int] = {}  # id() of a list, dict, object or enum constant written -> its ref number
        self.keep: List[Any] = []  # what refs' ids point at, kept alive while the ids mean something
        self.slots = 0  # every list, map and object takes a ref number, as in Java
        self.classes: Dict[Tuple[str, Tuple[str, ...]], int] = {}
        self.types: Dict[str, int] = {}
        self.flushed = 0  # where Java's buffer would last have been flushed

    # -- the value dispatch --------------------------------------------------------------------------

    def value(self, value: Any) -> None:
        """Write ``value`` as Java would write the object Python's type stands for."""
        cls = value.__class__
        scalar = _SCALARS.get(cls)
        if scalar is not None:
            return scalar(self.out, value)
        writer = _WRITERS.get(cls)
        if writer is not None:
            return writer(self, value)
        own = cls.__dict__
        plan = own.get("__java_plan__")
        if plan is not None:
            return self.pojo(value, plan)
        if "__java_class__" in own:  # bound with java_class
            return self.bound(value, own["__java_class__"], own.get("__java_fields__"))
        _writer_for(value)(self, value)

    def typed(self, value: Any, java_type: Optional[str]) -> None:
        """Write ``value`` as Java writes a value whose declared class is ``java_type`` (``Class.getName()``)."""
        if java_type is None or value is None:
            return self.value(value)
        scalar = _TYPED_SCALARS.get(java_type)
        if scalar is not None:
            return scalar(self.out, value)
        writer = _TYPED_WRITERS.get(java_type)
        if writer is not None:
            return writer(self, value)
        if java_type.startswith("["):
            return self.array(value, java_type)
        plan = value.__class__.__dict__.get("__java_plan__")  # a POJO declared as its class (or a supertype)
        if plan is not None:
            return self.pojo(value, plan)
        if "<" in java_type:
            return self.parameterized(value, java_type)
        if isinstance(value, _COLLECTIONS):  # another collection class travels typed, as Java writes it
            return self.sequence(value, _list_type(value, java_type))
        if isinstance(value, dict):
            return self.mapping(value, None if java_type in _PLAIN_MAPS else java_type)
        return self.value(value)

    def parameterized(self, value: Any, java_type: str) -> None:
        """A value declared with type arguments (``java.util.List<java.lang.Long>``): a collection's elements and a
        map's keys and values are written as those types say, as Java's would be (a Long, not an Integer)."""
        raw, arguments = type_arguments(java_type)
        if isinstance(value, _COLLECTIONS) and len(arguments) == 1:
            return self.sequence(value, _list_type(value, raw), arguments[0])
        if isinstance(value, dict) and len(arguments) == 2:
            return self.mapping(value, None if raw in _PLAIN_MAPS else raw, arguments[0], arguments[1])
        return self.typed(value, raw)

    # -- what needs more than the buffer -------------------------------------------------------------------

    def binary(self, value: Any) -> None:
        """A byte[], chunked where Caucho's 8 KiB buffer would make it chunk (exactly so while nothing
        before it in the message forced an earlier flush)."""
        data = memoryview(value).cast("B")
        out = self.out
        length = len(data)
        offset = len(out) - self.flushed  # where Java's buffer would be
        pos = 0
        while _SIZE - offset - 3 < length:
            part = _SIZE - offset - 3
            if part < 16:
                self.flushed = len(out)
                offset = 0
                part = min(length, _SIZE - 3)
            out.append(0x41)
            out += _H(part)
            out += data[pos : pos + part]
            pos += part
            length -= part
            self.flushed = len(out)
            offset = 0
        if _SIZE < offset + 16:
            self.flushed = len(out)
        if length <= 0xF:
            out.append(0x20 + length)
        elif length <= 0x3FF:
            out.append(0x34 + (length >> 8))
            out.append(length & 0xFF)
        else:
            out.append(0x42)
            out += _H(length)
        out += data[pos:]

    def byte_array(self, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            if not all(type(b) is int and -0x80 <= b <= 0xFF for b in value):
                raise HessianError("a byte[] is written from bytes or from ints in -128..255")
            value = bytes(b & 0xFF for b in value)
        self.binary(value)

    def decimal(self, value: Any) -> None:
        value = decimal.Decimal(value)
        if not value.is_finite():
            raise HessianError(f"java.math.BigDecimal has no {value}")
        self.slots += 1
        self.object_header("java.math.BigDecimal", ("value",))
        _string(self.out, str(value))

    # -- java.time: hessian-lite's handle objects ---------------------------------------------------------
    #
    # Java's LocalTime, Instant and Duration factories return one cached instance for a whole hour, the epoch and
    # zero, so hessian-lite writes such a value seen before in the message as a ref to its handle: so do these.
    # Other values are never shared (immutable, like tuples), but each handle takes its ref number.

    def local_date(self, value: Any) -> None:
        """A java.time.LocalDate, from a date (not a datetime): a LocalDateHandle."""
        if value.__class__ is not datetime.date and (
            not isinstance(value, datetime.date) or isinstance(value, datetime.datetime)
        ):
            raise TypeError(f"a java.time.LocalDate is written from a date, not {type(value).__name__}")
        self.slots += 1
        self.object_header(java_time.LOCAL_DATE_HANDLE, java_time.LOCAL_DATE_FIELDS)
        out = self.out
        _int32(out, value.day)
        _int32(out, value.month)
        _int32(out, value.year)

    def local_time(self, value: Any) -> None:
        """A java.time.LocalTime, from a naive time: a LocalTimeHandle."""
        if not isinstance(value, datetime.time):
            raise TypeError(f"a java.time.LocalTime is written from a time, not {type(value).__name__}")
        if value.utcoffset() is not None:
            raise HessianError(f"aware time {value!r}: a java.time.LocalTime has no zone")
        hour, minute, second, micros = value.hour, value.minute, value.second, value.microsecond
        if minute or second or micros:
            self.slots += 1
        elif self.ref(value, (java_time.LOCAL_TIME_HANDLE, hour)):
            return
        self.object_header(java_time.LOCAL_TIME_HANDLE, java_time.LOCAL_TIME_FIELDS)
        out = self.out
        _int32(out, micros * 1000)
        _int32(out, second)
        _int32(out, minute)
        _int32(out, hour)

    def local_date_time(self, value: Any) -> None:
        """A java.time.LocalDateTime, from a naive datetime: a LocalDateTimeHandle of a LocalTime and a LocalDate."""
        if not isinstance(value, datetime.datetime):
            raise TypeError(f"a java.time.LocalDateTime is written from a datetime, not {type(value).__name__}")
        if value.utcoffset() is not None:
            raise HessianError(
                f"aware datetime {value!r}: a java.time.LocalDateTime has no zone (an instant is a java.time.Instant)"
            )
        self.slots += 1
        self.object_header(java_time.LOCAL_DATE_TIME_HANDLE, java_time.LOCAL_DATE_TIME_FIELDS)
        self.local_time(value.time())
        self.local_date(value.date())

    def instant(self, value: Any) -> None:
        """A java.time.Instant, from an aware datetime: an InstantHandle."""
        if not isinstance(value, datetime.datetime):
            raise TypeError(f"a java.time.Instant is written from a datetime, not {type(value).__name__}")
        if value.utcoffset() is None:
            raise HessianError(f"naive datetime {value!r}: give it a timezone (java.time.Instant is an instant)")
        seconds, nanos = java_time.epoch_seconds(value)
        self.epoch_handle(java_time.INSTANT_HANDLE, java_time.INSTANT_FIELDS, value, seconds, nanos)

    def duration(self, value: Any) -> None:
        """A java.time.Duration, from a timedelta: a DurationHandle."""
        if not isinstance(value, datetime.timedelta):
            raise TypeError(f"a java.time.Duration is written from a timedelta, not {type(value).__name__}")
        seconds, nanos = java_time.duration_seconds(value)
        self.epoch_handle(java_time.DURATION_HANDLE, java_time.DURATION_FIELDS, value, seconds, nanos)

    def epoch_handle(self, java_class: str, names: Tuple[str, ...], value: Any, seconds: int, nanos: int) -> None:
        """An InstantHandle or DurationHandle: ``nanos`` (int), then ``seconds`` (long); zero is Java's one instance."""
        if seconds or nanos:
            self.slots += 1
        elif self.ref(value, (java_class,)):
            return
        self.object_header(java_class, names)
        _int32(self.out, nanos)
        _int64(self.out, seconds)

    # -- lists, maps, objects --------------------------------------------------------------------------

    def ref(self, value: Any, key: Any) -> bool:
        """Write a back-reference if ``value`` was written before; else give it the next ref number."""
        number = self.refs.get(key)
        if number is not None:
            self.out.append(0x51)
            _int32(self.out, number)
            return True
        self.refs[key] = self.slots
        self.keep.append(value)
        self.slots += 1
        return False

    def list_header(self, length: int, java_type: Optional[str]) -> None:
        out = self.out
        if java_type is None:
            if length <= 7:
                out.append(0x78 + length)
            else:
                out.append(0x58)
                _int32(self.out, length)
        elif length <= 7:
            out.append(0x70 + length)
            self.type_name(java_type)
        else:
            out.append(0x56)
            self.type_name(java_type)
            _int32(self.out, length)

    def type_name(self, java_type: str) -> None:
        number = self.types.get(java_type)
        if number is None:
            self.types[java_type] = len(self.types)
            _string(self.out, java_type)
        else:
            _int32(self.out, number)

    def sequence(self, value: Any, java_type: Optional[str] = None, element_type: Optional[str] = None) -> None:
        """A list as Java writes an ArrayList (untyped), or typed for another declared collection class; its
        items as ``element_type`` when one is declared."""
        if type(value) is tuple or type(value) is frozenset:
            self.slots += 1  # immutable: not shared by identity, but it holds a ref number all the same
        elif self.ref(value, id(value)):
            return
        self.list_header(len(value), java_type)
        if element_type is None:
            write = self.value
            for item in value:
                write(item)
        else:
            typed = self.typed
            for item in value:
                typed(item, element_type)

    def java_set(self, value: Any) -> None:
        """A set as Java writes a HashSet: a list typed ``java.util.HashSet``."""
        self.sequence(value, "java.util.HashSet")

    def array(self, value: Any, java_type: str) -> None:
        """A Java array of the declared type: a typed fixed list ("[int", "[string"), or byte[]/char[]."""
        if java_type == "[B":
            return self.byte_array(value)
        if java_type == "[C":
            return _string(self.out, value)
        list_type, element_type = _array_layout(java_type)
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"a {java_type} is written from a list or tuple, not {type(value).__name__}")
        if type(value) is tuple:
            self.slots += 1
        elif self.ref(value, id(value)):
            return
        self.list_header(len(value), list_type)
        typed = self.typed
        for item in value:
            typed(item, element_type)

    def mapping(
        self, value: dict, java_type: Optional[str] = None, key_type: Optional[str] = None, value_type: Optional[str] = None
    ) -> None:
        """A dict as Java writes a HashMap (untyped), or typed for another declared map class; its keys and
        values as ``key_type`` and ``value_type`` when declared."""
        if self.ref(value, id(value)):
            return
        out = self.out
        if java_type is None:
            out.append(0x48)
        else:
            out.append(0x4D)
            self.type_name(java_type)
        if key_type is None and value_type is None:
            write = self.value
            for key, item in value.items():
                write(key)
                write(item)
        else:
            typed = self.typed
            for key, item in value.items():
                typed(key, key_type)
                typed(item, value_type)
        out.append(0x5A)

    def object_header(self, java_class: str, names: Tuple[str, ...]) -> None:
        """A class definition the first time this class (with these fields) is written, then the instance tag."""
        self.class_header((java_class, names), None)

    def class_header(self, key: Tuple[str, Tuple[str, ...]], definition: Optional[bytes]) -> None:
        """``object_header`` for a class whose key and definition bytes (made here when None) are known."""
        number = self.classes.get(key)
        out = self.out
        if number is None:
            number = self.classes[key] = len(self.classes)
            out += _class_definition(*key) if definition is None else definition
        if number <= 0xF:
            out.append(0x60 + number)
        else:
            out.append(0x4F)
            _int32(self.out, number)

    def java_object(self, value: JavaObject) -> None:
        if self.ref(value, id(value)):
            return
        fields = value.fields
        self.object_header(value.java_class, tuple(fields))
        write = self.value
        for item in fields.values():
            write(item)

    def bound(self, value: Any, java_class: str, layout: Optional[Tuple[Tuple[str, Optional[str]], ...]]) -> None:
        """An instance of a class bound with ``java_class``: a POJO (dataclass) or a Java enum (Enum)."""
        if layout is None:  # an Enum member: a singleton, as Java's enum constants are
            if self.ref(value, id(value)):
                return
            self.object_header(java_class, ("name",))
            _string(self.out, value.name)
            return
        self.pojo(value, _plan(type(value), java_class, layout))

    def pojo(self, value: Any, plan: "_Plan") -> None:
        """A bound dataclass's instance, its fields read and written as its plan says."""
        if self.ref(value, id(value)):
            return
        self.class_header(plan.key, plan.definition)
        _write_fields(plan, value, self.out, self)


Writer = Callable[[Encoder, Any], None]


def _write_fields(plan: "_Plan", value: Any, out: bytearray, encoder: Optional[Encoder]) -> bool:
    """Write a POJO's fields as its plan says. With no encoder only scalars can be written (they need no refs
    or class definitions): False at the first field that is not one, the message then to be written again."""
    scalars = _SCALARS
    for (scalar, write), item in zip(plan.fields, plan.getter(value)):
        if item is None:
            out.append(0x4E)
        elif scalar is not None:
            scalar(out, item)
        else:
            if write is None:  # undeclared: as the value's type says
                scalar = scalars.get(item.__class__)
                if scalar is not None:
                    scalar(out, item)
                    continue
                write = Encoder.value
            if encoder is None:
                return False
            write(encoder, item)
    return True


class _Plan:
    """What writing a bound dataclass's instances needs, made once per class: the class definition's key and
    bytes (and the start of a message that is one instance), a getter of all field values at once, and each
    field's writer: ``(scalar, writer)``, at most one set, both None for a field whose value's type decides."""

    __slots__ = ("key", "definition", "message_head", "getter", "fields")

    def __init__(self, java_class: str, layout: Tuple[Tuple[str, Optional[str]], ...]) -> None:
        names = tuple(name for name, _ in layout)
        self.key = (java_class, names)
        self.definition = _class_definition(java_class, names)
        self.message_head = self.definition + b"\x60"  # a message that is one instance: definition #0, then it
        if len(names) > 1:
            self.getter: Callable[[Any], Tuple[Any, ...]] = operator.attrgetter(*names)
        elif names:
            one = operator.attrgetter(names[0])
            self.getter = lambda value: (one(value),)
        else:
            self.getter = lambda value: ()
        self.fields = tuple(_declared_writer(java_type) for _, java_type in layout)


def _declared_writer(java_type: Optional[str]) -> Tuple[Optional[Scalar], Optional[Writer]]:
    """How a field declared ``java_type`` is written (for values other than None)."""
    if java_type is None:
        return None, None
    scalar = _TYPED_SCALARS.get(java_type)
    if scalar is not None:
        return scalar, None
    writer = _TYPED_WRITERS.get(java_type)
    if writer is not None:
        return None, writer
    return None, lambda encoder, value: encoder.typed(value, java_type)


def _plan(cls: type, java_class: str, layout: Tuple[Tuple[str, Optional[str]], ...]) -> _Plan:
    """``cls``'s plan, kept on the class (``java_class`` resets it when it binds the class again)."""
    plan = _Plan(java_class, layout)
    if cls.__dict__.get("__java_fields__") is layout:
        setattr(cls, "__java_plan__", plan)
    return plan


@lru_cache(maxsize=1024)
def _class_definition(java_class: str, names: Tuple[str, ...]) -> bytes:
    """The bytes of a class definition: the same in every message, so made once."""
    out = bytearray(b"\x43")
    _string(out, java_class)
    _int32(out, len(names))
    for name in names:
        _string(out, name)
    return bytes(out)


def _real(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise TypeError(f"a Java float is written from a number, not {type(value).__name__}")
    return float(value)


def _index(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a Java integer is written from an int, not {type(value).__name__}")
    return int(value)


def _writer_for(value: Any) -> Callable[[Encoder, Any], None]:
    """The writer for a value whose exact type is not in the table: bound classes and subclasses."""
    cls = type(value)
    if dataclasses.is_dataclass(value) or isinstance(value, enum.Enum) and not isinstance(value, (int, str)):
        raise TypeError(f"{cls.__name__} is not bound to a Java class: decorate it with hessian2.java_class(name)")
    for base, writer in _SUBCLASS_WRITERS:
        if isinstance(value, base):
            return writer
    raise TypeError(f"no Hessian form for {cls.__name__}")


_SCALARS: Dict[type, Scalar] = {
    type(None): _null,
    bool: _boolean,
    int: _integer,
    float: _double,
    str: _string,
    datetime.datetime: _date,
}

_WRITERS: Dict[type, Writer] = {
    bytes: Encoder.binary,
    bytearray: Encoder.binary,
    memoryview: Encoder.binary,
    list: Encoder.sequence,
    tuple: Encoder.sequence,
    dict: Encoder.mapping,
    set: Encoder.java_set,
    frozenset: Encoder.java_set,
    decimal.Decimal: Encoder.decimal,
    JavaObject: Encoder.java_object,
    datetime.date: Encoder.local_date,
    datetime.time: Encoder.local_time,
    datetime.timedelta: Encoder.duration,
}

_SUBCLASS_WRITERS: Tuple[Tuple[Union[type, Tuple[type, ...]], Writer], ...] = (
    (bool, lambda encoder, v: _boolean(encoder.out, v)),
    (int, lambda encoder, v: _integer(encoder.out, int(v))),
    (float, lambda encoder, v: _double(encoder.out, v)),
    (str, lambda encoder, v: _string(encoder.out, v)),
    ((bytes, bytearray, memoryview), Encoder.binary),
    (list, Encoder.sequence),
    (tuple, Encoder.sequence),
    (dict, Encoder.mapping),
    ((set, frozenset), Encoder.java_set),
    (datetime.datetime, lambda encoder, v: _date(encoder.out, v)),
    (datetime.date, Encoder.local_date),
    (datetime.time, Encoder.local_time),
    (datetime.timedelta, Encoder.duration),
    (decimal.Decimal, Encoder.decimal),
    (JavaObject, Encoder.java_object),
)

_TYPED_SCALARS: Dict[str, Scalar] = {
    **{name: _int32 for name in _INT_TYPES},
    **{name: _int64 for name in _LONG_TYPES},
    "double": _double,
    "java.lang.Double": _double,
    "float": _float32,
    "java.lang.Float": _boxed_float,
    "boolean": _boolean,
    "java.lang.Boolean": _boolean,
    "char": _char,
    "java.lang.Character": _char,
    "java.lang.String": _string,
    "java.util.Date": _date,
}

_TYPED_WRITERS: Dict[str, Writer] = {
    "java.math.BigDecimal": Encoder.decimal,
    "java.time.LocalDate": Encoder.local_date,
    "java.time.LocalTime": Encoder.local_time,
    "java.time.LocalDateTime": Encoder.local_date_time,
    "java.time.Instant": Encoder.instant,
    "java.time.Duration": Encoder.duration,
}


def encode(value: Any, java_type: Optional[str] = None) -> bytearray:
    """``dumps`` without the copy to bytes: for callers that join the result into a larger message."""
    plan = value.__class__.__dict__.get("__java_plan__")
    if plan is not None and (java_type is None or _declares_a_class(java_type)):  # one POJO of scalars, at once
        out = bytearray(plan.message_head)
        if _write_fields(plan, value, out, None):
            return out
    encoder = Encoder()
    try:
        encoder.typed(value, java_type)
    except RecursionError:
        raise HessianError("value nested too deeply to encode") from None
    return encoder.out


def _list_type(value: Any, java_type: Optional[str]) -> Optional[str]:
    """The type a collection declared ``java_type`` is written with: none for Java's ArrayList, the class Java
    would hold for a set (``java.util.HashSet``, ``java.util.TreeSet``), else the declared class."""
    if isinstance(value, (set, frozenset)):
        if java_type is None or java_type in _SET_INTERFACES:
            return "java.util.HashSet"
        return "java.util.TreeSet" if java_type in _SORTED_SET_INTERFACES else java_type
    return None if java_type is None or java_type in _PLAIN_LISTS else java_type


@lru_cache(maxsize=1024)
def type_arguments(java_type: str) -> Tuple[str, Tuple[str, ...]]:
    """``"java.util.Map<java.lang.String, java.util.List<java.lang.Long>>"`` as its class and its type arguments:
    ``("java.util.Map", ("java.lang.String", "java.util.List<java.lang.Long>"))``."""
    raw, bracket, rest = java_type.partition("<")
    if not bracket or not rest.endswith(">") or not raw.strip():
        raise HessianError(f"not a Java type: {java_type!r}")
    arguments, balanced = split_types(rest[:-1])
    if not balanced or not all(arguments):
        raise HessianError(f"not a Java type: {java_type!r}")
    return raw.strip(), tuple(arguments)


def split_types(text: str) -> Tuple[List[str], bool]:
    """``text``'s comma-separated Java types, split only outside type arguments (``java.util.Map<K, V>, int``) and
    stripped; and whether its ``<`` and ``>`` pair up."""
    parts, depth, start, balanced = [], 0, 0, True
    for at, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
            balanced = balanced and depth >= 0
        elif char == "," and depth == 0:
            parts.append(text[start:at].strip())
            start = at + 1
    parts.append(text[start:].strip())
    return parts, balanced and depth == 0


def erased(java_type: str) -> str:
    """A declared type as ``Class.getName()`` names it on the wire: ``java.util.List<java.lang.Long>`` is
    ``java.util.List``."""
    return java_type.partition("<")[0].strip() if "<" in java_type else java_type


def _declares_a_class(java_type: str) -> bool:
    """Whether a POJO declared as ``java_type`` is written as itself (not refused as a String, array...)."""
    return java_type not in _TYPED_SCALARS and java_type not in _TYPED_WRITERS and not java_type.startswith("[")


def dumps(value: Any, java_type: Optional[str] = None) -> bytes:
    """Hessian 2.0 bytes of ``value``, as Java writes it; ``java_type`` is its declared class (``Class.getName()``)."""
    return bytes(encode(value, java_type))
