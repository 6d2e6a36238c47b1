"""dubbo.hessian2 against Java's own Hessian (Caucho 4.0.38, Debian's libhessian-java), byte for byte, both ways.

tests/java/HessianOracle.java holds the same cases as CASES below, built as Java objects. For each case:
Python writes exactly the bytes Java writes, Java reads Python's bytes to exactly what it reads from its own,
and Python reads Java's bytes to the Python value of the case.
"""

from __future__ import annotations

import datetime
import enum
import math
import os
import pathlib
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

import pytest

from dubbo import hessian2
from dubbo.hessian2 import JAVA_TYPE, JavaObject, java_class

ORACLE = pathlib.Path(__file__).resolve().parent / "java" / "HessianOracle.java"
HANDLES = sorted((ORACLE.parent / "com" / "alibaba" / "com" / "caucho" / "hessian" / "io" / "java8").glob("*.java"))
JARS = ("/usr/share/java/hessian.jar", "/usr/share/java/hessian-4.0.38.jar")
JAVA_OPTS = [f"--add-opens=java.base/{pkg}=ALL-UNNAMED" for pkg in ("java.lang", "java.util", "java.math")]


# -- the Java classes of the cases, bound ------------------------------------------------------------------


@java_class("org.example.User")
@dataclass
class User:
    name: Optional[str]
    age: int


@java_class("org.example.Color")
class Color(enum.Enum):
    RED = 0
    GREEN = 1
    BLUE = 2


@java_class("org.example.Node")
@dataclass(eq=False)
class Node:
    name: str
    next: Optional["Node"] = None


@java_class("org.example.Order")
@dataclass
class Order:  # Java writes primitive and java.lang fields first: id, total, then buyer, tags, color
    id: int = field(metadata={JAVA_TYPE: "long"})
    total: float
    buyer: User
    tags: List[str]
    color: Color


@java_class("org.example.Prims")
@dataclass
class Prims:
    flag: bool = field(metadata={JAVA_TYPE: "boolean"})
    b: int = field(metadata={JAVA_TYPE: "byte"})
    s: int = field(metadata={JAVA_TYPE: "short"})
    i: int = field(metadata={JAVA_TYPE: "int"})
    l: int = field(metadata={JAVA_TYPE: "long"})  # the Java field's name
    f: float = field(metadata={JAVA_TYPE: "float"})
    d: float = field(metadata={JAVA_TYPE: "double"})
    c: str = field(metadata={JAVA_TYPE: "char"})
    str: Optional[str] = None
    date: Optional[datetime.datetime] = None
    price: Optional[Decimal] = field(default=None, metadata={JAVA_TYPE: "java.math.BigDecimal"})
    data: Optional[bytes] = field(default=None, metadata={JAVA_TYPE: "[B"})
    ints: Optional[List[int]] = field(default=None, metadata={JAVA_TYPE: "[I"})
    names: Optional[List[str]] = field(default=None, metadata={JAVA_TYPE: "[Ljava.lang.String;"})


@java_class("org.example.Blob")
@dataclass
class Blob:
    name: str
    data: bytes


@java_class("org.example.Event")
@dataclass
class Event:  # java.time fields: a naive datetime and an aware one say which class they are
    name: str
    day: datetime.date
    opens: datetime.time
    at: datetime.datetime = field(metadata={JAVA_TYPE: "java.time.LocalDateTime"})
    stamp: datetime.datetime = field(metadata={JAVA_TYPE: "java.time.Instant"})
    length: datetime.timedelta


CLASSES = (User, Color, Node, Order, Prims, Blob, Event)


def pattern(n: int) -> bytes:
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


UTC = datetime.timezone.utc


def utc_ms(ms: int) -> datetime.datetime:
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=ms)


def java_float(x: float) -> float:
    return struct.unpack(">f", struct.pack(">f", x))[0]


def self_node() -> Node:
    node = Node("loop")
    node.next = node
    return node


