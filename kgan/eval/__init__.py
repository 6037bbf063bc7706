"""Evaluation: NumPy metrics, feature extractors, sample sources, the evaluator, the recipe.

- `kgan.eval.metrics`: the metric math and its registry (NumPy/SciPy only;
  it never imports TensorFlow);
- `kgan.eval.extractors`: InceptionV3, classifier and raw features;
- `kgan.eval.sources`: `iterate_batches`, `sampler`;
- `kgan.eval.evaluator`: `Evaluator`, the streaming pass;
- `kgan.eval.classifier`: the small digit classifier;
- `kgan.eval.recipe`: `evaluate`, what `kgan-evaluate` runs.

The names below are imported on first use, so `import kgan.eval.metrics`
loads no network code.

Example:
    >>> import kgan
    >>> report = kgan.eval.evaluate("runs/ring8/generator.keras", "ring8")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Evaluator": "kgan.eval.evaluator",
    "extract_features": "kgan.eval.evaluator",
    "flatten_results": "kgan.eval.evaluator",
    "ClassifierFeatures": "kgan.eval.extractors",
    "RawFeatures": "kgan.eval.extractors",
    "inception_v3": "kgan.eval.extractors",
    "iterate_batches": "kgan.eval.sources",
    "sampler": "kgan.eval.sources",
    "evaluate": "kgan.eval.recipe",
    "format_results": "kgan.eval.recipe",
    "load_generator": "kgan.eval.recipe",
    "save_report": "kgan.eval.recipe",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
