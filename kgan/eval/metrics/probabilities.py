"""Metrics on class probabilities: the Inception Score and class coverage.

Registered as "inception_score" (on InceptionV3's ImageNet probabilities),
"classifier_score" (the same score with another classifier's probabilities)
and "class_coverage" (classes reached, and the KL divergence between the
predicted-class histogram and the data's).

Example:
    >>> inception_score(np.eye(4), splits=1)
    (4.0, 0.0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from kgan.eval.metrics._arrays import as_matrix, check_finite, check_int
from kgan.eval.metrics.registry import register_metric


def _splits(probs: ArrayLike) -> dict[str, int]:
    """At most 10 splits, and no more than the samples."""
    return {"splits": min(10, len(probs))}


@register_metric(
    "inception_score",
    input="probabilities",
    args=("fake",),
    defaults=_splits,
    result_keys=("mean", "std"),
    extractor="inception",
)
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
    p = as_matrix(probs, "probs")
    splits = check_int(splits, "splits", 1)
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


register_metric(
    "classifier_score",
    input="probabilities",
    space="classifier",
    args=("fake",),
    defaults=_splits,
    result_keys=("mean", "std"),
    auto=("classifier",),
)(inception_score)
"""`classifier_score`: the Inception Score computed with another classifier's probabilities."""


@register_metric(
    "class_coverage",
    input="probabilities",
    space="classifier",
    args=("fake", "class_histogram"),
    auto=("classifier",),
)
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
    p = as_matrix(probs, "probs")
    min_count = check_int(min_count, "min_count", 1)
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
        check_finite(q, "reference")
        if q.min() < 0 or q.sum() <= 0:
            raise ValueError(
                f"reference must be non-negative with a positive sum; got {q.tolist()}."
            )
        q = q / q.sum()
    hist = counts / counts.sum()
    with np.errstate(divide="ignore"):
        kl = float(special.rel_entr(hist, q).sum())
    return {"classes": int(np.count_nonzero(counts >= min_count)), "num_classes": k, "kl": kl}
