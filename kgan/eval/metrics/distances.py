"""Distances between two sets of feature vectors: Fréchet (FID, FCD) and kernel (KID).

Registered as "fid" (on the extractor's features; InceptionV3 for images),
"fcd" (the "Fréchet classifier distance", on a classifier's features) and
"kid". The Evaluator computes the Fréchet distances from streamed
`FeatureStats`, so every sample counts without being kept.

Example:
    >>> a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    >>> round(frechet_distance_from_activations(a, a + 1.0), 6)
    2.0
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kgan.eval.metrics._arrays import as_matrix, check_finite, check_int, check_same_features
from kgan.eval.metrics.registry import register_metric
from kgan.eval.metrics.stats import FeatureStats


def _trace_sqrt_product(s1: NDArray[np.float64], s2: NDArray[np.float64]) -> float:
    """Tr((s1 s2)^{1/2}) for symmetric PSD s1, s2.

    s1 s2 is similar to sqrt(s1) s2 sqrt(s1), which is symmetric PSD, so the
    eigenvalues of s1 s2 are the (real, non-negative) eigenvalues of the latter.
    Eigenvalues below the rounding-noise level (d * machine eps * the scale of
    the inputs, as in `np.linalg.matrix_rank`) count as 0: their square roots
    would otherwise add noise of order sqrt(eps) to the trace.
    """
    dim = s1.shape[0]
    tiny = dim * np.finfo(np.float64).eps
    w1, v1 = np.linalg.eigh(s1)
    scale1 = float(np.abs(w1).max(initial=0.0))
    w1 = np.where(w1 > tiny * scale1, w1, 0.0)
    root = (v1 * np.sqrt(w1)) @ v1.T
    m = root @ s2 @ root
    w = np.linalg.eigvalsh(0.5 * (m + m.T))
    w = np.where(w > tiny * scale1 * float(np.linalg.norm(s2)), w, 0.0)
    return float(np.sqrt(w).sum())


def _check_covariance(sigma: NDArray[np.float64], name: str, dim: int) -> None:
    if sigma.shape != (dim, dim):
        raise ValueError(
            f"{name} must be a covariance matrix of shape ({dim}, {dim}) to match the mean; "
            f"got shape {sigma.shape}."
        )
    check_finite(sigma, name)
    scale = float(np.abs(sigma).max()) if sigma.size else 0.0
    asym = float(np.abs(sigma - sigma.T).max()) if sigma.size else 0.0
    if asym > 1e-5 * scale:
        raise ValueError(
            f"{name} must be symmetric; found max |{name} - {name}.T| = {asym:.3g} "
            f"for entries of magnitude up to {scale:.3g}."
        )
    if scale > 0:
        lowest = float(np.linalg.eigvalsh(0.5 * (sigma + sigma.T))[0])
        if lowest < -1e-4 * scale:
            raise ValueError(
                f"{name} must be positive semi-definite; found eigenvalue {lowest:.3g} "
                f"for entries of magnitude up to {scale:.3g}."
            )


def frechet_distance(
    mu1: ArrayLike,
    sigma1: ArrayLike,
    mu2: ArrayLike,
    sigma2: ArrayLike,
    *,
    eps: float = 1e-6,
) -> float:
    """Fréchet (2-Wasserstein) distance between two Gaussians.

    Heusel et al., 2017, "GANs Trained by a Two Time-Scale Update Rule Converge
    to a Local Nash Equilibrium" (FID):

        d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2})

    Tr((S1 S2)^{1/2}) is computed as the sum of the square roots of the
    eigenvalues of sqrt(S1) S2 sqrt(S1), a symmetric PSD matrix with the same
    eigenvalues as S1 S2. Unlike `scipy.linalg.sqrtm(S1 @ S2)`, this stays real
    and finite for singular or near-singular covariances (e.g. fewer samples
    than features). Rounding noise (tiny negative eigenvalues) is clipped to 0,
    and so is the result.

    Args:
        mu1: Mean of the first Gaussian, shape (d,).
        sigma1: Covariance of the first Gaussian, shape (d, d), symmetric PSD.
        mu2: Mean of the second Gaussian, shape (d,).
        sigma2: Covariance of the second Gaussian, shape (d, d), symmetric PSD.
        eps: If the eigendecomposition fails to converge, `eps * I` is added
            to both covariances and the computation is retried once (the same
            fallback the reference `sqrtm` implementation uses).

    Returns:
        The squared Fréchet distance (FID when the inputs are Inception
        statistics), a non-negative float.

    Raises:
        ValueError: on wrong shapes, non-finite values, or covariances that are
            not symmetric positive semi-definite.

    Example:
        >>> frechet_distance([0.0, 0.0], np.diag([1.0, 4.0]), [3.0, 0.0], np.diag([4.0, 4.0]))
        10.0
    """
    m1 = np.asarray(mu1, dtype=np.float64)
    m2 = np.asarray(mu2, dtype=np.float64)
    s1 = np.asarray(sigma1, dtype=np.float64)
    s2 = np.asarray(sigma2, dtype=np.float64)
    if m1.ndim != 1 or m1.shape[0] < 1:
        raise ValueError(f"mu1 must be a non-empty 1-D array of shape (d,); got shape {m1.shape}.")
    if m2.shape != m1.shape:
        raise ValueError(f"mu2 must have the same shape as mu1 {m1.shape}; got shape {m2.shape}.")
    check_finite(m1, "mu1")
    check_finite(m2, "mu2")
    dim = m1.shape[0]
    _check_covariance(s1, "sigma1", dim)
    _check_covariance(s2, "sigma2", dim)
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0; got {eps!r}.")
    s1 = 0.5 * (s1 + s1.T)
    s2 = 0.5 * (s2 + s2.T)

    try:
        tr_covmean = _trace_sqrt_product(s1, s2)
    except np.linalg.LinAlgError:
        tr_covmean = float("nan")
    if not math.isfinite(tr_covmean):
        offset = eps * np.eye(dim)
        tr_covmean = _trace_sqrt_product(s1 + offset, s2 + offset)

    diff = m1 - m2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(value, 0.0)


def _mean_cov(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance_from_stats(s1: FeatureStats, s2: FeatureStats, *, eps: float = 1e-6) -> float:
    """Fréchet distance (Heusel et al., 2017) between two `FeatureStats`.

    ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}) with the accumulated means
    and covariances.

    Args:
        s1: Statistics of the first set, num >= 2.
        s2: Statistics of the second set, num >= 2, same feature size.
        eps: see `frechet_distance`.

    Returns:
        The squared Fréchet distance, a non-negative float.

    Raises:
        ValueError: if either has fewer than 2 samples or feature sizes differ.

    Example:
        >>> a = FeatureStats().update([[0.0], [2.0]])
        >>> b = FeatureStats().update([[3.0], [5.0]])
        >>> frechet_distance_from_stats(a, b)
        9.0
    """
    for name, s in (("s1", s1), ("s2", s2)):
        if not isinstance(s, FeatureStats):
            raise ValueError(f"{name} must be a FeatureStats; got {type(s).__name__}.")
        if s.num < 2:
            raise ValueError(f"{name} must hold at least 2 samples; got {s.num}.")
    if s1.num_features != s2.num_features:
        raise ValueError(
            f"s1 and s2 must have the same number of features; "
            f"got {s1.num_features} and {s2.num_features}."
        )
    return frechet_distance(s1.mean, s1.cov, s2.mean, s2.cov, eps=eps)


@register_metric(
    "fid", streaming=frechet_distance_from_stats, extractor="inception", auto=("inception",)
)
def frechet_distance_from_activations(a: ArrayLike, b: ArrayLike) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors.

    Heusel et al., 2017. Fits mean and (unbiased, ddof=1) covariance to each
    set and returns `frechet_distance(mu_a, S_a, mu_b, S_b)`:
    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}). With Inception
    pool3 features of 50,000 samples this is FID; use `FeatureStats` to avoid
    holding all activations in memory.

    Args:
        a: Activations, shape (n_a, d), n_a >= 2.
        b: Activations, shape (n_b, d), n_b >= 2.

    Returns:
        The squared Fréchet distance, a non-negative float.

    Raises:
        ValueError: on wrong ranks, mismatched feature sizes, fewer than 2
            samples, or non-finite values.

    Example:
        >>> a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
        >>> round(frechet_distance_from_activations(a, a + 1.0), 6)
        2.0
    """
    why = "to estimate a covariance"
    xa = as_matrix(a, "a", min_rows=2, why=why)
    xb = as_matrix(b, "b", min_rows=2, why=why)
    check_same_features(xa, xb, "a", "b")
    mu_a, s_a = _mean_cov(xa)
    mu_b, s_b = _mean_cov(xb)
    return frechet_distance(mu_a, s_a, mu_b, s_b)


