"""Apache dubbo-python's import path for ``EOF``."""

from ._core.stream import EOF

__all__ = ["EOF"]
