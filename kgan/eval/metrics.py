"""Evaluation metrics for generative models, in pure numpy/scipy.

Every metric here works on arrays that are already in memory: feature vectors
(e.g. Inception pool activations), class probabilities, or raw samples. The
feature extractors that turn images into such arrays live elsewhere, so this
module never imports TensorFlow.

Metrics:
    * Fréchet distance / FID (Heusel et al., 2017), with `FeatureStats` to
      accumulate the mean and covariance of many feature vectors in batches;
      on a classifier's features, the "Fréchet classifier distance" (`fcd`).
    * Kernel Inception Distance (Binkowski et al., 2018).
    * Inception Score (Salimans et al., 2016); with any classifier's
      probabilities, the "classifier score" (registered as both).
    * Class coverage: classes reached and the KL divergence between the
      predicted-class histogram and the data's.
    * Improved precision and recall (Kynkäänniemi et al., 2019).
    * Density and coverage (Naeem et al., 2020).
    * Mode coverage on the 2-D mixtures "ring8" and "grid25" (Srivastava et al.,
      2017, VEEGAN; Lin et al., 2018, PacGAN).
    * Gaussian Parzen-window log-likelihood (Goodfellow et al., 2014; Breuleux
      et al., 2011).

A registry maps short names to the metrics that take arrays of samples or
activations: ``get_metric("fid")(real_activations, fake_activations)``.

Example:
    >>> import numpy as np
    >>> from kgan import metrics
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(500, 8))
    >>> round(metrics.get_metric("fid")(real, real), 6)
    0.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "METRICS",
    "MODES",
    "FeatureStats",
    "class_coverage",
    "density_coverage",
    "frechet_distance",
    "frechet_distance_from_activations",
    "frechet_distance_from_stats",
    "get_metric",
    "inception_score",
    "kernel_inception_distance",
    "mode_coverage",
    "parzen_log_likelihood",
    "precision_recall",
    "register_metric",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

METRICS: dict[str, Callable[..., Any]] = {}
"""Metrics by name. Each takes arrays of samples, activations or probabilities."""


def register_metric(name: str) -> Callable[[_F], _F]:
    """Returns a decorator that adds a function to `METRICS` under `name`.

    Args:
        name: The key to register the function under.

    Returns:
        A decorator that registers the function and returns it unchanged.
        Registering the same function again (or a reloaded copy of it, with the
        same module and qualified name) replaces the entry.

    Raises:
        ValueError: if `name` is empty or already taken by a different function.

    Example:
        >>> @register_metric("mean_norm")
        ... def mean_norm(x):
        ...     return float(np.linalg.norm(np.asarray(x), axis=1).mean())
        >>> get_metric("mean_norm")([[3.0, 4.0]])
        5.0
        >>> del METRICS["mean_norm"]
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"Metric name must be a non-empty string; got {name!r}.")

    def decorator(fn: _F) -> _F:
        existing = METRICS.get(name)
        if existing is not None and existing is not fn and _qualified(existing) != _qualified(fn):
            raise ValueError(
                f"Metric name={name!r} is already registered to {_qualified(existing)}; "
                f"cannot register {_qualified(fn)} under the same name."
            )
        METRICS[name] = fn
        return fn

    return decorator


def _qualified(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", "?")
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"


def get_metric(name: str) -> Callable[..., Any]:
    """Returns the metric registered under `name`.

    Args:
        name: A key of `METRICS`, e.g. "fid", "kid" or "mode_coverage".

    Returns:
        The registered function.

    Raises:
        ValueError: if no metric has that name.

    Example:
        >>> get_metric("fid") is frechet_distance_from_activations
        True
    """
    try:
        return METRICS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown metric={name!r}. Expected one of {sorted(METRICS)}.") from None


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _check_finite(x: NDArray[np.float64], name: str) -> None:
    if not np.all(np.isfinite(x)):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{name} contains {bad} non-finite value(s) (NaN or inf) out of {x.size}; "
            "expected only finite values."
        )


