"""The evaluate recipe: score a trained generator against real data, as `kgan-evaluate` does.

`evaluate(model, data)` loads the generator (a `.keras` or kgan `.onnx`
file, or a model object) and the named real data, picks the metrics
(`metrics="auto"`: by the kind of data and what works offline), the feature
space and, when a metric needs one, a classifier (loaded, or trained on the
training split), runs one `Evaluator` pass over generated samples and
returns a JSON-able report. What each metric needs comes from its
`MetricSpec` (`kgan.metrics.get_spec`), so a newly registered metric works
here without changes.

With `metrics="auto"`, the metrics whose spec lists the kind of evaluation
in `auto`: "points" for 2-D data (`mode_coverage` on ring8/grid25,
`precision_recall`, `density_coverage`); for labelled image sets,
"classifier" (`fcd`, `classifier_score`, `class_coverage`, with a small CNN
trained in seconds on the built-in digits) and, when `inception_weights` is
given, "inception" (`fid`, `kid`); `precision_recall` in both.

Example:
    >>> report = evaluate("runs/ring8/generator.keras", "ring8")  # doctest: +SKIP
    >>> report["metrics"]["mode_coverage"]  # doctest: +SKIP
    {'modes': 8, 'num_modes': 8, 'high_quality': 97.9, 'kl': 0.004}
    >>> print("\\n".join(format_results(report["metrics"])))  # doctest: +SKIP
    mode_coverage: modes=8, num_modes=8, high_quality=97.9, kl=0.004
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FEATURES",
    "NUM_SAMPLES",
    "auto_metrics",
    "evaluate",
    "format_results",
    "load_generator",
    "save_report",
]

FEATURES = ("auto", "inception", "classifier", "raw")
"""Feature spaces of the metrics on the extractor's features ("auto" picks one)."""

NUM_SAMPLES = {"points": 2500, "images": 10_000}
"""Generated samples by default: 2,500 for 2-D points (the VEEGAN/PacGAN protocol), 10,000
for images."""

_VALIDATION = 1000
"""Held-out training samples (at most; a fifth of a small set) for metrics that take them."""


