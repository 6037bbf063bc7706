"""The public names of kgan 0.1's `kgan.features`, which now live in three modules.

- `kgan.eval.extractors`: `inception_v3`, `InceptionFeatures`,
  `ClassifierFeatures`, `RawFeatures`, `FeatureBatch`;
- `kgan.eval.sources`: `iterate_batches`, `sampler`;
- `kgan.eval.evaluator`: `Evaluator`, `extract_features`,
  `ExtractedFeatures`, `flatten_results`.

The old name lists `EXTRACTOR_METRICS`, `CLASSIFIER_METRICS` and `RAW_METRICS`
are read from the metric registry (`kgan.metrics.METRICS`) on each access, so
they include metrics registered later; each metric's `MetricSpec` says what it
needs.
"""

from __future__ import annotations

from typing import Any

from kgan.eval.evaluator import Evaluator, ExtractedFeatures, extract_features, flatten_results
from kgan.eval.extractors import (
    INCEPTION_FEATURES,
    INCEPTION_SIZE,
    ClassifierFeatures,
    FeatureBatch,
    InceptionFeatures,
    RawFeatures,
    inception_v3,
)
from kgan.eval.sources import Source, iterate_batches, sampler

__all__ = [
    "INCEPTION_FEATURES",
    "INCEPTION_SIZE",
    "ClassifierFeatures",
    "Evaluator",
    "ExtractedFeatures",
    "FeatureBatch",
    "InceptionFeatures",
    "RawFeatures",
    "Source",
    "extract_features",
    "flatten_results",
    "inception_v3",
    "iterate_batches",
    "sampler",
]

_BY_SOURCE = {
    "EXTRACTOR_METRICS": "extractor",
    "CLASSIFIER_METRICS": "classifier",
    "RAW_METRICS": "samples",
}


def __getattr__(name: str) -> Any:
    """The metric names read from one source of inputs (see `MetricSpec.source`)."""
    if name in _BY_SOURCE:
        from kgan.eval.metrics import METRICS

        return tuple(n for n, spec in METRICS.items() if spec.source == _BY_SOURCE[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
