"""Micro-benchmark of dubbo.hessian2: encode and decode a 5-field POJO and a 1 MiB byte[].

    python bench/hessian2_codec.py [--repeats 7] [--seconds 0.3]

Each figure is the median over the repeats of one timed batch; prints ops/s and MiB/s (of Hessian bytes).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dubbo import hessian2


@hessian2.java_class("org.example.User")
@dataclass
class User:
    name: str
    age: int
    email: str
    score: float
    created: datetime.datetime


def measure(work: Callable[[], Any], repeats: int, seconds: float) -> float:
    """Median operations per second over ``repeats`` batches sized to last about ``seconds`` each."""
    batch = 1
    while True:  # size the batch
        start = time.perf_counter()
        for _ in range(batch):
            work()
        if time.perf_counter() - start >= seconds / 4:
            break
        batch *= 2
    batch = max(1, int(batch * seconds / max(time.perf_counter() - start, 1e-9)))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            work()
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()

    user = User("ann", 30, "ann@example.org", 97.5, datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
    blob = os.urandom(1024 * 1024)
    cases: Tuple[Tuple[str, Any], ...] = (("5-field POJO", user), ("1 MiB byte[]", blob))
    print(f"dubbo.hessian2, Python {sys.version.split()[0]}, median of {args.repeats} batches of ~{args.seconds}s")
    print(f"{'case':<14} {'op':<7} {'size':>9} {'ops/s':>12} {'MiB/s':>9}")
    for name, value in cases:
        data = hessian2.dumps(value)
        assert hessian2.loads(data, classes=[User]) == value
        for op, work in (
            ("encode", lambda value=value: hessian2.dumps(value)),
            ("decode", lambda data=data: hessian2.loads(data, classes=[User])),
        ):
            rate = measure(work, args.repeats, args.seconds)
            print(f"{name:<14} {op:<7} {len(data):>9} {rate:>12,.0f} {rate * len(data) / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