@register_metric("kid", result_keys=("mean", "std"), auto=("inception",))
def kernel_inception_distance(
    a: ArrayLike,
    b: ArrayLike,
    *,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel.

    Binkowski et al., 2018, "Demystifying MMD GANs". With the kernel
    k(x, y) = (x.y / d + 1)^3 and subsets X, Y of m vectors each:

        MMD^2 = 1/(m(m-1)) sum_{i!=j} [k(x_i, x_j) + k(y_i, y_j)]
                - 2/m^2 sum_{i,j} k(x_i, y_j)

    averaged over `num_subsets` random subsets, each drawn without replacement
    from a and from b. Can be (slightly) negative: the estimator is unbiased.

    Args:
        a: Activations, shape (n_a, d), n_a >= 2.
        b: Activations, shape (n_b, d), n_b >= 2.
        num_subsets: Number of random subsets to average over.
        subset_size: Vectors per subset m; capped at min(n_a, n_b).
        seed: Seed for `np.random.default_rng` that draws the subsets.

    Returns:
        (mean, std) of the per-subset MMD^2 estimates (std with ddof=0, as in
        the reference code).

    Raises:
        ValueError: on wrong ranks, mismatched feature sizes, fewer than 2
            samples, non-finite values or bad subset arguments.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(200, 4))
        >>> mean, std = kernel_inception_distance(x, x + 1.0, num_subsets=10, subset_size=100)
        >>> mean > 0
        True
    """
    why = "for the unbiased MMD estimate"
    xa = as_matrix(a, "a", min_rows=2, why=why)
    xb = as_matrix(b, "b", min_rows=2, why=why)
    check_same_features(xa, xb, "a", "b")
    num_subsets = check_int(num_subsets, "num_subsets", 1)
    subset_size = check_int(subset_size, "subset_size", 2)
    m = min(subset_size, xa.shape[0], xb.shape[0])
    d = xa.shape[1]
    rng = np.random.default_rng(seed)

    def kernel(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        return (x @ y.T / d + 1.0) ** 3

    estimates = np.empty(num_subsets, dtype=np.float64)
    for i in range(num_subsets):
        x = xa[rng.choice(xa.shape[0], m, replace=False)]
        y = xb[rng.choice(xb.shape[0], m, replace=False)]
        kxx = kernel(x, x)
        kyy = kernel(y, y)
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        estimates[i] = within - 2.0 * kernel(x, y).sum() / (m * m)
    return float(estimates.mean()), float(estimates.std())


register_metric(
    "fcd", space="classifier", streaming=frechet_distance_from_stats, auto=("classifier",)
)(frechet_distance_from_activations)
"""`fcd`: the Fréchet distance on a classifier's features ("Fréchet classifier distance")."""
