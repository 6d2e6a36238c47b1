"""java.time values as Dubbo's hessian-lite writes and reads them: the wire contract, and the Python values.

By default hessian-lite writes a ``LocalDate``, ``LocalTime``, ``LocalDateTime``, ``Instant`` or ``Duration`` as
an instance of its handle class (``com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle`` ...), whose
``readResolve`` rebuilds the value; its JavaSerializer and UnsafeSerializer write a class's fields in reverse of
their declaration order, which ``*_FIELDS`` below follow. Its compact mode
(``-Dcom.caucho.hessian.io.java.time.serializer.compactMode=true``) writes ``java.time.LocalDate`` and
``java.time.LocalTime`` as a class of no fields whose instance is followed by one long (epoch day, nano of
day), and ``java.time.LocalDateTime`` with the long fields ``date`` and ``time``.

Python holds microseconds: a LocalTime's, an Instant's or a Duration's nanoseconds are truncated to them.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Dict, Tuple

from ._types import HessianError

_HANDLES = "com.alibaba.com.caucho.hessian.io.java8."
LOCAL_DATE_HANDLE = _HANDLES + "LocalDateHandle"
LOCAL_TIME_HANDLE = _HANDLES + "LocalTimeHandle"
LOCAL_DATE_TIME_HANDLE = _HANDLES + "LocalDateTimeHandle"
INSTANT_HANDLE = _HANDLES + "InstantHandle"
DURATION_HANDLE = _HANDLES + "DurationHandle"

# Each handle's fields in the order hessian-lite writes them (declared: year, month, day; hour, minute, second,
# nano; date, time; seconds, nanos).
LOCAL_DATE_FIELDS = ("day", "month", "year")
LOCAL_TIME_FIELDS = ("nano", "second", "minute", "hour")
LOCAL_DATE_TIME_FIELDS = ("time", "date")
INSTANT_FIELDS = ("nanos", "seconds")
DURATION_FIELDS = ("nanos", "seconds")

COMPACT_LOCAL_DATE = "java.time.LocalDate"
COMPACT_LOCAL_TIME = "java.time.LocalTime"
COMPACT_LOCAL_DATE_TIME = "java.time.LocalDateTime"

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_NANOS_PER_DAY = 86_400 * 1_000_000_000
_INT_MIN, _INT_MAX = -0x80000000, 0x7FFFFFFF
_LONG_MIN, _LONG_MAX = -0x8000000000000000, 0x7FFFFFFFFFFFFFFF


# -- reading: field values to Python values, validated as Java's factories validate them ---------------------------


def _whole(java_class: str, name: str, value: Any, low: int, high: int) -> int:
    """A field that must be an int from ``low`` to ``high``."""
    if value.__class__ is not int:
        raise HessianError(f"{java_class} field {name} is {_kind(value)}, not an integer")
    if not low <= value <= high:
        raise HessianError(f"{java_class} field {name}={value} is outside {low}..{high}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else f"of type {type(value).__name__}"


def local_date(year: Any, month: Any, day: Any) -> datetime.date:
    """A LocalDateHandle's fields as a date (``LocalDate.of(year, month, day)``)."""
    year = _whole(LOCAL_DATE_HANDLE, "year", year, _INT_MIN, _INT_MAX)
    month = _whole(LOCAL_DATE_HANDLE, "month", month, 1, 12)
    day = _whole(LOCAL_DATE_HANDLE, "day", day, 1, 31)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise HessianError(f"LocalDate year {year} is outside Python's date range (1..9999)")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise HessianError(f"{year:04}-{month:02}-{day:02} is not a date") from None


def local_time(hour: Any, minute: Any, second: Any, nano: Any) -> datetime.time:
    """A LocalTimeHandle's fields as a naive time, its nanoseconds truncated to microseconds."""
    return datetime.time(
        _whole(LOCAL_TIME_HANDLE, "hour", hour, 0, 23),
        _whole(LOCAL_TIME_HANDLE, "minute", minute, 0, 59),
        _whole(LOCAL_TIME_HANDLE, "second", second, 0, 59),
        _whole(LOCAL_TIME_HANDLE, "nano", nano, 0, 999_999_999) // 1000,
    )


def local_date_time(date: Any, time: Any) -> datetime.datetime:
    """A LocalDateTimeHandle's fields (a LocalDate and a LocalTime, already read) as a naive datetime."""
    if date.__class__ is not datetime.date:
        raise HessianError(f"{LOCAL_DATE_TIME_HANDLE} field date is {_kind(date)}, not a LocalDate")
    if time.__class__ is not datetime.time:
        raise HessianError(f"{LOCAL_DATE_TIME_HANDLE} field time is {_kind(time)}, not a LocalTime")
    return datetime.datetime.combine(date, time)


