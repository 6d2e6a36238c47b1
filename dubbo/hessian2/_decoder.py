"""Hessian 2.0 bytes to Python values, every form Java's Hessian2Input reads, within limits, never trusting lengths."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import struct
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._java_time import COMPACT_LOCAL_DATE_TIME, COMPACT_VALUES, HANDLES
from ._types import HessianError, JavaObject, binding

_H = struct.Struct(">H").unpack_from
_I = struct.Struct(">i").unpack_from
_Q = struct.Struct(">q").unpack_from
_D = struct.Struct(">d").unpack_from

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_CONTINUATION = bytes(range(0x80, 0xC0))
_FOUR_BYTE_UTF8 = "4-byte UTF-8 in a string (Java's reader refuses it: it sends such characters as surrogate pairs)"
_PENDING = object()  # a ref number taken by a value still being read
_MISSING = dataclasses.MISSING

MAX_DEPTH = 100
MAX_STRING_LENGTH = 16 * 1024 * 1024  # UTF-16 units
MAX_BINARY_LENGTH = 64 * 1024 * 1024
MAX_LIST_LENGTH = 1024 * 1024  # items of one list, entries of one map, fields of one class
MAX_REFS = 1024 * 1024
MAX_CLASS_DEFS = 4096  # class definitions, and list/map type names, each


# Every message of a wrapped call repeats its classes' definitions, so the ones read lately are kept, by their
# first bytes, and a definition whose bytes match one exactly is not parsed again: with it are kept the
# _Definitions made of it, one per class it was bound to (None: none).
_SEEN_KEY = 24
_SEEN_MAX = 1024
_SEEN_DEFINITIONS: Dict[bytes, Tuple[bytes, str, Tuple[str, ...], Dict[Optional[type], "_Definition"]]] = {}
# The last definition read, its bytes and the bound classes it was read with: checked before the table.
_LAST_DEFINITION: Tuple[bytes, Optional[Dict[str, type]], Any] = (b"\xff", None, None)


class _Definition:
    """A class definition read from the stream, with what its instances become."""

    __slots__ = ("java_class", "names", "make", "cls", "targets", "defaults", "whole")

    def __init__(
        self,
        java_class: str,
        names: Tuple[str, ...],
        make: Callable[["Decoder", "_Definition", int], Any],
        cls: Optional[type] = None,
    ) -> None:
        self.java_class = java_class
        self.names = names
        self.make = make
        self.cls = cls
        # For a bound dataclass: the field each name sent fills (None drops a field Python's class lacks, as Java
        # does), and the fields not sent, with their defaults.
        self.targets: Tuple[Optional[str], ...] = names
        self.defaults: Tuple[Tuple[str, Any, Any], ...] = ()
        # Whether an instance's __dict__ can be filled at once: the fields sent are exactly the class's.
        self.whole = False
        if cls is not None and dataclasses.is_dataclass(cls):
            self.targets, self.defaults = _dataclass_layout(cls, names)
            self.whole = not self.defaults and None not in self.targets and cls.__dictoffset__ != 0


@lru_cache(maxsize=1024)
def _dataclass_layout(cls: type, names: Tuple[str, ...]) -> Tuple[Tuple[Optional[str], ...], Tuple[Tuple[str, Any, Any], ...]]:
    fields = dataclasses.fields(cls)
    known = {f.name for f in fields}
    missing = tuple((f.name, f.default, f.default_factory) for f in fields if f.name not in names)
    return tuple(name if name in known else None for name in names), missing


class Decoder:
    """One message's reader: the input, the position, and the refs, definitions and type names seen so far.
    Its limits are the defaults; ``_LimitedDecoder`` reads with a caller's own."""

    __slots__ = ("data", "pos", "end", "refs", "defs", "types", "classes")

    max_depth = MAX_DEPTH
    max_string_length = MAX_STRING_LENGTH
    max_binary_length = MAX_BINARY_LENGTH
    max_list_length = MAX_LIST_LENGTH
    max_refs = MAX_REFS
    max_class_defs = MAX_CLASS_DEFS

    def __init__(self, data: bytes, classes: Dict[str, type]) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data)
        self.refs: List[Any] = []
        self.defs: List[_Definition] = []
        self.types: List[str] = []
        self.classes = classes

    # -- primitives ------------------------------------------------------------------------------------

    def take(self, count: int) -> int:
        """Advance past ``count`` bytes and return where they start; fail if the input is shorter."""
        pos = self.pos
        if pos + count > self.end:
            raise HessianError(f"input ends inside a value ({count} bytes needed, {self.end - pos} left)", pos)
        self.pos = pos + count
        return pos

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise HessianError("input ends inside a value", pos)
        self.pos = pos + 1
        return self.data[pos]

    def value(self, depth: int = 0) -> Any:
        """The next value, whatever its type."""
        pos = self.pos
        if pos >= self.end:
            raise HessianError("input ends where a value should start", pos)
        tag = self.data[pos]
        self.pos = pos + 1
        return _READERS[tag](self, tag, depth)

    def int_value(self) -> int:
        """The next value, which must be a Java int (a length, a ref number, a definition number)."""
        tag = self.byte()
        if 0x80 <= tag <= 0xD7 or tag == 0x49:
            return _READERS[tag](self, tag, 0)
        raise HessianError(f"expected an int, found tag 0x{tag:02x}", self.pos - 1)

    def string_value(self) -> str:
        """The next value, which must be a string (a class or field name, a type name)."""
        tag = self.byte()
        if tag <= 0x1F or 0x30 <= tag <= 0x33 or tag in (0x52, 0x53):
            return _string(self, tag, 0)
        raise HessianError(f"expected a string, found tag 0x{tag:02x}", self.pos - 1)

    def length(self, count: int, start: int) -> int:
        """A declared count of items, refused if over the limit or if the bytes left cannot hold them."""
        if count < 0:
            raise HessianError(f"declared length {count} is negative", start)
        if count > self.max_list_length:
            raise HessianError(f"declared length {count} is over max_list_length={self.max_list_length}", start)
        if count > self.end - self.pos:
            raise HessianError(f"declared length {count} exceeds the {self.end - self.pos} bytes left", start)
        return count

    # -- strings ---------------------------------------------------------------------------------------

    def utf8(self, units: int) -> Tuple[str, bool]:
        """``units`` UTF-16 units of Java's UTF-8 (surrogates as 3 bytes each); and whether surrogates may be in it."""
        data = self.data
        start = self.pos
        stop = start + units
        if stop > self.end:
            raise HessianError(f"string of {units} chars runs past the end of input", start)
        chunk = data[start:stop]
        if chunk.isascii():
            self.pos = stop
            return chunk.decode("ascii"), False
        # One UTF-16 unit per lead byte: widen the window by the units still missing until all are in it.
        missing = units - len(chunk.translate(None, _CONTINUATION))
        while missing:
            more = stop + missing
            if more > self.end:
                raise HessianError(f"string of {units} chars runs past the end of input", start)
            missing -= len(data[stop:more].translate(None, _CONTINUATION))
            stop = more
        lead = stop - 1
        while data[lead] in _CONTINUATION and lead > stop - 3:
            lead -= 1
        first = data[lead]
        width = 1 if first < 0x80 else 2 if 0xC0 <= first < 0xE0 else 3 if 0xE0 <= first < 0xF0 else 0
        if first >= 0xF0:
            raise HessianError(_FOUR_BYTE_UTF8, lead)
        if not width or lead + width < stop:
            raise HessianError(f"bad UTF-8 byte 0x{first:02x} in a string", lead)
        stop = lead + width
        if stop > self.end:
            raise HessianError(f"string of {units} chars runs past the end of input", start)
        raw = data[start:stop]
        try:
            text = raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise HessianError(f"bad UTF-8 in a string: {exc.reason}", start + exc.start) from None
        if len(text) != units or max(text) > "\uffff":
            raise HessianError(_FOUR_BYTE_UTF8, start)
        self.pos = stop
        return text, b"\xed" in raw

    def string(self, tag: int) -> str:
        """The string whose first chunk starts with ``tag``, every chunk joined, surrogate pairs rebuilt."""
        start = self.pos - 1
        parts = []
        total = 0
        surrogates = False
        while True:
            if tag <= 0x1F:
                units, final = tag, True
            elif tag <= 0x33:
                units, final = ((tag - 0x30) << 8) + self.byte(), True
            else:  # 'S' final, 'R' more to come
                units, final = _H(self.data, self.take(2))[0], tag == 0x53
            total += units
            if total > self.max_string_length:
                raise HessianError(f"string longer than max_string_length={self.max_string_length}", start)
            text, maybe = self.utf8(units)
            parts.append(text)
            surrogates = surrogates or maybe
            if final:
                break
            tag = self.byte()
            if not (tag <= 0x1F or 0x30 <= tag <= 0x33 or tag in (0x52, 0x53)):
                raise HessianError(f"expected a string chunk, found tag 0x{tag:02x}", self.pos - 1)
        text = parts[0] if len(parts) == 1 else "".join(parts)
        if surrogates:  # Java's surrogate pairs, each half decoded on its own: make them one character
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return text

    def binary(self, tag: int) -> bytes:
        start = self.pos - 1
        parts = []
        total = 0
        while True:
            if 0x20 <= tag <= 0x2F:
                size, final = tag - 0x20, True
            elif 0x34 <= tag <= 0x37:
                size, final = ((tag - 0x34) << 8) + self.byte(), True
            else:  # 'B' final, 'A' more to come
                size, final = _H(self.data, self.take(2))[0], tag == 0x42
            total += size
            if total > self.max_binary_length:
                raise HessianError(f"binary longer than max_binary_length={self.max_binary_length}", start)
            at = self.take(size)
            parts.append(self.data[at : at + size])
            if final:
                return parts[0] if len(parts) == 1 else b"".join(parts)
            tag = self.byte()
            if not (0x20 <= tag <= 0x2F or 0x34 <= tag <= 0x37 or tag in (0x41, 0x42)):
                raise HessianError(f"expected a binary chunk, found tag 0x{tag:02x}", self.pos - 1)

    # -- lists, maps, objects --------------------------------------------------------------------------

    def slot(self, value: Any, start: int) -> int:
        """Give ``value`` the next ref number, as Java does for every list, map and object it reads."""
        refs = self.refs
        if len(refs) >= self.max_refs:
            raise HessianError(f"more than max_refs={self.max_refs} lists, maps and objects", start)
        refs.append(value)
        return len(refs) - 1

    def type_name(self) -> str:
        """A list or map type: a string the first time, later its number."""
        pos = self.pos
        if pos >= self.end:
            raise HessianError("input ends where a type should start", pos)
        tag = self.data[pos]
        if tag <= 0x1F or 0x30 <= tag <= 0x33 or tag in (0x52, 0x53):
            name = self.string_value()
            if len(self.types) >= self.max_class_defs:
                raise HessianError(f"more than max_class_defs={self.max_class_defs} type names", pos)
            self.types.append(name)
            return name
        number = self.int_value()
        if not 0 <= number < len(self.types):
            raise HessianError(f"type ref #{number} but {len(self.types)} types defined", pos)
        return self.types[number]

    def items(self, count: Optional[int], depth: int, start: int) -> List[Any]:
        """A list's items: ``count`` of them, or up to the end marker when None."""
        if depth >= self.max_depth:
            raise HessianError(f"nested deeper than max_depth={self.max_depth}", start)
        result: List[Any] = []
        self.slot(result, start)
        read = self.value
        depth += 1
        if count is not None:
            for _ in range(count):
                result.append(read(depth))
            return result
        data = self.data
        limit = self.max_list_length
        while True:
            if self.pos >= self.end:
                raise HessianError("input ends inside a list", start)
            if data[self.pos] == 0x5A:
                self.pos += 1
                return result
            if len(result) >= limit:
                raise HessianError(f"list longer than max_list_length={limit}", start)
            result.append(read(depth))

    def entries(self, depth: int, start: int) -> Dict[Any, Any]:
        if depth >= self.max_depth:
            raise HessianError(f"nested deeper than max_depth={self.max_depth}", start)
        result: Dict[Any, Any] = {}
        self.slot(result, start)
        read = self.value
        data = self.data
        depth += 1
        limit = self.max_list_length
        while True:
            if self.pos >= self.end:
                raise HessianError("input ends inside a map", start)
            if data[self.pos] == 0x5A:
                self.pos += 1
                return result
            if len(result) >= limit:
                raise HessianError(f"map larger than max_list_length={limit}", start)
            at = self.pos
            key = read(depth)
            try:
                result[key] = read(depth)
            except TypeError:
                raise HessianError(f"map key of type {type(key).__name__} has no Python dict form", at) from None

    def definition(self, start: int) -> _Definition:
        """A class definition: its name and field names, and what its instances decode to."""
        global _LAST_DEFINITION
        if len(self.defs) >= self.max_class_defs:
            raise HessianError(f"more than max_class_defs={self.max_class_defs} class definitions", start)
        data = self.data
        raw, classes, definition = _LAST_DEFINITION  # most often read again, as in the last message
        if not (data.startswith(raw, start) and (classes is self.classes or classes == self.classes)):
            seen = _SEEN_DEFINITIONS.get(data[start : start + _SEEN_KEY])
            if seen is not None and data.startswith(seen[0], start):
                raw, java_class, names, made = seen
            else:
                java_class = self.string_value()
                count = self.length(self.int_value(), start)
                names = tuple(self.string_value() for _ in range(count))
                if len(_SEEN_DEFINITIONS) >= _SEEN_MAX:
                    _SEEN_DEFINITIONS.clear()
                raw, made = data[start : self.pos], {}
                _SEEN_DEFINITIONS[data[start : start + _SEEN_KEY]] = (raw, java_class, names, made)
            bound = self.classes.get(java_class)
            definition = made.get(bound)
            if definition is None:
                definition = made[bound] = _new_definition(java_class, names, bound)
            _LAST_DEFINITION = (raw, self.classes, definition)
        if len(definition.names) > self.max_list_length:
            raise HessianError(f"declared length {len(definition.names)} is over max_list_length={self.max_list_length}", start)
        self.pos = start + len(raw)
        self.defs.append(definition)
        return definition

    def instance(self, number: int, depth: int, start: int) -> Any:
        if not 0 <= number < len(self.defs):
            raise HessianError(f"object of class definition #{number} but {len(self.defs)} defined", start)
        if depth >= self.max_depth:
            raise HessianError(f"nested deeper than max_depth={self.max_depth}", start)
        definition = self.defs[number]
        return definition.make(self, definition, depth + 1)

    def fields(self, definition: _Definition, depth: int) -> Dict[str, Any]:
        read = self.value
        return {name: read(depth) for name in definition.names}