def two_node_cycle() -> Node:
    a, b = Node("a"), Node("b")
    a.next, b.next = b, a
    return a


def self_list() -> list:
    items: list = ["x"]
    items.append(items)
    return items


def self_map() -> dict:
    mapping: dict = {}
    mapping["self"] = mapping
    return mapping


def shared_list() -> dict:
    items = [1]
    return {"a": items, "b": items}


def shared_user() -> list:
    user = User("sam", 1)
    return [user, user]


JDK_ENUMS = [
    ("java.util.concurrent.TimeUnit", "SECONDS"), ("java.time.DayOfWeek", "MONDAY"), ("java.time.Month", "MAY"),
    ("java.math.RoundingMode", "UP"), ("java.lang.Thread$State", "NEW"),
    ("java.lang.annotation.RetentionPolicy", "RUNTIME"), ("java.lang.annotation.ElementType", "FIELD"),
    ("java.time.temporal.ChronoUnit", "DAYS"), ("java.time.temporal.ChronoField", "YEAR"),
    ("java.time.format.TextStyle", "FULL"), ("java.time.format.ResolverStyle", "STRICT"),
    ("java.time.format.SignStyle", "NEVER"), ("java.time.format.FormatStyle", "SHORT"),
    ("java.nio.file.AccessMode", "READ"), ("java.nio.file.LinkOption", "NOFOLLOW_LINKS"),
    ("java.text.Normalizer$Form", "NFC"), ("java.util.Locale$Category", "FORMAT"),
]  # fmt: skip


@dataclass
class Case:
    """A value (made fresh by a function where identity matters), its declared Java type, and how Python reads it back."""

    value: Any
    java_type: Optional[str] = None
    read_back: Any = "same"  # the expected loads() result, or a predicate on it for cyclic values


