"""Apache dubbo-python's import path for ``EOF``."""

from ._stream import EOF

__all__ = ["EOF"]