# -- what instances of a class definition become ----------------------------------------------------------


def _new_definition(java_class: str, names: Tuple[str, ...], bound: Optional[type]) -> _Definition:
    """The _Definition of a class definition read, for the class bound to its name here (None: none)."""
    make: Callable[[Decoder, _Definition, int], Any]
    if bound is None:
        if java_class == "java.math.BigDecimal" and names == ("value",):
            make = _make_decimal
        elif java_class in HANDLES or java_class in COMPACT_VALUES:
            make = _java_time_maker(java_class, names)
        else:
            make = _make_java_object
    elif issubclass(bound, enum.Enum):
        make = _make_enum
    else:
        make = _make_dataclass
    return _Definition(java_class, names, make, bound)


def _java_time_maker(java_class: str, names: Tuple[str, ...]) -> Callable[[Decoder, _Definition, int], Any]:
    """What makes a java.time value of hessian-lite's handle (or compact) class ``java_class`` sent with ``names``.

    A handle takes its ref number before its fields are read, as Java's deserializer does for any object; a compact
    value after them, as hessian-lite's LocalDate/LocalTime/LocalDateTime deserializers do."""
    compact = COMPACT_VALUES.get(java_class)
    if compact is not None:
        convert: Callable[[Any], Any] = compact

        def make_compact(decoder: Decoder, definition: _Definition, depth: int) -> Any:
            start = decoder.pos
            if names:
                raise HessianError(f"{java_class} in compact form has no fields, not {', '.join(names)}", start)
            result = _java_time(convert, (decoder.value(depth),), start)
            decoder.slot(result, start)
            return result

        return make_compact

    wanted, build = HANDLES[java_class]
    positions = tuple(names.index(name) if name in names else -1 for name in wanted)
    missing = [name for name, at in zip(wanted, positions) if at < 0]
    handle = java_class != COMPACT_LOCAL_DATE_TIME

    def make(decoder: Decoder, definition: _Definition, depth: int) -> Any:
        start = decoder.pos
        if missing:
            raise HessianError(f"{java_class} without its field {missing[0]}", start)
        number = decoder.slot(_PENDING, start) if handle else -1
        values = _fields(decoder, len(names), depth)
        result = _java_time(build, tuple(values[at] for at in positions), start)
        if handle:
            decoder.refs[number] = result
        else:
            decoder.slot(result, start)
        return result

    return make