def _cases() -> Dict[str, Case]:
    cases: Dict[str, Case] = {"null": Case(None), "true": Case(True), "false": Case(False)}
    for v in (0, 1, -16, -17, 47, 48, -2048, -2049, 2047, 2048, -262144, -262145, 262143, 262144, -100000,
              -(2**31), 2**31 - 1):  # fmt: skip
        cases[f"int {v}"] = Case(v)
    for v in (0, -8, -9, 15, 16, -2048, -2049, 2047, 2048, -262144, -262145, 262143, 262144, -(2**31), 2**31 - 1):
        cases[f"long {v}"] = Case(v, "long")
    for v in (-(2**31) - 1, 2**31, 2**40, -(2**63), 2**63 - 1):  # beyond 32 bits a Python int is a long anyway
        cases[f"long {v}"] = Case(v)
    doubles = [("0.0", 0.0), ("-0.0", -0.0), ("1.0", 1.0), ("-1.0", -1.0), ("127.0", 127.0), ("-128.0", -128.0),
               ("128.0", 128.0), ("-129.0", -129.0), ("32767.0", 32767.0), ("-32768.0", -32768.0),
               ("32768.0", 32768.0), ("3.25", 3.25), ("0.001", 0.001), ("-0.5", -0.5), ("2147483.647", 2147483.647),
               ("0.1", 0.1), ("1.0E10", 1e10), ("1.0E300", 1e300), ("-1.5E-300", -1.5e-300), ("NaN", math.nan),
               ("Infinity", math.inf), ("-Infinity", -math.inf), ("4.9E-324", 5e-324)]  # fmt: skip
    for name, v in doubles:
        cases[f"double {name}"] = Case(v)
    cases["char x"] = Case("x", "char")
    cases["char e-acute"] = Case("\u00e9", "java.lang.Character")
    cases["date ms"] = Case(utc_ms(1700000000000))
    cases["date minute"] = Case(utc_ms(1699999980000))
    cases["date epoch"] = Case(utc_ms(0))
    cases["date before epoch"] = Case(utc_ms(-60000))
    cases["date far"] = Case(utc_ms(60000 * 2**31))  # whole minutes, but past 32 bits of them
    cases["string empty"] = Case("")
    cases["string hello"] = Case("h\u00e9llo \u2713")
    cases["string emoji"] = Case("hi \U0001f600")
    cases["string nul"] = Case("a\x00b")
    cases["string lone surrogate"] = Case("x\ud800y")
    for n, c in ((31, "a"), (32, "b"), (1023, "c"), (1024, "d"), (32768, "e"), (32769, "f")):
        cases[f"string {n}"] = Case(c * n)
    cases["string 70000 non-ascii"] = Case("\u00e9\u4e2d" * 35000)
    cases["string pair at chunk edge"] = Case("g" * 32767 + "\U0001f600" + "h" * 10)
    for n in (0, 15, 16, 1023, 1024, 8189, 8190, 20000, 100000):
        cases[f"bytes {n}"] = Case(pattern(n))
    cases["list empty"] = Case([])
    cases["list ab"] = Case(["a", "b"])
    cases["list 8"] = Case(list(range(8)))
    cases["list mixed"] = Case([1, "a", None, True, 2.5, 2**40])
    cases["list nested"] = Case([[1], [2, [3]]])
    cases["list linked"] = Case(["x", "y"], "java.util.LinkedList")
    cases["map k1"] = Case({"k": 1})
    cases["map empty"] = Case({})
    cases["map int keys"] = Case({1: "a", 2: "b"})
    cases["map nested"] = Case({"a": {"b": [1]}})
    cases["map linked"] = Case({"z": 1, "a": 2}, "java.util.LinkedHashMap")
    cases["list of Long"] = Case([1, 2, 300], "java.util.List<java.lang.Long>")
    cases["list of list of Long"] = Case([[1], (2, 3)], "java.util.List<java.util.List<java.lang.Long>>", [[1], [2, 3]])
    cases["map String to Long"] = Case({"a": 1}, "java.util.Map<java.lang.String, java.lang.Long>")
    cases["map Long to list of Integer"] = Case({5: [1]}, "java.util.HashMap<java.lang.Long, java.util.List<java.lang.Integer>>")
    cases["set one"] = Case({"x"}, read_back=["x"])
    cases["set of Long"] = Case(frozenset({7}), "java.util.Set<java.lang.Long>", read_back=[7])
    cases["set empty"] = Case(set(), read_back=[])
    cases["set sorted"] = Case(["a", "b"], "java.util.TreeSet")
    cases["array String[]"] = Case(["a", "b"], "[Ljava.lang.String;")
    cases["array String[] empty"] = Case([], "[Ljava.lang.String;")
    cases["array int[]"] = Case([1, 2, 3], "[I")
    cases["array int[] 10"] = Case(list(range(10)), "[I")
    cases["array long[]"] = Case([1, 2**40], "[J")
    cases["array short[]"] = Case([-1, 300], "[S")
    cases["array boolean[]"] = Case([True, False], "[Z")
    cases["array double[]"] = Case([0.5, 1e10], "[D")
    cases["array float[]"] = Case([0.1, 2.0], "[F", read_back=[java_float(0.1), 2.0])
    cases["array char[]"] = Case("hi", "[C")
    cases["array Integer[]"] = Case([1, None], "[Ljava.lang.Integer;")
    cases["array Object[]"] = Case([1, "a"], "[Ljava.lang.Object;")
    cases["array Date[]"] = Case([utc_ms(0)], "[Ljava.util.Date;")
    cases["array User[]"] = Case([User("ann", 30)], "[Lorg.example.User;")
    cases["array String[][]"] = Case([["a"], ["b", "c"]], "[[Ljava.lang.String;")
    cases["array byte[][]"] = Case([b"\x01", b"\x02"], "[[B")
    cases["pojo user"] = Case(User("ann", 30))
    cases["pojo two users"] = Case([User("ann", 30), User("bob", 40)])
    cases["pojo nested"] = Case(Order(7, 19.99, User("cy", 5), ["new", "gift"], Color.GREEN))
    prims = dict(flag=True, b=-3, s=1000, i=100000, l=5, d=0.1, c="z", str="s", date=utc_ms(1700000000000),
                 price=Decimal("9.99"), data=pattern(3), ints=[4, 5], names=["n"])  # fmt: skip
    cases["pojo field types"] = Case(Prims(f=0.1, **prims), read_back=Prims(f=java_float(0.1), **prims))
    cases["pojo nulls"] = Case(Prims(False, 0, 0, 0, 0, 0.0, 0.0, "\x00"))
    cases["pojo chunked bytes"] = Case(Blob("file", pattern(20000)))
    cases["enum"] = Case(Color.RED)
    cases["enum repeated"] = Case([Color.RED, Color.RED, Color.BLUE])
    cases["enum 17 classes"] = Case([JavaObject(c, {"name": n}) for c, n in JDK_ENUMS] + [Color.BLUE])
    cases["decimal"] = Case(Decimal("123.4500"))
    cases["decimal exponent"] = Case(Decimal("1E+10"))
    cases["decimal negative small"] = Case(Decimal("-0.000001"))
    cases["ref shared object"] = Case(shared_user, read_back=lambda r: r == [User("sam", 1)] * 2 and r[0] is r[1])
    cases["ref object cycle"] = Case(self_node, read_back=lambda r: r.name == "loop" and r.next is r)
    cases["ref two object cycle"] = Case(
        two_node_cycle, read_back=lambda r: (r.name, r.next.name) == ("a", "b") and r.next.next is r
    )
    cases["ref list cycle"] = Case(self_list, read_back=lambda r: len(r) == 2 and r[0] == "x" and r[1] is r)
    cases["ref map cycle"] = Case(self_map, read_back=lambda r: list(r) == ["self"] and r["self"] is r)
    cases["ref shared list"] = Case(shared_list, read_back=lambda r: r == {"a": [1], "b": [1]} and r["a"] is r["b"])
    date, time, stamp = datetime.date, datetime.time, datetime.datetime
    cases["time LocalDate"] = Case(date(2024, 1, 15))
    cases["time LocalDate first day"] = Case(date(1, 1, 1))
    cases["time LocalDate last day"] = Case(date(9999, 12, 31))
    cases["time LocalDate[]"] = Case([date(2024, 2, 29)], "[Ljava.time.LocalDate;")
    cases["time LocalTime"] = Case(time(10, 15, 30, 123456))
    cases["time LocalTime midnight"] = Case(time(0))
    cases["time LocalTime last microsecond"] = Case(time(23, 59, 59, 999999))
    cases["time LocalTime whole hours shared"] = Case([time(10), time(10), time(11)])  # Java's: one instance per hour
    cases["time LocalDateTime"] = Case(stamp(2024, 1, 15, 10, 15, 30, 123456), "java.time.LocalDateTime")
    cases["time LocalDateTime list"] = Case(
        [stamp(2024, 1, 15, 9), stamp(2024, 1, 16, 9), stamp(2024, 1, 16, 9, 30), stamp(2024, 1, 17)],
        "java.util.List<java.time.LocalDateTime>",
    )
    cases["time Instant"] = Case(stamp(2024, 1, 15, 10, 15, 30, 123456, tzinfo=UTC), "java.time.Instant")
    cases["time Instant before epoch"] = Case(stamp(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), "java.time.Instant")
    cases["time Instant from another zone"] = Case(
        stamp(2024, 1, 15, 18, 15, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))), "java.time.Instant",
        read_back=stamp(2024, 1, 15, 10, 15, 30, tzinfo=UTC),
    )  # fmt: skip
    cases["time Instant epoch shared"] = Case([utc_ms(0), utc_ms(0)], "java.util.List<java.time.Instant>")
    cases["time Duration"] = Case(datetime.timedelta(days=1, seconds=5, microseconds=250))
    cases["time Duration negative"] = Case(datetime.timedelta(microseconds=-1))
    cases["time Duration zero shared"] = Case([datetime.timedelta(0), datetime.timedelta(0)])
    cases["time pojo"] = Case(
        Event("launch", date(2024, 1, 15), time(9), stamp(2024, 1, 15, 9), stamp(2024, 1, 15, 10, 15, 30, tzinfo=UTC),
              datetime.timedelta(minutes=90))
    )  # fmt: skip
    return cases


