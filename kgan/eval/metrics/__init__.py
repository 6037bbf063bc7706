"""Evaluation metrics for generative models, in pure NumPy/SciPy.

Every metric here works on arrays that are already in memory: feature vectors
(e.g. Inception pool activations), class probabilities, or raw samples. The
feature extractors that turn images into such arrays live in
`kgan.eval.extractors`, so this package never imports TensorFlow.

One module per family:

- `distances`: Fréchet distance / FID (Heusel et al., 2017) and, on a
  classifier's features, the "Fréchet classifier distance" (`fcd`); the
  Kernel Inception Distance (Binkowski et al., 2018).
- `stats`: `FeatureStats`, the streaming mean and covariance behind FID.
- `probabilities`: the Inception Score (Salimans et al., 2016), with any
  classifier's probabilities the "classifier score"; class coverage.
- `neighbours`: improved precision and recall (Kynkäänniemi et al., 2019);
  density and coverage (Naeem et al., 2020).
- `modes`: mode coverage on the 2-D mixtures "ring8" and "grid25"
  (Srivastava et al., 2017, VEEGAN; Lin et al., 2018, PacGAN), and the
  modes (of 1,000) and KL of Stacked MNIST (`stacked_mnist_modes`).
- `parzen`: the Gaussian Parzen-window log-likelihood (Goodfellow et al.,
  2014; Breuleux et al., 2011).
- `registry`: `METRICS`, name -> `MetricSpec` (the function and what it
  needs), filled by `register_metric`; `get_metric(name)` returns the function.

Example:
    >>> import numpy as np
    >>> from kgan import metrics
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(500, 8))
    >>> round(metrics.get_metric("fid")(real, real), 6)
    0.0
"""

# Registration order is the order `metrics="auto"` reports in: import the families in it.
from kgan.eval.metrics.registry import (
    ARGUMENTS,
    AUTO_KINDS,
    INPUTS,
    METRICS,
    SPACES,
    MetricSpec,
    get_metric,
    get_spec,
    register_metric,
)

from kgan.eval.metrics.stats import FeatureStats  # isort: skip
from kgan.eval.metrics.distances import (  # isort: skip
    frechet_distance,
    frechet_distance_from_activations,
    frechet_distance_from_stats,
    kernel_inception_distance,
)
from kgan.eval.metrics.probabilities import class_coverage, inception_score  # isort: skip
from kgan.eval.metrics.modes import MODES, mode_coverage, stacked_mnist_modes  # isort: skip
from kgan.eval.metrics.neighbours import density_coverage, precision_recall  # isort: skip
from kgan.eval.metrics.parzen import parzen_log_likelihood  # isort: skip

__all__ = [
    "ARGUMENTS",
    "AUTO_KINDS",
    "INPUTS",
    "METRICS",
    "MODES",
    "SPACES",
    "FeatureStats",
    "MetricSpec",
    "class_coverage",
    "density_coverage",
    "frechet_distance",
    "frechet_distance_from_activations",
    "frechet_distance_from_stats",
    "get_metric",
    "get_spec",
    "inception_score",
    "kernel_inception_distance",
    "mode_coverage",
    "parzen_log_likelihood",
    "precision_recall",
    "register_metric",
    "stacked_mnist_modes",
]