def _java_time(build: Callable[..., Any], values: Tuple[Any, ...], start: int) -> Any:
    """``build(*values)``, its HessianError placed at ``start``."""
    try:
        return build(*values)
    except HessianError as error:
        raise HessianError(str(error), start) from None


def _fields(decoder: Decoder, count: int, depth: int) -> List[Any]:
    """An instance's ``count`` field values; small ints and short ASCII strings (most fields) are read here."""
    data, end, readers = decoder.data, decoder.end, _READERS
    short = 0x1F if decoder.max_string_length >= 0x1F else decoder.max_string_length
    pos = decoder.pos
    values: List[Any] = []
    append = values.append
    for _ in range(count):
        if pos >= end:
            raise HessianError("input ends where a value should start", pos)
        tag = data[pos]
        pos += 1
        if 0x80 <= tag < 0xC0:
            append(tag - 0x90)
            continue
        if tag <= short:
            stop = pos + tag
            chunk = data[pos:stop]
            if len(chunk) == tag and chunk.isascii():
                append(chunk.decode("ascii"))
                pos = stop
                continue
        decoder.pos = pos
        append(readers[tag](decoder, tag, depth))
        pos = decoder.pos
    decoder.pos = pos
    return values


def _make_java_object(decoder: Decoder, definition: _Definition, depth: int) -> JavaObject:
    result = JavaObject(definition.java_class)
    decoder.slot(result, decoder.pos)
    names = definition.names
    result.fields.update(zip(names, _fields(decoder, len(names), depth)))
    return result


