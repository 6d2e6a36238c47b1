"""The values that stand for Java objects: JavaObject, the java_class binding, and HessianError."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple, TypeVar

JAVA_TYPE = "java_type"
"""The dataclass field metadata key naming a field's declared Java type (``field(metadata={JAVA_TYPE: "long"})``)."""

T = TypeVar("T", bound=type)


class HessianError(ValueError):
    """Hessian bytes that cannot be decoded, or a value that cannot be encoded as asked."""

    def __init__(self, message: str, offset: Optional[int] = None) -> None:
        super().__init__(message if offset is None else f"{message} at byte offset {offset}")
        self.offset = offset


class JavaObject:
    """An instance of a Java class that no Python class is bound to: its class name and its fields in order."""

    __slots__ = ("java_class", "fields")
    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it wraps

    def __init__(self, java_class: str, fields: Optional[Mapping[str, Any]] = None) -> None:
        self.java_class = java_class
        self.fields: Dict[str, Any] = dict(fields) if fields else {}

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.fields[name] = value

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JavaObject):
            return NotImplemented
        return self.java_class == other.java_class and self.fields == other.fields

    def __repr__(self) -> str:
        return f"JavaObject({self.java_class!r}, {self.fields!r})"


def java_class(name: str) -> Callable[[T], T]:
    """Bind a dataclass (a POJO, fields in order) or an Enum (a Java enum) to the Java class ``name``.

    The binding lives on the class itself (``__java_class__``), so encoding needs nothing else;
    decoding returns instances of it only for the classes passed to ``loads(classes=...)``.
    """

    def bind(cls: T) -> T:
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            cls.__java_class__ = name  # type: ignore[attr-defined]
            cls.__java_fields__ = None  # type: ignore[attr-defined]
        elif dataclasses.is_dataclass(cls):
            cls.__java_class__ = name  # type: ignore[attr-defined]
            cls.__java_fields__ = tuple(  # type: ignore[attr-defined]
                (f.name, f.metadata.get(JAVA_TYPE)) for f in dataclasses.fields(cls)
            )
            cls.__java_plan__ = None  # type: ignore[attr-defined]  # the encoder's, made at first use
        else:
            raise TypeError(f"java_class binds a dataclass or an Enum, not {cls!r}")
        return cls

    return bind


def binding(cls: type) -> Optional[Tuple[str, Optional[Tuple[Tuple[str, Optional[str]], ...]]]]:
    """The Java class name and field layout ``java_class`` put on ``cls`` itself (not inherited), or None."""
    own = cls.__dict__
    if "__java_class__" not in own:
        return None
    return own["__java_class__"], own.get("__java_fields__")
