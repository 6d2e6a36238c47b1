"""The settings of a server's plain-HTTP endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = ["HttpOptions"]


@dataclass(frozen=True)
class HttpOptions:
    """How a server's plain-HTTP endpoint listens and what it accepts.

    ``host`` defaults to the first service's host (all interfaces when it has none).
    ``cors_origins`` are the browser origins allowed to call (``"*"`` for any; none by
    default, so browsers on other origins are refused as their same-origin rule wants).
    A request body over ``max_body_size`` bytes is refused with 413 (the default is
    grpcio's 4 MiB receive limit); one that takes longer than ``body_timeout`` seconds to
    arrive gets 408, so slow clients cannot hold a call open.
    """

    host: Optional[str] = None
    cors_origins: Tuple[str, ...] = ()
    max_body_size: int = 4 << 20
    body_timeout: float = 30.0

    def __post_init__(self) -> None:
        if isinstance(self.cors_origins, str):
            raise TypeError("cors_origins is a sequence of origins, e.g. ('https://app.example',)")
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        if self.max_body_size <= 0:
            raise ValueError(f"max_body_size must be positive, got {self.max_body_size}")
        if self.body_timeout <= 0:
            raise ValueError(f"body_timeout must be positive, got {self.body_timeout}")