def _make_decimal(decoder: Decoder, definition: _Definition, depth: int) -> decimal.Decimal:
    start = decoder.pos
    number = decoder.slot(_PENDING, start)
    text = decoder.value(depth)
    try:
        result = decimal.Decimal(text)
    except (TypeError, decimal.InvalidOperation):
        raise HessianError(f"BigDecimal value {text!r} is not a number", start) from None
    decoder.refs[number] = result
    return result


def _make_enum(decoder: Decoder, definition: _Definition, depth: int) -> enum.Enum:
    start = decoder.pos
    number = decoder.slot(_PENDING, start)
    fields = decoder.fields(definition, depth)
    try:
        result = definition.cls[fields["name"]]  # type: ignore[index]
    except (KeyError, TypeError):
        raise HessianError(f"{definition.java_class} has no constant {fields.get('name')!r}", start) from None
    decoder.refs[number] = result
    return result


def _make_dataclass(decoder: Decoder, definition: _Definition, depth: int) -> Any:
    result: Any = object.__new__(definition.cls)  # type: ignore[arg-type]  # no constructor, as in Java: refs may point back
    decoder.slot(result, decoder.pos)
    targets = definition.targets
    values = _fields(decoder, len(targets), depth)
    if definition.whole:
        result.__dict__.update(zip(targets, values))
        return result
    set_field = object.__setattr__
    for name, item in zip(targets, values):
        if name is not None:
            set_field(result, name, item)
    for name, default, factory in definition.defaults:
        if default is not _MISSING:
            set_field(result, name, default)
        elif factory is not _MISSING:
            set_field(result, name, factory())
        else:
            set_field(result, name, None)
    return result