def _as_matrix(x: ArrayLike, name: str, *, min_rows: int = 1, why: str = "") -> NDArray[np.float64]:
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
    _check_finite(arr, name)
    return arr


def _as_flat(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Converts samples of shape (num_samples, ...) to a (num_samples, D) float64 array."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 2:
        raise ValueError(
            f"{name} must be an array of shape (num_samples, ...) with ndim >= 2; "
            f"got ndim={arr.ndim} with shape {arr.shape}."
        )
    return _as_matrix(arr.reshape(arr.shape[0], math.prod(arr.shape[1:])), name)


def _check_same_features(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of features; "
            f"got {a.shape[1]} and {b.shape[1]}."
        )


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def _sq_dists(
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


def _row_sq_norms(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.einsum("ij,ij->i", x, x)


# ---------------------------------------------------------------------------
# Fréchet distance (FID)
# ---------------------------------------------------------------------------


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
    _check_finite(sigma, name)
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
    _check_finite(m1, "mu1")
    _check_finite(m2, "mu2")
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


@register_metric("fid")
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
    xa = _as_matrix(a, "a", min_rows=2, why=why)
    xb = _as_matrix(b, "b", min_rows=2, why=why)
    _check_same_features(xa, xb, "a", "b")
    mu_a, s_a = _mean_cov(xa)
    mu_b, s_b = _mean_cov(xb)
    return frechet_distance(mu_a, s_a, mu_b, s_b)


class FeatureStats:
    """Streaming mean and covariance of feature vectors, in float64.

    Feed batches with `update`; only the running count, mean (d,) and centered
    sum of outer products (d, d) are kept, so e.g. the 50,000 activations of an
    FID evaluation never need to sit in memory at once. Batches are combined
    with the pairwise update of Chan, Golub & LeVeque (1979), which avoids the
    cancellation of the naive sum-of-squares formula. Partial statistics (e.g.
    from several workers) can be combined with `merge`.

    Args:
        num_features: Expected feature size d, or None to take it from the
            first batch.

    Example:
        >>> stats = FeatureStats()
        >>> for batch in np.split(np.arange(12.0).reshape(6, 2), 3):
        ...     _ = stats.update(batch)
        >>> stats.num, stats.mean.tolist(), stats.cov.tolist()
        (6, [5.0, 6.0], [[14.0, 14.0], [14.0, 14.0]])
    """

    def __init__(self, num_features: int | None = None) -> None:
        if num_features is not None:
            num_features = _check_int(num_features, "num_features", 1)
        self._num_features = num_features
        self._num = 0
        self._mean: NDArray[np.float64] | None = None
        self._m2: NDArray[np.float64] | None = None

    def __repr__(self) -> str:
        return f"FeatureStats(num={self._num}, num_features={self._num_features})"

    @property
    def num_features(self) -> int | None:
        """Feature size d, or None before the first batch when not given."""
        return self._num_features

    @property
    def num(self) -> int:
        """Number of feature vectors seen so far."""
        return self._num

    @property
    def mean(self) -> NDArray[np.float64]:
        """Mean of all feature vectors seen, shape (d,). Needs num >= 1."""
        if self._mean is None:
            raise ValueError("FeatureStats.mean needs at least 1 sample; got 0.")
        return self._mean.copy()

    @property
    def cov(self) -> NDArray[np.float64]:
        """Unbiased (ddof=1) covariance, shape (d, d), as np.cov. Needs num >= 2."""
        if self._m2 is None or self._num < 2:
            raise ValueError(f"FeatureStats.cov needs at least 2 samples; got {self._num}.")
        return self._m2 / (self._num - 1)

    def update(self, batch: ArrayLike) -> FeatureStats:
        """Adds a batch of feature vectors.

        Args:
            batch: Array of shape (n, d). A batch with n = 0 is ignored.

        Returns:
            self, for chaining.

        Raises:
            ValueError: on a wrong rank, a feature size that differs from
                earlier batches, or non-finite values.
        """
        x = np.asarray(batch, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(
                "batch must be a 2-D array of shape (num_samples, num_features); "
                f"got ndim={x.ndim} with shape {x.shape}."
            )
        _check_finite(x, "batch")
        self._check_features(x.shape[1], "batch")
        if x.shape[0] == 0:
            return self
        mean = x.mean(axis=0)
        centered = x - mean
        self._combine(x.shape[0], mean, centered.T @ centered)
        return self

    def merge(self, other: FeatureStats) -> FeatureStats:
        """Adds the statistics of `other` to this accumulator (in place).

        The result equals accumulating both streams into one object.

        Args:
            other: Another FeatureStats with the same feature size.

        Returns:
            self, for chaining.

        Raises:
            ValueError: if `other` is not a FeatureStats or its feature size differs.
        """
        if not isinstance(other, FeatureStats):
            raise ValueError(f"other must be a FeatureStats; got {type(other).__name__}.")
        if other._num == 0:
            return self
        assert other._mean is not None and other._m2 is not None
        self._check_features(other._mean.shape[0], "other")
        self._combine(other._num, other._mean.copy(), other._m2.copy())
        return self

    def _check_features(self, d: int, name: str) -> None:
        if self._num_features is None:
            if d < 1:
                raise ValueError(f"{name} must have at least 1 feature; got {d}.")
            self._num_features = d
        elif d != self._num_features:
            raise ValueError(
                f"{name} has {d} features; expected {self._num_features} like earlier batches."
            )

    def _combine(self, n_b: int, mean_b: NDArray[np.float64], m2_b: NDArray[np.float64]) -> None:
        if self._mean is None or self._m2 is None:
            self._num, self._mean, self._m2 = n_b, mean_b, m2_b
            return
        n_a = self._num
        n = n_a + n_b
        delta = mean_b - self._mean
        self._mean = self._mean + delta * (n_b / n)
        self._m2 = self._m2 + m2_b + np.outer(delta, delta) * (n_a * n_b / n)
        self._num = n


def frechet_distance_from_stats(s1: FeatureStats, s2: FeatureStats) -> float:
    """Fréchet distance (Heusel et al., 2017) between two `FeatureStats`.

    ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}) with the accumulated means
    and covariances.

    Args:
        s1: Statistics of the first set, num >= 2.
        s2: Statistics of the second set, num >= 2, same feature size.

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
    return frechet_distance(s1.mean, s1.cov, s2.mean, s2.cov)


# ---------------------------------------------------------------------------
# Kernel Inception Distance
# ---------------------------------------------------------------------------


@register_metric("kid")
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
    xa = _as_matrix(a, "a", min_rows=2, why=why)
    xb = _as_matrix(b, "b", min_rows=2, why=why)
    _check_same_features(xa, xb, "a", "b")
    num_subsets = _check_int(num_subsets, "num_subsets", 1)
    subset_size = _check_int(subset_size, "subset_size", 2)
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


# ---------------------------------------------------------------------------
# Inception Score
# ---------------------------------------------------------------------------


@register_metric("inception_score")
def inception_score(probs: ArrayLike, *, splits: int = 10) -> tuple[float, float]:
    """Inception Score from class probabilities.

    Salimans et al., 2016, "Improved Techniques for Training GANs":

        IS = exp(E_x KL(p(y|x) || p(y))),  p(y) = E_x p(y|x)

    computed separately on `splits` consecutive, (nearly) equal chunks of the
    samples, with p(y) estimated per chunk, as in the reference code. Ranges
    from 1 (all predictions identical) to the number of classes (confident
    predictions spread uniformly over the classes).

    Args:
        probs: Class probabilities p(y|x), shape (n, num_classes), rows
            non-negative and summing to 1 (within 1e-3).
        splits: Number of chunks, 1 <= splits <= n.

    Returns:
        (mean, std) of the per-chunk scores (std with ddof=0).

    Raises:
        ValueError: on a wrong rank, non-finite or negative values, rows that
            do not sum to 1, or a bad `splits`.

    Example:
        >>> inception_score(np.eye(4), splits=1)
        (4.0, 0.0)
    """
    p = _as_matrix(probs, "probs")
    splits = _check_int(splits, "splits", 1)
    n = p.shape[0]
    if splits > n:
        raise ValueError(f"splits must be <= the number of samples {n}; got {splits}.")
    if p.min() < 0:
        raise ValueError(f"probs must be non-negative; found minimum {p.min():.3g}.")
    sums = p.sum(axis=1)
    worst = float(np.abs(sums - 1.0).max())
    if worst > 1e-3:
        raise ValueError(
            f"Each row of probs must sum to 1 (class probabilities, e.g. a softmax output); "
            f"found a row summing to {sums[np.argmax(np.abs(sums - 1.0))]:.6g}."
        )
    scores = np.empty(splits, dtype=np.float64)
    for k in range(splits):
        part = p[k * n // splits : (k + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = special.rel_entr(part, marginal).sum(axis=1)
        scores[k] = np.exp(kl.mean())
    return float(scores.mean()), float(scores.std())


register_metric("fcd")(frechet_distance_from_activations)
"""`fcd`: the Fréchet distance on a classifier's features ("Fréchet classifier distance")."""
register_metric("classifier_score")(inception_score)
"""`classifier_score`: the Inception Score computed with another classifier's probabilities."""


@register_metric("class_coverage")
def class_coverage(
    probs: ArrayLike, reference: ArrayLike | None = None, *, min_count: int = 1
) -> dict[str, float | int]:
    """Classes reached by the samples, and KL(predicted-class histogram || reference).

    Each sample is assigned its most probable class (argmax of `probs`). A
    class is reached when at least `min_count` samples are assigned to it.
    With p the normalized histogram of assigned classes and q the normalized
    `reference` histogram (e.g. the data's class frequencies; uniform when
    None):

        KL(p || q) = sum_i p_i log(p_i / q_i),  0 log 0 = 0

    which is 0 when the samples spread over the classes like the data, and
    inf when a sample is assigned to a class that q gives probability 0.

    Args:
        probs: class probabilities (or scores), shape (n, K).
        reference: K non-negative class counts or frequencies (normalized
            here); None for the uniform distribution.
        min_count: samples a class needs to count as reached.

    Returns:
        {"classes": classes reached (int), "num_classes": K (int), "kl": float}.

    Raises:
        ValueError: on a wrong shape, non-finite values, a reference of the
            wrong length, negative or all-zero, or a bad `min_count`.

    Example:
        >>> class_coverage(np.eye(4)[[0, 0, 1, 1]])
        {'classes': 2, 'num_classes': 4, 'kl': 0.6931471805599453}
    """
    p = _as_matrix(probs, "probs")
    min_count = _check_int(min_count, "min_count", 1)
    k = p.shape[1]
    counts = np.bincount(p.argmax(axis=1), minlength=k).astype(np.float64)
    if reference is None:
        q = np.full(k, 1.0 / k)
    else:
        q = np.asarray(reference, dtype=np.float64)
        if q.shape != (k,):
            raise ValueError(
                f"reference must hold one count or frequency per class, shape ({k},); "
                f"got shape {q.shape}."
            )
        _check_finite(q, "reference")
        if q.min() < 0 or q.sum() <= 0:
            raise ValueError(
                f"reference must be non-negative with a positive sum; got {q.tolist()}."
            )
        q = q / q.sum()
    hist = counts / counts.sum()
    with np.errstate(divide="ignore"):
        kl = float(special.rel_entr(hist, q).sum())
    return {"classes": int(np.count_nonzero(counts >= min_count)), "num_classes": k, "kl": kl}


# ---------------------------------------------------------------------------
# k-NN based metrics: precision/recall, density/coverage
# ---------------------------------------------------------------------------


def _knn_sq_radii(x: NDArray[np.float64], k: int, batch_size: int) -> NDArray[np.float64]:
    """Squared distance from each row of x to its k-th nearest other row.

    Computed in (batch_size x batch_size) blocks, keeping the k+1 smallest
    distances per row (the smallest is the row itself).
    """
    n = x.shape[0]
    sq = _row_sq_norms(x)
    radii = np.empty(n, dtype=np.float64)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        best: NDArray[np.float64] | None = None
        for col in range(0, n, batch_size):
            col_stop = min(col + batch_size, n)
            d = _sq_dists(x[start:stop], x[col:col_stop], sq[start:stop], sq[col:col_stop])
            cand = d if best is None else np.concatenate([best, d], axis=1)
            keep = min(k + 1, cand.shape[1])
            best = np.partition(cand, keep - 1, axis=1)[:, :keep]
        assert best is not None
        radii[start:stop] = best.max(axis=1)
    return radii


def _count_in_balls(
    queries: NDArray[np.float64],
    centers: NDArray[np.float64],
    sq_radii: NDArray[np.float64],
    batch_size: int,
    *,
    strict: bool,
) -> NDArray[np.int64]:
    """For each query, the number of balls (centers, radii) that contain it."""
    q_sq = _row_sq_norms(queries)
    c_sq = _row_sq_norms(centers)
    counts = np.zeros(queries.shape[0], dtype=np.int64)
    for start in range(0, queries.shape[0], batch_size):
        stop = min(start + batch_size, queries.shape[0])
        for col in range(0, centers.shape[0], batch_size):
            col_stop = min(col + batch_size, centers.shape[0])
            d = _sq_dists(
                queries[start:stop], centers[col:col_stop], q_sq[start:stop], c_sq[col:col_stop]
            )
            r = sq_radii[None, col:col_stop]
            inside = d < r if strict else d <= r
            counts[start:stop] += inside.sum(axis=1)
    return counts


def _nearest_sq_dist(
    queries: NDArray[np.float64], refs: NDArray[np.float64], batch_size: int
) -> NDArray[np.float64]:
    """For each query, the squared distance to its nearest row of refs."""
    q_sq = _row_sq_norms(queries)
    r_sq = _row_sq_norms(refs)
    out = np.full(queries.shape[0], np.inf)
    for start in range(0, queries.shape[0], batch_size):
        stop = min(start + batch_size, queries.shape[0])
        for col in range(0, refs.shape[0], batch_size):
            col_stop = min(col + batch_size, refs.shape[0])
            d = _sq_dists(
                queries[start:stop], refs[col:col_stop], q_sq[start:stop], r_sq[col:col_stop]
            )
            np.minimum(out[start:stop], d.min(axis=1), out=out[start:stop])
    return out


def _knn_inputs(
    real: ArrayLike, fake: ArrayLike, k: Any, batch_size: Any, *, fake_needs_knn: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int]:
    k = _check_int(k, "k", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    why = f"to find the k={k}-th nearest neighbour excluding itself"
    xr = _as_matrix(real, "real", min_rows=k + 1, why=why)
    xf = _as_matrix(fake, "fake", min_rows=k + 1 if fake_needs_knn else 1, why=why)
    _check_same_features(xr, xf, "real", "fake")
    return xr, xf, k, batch_size


@register_metric("precision_recall")
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


@register_metric("density_coverage")
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


# ---------------------------------------------------------------------------
# Mode coverage on 2-D mixtures
# ---------------------------------------------------------------------------


def _frozen(x: NDArray[np.float64]) -> NDArray[np.float64]:
    x.setflags(write=False)
    return x


MODES: dict[str, tuple[NDArray[np.float64], float]] = {
    "ring8": (
        _frozen(
            np.stack(
                [np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)],
                axis=1,
            )
        ),
        0.01,
    ),
    "grid25": (
        _frozen(
            np.array(
                [(x, y) for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)]
            )
        ),
        0.05,
    ),
}
"""2-D Gaussian mixtures: name -> (centers of shape (num_modes, 2), per-axis std).

"ring8": 8 modes at angles 2*pi*i/8 on the unit circle, std 0.01.
"grid25": 25 modes at {-4, -2, 0, 2, 4}^2, std 0.05.
"""


@register_metric("mode_coverage")
def mode_coverage(samples: ArrayLike, dataset: str) -> dict[str, float | int]:
    """Mode coverage of 2-D samples on the "ring8" or "grid25" mixture.

    The protocol of Srivastava et al., 2017 (VEEGAN) and Lin et al., 2018
    (PacGAN): each sample is assigned to its nearest mode; it is high quality
    when it lies within 3 standard deviations (Euclidean distance <= 3 std)
    of that mode. A mode is captured when at least one high-quality sample is
    assigned to it. The papers draw 2,500 samples per evaluation; the caller
    draws them, and any count >= 1 is accepted.

    The reverse-KL term uses the normalized histogram p of the high-quality
    samples over the K modes:

        KL(p || uniform) = sum_i p_i log(p_i K),  0 log 0 = 0

    which is 0 when the high-quality samples spread evenly over all modes and
    log(K) when they all sit on one mode; with no high-quality sample it is
    defined as log(K).

    Args:
        samples: Array of shape (n, 2).
        dataset: "ring8" or "grid25" (see `MODES`).

    Returns:
        {"modes": captured modes (int), "num_modes": K (int), "high_quality":
        percentage of high-quality samples in [0, 100], "kl": float}.

    Raises:
        ValueError: on an unknown dataset, a wrong shape, or non-finite values.

    Example:
        >>> centers, std = MODES["ring8"]
        >>> mode_coverage(centers[:3], "ring8")["modes"]
        3
    """
    if not isinstance(dataset, str) or dataset not in MODES:
        raise ValueError(f"Unknown dataset={dataset!r}. Expected one of {sorted(MODES)}.")
    centers, std = MODES[dataset]
    x = _as_matrix(samples, "samples")
    if x.shape[1] != 2:
        raise ValueError(
            f"samples must have shape (num_samples, 2) for dataset={dataset!r}; got {x.shape}."
        )
    num_modes = centers.shape[0]
    nearest = np.empty(x.shape[0], dtype=np.int64)
    dist = np.empty(x.shape[0], dtype=np.float64)
    chunk = 65536
    for start in range(0, x.shape[0], chunk):
        diff = x[start : start + chunk, None, :] - centers[None, :, :]
        d = np.sqrt((diff**2).sum(axis=-1))
        nearest[start : start + chunk] = d.argmin(axis=1)
        dist[start : start + chunk] = d.min(axis=1)
    high_quality = dist <= 3.0 * std
    num_hq = int(high_quality.sum())
    histogram = np.bincount(nearest[high_quality], minlength=num_modes)
    if num_hq == 0:
        kl = math.log(num_modes)
    else:
        p = histogram / num_hq
        kl = float(special.xlogy(p, p * num_modes).sum())
    return {
        "modes": int(np.count_nonzero(histogram)),
        "num_modes": int(num_modes),
        "high_quality": 100.0 * num_hq / x.shape[0],
        "kl": kl,
    }


# ---------------------------------------------------------------------------
# Parzen-window log-likelihood
# ---------------------------------------------------------------------------


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
    x_sq = _row_sq_norms(x)
    s_sq = _row_sq_norms(samples)
    inv_two_var = 1.0 / (2.0 * sigmas**2)
    out = np.empty((x.shape[0], sigmas.shape[0]), dtype=np.float64)
    for start in range(0, x.shape[0], batch_size):
        stop = min(start + batch_size, x.shape[0])
        acc = np.full((stop - start, sigmas.shape[0]), -np.inf)
        for col in range(0, n, batch_size):
            col_stop = min(col + batch_size, n)
            d = _sq_dists(
                x[start:stop], samples[col:col_stop], x_sq[start:stop], s_sq[col:col_stop]
            )
            for j, c in enumerate(inv_two_var):
                acc[:, j] = np.logaddexp(acc[:, j], special.logsumexp(-c * d, axis=1))
        out[start:stop] = acc
    out -= math.log(n)
    out -= 0.5 * dim * np.log(2.0 * np.pi * sigmas**2)[None, :]
    return out


@register_metric("parzen")
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
    s = _as_flat(samples, "samples")
    t = _as_flat(test, "test")
    v = _as_flat(validation, "validation")
    _check_same_features(s, t, "samples", "test")
    _check_same_features(s, v, "samples", "validation")
    batch_size = _check_int(batch_size, "batch_size", 1)
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
