"""k-nearest-neighbour metrics: improved precision/recall, density/coverage.

Each set's manifold is estimated by balls around its samples whose radius is
the distance to the k-th nearest neighbour. Distances are computed in blocks,
so memory stays bounded.

Example:
    >>> x = np.random.default_rng(0).normal(size=(100, 3))
    >>> precision_recall(x, x)
    {'precision': 1.0, 'recall': 1.0}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kgan.eval.metrics._arrays import (
    as_matrix,
    check_int,
    check_same_features,
    row_sq_norms,
    sq_dists,
)
from kgan.eval.metrics.registry import register_metric


def _knn_sq_radii(x: NDArray[np.float64], k: int, batch_size: int) -> NDArray[np.float64]:
    """Squared distance from each row of x to its k-th nearest other row.

    Computed in (batch_size x batch_size) blocks, keeping the k+1 smallest
    distances per row (the smallest is the row itself).
    """
    n = x.shape[0]
    sq = row_sq_norms(x)
    radii = np.empty(n, dtype=np.float64)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        best: NDArray[np.float64] | None = None
        for col in range(0, n, batch_size):
            col_stop = min(col + batch_size, n)
            d = sq_dists(x[start:stop], x[col:col_stop], sq[start:stop], sq[col:col_stop])
            cand = d if best is None else np.concatenate([best, d], axis=1)
            keep = min(k + 1, cand.shape[1])
            best = np.partition(cand, keep - 1, axis=1)[:, :keep]
        assert best is not None
        radii[start:stop] = best.max(axis=1)
    return radii


def _blocks(
    queries: NDArray[np.float64], refs: NDArray[np.float64], batch_size: int
) -> Iterator[tuple[slice, slice, NDArray[np.float64]]]:
    """Yields (query rows, ref rows, squared distances) in (batch_size x batch_size) blocks."""
    q_sq = row_sq_norms(queries)
    r_sq = row_sq_norms(refs)
    for start in range(0, queries.shape[0], batch_size):
        rows = slice(start, min(start + batch_size, queries.shape[0]))
        for col in range(0, refs.shape[0], batch_size):
            cols = slice(col, min(col + batch_size, refs.shape[0]))
            yield rows, cols, sq_dists(queries[rows], refs[cols], q_sq[rows], r_sq[cols])


def _count_in_balls(
    queries: NDArray[np.float64],
    centers: NDArray[np.float64],
    sq_radii: NDArray[np.float64],
    batch_size: int,
    *,
    strict: bool,
) -> NDArray[np.int64]:
    """For each query, the number of balls (centers, radii) that contain it."""
    counts = np.zeros(queries.shape[0], dtype=np.int64)
    for rows, cols, d in _blocks(queries, centers, batch_size):
        r = sq_radii[None, cols]
        inside = d < r if strict else d <= r
        counts[rows] += inside.sum(axis=1)
    return counts


def _nearest_sq_dist(
    queries: NDArray[np.float64], refs: NDArray[np.float64], batch_size: int
) -> NDArray[np.float64]:
    """For each query, the squared distance to its nearest row of refs."""
    out = np.full(queries.shape[0], np.inf)
    for rows, _, d in _blocks(queries, refs, batch_size):
        np.minimum(out[rows], d.min(axis=1), out=out[rows])
    return out


def _knn_inputs(
    real: ArrayLike, fake: ArrayLike, k: Any, batch_size: Any, *, fake_needs_knn: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int]:
    k = check_int(k, "k", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    why = f"to find the k={k}-th nearest neighbour excluding itself"
    xr = as_matrix(real, "real", min_rows=k + 1, why=why)
    xf = as_matrix(fake, "fake", min_rows=k + 1 if fake_needs_knn else 1, why=why)
    check_same_features(xr, xf, "real", "fake")
    return xr, xf, k, batch_size


@register_metric("precision_recall", auto=("points", "inception", "classifier"))
def precision_recall(
    real: ArrayLike, fake: ArrayLike, *, k: int = 3, batch_size: int = 1000
) -> dict[str, float]:
    """Improved precision and recall with k-NN manifold estimates.

    Kynkäänniemi et al., 2019, "Improved Precision and Recall Metric for
    Assessing Generative Models". Each set's manifold is the union of balls
    around its samples, with radius the distance to the k-th nearest
    neighbour in the same set (excluding the sample itself):

        precision = 1/M sum_j 1[exists i: ||f_j - r_i|| <= NND_k(r_i)]
        recall    = 1/N sum_i 1[exists j: ||r_i - f_j|| <= NND_k(f_j)]

    (closed balls, as in the reference code). Distances are computed in
    (batch_size x batch_size) blocks, so memory stays bounded.

    Args:
        real: Real features, shape (N, d), N >= k + 1.
        fake: Generated features, shape (M, d), M >= k + 1.
        k: Neighbourhood size (3 in the paper).
        batch_size: Block size for the pairwise distances.

    Returns:
        {"precision": float, "recall": float}, both in [0, 1].

    Raises:
        ValueError: on wrong ranks, mismatched feature sizes, too few samples,
            non-finite values, or bad k / batch_size.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(100, 3))
        >>> precision_recall(x, x)
        {'precision': 1.0, 'recall': 1.0}
    """
    xr, xf, k, batch_size = _knn_inputs(real, fake, k, batch_size, fake_needs_knn=True)
    real_radii = _knn_sq_radii(xr, k, batch_size)
    fake_radii = _knn_sq_radii(xf, k, batch_size)
    precision = _count_in_balls(xf, xr, real_radii, batch_size, strict=False) > 0
    recall = _count_in_balls(xr, xf, fake_radii, batch_size, strict=False) > 0
    return {"precision": float(precision.mean()), "recall": float(recall.mean())}


@register_metric("density_coverage", auto=("points",))
def density_coverage(
    real: ArrayLike, fake: ArrayLike, *, k: int = 5, batch_size: int = 1000
) -> dict[str, float]:
    """Density and coverage.

    Naeem et al., 2020, "Reliable Fidelity and Diversity Metrics for
    Generative Models". With B(r_i) the open ball around real sample r_i whose
    radius is the distance to its k-th nearest real neighbour (excluding
    itself), as in the reference `prdc` code:

        density  = 1/(k M) sum_j sum_i 1[f_j in B(r_i)]
        coverage = 1/N sum_i 1[exists j: f_j in B(r_i)]

    Density is unbounded above (about 1 when fake matches real); coverage is
    in [0, 1] (about 1 - 2^-k for matching distributions of equal size).
    Distances are computed in blocks, so memory stays bounded.

    Args:
        real: Real features, shape (N, d), N >= k + 1.
        fake: Generated features, shape (M, d), M >= 1.
        k: Neighbourhood size (5 in the paper).
        batch_size: Block size for the pairwise distances.

    Returns:
        {"density": float, "coverage": float}.

    Raises:
        ValueError: on wrong ranks, mismatched feature sizes, too few samples,
            non-finite values, or bad k / batch_size.

    Example:
        >>> real = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> density_coverage(real, [[0.5], [0.6], [10.0]], k=1)
        {'density': 1.3333333333333333, 'coverage': 0.5}
    """
    xr, xf, k, batch_size = _knn_inputs(real, fake, k, batch_size, fake_needs_knn=False)
    real_radii = _knn_sq_radii(xr, k, batch_size)
    counts = _count_in_balls(xf, xr, real_radii, batch_size, strict=True)
    covered = _nearest_sq_dist(xr, xf, batch_size) < real_radii
    return {"density": float(counts.sum() / (k * xf.shape[0])), "coverage": float(covered.mean())}