CASES = _cases()


def _value(case: Case) -> Any:
    return case.value() if callable(case.value) else case.value


# -- the oracle ---------------------------------------------------------------------------------------------


def _run(classpath: str, mode: str, stdin: str = "") -> List[Tuple[str, ...]]:
    done = subprocess.run(
        ["java", *JAVA_OPTS, "-cp", classpath, "org.example.HessianOracle", mode],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [tuple(line.split("\t")) for line in done.stdout.splitlines()]


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The oracle compiled against Caucho's jar, once per session; its classpath."""
    jar = next((j for j in JARS if os.path.exists(j)), None)
    if jar is None:
        pytest.skip(f"libhessian-java not installed: no {JARS[0]} (apt-get install libhessian-java)")
    if not (shutil.which("java") and shutil.which("javac")):
        pytest.skip("libhessian-java not usable: no java/javac on PATH")
    out = tmp_path_factory.mktemp("hessian-oracle")
    done = subprocess.run(
        ["javac", "-nowarn", "-cp", jar, "-d", str(out), str(ORACLE), *map(str, HANDLES)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return f"{out}{os.pathsep}{jar}"


@pytest.fixture(scope="session")
def java_writes(oracle: str) -> Dict[str, Tuple[str, str]]:
    """Each case's bytes as Java writes them (hex), and what Java reads back from them."""
    return {name: (hexed, read) for name, hexed, read in _run(oracle, "encode")}


@pytest.fixture(scope="session")
def java_reads_python(oracle: str) -> Dict[str, str]:
    """What Java reads from the bytes Python writes for each case."""
    lines = "".join(f"{name}\t{hessian2.dumps(_value(c), c.java_type).hex()}\n" for name, c in CASES.items())
    return {name: read for name, read in _run(oracle, "decode", lines)}


# -- the checks -------------------------------------------------------------------------------------------------


def test_python_and_java_hold_the_same_cases(java_writes):
    assert list(java_writes) == list(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_python_writes_the_bytes_java_writes(name, java_writes):
    case = CASES[name]
    assert hessian2.dumps(_value(case), case.java_type).hex() == java_writes[name][0]


@pytest.mark.parametrize("name", list(CASES))
def test_java_reads_python_bytes_as_it_reads_its_own(name, java_writes, java_reads_python):
    assert java_reads_python[name] == java_writes[name][1]


def _shape(value: Any) -> Any:
    """``value`` with the type of every part spelled out, so 1 and 1.0 or True and 1 differ (and NaN equals NaN)."""
    if isinstance(value, list):
        return ["list", [_shape(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [(_shape(k), _shape(v)) for k, v in value.items()]]
    if isinstance(value, JavaObject):
        return ["JavaObject", value.java_class, _shape(value.fields)]
    if hasattr(value, "__dataclass_fields__"):
        return [type(value).__name__, _shape(dict(vars(value)))]
    if isinstance(value, float) and math.isnan(value):
        return ["float", "nan"]
    return [type(value).__name__, value]


@pytest.mark.parametrize("name", list(CASES))
def test_python_reads_java_bytes_as_the_value(name, java_writes):
    case = CASES[name]
    got = hessian2.loads(bytes.fromhex(java_writes[name][0]), classes=CLASSES)
    if callable(case.read_back):
        assert case.read_back(got), got
    else:
        want = _value(case) if case.read_back == "same" else case.read_back
        assert _shape(got) == _shape(want)