# -- one reader per tag ---------------------------------------------------------------------------------------

Reader = Callable[[Decoder, int, int], Any]


def _bad_tag(decoder: Decoder, tag: int, depth: int) -> Any:
    if tag == 0x5A:
        raise HessianError("end marker 'Z' where a value should be", decoder.pos - 1)
    raise HessianError(f"unknown tag 0x{tag:02x}", decoder.pos - 1)


def _int_direct(decoder: Decoder, tag: int, depth: int) -> int:
    return tag - 0x90


def _int_byte(decoder: Decoder, tag: int, depth: int) -> int:
    return ((tag - 0xC8) << 8) + decoder.byte()


def _int_short(decoder: Decoder, tag: int, depth: int) -> int:
    return ((tag - 0xD4) << 16) + _H(decoder.data, decoder.take(2))[0]


def _int32(decoder: Decoder, tag: int, depth: int) -> int:
    pos = decoder.pos
    if pos + 4 > decoder.end:
        decoder.take(4)  # raises: the input is too short
    decoder.pos = pos + 4
    return _I(decoder.data, pos)[0]


def _long_direct(decoder: Decoder, tag: int, depth: int) -> int:
    return tag - 0xE0


def _long_byte(decoder: Decoder, tag: int, depth: int) -> int:
    return ((tag - 0xF8) << 8) + decoder.byte()