def instant(seconds: Any, nanos: Any) -> datetime.datetime:
    """An InstantHandle's fields as an aware datetime in UTC (``Instant.ofEpochSecond(seconds, nanos)``)."""
    seconds = _whole(INSTANT_HANDLE, "seconds", seconds, _LONG_MIN, _LONG_MAX)
    nanos = _whole(INSTANT_HANDLE, "nanos", nanos, _INT_MIN, _INT_MAX)
    try:
        return _EPOCH + datetime.timedelta(microseconds=(seconds * 1_000_000_000 + nanos) // 1000)
    except OverflowError:
        raise HessianError(f"Instant {seconds} s from the epoch is outside Python's datetime range") from None


def duration(seconds: Any, nanos: Any) -> datetime.timedelta:
    """A DurationHandle's fields as a timedelta (``Duration.ofSeconds(seconds, nanos)``)."""
    seconds = _whole(DURATION_HANDLE, "seconds", seconds, _LONG_MIN, _LONG_MAX)
    nanos = _whole(DURATION_HANDLE, "nanos", nanos, _INT_MIN, _INT_MAX)
    try:
        return datetime.timedelta(microseconds=(seconds * 1_000_000_000 + nanos) // 1000)
    except OverflowError:
        raise HessianError(f"Duration of {seconds} s is outside Python's timedelta range") from None


def _epoch_day(java_class: str, name: str, days: Any) -> datetime.date:
    days = _whole(java_class, name, days, _LONG_MIN, _LONG_MAX)
    try:
        return datetime.date.fromordinal(_EPOCH_ORDINAL + days)
    except (ValueError, OverflowError):
        raise HessianError(f"{java_class} epoch day {days} is outside Python's date range (years 1..9999)") from None


def _nano_of_day(java_class: str, name: str, nanos: Any) -> datetime.time:
    nanos = _whole(java_class, name, nanos, 0, _NANOS_PER_DAY - 1)
    seconds, micros = divmod(nanos // 1000, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return datetime.time(minutes // 60, minutes % 60, second, micros)


def epoch_day(days: Any) -> datetime.date:
    """A compact LocalDate's long (``LocalDate.ofEpochDay``) as a date."""
    return _epoch_day(COMPACT_LOCAL_DATE, "epoch day", days)


def nano_of_day(nanos: Any) -> datetime.time:
    """A compact LocalTime's long (``LocalTime.ofNanoOfDay``) as a naive time, truncated to microseconds."""
    return _nano_of_day(COMPACT_LOCAL_TIME, "nano of day", nanos)


def compact_local_date_time(date: Any, time: Any) -> datetime.datetime:
    """A compact LocalDateTime's ``date`` (epoch day) and ``time`` (nano of day) as a naive datetime."""
    return datetime.datetime.combine(
        _epoch_day(COMPACT_LOCAL_DATE_TIME, "date", date), _nano_of_day(COMPACT_LOCAL_DATE_TIME, "time", time)
    )


HANDLES: Dict[str, Tuple[Tuple[str, ...], Callable[..., Any]]] = {
    LOCAL_DATE_HANDLE: (("year", "month", "day"), local_date),
    LOCAL_TIME_HANDLE: (("hour", "minute", "second", "nano"), local_time),
    LOCAL_DATE_TIME_HANDLE: (("date", "time"), local_date_time),
    INSTANT_HANDLE: (("seconds", "nanos"), instant),
    DURATION_HANDLE: (("seconds", "nanos"), duration),
    COMPACT_LOCAL_DATE_TIME: (("date", "time"), compact_local_date_time),
}
"""The classes read from their fields: each one's field names, in the order its function takes them."""

COMPACT_VALUES: Dict[str, Callable[[Any], Any]] = {COMPACT_LOCAL_DATE: epoch_day, COMPACT_LOCAL_TIME: nano_of_day}
"""The classes of no fields whose instance is followed by one long, and what makes that long a value."""


# -- writing: Python values to a handle's field values --------------------------------------------------------------


def epoch_seconds(value: datetime.datetime) -> Tuple[int, int]:
    """An aware datetime as an Instant's seconds from the epoch and nanoseconds within the second."""
    delta = value - _EPOCH
    return delta.days * 86_400 + delta.seconds, delta.microseconds * 1000


def duration_seconds(value: datetime.timedelta) -> Tuple[int, int]:
    """A timedelta as a Duration's seconds and nanoseconds within the second (0..999,999,999, as Java keeps them)."""
    return value.days * 86_400 + value.seconds, value.microseconds * 1000
