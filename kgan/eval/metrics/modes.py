"""Mode coverage on the 2-D Gaussian mixtures "ring8" and "grid25", and on Stacked MNIST.

The protocols of Srivastava et al., 2017 (VEEGAN) and Lin et al., 2018
(PacGAN); `MODES` holds the mixtures' centers and standard deviations.
`stacked_mnist_modes` counts the digit triples a classifier reads in the
channels of Stacked MNIST samples (`kgan.eval.stacked` builds that classifier).

Example:
    >>> centers, std = MODES["ring8"]
    >>> mode_coverage(centers, "ring8")["modes"]
    8
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from kgan.data.builtin import MIXTURES
from kgan.eval.metrics._arrays import as_matrix
from kgan.eval.metrics.registry import register_metric

MODES: Mapping[str, tuple[NDArray[np.float64], float]] = MIXTURES
"""The 2-D Gaussian mixtures: name -> (read-only centers (num_modes, 2), per-axis std).

The geometry is `kgan.data.builtin.MIXTURES`, the one that draws the data
(NumPy only: importing it loads no TensorFlow). "ring8": 8 modes at angles
2*pi*i/8 on the unit circle, std 0.01. "grid25": 25 modes at {-4, -2, 0, 2, 4}^2,
std 0.05.
"""


@register_metric("mode_coverage", input="samples", args=("fake", "dataset"), auto=("points",))
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
    x = as_matrix(samples, "samples")
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


@register_metric("stacked_mnist_modes", input="probabilities", space="classifier", args=("fake",))
def stacked_mnist_modes(probs: ArrayLike) -> dict[str, float | int]:
    """Modes (of 1,000) and KL to uniform of Stacked MNIST samples, from their modes' probabilities.

    The protocol of Metz et al., 2017 and Lin et al., 2018 (PacGAN's
    `stacked_MNIST_experiments`): a pretrained digit classifier reads each
    channel; the triple (r, g, b) of its answers is the sample's mode. A mode
    is counted when at least one sample has it, and with p the normalized
    histogram of the K = 1,000 modes:

        KL(p || uniform) = sum_i p_i log(p_i K),  0 log 0 = 0

    The probabilities are those of `kgan.eval.stacked.triple_classifier`:
    column `100 r + 10 g + b` holds p(r) p(g) p(b), whose argmax is the triple
    of the channels' argmaxes. The papers score 26,000 (VEEGAN setting) or
    25,600 samples.

    Args:
        probs: (n, K) probabilities (or scores) of the K modes.

    Returns:
        {"modes": modes reached (int), "num_modes": K (int), "kl": float}.

    Raises:
        ValueError: on a wrong shape or non-finite values.

    Example:
        >>> result = stacked_mnist_modes(np.eye(1000)[[0, 0, 5, 999]])
        >>> result["modes"], round(result["kl"], 4)  # 0.5 log 500 + 0.5 log 250
        (3, 5.868)
    """
    p = as_matrix(probs, "probs")
    k = p.shape[1]
    histogram = np.bincount(p.argmax(axis=1), minlength=k) / p.shape[0]
    return {
        "modes": int(np.count_nonzero(histogram)),
        "num_modes": int(k),
        "kl": float(special.xlogy(histogram, histogram * k).sum()),
    }