def _long_short(decoder: Decoder, tag: int, depth: int) -> int:
    return ((tag - 0x3C) << 16) + _H(decoder.data, decoder.take(2))[0]


def _long64(decoder: Decoder, tag: int, depth: int) -> int:
    pos = decoder.pos
    if pos + 8 > decoder.end:
        decoder.take(8)  # raises: the input is too short
    decoder.pos = pos + 8
    return _Q(decoder.data, pos)[0]


def _double_byte(decoder: Decoder, tag: int, depth: int) -> float:
    value = decoder.byte()
    return float(value - 0x100 if value >= 0x80 else value)


def _double_short(decoder: Decoder, tag: int, depth: int) -> float:
    value = _H(decoder.data, decoder.take(2))[0]
    return float(value - 0x10000 if value >= 0x8000 else value)


def _double_mill(decoder: Decoder, tag: int, depth: int) -> float:
    pos = decoder.pos
    if pos + 4 > decoder.end:
        decoder.take(4)  # raises: the input is too short
    decoder.pos = pos + 4
    return 0.001 * _I(decoder.data, pos)[0]


def _double64(decoder: Decoder, tag: int, depth: int) -> float:
    pos = decoder.pos
    if pos + 8 > decoder.end:
        decoder.take(8)  # raises: the input is too short
    decoder.pos = pos + 8
    return _D(decoder.data, pos)[0]


def _date(millis: int, start: int) -> datetime.datetime:
    try:
        return _EPOCH + datetime.timedelta(milliseconds=millis)
    except OverflowError:
        raise HessianError(f"date {millis} ms from the epoch is outside Python's datetime range", start) from None


def _date_ms(decoder: Decoder, tag: int, depth: int) -> datetime.datetime:
    return _date(_Q(decoder.data, decoder.take(8))[0], decoder.pos - 9)


def _date_minute(decoder: Decoder, tag: int, depth: int) -> datetime.datetime:
    return _date(_I(decoder.data, decoder.take(4))[0] * 60000, decoder.pos - 5)


