"""Streaming mean and covariance of feature vectors (`FeatureStats`), in float64.

Example:
    >>> stats = FeatureStats().update([[0.0, 1.0], [2.0, 3.0]])
    >>> stats.num, stats.mean.tolist()
    (2, [1.0, 2.0])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kgan.eval.metrics._arrays import check_finite, check_int


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
            num_features = check_int(num_features, "num_features", 1)
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
        check_finite(x, "batch")
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
