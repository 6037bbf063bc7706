"""The Gaussian Parzen-window log-likelihood (Goodfellow et al., 2014).

Registered as "parzen": the Evaluator gives it the raw samples, with images
as pixel intensities in [0, 1], as Goodfellow et al. did on MNIST.

Example:
    >>> round(parzen_log_likelihood([[0.0]], [[0.0]], [[1.0]], sigmas=[1.0])["mean"], 4)
    -0.9189
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from kgan.eval.metrics._arrays import (
    as_flat,
    check_int,
    check_same_features,
    row_sq_norms,
    sq_dists,
)
from kgan.eval.metrics.registry import register_metric


def _parzen_log_density(
    x: NDArray[np.float64],
    samples: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    batch_size: int,
) -> NDArray[np.float64]:
    """log p_sigma(x) for every row of x and every sigma, shape (len(x), len(sigmas)).

    Runs a blockwise log-sum-exp over (batch_size x batch_size) distance blocks.
    """
    n, dim = samples.shape
    x_sq = row_sq_norms(x)
    s_sq = row_sq_norms(samples)
    inv_two_var = 1.0 / (2.0 * sigmas**2)
    out = np.empty((x.shape[0], sigmas.shape[0]), dtype=np.float64)
    for start in range(0, x.shape[0], batch_size):
        stop = min(start + batch_size, x.shape[0])
        acc = np.full((stop - start, sigmas.shape[0]), -np.inf)
        for col in range(0, n, batch_size):
            col_stop = min(col + batch_size, n)
            d = sq_dists(x[start:stop], samples[col:col_stop], x_sq[start:stop], s_sq[col:col_stop])
            for j, c in enumerate(inv_two_var):
                acc[:, j] = np.logaddexp(acc[:, j], special.logsumexp(-c * d, axis=1))
        out[start:stop] = acc
    out -= math.log(n)
    out -= 0.5 * dim * np.log(2.0 * np.pi * sigmas**2)[None, :]
    return out


@register_metric(
    "parzen", input="samples", args=("fake", "real", "validation"), sample_range=(0.0, 1.0)
)
def parzen_log_likelihood(
    samples: ArrayLike,
    test: ArrayLike,
    validation: ArrayLike,
    *,
    sigmas: ArrayLike | None = None,
    batch_size: int = 1000,
) -> dict[str, float]:
    """Gaussian Parzen-window log-likelihood of test data under generated samples.

    The estimate of Goodfellow et al., 2014, "Generative Adversarial Nets"
    (following Breuleux et al., 2011). With the N generated samples s_i
    flattened to D-dimensional vectors, an isotropic Gaussian kernel of width
    sigma gives

        log p(x) = logsumexp_i(-||x - s_i||^2 / (2 sigma^2)) - log N
                   - (D / 2) log(2 pi sigma^2)

    sigma is the value of the grid `sigmas` that maximizes the mean
    log-likelihood of `validation` (the first, on ties); the result is the
    mean log-likelihood of `test` under that sigma and its standard error.
    The log-sum-exp runs over (batch_size x batch_size) blocks, so memory
    stays bounded. Known to be a poor likelihood estimate in high dimensions
    (Theis et al., 2016); report it only for comparison with earlier work.

    Args:
        samples: Generated samples, shape (N, ...).
        test: Test data, shape (T, ...), same per-sample size as `samples`.
        validation: Data for choosing sigma, shape (V, ...).
        sigmas: Candidate kernel widths (positive); default
            `np.logspace(-1, 0, 10)` as in the original code.
        batch_size: Block size for the distance computation.

    Returns:
        {"mean": mean test log-likelihood (nats), "std_err": std / sqrt(T)
        (std with ddof=0, as in the original code), "sigma": chosen width}.

    Raises:
        ValueError: on wrong ranks, mismatched sample sizes, empty inputs,
            non-finite values or non-positive sigmas.

    Example:
        >>> result = parzen_log_likelihood([[0.0]], [[0.0]], [[1.0]], sigmas=[1.0])
        >>> round(result["mean"], 4)  # log N(0; 0, 1) = -log(2 pi) / 2
        -0.9189
    """
    s = as_flat(samples, "samples")
    t = as_flat(test, "test")
    v = as_flat(validation, "validation")
    check_same_features(s, t, "samples", "test")
    check_same_features(s, v, "samples", "validation")
    batch_size = check_int(batch_size, "batch_size", 1)
    grid = np.logspace(-1, 0, 10) if sigmas is None else np.asarray(sigmas, dtype=np.float64)
    grid = np.atleast_1d(grid)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(
            f"sigmas must be a non-empty 1-D sequence of widths; got shape {grid.shape}."
        )
    if not np.all(np.isfinite(grid) & (grid > 0)):
        raise ValueError(f"sigmas must be positive and finite; got {grid.tolist()}.")

    val_ll = _parzen_log_density(v, s, grid, batch_size).mean(axis=0)
    best = grid[int(np.argmax(val_ll))]
    test_ll = _parzen_log_density(t, s, np.array([best]), batch_size)[:, 0]
    return {
        "mean": float(test_ll.mean()),
        "std_err": float(test_ll.std() / math.sqrt(t.shape[0])),
        "sigma": float(best),
    }
