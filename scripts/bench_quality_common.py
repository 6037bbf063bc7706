"""Helpers shared by scripts/bench_quality.py and scripts/bench_quality_stacked.py.

Kept in their own module so both can import them without an import cycle:

    >>> mean_se([1.0, 3.0])
    (2.0, 1.0)
"""

from __future__ import annotations

import math

import numpy as np


def log(msg: str) -> None:
    """Prints one progress line at once (the benchmarks run for hours)."""
    print(msg, flush=True)


def mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and standard error (std with ddof=1 over sqrt(n); 0 for one value)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size < 2:
        return float(arr.mean()), 0.0
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(arr.size))