def _string(decoder: Decoder, tag: int, depth: int) -> str:
    if tag <= 0x1F and tag <= decoder.max_string_length:  # the common short ASCII string, without the loop
        pos = decoder.pos
        chunk = decoder.data[pos : pos + tag]
        if len(chunk) == tag and chunk.isascii():
            decoder.pos = pos + tag
            return chunk.decode("ascii")
    return decoder.string(tag)


def _binary(decoder: Decoder, tag: int, depth: int) -> bytes:
    return decoder.binary(tag)


def _list_typed_variable(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    start = decoder.pos - 1
    decoder.type_name()
    return decoder.items(None, depth, start)


def _list_typed_fixed(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    start = decoder.pos - 1
    decoder.type_name()
    return decoder.items(decoder.length(decoder.int_value(), start), depth, start)


def _list_untyped_variable(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    return decoder.items(None, depth, decoder.pos - 1)


def _list_untyped_fixed(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    start = decoder.pos - 1
    return decoder.items(decoder.length(decoder.int_value(), start), depth, start)


def _list_typed_direct(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    start = decoder.pos - 1
    decoder.type_name()
    return decoder.items(decoder.length(tag - 0x70, start), depth, start)


def _list_untyped_direct(decoder: Decoder, tag: int, depth: int) -> List[Any]:
    start = decoder.pos - 1
    return decoder.items(decoder.length(tag - 0x78, start), depth, start)


def _map_untyped(decoder: Decoder, tag: int, depth: int) -> Dict[Any, Any]:
    return decoder.entries(depth, decoder.pos - 1)


def _map_typed(decoder: Decoder, tag: int, depth: int) -> Dict[Any, Any]:
    start = decoder.pos - 1
    decoder.type_name()
    return decoder.entries(depth, start)


def _class_definition(decoder: Decoder, tag: int, depth: int) -> Any:
    definition = decoder.definition(decoder.pos - 1)
    pos = decoder.pos  # a definition is followed by the value it was written for, most often its instance
    if pos < decoder.end and decoder.data[pos] == 0x5F + len(decoder.defs) and depth < decoder.max_depth:
        decoder.pos = pos + 1
        return definition.make(decoder, definition, depth + 1)
    return decoder.value(depth)


def _object_direct(decoder: Decoder, tag: int, depth: int) -> Any:
    return decoder.instance(tag - 0x60, depth, decoder.pos - 1)


def _object(decoder: Decoder, tag: int, depth: int) -> Any:
    start = decoder.pos - 1
    return decoder.instance(decoder.int_value(), depth, start)


def _ref(decoder: Decoder, tag: int, depth: int) -> Any:
    start = decoder.pos - 1
    number = decoder.int_value()
    if not 0 <= number < len(decoder.refs):
        raise HessianError(f"ref #{number} but {len(decoder.refs)} objects read so far", start)
    value = decoder.refs[number]
    if value is _PENDING:
        raise HessianError(f"ref #{number} points into a value still being read", start)
    return value


def _constant(value: Any) -> Reader:
    return lambda decoder, tag, depth: value


_READERS: List[Reader] = [_bad_tag] * 256
for _tag, _reader in (
    (range(0x00, 0x20), _string),
    (range(0x20, 0x30), _binary),
    (range(0x30, 0x34), _string),
    (range(0x34, 0x38), _binary),
    (range(0x38, 0x40), _long_short),
    ((0x41, 0x42), _binary),
    ((0x43,), _class_definition),
    ((0x44,), _double64),
    ((0x46,), _constant(False)),
    ((0x48,), _map_untyped),
    ((0x49,), _int32),
    ((0x4A,), _date_ms),
    ((0x4B,), _date_minute),
    ((0x4C,), _long64),
    ((0x4D,), _map_typed),
    ((0x4E,), _constant(None)),
    ((0x4F,), _object),
    ((0x51,), _ref),
    ((0x52, 0x53), _string),
    ((0x54,), _constant(True)),
    ((0x55,), _list_typed_variable),
    ((0x56,), _list_typed_fixed),
    ((0x57,), _list_untyped_variable),
    ((0x58,), _list_untyped_fixed),
    ((0x59,), _int32),
    ((0x5B,), _constant(0.0)),
    ((0x5C,), _constant(1.0)),
    ((0x5D,), _double_byte),
    ((0x5E,), _double_short),
    ((0x5F,), _double_mill),
    (range(0x60, 0x70), _object_direct),
    (range(0x70, 0x78), _list_typed_direct),
    (range(0x78, 0x80), _list_untyped_direct),
    (range(0x80, 0xC0), _int_direct),
    (range(0xC0, 0xD0), _int_byte),
    (range(0xD0, 0xD8), _int_short),
    (range(0xD8, 0xF0), _long_direct),
    (range(0xF0, 0x100), _long_byte),
):
    for _t in _tag:
        _READERS[_t] = _reader
del _tag, _reader, _t


def loads(
    data: bytes,
    *,
    classes: Iterable[type] = (),
    max_depth: int = MAX_DEPTH,
    max_string_length: int = MAX_STRING_LENGTH,
    max_binary_length: int = MAX_BINARY_LENGTH,
    max_list_length: int = MAX_LIST_LENGTH,
    max_refs: int = MAX_REFS,
    max_class_defs: int = MAX_CLASS_DEFS,
) -> Any:
    """The one value in ``data``; instances of the ``classes`` bound with ``java_class`` come back as those.

    java.time values, as Dubbo's hessian-lite writes them (handle objects, or its compact mode), come back as
    ``date`` (LocalDate), ``time`` (LocalTime, naive), ``datetime`` (LocalDateTime naive, Instant aware in UTC) and
    ``timedelta`` (Duration); their nanoseconds are truncated to microseconds."""
    if not isinstance(data, bytes):
        data = bytes(data)
    bound = bound_classes(classes)
    limits = (max_depth, max_string_length, max_binary_length, max_list_length, max_refs, max_class_defs)
    return _read_all(Decoder(data, bound) if limits == _DEFAULT_LIMITS else _LimitedDecoder(data, bound, limits))


def bound_classes(classes: Iterable[type]) -> Dict[str, type]:
    """The Java class names of ``classes`` (bound with ``java_class``) mapped to them, as a Decoder takes them."""
    bound: Dict[str, type] = {}
    for cls in classes:
        found = binding(cls)
        if found is None:
            raise TypeError(f"{cls!r} is not bound to a Java class: decorate it with hessian2.java_class(name)")
        bound[found[0]] = cls
    return bound


def decode(data: bytes, bound: Dict[str, type]) -> Any:
    """``loads`` with the default limits, for classes already mapped by ``bound_classes``: the wrapper's per-call path."""
    return _read_all(Decoder(data, bound))


class _LimitedDecoder(Decoder):
    """A Decoder with the limits ``loads`` was given."""

    __slots__ = ("max_depth", "max_string_length", "max_binary_length", "max_list_length", "max_refs", "max_class_defs")

    def __init__(self, data: bytes, classes: Dict[str, type], limits: Tuple[int, int, int, int, int, int]) -> None:
        super().__init__(data, classes)
        (
            self.max_depth, self.max_string_length, self.max_binary_length, self.max_list_length, self.max_refs,
            self.max_class_defs,
        ) = limits  # fmt: skip


_DEFAULT_LIMITS = (MAX_DEPTH, MAX_STRING_LENGTH, MAX_BINARY_LENGTH, MAX_LIST_LENGTH, MAX_REFS, MAX_CLASS_DEFS)


def _read_all(decoder: Decoder) -> Any:
    """The one value the decoder's input holds; bytes after it are an error."""
    result = decoder.value()
    if decoder.pos != decoder.end:
        raise HessianError(f"{decoder.end - decoder.pos} bytes left after the value", decoder.pos)
    return result