def load_generator(path: str | os.PathLike) -> Any:
    """Loads a generator to sample from: a `.keras` or a kgan `.onnx` file.

    Args:
        path: a `.keras` file (a `kgan.GAN` or a generator model) or an
            `.onnx` file exported by kgan (read with kgan-runtime).

    Returns:
        A `kgan.GAN`, a generator `keras.Model` or a
        `kgan_runtime.OnnxGenerator`: anything `kgan.eval.sampler` accepts.

    Raises:
        ValueError: for a missing file, another suffix, or a file that does
            not load; the message is one line.

    Example:
        >>> generator = load_generator("runs/ring8/generator.keras")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No model file at {str(path)!r}.")
    if path.suffix == ".onnx":
        try:
            from kgan_runtime import KganRuntimeError, OnnxGenerator
        except ImportError as err:
            raise ValueError(
                f"Reading .onnx models needs kgan-runtime (pip install ./export): {err}"
            ) from None
        try:
            return OnnxGenerator(path)
        except KganRuntimeError as err:
            raise ValueError(str(err)) from None
    if path.suffix != ".keras":
        raise ValueError(f"model must be a .keras or .onnx file; got {str(path)!r}.")
    return _load_keras(path, "a Keras model")


def _load_keras(path: Path, what: str) -> Any:
    import kgan  # noqa: F401  (registers every Keras class kgan writes)
    from kgan.keras_file import load_keras

    try:  # checked first: a regular zip, bounded expansion, corruption named
        return load_keras(path, compile=False, safe_mode=True)
    except Exception as err:  # zip, h5, deserialization errors of all kinds
        raise ValueError(
            f"Cannot load {str(path)!r} as {what}: {type(err).__name__}: {_first_line(err)}"
        ) from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def auto_metrics(*, points: bool, dataset: str, labelled: bool, inception: bool) -> list[str]:
    """The metrics `metrics="auto"` picks, in registration order.

    Args:
        points: the data are 2-D points (else images).
        dataset: the data's name (metrics that take a `dataset` need one of
            `kgan.metrics.MODES`).
        labelled: the images have class labels, or a classifier is given.
        inception: InceptionV3 weights are available.

    Returns:
        The names of the registered metrics whose spec's `auto` lists the kind
        of evaluation: "points", or "inception" and/or "classifier" for images.

    Raises:
        ValueError: for unlabelled images without InceptionV3 weights.

    Example:
        >>> auto_metrics(points=True, dataset="ring8", labelled=False, inception=False)
        ['mode_coverage', 'precision_recall', 'density_coverage']
    """
    from kgan.eval.metrics import METRICS, MODES

    kinds = {"points"} if points else set()
    if not points and inception:
        kinds.add("inception")
    if not points and labelled:
        kinds.add("classifier")
    names = [
        name
        for name, spec in METRICS.items()
        if kinds & set(spec.auto) and ("dataset" not in spec.args or dataset in MODES)
    ]
    if not names:
        raise ValueError(
            f"No offline metric for the unlabelled image set {dataset!r}: pass "
            "inception_weights=PATH for fid/kid, or metrics= with raw-feature metrics."
        )
    return names


class _RealData:
    """The named data set's splits, loaded once each, as float32 in [-1, 1]."""

    def __init__(self, name: str, split: str, data_dir: str | None, download: bool):
        self.name, self.split = name, split
        self._where = {"data_dir": data_dir, "download": download}

    def load(self, split: str, *, with_labels: bool = False) -> tuple[np.ndarray, Any]:
        from kgan import data as data_lib

        x, y = data_lib.load_arrays(self.name, split=split, with_labels=with_labels, **self._where)
        return _as_float32(x), y

    def train(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The training split and its labels (None when the set has no class labels)."""
        try:
            return self.load("train", with_labels=True)
        except ValueError:  # no ClassLabel feature
            return self.load("train")[0], None

    def labels(self, num_real: int | None) -> np.ndarray | None:
        """The labels of the evaluated split, or None when the set has none."""
        try:
            labels = self.load(self.split, with_labels=True)[1]
        except ValueError:
            return None
        return labels if num_real is None else labels[:num_real]


def _as_float32(x: Any) -> np.ndarray:
    from kgan.eval.sources import to_float_samples

    return np.asarray(to_float_samples(np.asarray(x)), np.float32)


def _feature_space(
    specs: Sequence[Any], features: str, *, points: bool, labelled: bool, inception: bool
) -> str | None:
    """The extractor of the metrics on `space="extractor"`: "inception", "classifier", "raw"."""
    if not any(spec.source == "extractor" for spec in specs):
        return None
    if features != "auto":
        space = features
    elif inception and not points:
        space = "inception"
    elif labelled and not points:
        space = "classifier"
    else:
        space = "raw"
    inception_only = [s.name for s in specs if s.source == "extractor" and s.extractor]
    if inception_only and not points:
        if not inception:
            raise ValueError(
                f"metrics {inception_only} need InceptionV3 weights, which are not available "
                "offline: pass inception_weights=PATH (Keras's inception_v3_weights_tf_dim_"
                "ordering_tf_kernels_notop.h5), or inception_weights='imagenet' to download them."
            )
        space = "inception"
    if space == "inception" and not inception:
        raise ValueError("features='inception' needs inception_weights=PATH (or 'imagenet').")
    return space


def _classifier(
    classifier: Any, real: _RealData, train: tuple[np.ndarray, Any], epochs: int
) -> tuple[Any, float | None]:
    """The given classifier (a `.keras` path or a model), or one trained on `train`."""
    if classifier is not None and not isinstance(classifier, (str, os.PathLike)):
        return classifier, None
    if classifier is not None:
        path = Path(classifier)
        if not path.is_file() or path.suffix != ".keras":
            raise ValueError(f"classifier must be an existing .keras file; got {str(path)!r}.")
        return _load_keras(path, "a Keras classifier"), None
    train_x, train_y = train
    if train_y is None:
        raise ValueError(
            f"Dataset {real.name!r} has no class labels to train a classifier on: pass "
            "classifier=PATH, or use inception_weights= / features='raw'."
        )
    from kgan.eval import classifier as classifier_lib

    model = classifier_lib.train_classifier(train_x, train_y, epochs=epochs, seed=0)
    test_x, test_y = real.load(real.split, with_labels=True)
    return model, classifier_lib.evaluate_accuracy(model, test_x, test_y)


def evaluate(
    model: Any,
    data: str,
    *,
    metrics: str | Sequence[str] = "auto",
    num_samples: int | None = None,
    num_real: int | None = None,
    split: str = "test",
    seed: int = 0,
    batch_size: int = 250,
    features: str = "auto",
    inception_weights: str | os.PathLike | None = None,
    classifier: Any = None,
    classifier_epochs: int = 20,
    data_dir: str | None = None,
    download: bool = False,
) -> dict[str, Any]:
    """Scores a generator against real data: everything `kgan-evaluate` does.

    Args:
        model: a `.keras` (GAN or generator) or `.onnx` (kgan contract) file,
            or a loaded model (anything `kgan.eval.sampler` accepts).
        data: real data name (see `kgan.data.load_arrays`).
        metrics: registered metric names (a list or comma-separated), or "auto".
        num_samples: generated samples (default: `NUM_SAMPLES`).
        num_real: cap on real samples.
        split: split of the real data.
        seed: seed of the generated samples.
        batch_size: samples per call.
        features: feature space of the metrics on the extractor's features
            (kid, precision_recall, density_coverage): one of `FEATURES`.
        inception_weights: InceptionV3 weights file, or "imagenet".
        classifier: a `.keras` classifier file or a Keras classifier; by
            default one is trained on the training split (labelled image
            sets only).
        classifier_epochs: epochs of that classifier.
        data_dir: TFDS folder.
        download: let TFDS download.

    Returns:
        `{"model", "data", "split", "num_samples", "num_real", "seed",
        "features", "metrics": {name: value}, "seconds"}`, and
        "classifier_test_accuracy" when a classifier was trained.

    Raises:
        ValueError: with a one-line message for every user error.

    Example:
        >>> evaluate("runs/ring8/generator.keras", "ring8")["metrics"]["mode_coverage"]
        ... # doctest: +SKIP
        {'modes': 8, 'num_modes': 8, 'high_quality': 97.9, 'kl': 0.004}
    """
    from kgan.eval import extractors
    from kgan.eval import metrics as metrics_lib
    from kgan.eval.evaluator import Evaluator
    from kgan.eval.sources import sampler

    start = time.perf_counter()
    if features not in FEATURES:
        raise ValueError(f"Unknown features={features!r}. Expected one of {sorted(FEATURES)}.")
    is_path = isinstance(model, (str, os.PathLike))
    generator = load_generator(model) if is_path else model
    source = _RealData(data, split, data_dir, download)
    real = source.load(split)[0][:num_real]
    points = real.ndim == 2
    probe = np.asarray(sampler(generator, seed)(1))
    if probe.shape[1:] != real.shape[1:]:
        raise ValueError(
            f"The generator makes samples of shape {probe.shape[1:]}, but {data!r} has samples "
            f"of shape {real.shape[1:]}."
        )
    train = (None, None) if points else source.train()
    labelled = train[1] is not None or classifier is not None

    names = [n.strip() for n in (metrics.split(",") if isinstance(metrics, str) else metrics)]
    names = [n for n in names if n]
    if names == ["auto"]:
        names = auto_metrics(
            points=points, dataset=data, labelled=labelled, inception=inception_weights is not None
        )
    specs = [metrics_lib.get_spec(name) for name in names]
    space = _feature_space(
        specs, features, points=points, labelled=labelled, inception=inception_weights is not None
    )

    clf_model = accuracy = None
    if space == "classifier" or any(spec.source == "classifier" for spec in specs):
        if points:
            raise ValueError(
                f"Classifier metrics need images; {data!r} has samples of shape "
                f"{real.shape[1:]}. Use mode_coverage, precision_recall, ..."
            )
        clf_model, accuracy = _classifier(classifier, source, train, classifier_epochs)

    extractor = None
    if space == "inception":
        top = any(s.source == "extractor" and s.input == "probabilities" for s in specs)
        extractor = extractors.inception_v3(inception_weights, include_top=top)
    elif space == "classifier":
        extractor = extractors.ClassifierFeatures(clf_model)

    validation = None
    if any("validation" in spec.args for spec in specs):
        held = train[0] if train[0] is not None else source.load("train")[0]
        validation = held[-min(_VALIDATION, max(1, len(held) // 5)) :]

    if num_samples is None:
        num_samples = NUM_SAMPLES["points" if points else "images"]
    evaluator = Evaluator(
        names,
        real=real,
        real_labels=(
            source.labels(num_real) if any("class_histogram" in s.args for s in specs) else None
        ),
        dataset=data if data in metrics_lib.MODES else None,
        extractor=extractor,
        classifier=clf_model,
        validation=validation,
        batch_size=batch_size,
    )
    results = evaluator(sampler(generator, seed), num_samples=num_samples)
    report: dict[str, Any] = {
        "model": str(model) if is_path else getattr(model, "name", type(model).__name__),
        "data": data,
        "split": split,
        "num_samples": int(num_samples),
        "num_real": int(len(real)),
        "seed": seed,
        "features": space,
        "metrics": results,
        "seconds": round(time.perf_counter() - start, 3),
    }
    if accuracy is not None:
        report["classifier_test_accuracy"] = accuracy
    return report


def format_results(results: dict[str, Any]) -> list[str]:
    """One line per metric: `fid: 12.3`, `kid: mean=0.01, std=0.002`.

    Example:
        >>> format_results({"fid": 12.34567, "mode_coverage": {"modes": 8, "kl": 0.01}})
        ['fid: 12.3457', 'mode_coverage: modes=8, kl=0.01']
    """
    lines = []
    for name, value in results.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={_number(v)}" for k, v in value.items())
            lines.append(f"{name}: {inner}")
        else:
            lines.append(f"{name}: {_number(value)}")
    return lines


def _number(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def save_report(report: dict[str, Any], path: str | os.PathLike) -> Path:
    """Writes a report as JSON, atomically; inf and nan become strings, as in `JsonlLogger`.

    Example:
        >>> save_report(evaluate(model, "ring8"), "metrics.json")  # doctest: +SKIP
    """
    from kgan_runtime.fileio import write_json

    return write_json(_jsonable(report), path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
