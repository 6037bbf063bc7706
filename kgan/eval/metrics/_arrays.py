"""Input checks and pairwise distances shared by the NumPy metrics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def check_finite(x: NDArray[np.float64], name: str) -> None:
    if not np.all(np.isfinite(x)):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{name} contains {bad} non-finite value(s) (NaN or inf) out of {x.size}; "
            "expected only finite values."
        )


def as_matrix(x: ArrayLike, name: str, *, min_rows: int = 1, why: str = "") -> NDArray[np.float64]:
    """Converts `x` to a finite float64 array of shape (num_samples, num_features)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (num_samples, num_features); "
            f"got ndim={arr.ndim} with shape {arr.shape}."
        )
    if arr.shape[0] < min_rows:
        reason = f" {why}" if why else ""
        raise ValueError(
            f"{name} must have at least {min_rows} sample(s){reason}; got {arr.shape[0]}."
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least 1 feature; got shape {arr.shape}.")
    check_finite(arr, name)
    return arr


def as_flat(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Converts samples of shape (num_samples, ...) to a (num_samples, D) float64 array."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 2:
        raise ValueError(
            f"{name} must be an array of shape (num_samples, ...) with ndim >= 2; "
            f"got ndim={arr.ndim} with shape {arr.shape}."
        )
    return as_matrix(arr.reshape(arr.shape[0], math.prod(arr.shape[1:])), name)


def check_same_features(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of features; "
            f"got {a.shape[1]} and {b.shape[1]}."
        )


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def sq_dists(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    x_sq: NDArray[np.float64],
    y_sq: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Squared Euclidean distances between the rows of x and y, clipped at 0."""
    d = x @ y.T
    d *= -2.0
    d += x_sq[:, None]
    d += y_sq[None, :]
    np.maximum(d, 0.0, out=d)
    return d


def row_sq_norms(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.einsum("ij,ij->i", x, x)
