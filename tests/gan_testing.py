"""Helpers shared by the tests (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import keras
import numpy as np


def weights_of(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.weights]


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))
