"""Streaming evaluation: samples -> extractors -> statistics -> every requested metric.

`extract_features(source, extractor)` streams a sample source (see
`kgan.eval.sources`) through an extractor in batches, accumulating float64
`FeatureStats`, so 50,000 samples never sit in memory at once. `Evaluator`
computes any registered metrics (`kgan.metrics.METRICS`) on generated samples
in one streaming pass, with the real side computed once: it is what
`kgan.callbacks.MetricsCallback` and `kgan.eval.evaluate` run. What each metric
is fed comes from its `MetricSpec`, never from its name.

Example:
    >>> import numpy as np
    >>> real = np.random.default_rng(0).normal(size=(500, 2))
    >>> evaluator = Evaluator(["fid", "precision_recall"], real=real)
    >>> result = evaluator(real, num_samples=500)
    >>> round(result["fid"], 6), result["precision_recall"]["recall"]
    (0.0, 1.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from kgan.eval import metrics as metrics_lib
from kgan.eval.extractors import ClassifierFeatures, FeatureBatch, RawFeatures, as_feature_batch
from kgan.eval.metrics import MetricSpec
from kgan.eval.sources import Source, check_positive, iterate_batches, to_float_samples

__all__ = ["Evaluator", "ExtractedFeatures", "extract_features", "flatten_results"]


@dataclasses.dataclass
class ExtractedFeatures:
    """The result of `extract_features`.

    Attributes:
        stats: float64 mean and covariance of all features.
        features: the first `keep_features` feature vectors (float32), or None.
        probabilities: class probabilities of every sample (n, num_classes),
            when the extractor returns them and `keep_probabilities` is on.
        num_samples: samples seen.
    """

    stats: metrics_lib.FeatureStats
    features: np.ndarray | None
    probabilities: np.ndarray | None
    num_samples: int


class _Accumulator:
    """Streams feature batches into FeatureStats, keeping a bounded number of rows."""

    def __init__(self, keep_features: int, keep_probabilities: bool):
        self.stats = metrics_lib.FeatureStats()
        self.keep_features = keep_features
        self.keep_probabilities = keep_probabilities
        self._features: list[np.ndarray] = []
        self._kept = 0
        self._probs: list[np.ndarray] = []
        self.num = 0

    def add(self, batch: FeatureBatch) -> None:
        feats = batch.features
        self.stats.update(feats)
        self.num += feats.shape[0]
        if self._kept < self.keep_features:
            take = feats[: self.keep_features - self._kept].astype(np.float32)
            self._features.append(take)
            self._kept += take.shape[0]
        if self.keep_probabilities and batch.probabilities is not None:
            self._probs.append(np.asarray(batch.probabilities, np.float64))

    def result(self) -> ExtractedFeatures:
        feats = np.concatenate(self._features) if self._features else None
        probs = np.concatenate(self._probs) if self._probs else None
        return ExtractedFeatures(self.stats, feats, probs, self.num)


def extract_features(
    source: Source,
    extractor: Callable[[np.ndarray], Any],
    *,
    num_samples: int | None = None,
    batch_size: int = 250,
    keep_features: int = 0,
    keep_probabilities: bool = True,
) -> ExtractedFeatures:
    """Streams a sample source through a feature extractor.

    Only float64 running statistics (`metrics.FeatureStats`), at most
    `keep_features` feature vectors, and the class probabilities are kept;
    one batch of samples is in memory at a time.

    Args:
        source: see `iterate_batches`.
        extractor: `batch -> FeatureBatch` (or a features array, or a
            `(features, probabilities)` pair); e.g. `inception_v3(...)`,
            `ClassifierFeatures(model)` or `RawFeatures()`.
        num_samples: how many samples to draw (required for a callable).
        batch_size: samples per extractor call.
        keep_features: keep this many feature vectors (for KID, precision/
            recall, ...); 0 keeps none.
        keep_probabilities: keep the class probabilities, when returned.

    Returns:
        An `ExtractedFeatures`.

    Raises:
        ValueError: for a source or extractor that breaks its contract, or
            a source with no samples.

    Example:
        >>> out = extract_features(np.ones((10, 3)), RawFeatures(), batch_size=4)
        >>> out.num_samples, out.stats.mean.tolist()
        (10, [1.0, 1.0, 1.0])
    """
    keep = _check_keep(keep_features)
    acc = _Accumulator(keep, keep_probabilities)
    for batch in iterate_batches(source, num_samples=num_samples, batch_size=batch_size):
        acc.add(as_feature_batch(extractor(batch), batch.shape[0], repr(extractor)))
    if acc.num == 0:
        raise ValueError("The source yielded no samples.")
    return acc.result()


def _check_keep(keep: Any) -> int:
    if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or keep < 0:
        raise ValueError(f"keep_features must be an integer >= 0; got {keep!r}.")
    return int(keep)


def flatten_results(results: Mapping[str, Any]) -> dict[str, float]:
    """Flattens `Evaluator` results into scalar logs: `{"mode_coverage/modes": 8.0, ...}`.

    Scalars keep their metric name; dicts become `name/key`.

    Example:
        >>> flatten_results({"fid": 1.5, "kid": {"mean": 0.1, "std": 0.01}})
        {'fid': 1.5, 'kid/mean': 0.1, 'kid/std': 0.01}
    """
    flat: dict[str, float] = {}
    for name, value in results.items():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                flat[f"{name}/{key}"] = float(inner)
        else:
            flat[name] = float(value)
    return flat


@dataclasses.dataclass
class _Streamed:
    """One pass over a source: what each source of metric inputs produced."""

    extractor: ExtractedFeatures | None
    classifier: ExtractedFeatures | None
    samples: np.ndarray | None
    num: int
    class_histogram: np.ndarray | None = None


class Evaluator:
    """Computes named metrics on generated samples, in one streaming pass.

    The real side (statistics, kept features, class histogram) is computed
    once, on the first call, and reused, so an `Evaluator` is cheap to call
    every few epochs. Each call streams the generated samples once through
    every extractor it needs.

    Each metric's `MetricSpec` (`kgan.metrics.get_spec(name)`) says what it
    reads and needs: the `extractor`'s or the `classifier`'s features or
    class probabilities, or the samples themselves; real data (`real`), the
    mixture's name (`dataset`), held-out data (`validation`), the real class
    histogram (`real_labels`, else the classifier's predictions on `real`).
    The built-in metrics:

    - `fid`, `kid`, `precision_recall`, `density_coverage`: on the
      `extractor`'s features; need `real`.
    - `inception_score`: on the `extractor`'s class probabilities
      (`inception_v3(include_top=True)`).
    - `fcd`, `classifier_score`, `class_coverage`: on the `classifier`'s
      features and probabilities; `fcd` needs `real`.
    - `mode_coverage`: on the raw 2-D samples; needs `dataset` ("ring8" or
      "grid25").
    - `parzen`: on the raw samples (images rescaled from [-1, 1] to pixel
      intensities in [0, 1], as Goodfellow et al. did on MNIST); needs
      `real` (the test data) and `validation`.

    uint8 images (real or generated) are mapped to float [-1, 1] first.
    Results map each name to a float, or to a dict of floats (`kid`,
    `inception_score` and `classifier_score` give `{"mean", "std"}`).

    Args:
        metrics: registered metric names (a list, or a comma-separated string).
        real: real samples: an array or a source (see `iterate_batches`).
        real_labels: class labels of `real`, for the class histogram; without
            them, the classifier's predictions on `real` are used.
        dataset: "ring8" or "grid25", for metrics that take a `dataset`.
        extractor: the feature extractor of the metrics on `space="extractor"`;
            None uses the raw flattened samples (`RawFeatures`).
        classifier: a Keras classifier or a `ClassifierFeatures`, for the
            metrics on `space="classifier"`.
        validation: held-out real data (the Parzen window's choice).
        num_real: real samples to use (None: all of `real`).
        max_features: feature vectors kept per side for the metrics that read
            features (`kid`, `precision_recall`, ...); the streaming ones
            (the Fréchet distances) use all samples.
        batch_size: samples per extractor call.
        metric_kwargs: extra keyword arguments per metric name, e.g.
            `{"kid": {"num_subsets": 10}}`; they override the spec's defaults.

    Raises:
        ValueError: for an unknown metric, or a metric without what it needs.

    Example:
        >>> centers, _ = metrics_lib.MODES["ring8"]
        >>> Evaluator(["mode_coverage"], dataset="ring8")(centers)["mode_coverage"]["modes"]
        8
    """

    def __init__(
        self,
        metrics: Sequence[str] | str,
        *,
        real: Source | None = None,
        real_labels: ArrayLike | None = None,
        dataset: str | None = None,
        extractor: Callable[[np.ndarray], Any] | None = None,
        classifier: keras.Model | ClassifierFeatures | None = None,
        validation: ArrayLike | None = None,
        num_real: int | None = None,
        max_features: int = 10_000,
        batch_size: int = 250,
        metric_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        if isinstance(metrics, str):
            metrics = [m for m in metrics.split(",") if m]
        names = list(dict.fromkeys(metrics))
        if not names:
            raise ValueError("metrics must name at least one metric.")
        self.specs = {name: metrics_lib.get_spec(name) for name in names}  # raises on unknown
        self.metrics = names
        self.real = real
        self.real_labels = None if real_labels is None else np.asarray(real_labels)
        self.dataset = dataset
        self.extractor = extractor if extractor is not None else RawFeatures()
        if classifier is not None and not isinstance(classifier, ClassifierFeatures):
            classifier = ClassifierFeatures(classifier)
        self.classifier = classifier
        self.validation = validation
        self.num_real = check_positive(num_real, "num_real", allow_none=True)
        self.max_features = check_positive(max_features, "max_features")
        self.batch_size = check_positive(batch_size, "batch_size")
        self.metric_kwargs = {k: dict(v) for k, v in (metric_kwargs or {}).items()}
        for key in self.metric_kwargs:
            if key not in names:
                raise ValueError(f"metric_kwargs names {key!r}, which is not in metrics={names}.")
        self._check_requirements()
        self._real_cache: _Streamed | None = None

    # -- what the metrics need -------------------------------------------------

    def _uses(self, source: str) -> bool:
        return any(spec.source == source for spec in self.specs.values())

    def _asks(self, argument: str) -> list[str]:
        return [name for name, spec in self.specs.items() if argument in spec.args]

    def _check_requirements(self) -> None:
        for name, spec in self.specs.items():
            if spec.needs_real and self.real is None:
                raise ValueError(f"metric {name!r} compares with real data: pass real=.")
        wanted = [name for name, spec in self.specs.items() if spec.source == "classifier"]
        if wanted and self.classifier is None:
            raise ValueError(f"metrics {wanted} need a classifier: pass classifier=.")
        for name in self._asks("dataset"):
            if self.dataset not in metrics_lib.MODES:
                raise ValueError(
                    f"{name} needs dataset= one of {sorted(metrics_lib.MODES)}; "
                    f"got dataset={self.dataset!r}."
                )
        for name in self._asks("validation"):
            if self.validation is None:
                raise ValueError(f"metric {name!r} needs held-out real data: pass validation=.")

    # -- one streaming pass ----------------------------------------------------

    def _accumulator(self, source: str) -> _Accumulator | None:
        specs = [spec for spec in self.specs.values() if spec.source == source]
        if not specs:
            return None
        keep = self.max_features if any(spec.keeps_features for spec in specs) else 0
        return _Accumulator(keep, True)

    def _pass(self, source: Source, num_samples: int | None, keep_samples: bool) -> _Streamed:
        networks = {"extractor": self.extractor, "classifier": self.classifier}
        accumulators = {side: self._accumulator(side) for side in networks}
        samples: list[np.ndarray] = []
        num = 0
        for batch in iterate_batches(source, num_samples=num_samples, batch_size=self.batch_size):
            batch = to_float_samples(batch)
            n = batch.shape[0]
            num += n
            for side, acc in accumulators.items():
                if acc is not None:
                    network = networks[side]
                    acc.add(as_feature_batch(network(batch), n, repr(network)))
            if keep_samples:
                samples.append(np.asarray(batch, np.float32))
        if num == 0:
            raise ValueError("The source yielded no samples.")
        return _Streamed(
            *(None if acc is None else acc.result() for acc in accumulators.values()),
            samples=np.concatenate(samples) if keep_samples else None,
            num=num,
        )

    def _real(self) -> _Streamed:
        if self._real_cache is None:
            if self.real is None:
                real = _Streamed(None, None, None, 0)
            else:
                keep = any(s.source == "samples" and s.needs_real for s in self.specs.values())
                real = self._pass(self.real, self.num_real, keep)
            real.class_histogram = self._class_histogram(real)
            self._real_cache = real
        return self._real_cache

    def _class_histogram(self, real: _Streamed) -> np.ndarray | None:
        if not self._asks("class_histogram"):
            return None
        assert self.classifier is not None
        k = self.classifier.num_classes
        if self.real_labels is not None:
            labels = self.real_labels.astype(np.int64).ravel()
            if labels.size and (labels.min() < 0 or labels.max() >= k):
                raise ValueError(
                    f"real_labels must lie in [0, {k}) for a {k}-class classifier; got values "
                    f"in [{labels.min()}, {labels.max()}]."
                )
            return np.bincount(labels, minlength=k).astype(np.float64)
        if real.classifier is not None and real.classifier.probabilities is not None:
            predicted = real.classifier.probabilities.argmax(axis=1)
            return np.bincount(predicted, minlength=k).astype(np.float64)
        return None  # uniform

    def __call__(self, samples: Source, num_samples: int | None = None) -> dict[str, Any]:
        """Computes every metric on `samples` (a source; see `iterate_batches`).

        Args:
            samples: generated samples: an array, an iterable of batches, or
                a callable such as `sampler(gan, seed)` (then `num_samples`
                is required).
            num_samples: how many samples to use.

        Returns:
            `{name: float or dict of floats}` in the order of `metrics`.
        """
        real = self._real()
        fake = self._pass(samples, num_samples, self._uses("samples"))
        return {name: self._compute(spec, real, fake) for name, spec in self.specs.items()}

    # -- feeding one metric ----------------------------------------------------

    def _compute(self, spec: MetricSpec, real: _Streamed, fake: _Streamed) -> Any:
        if spec.streaming is not None:
            fn = spec.streaming
            args = tuple(getattr(side, spec.space).stats for side in (real, fake))
        else:
            fn = spec.fn
            args = tuple(self._argument(spec, arg, real, fake) for arg in spec.args)
        kwargs = {**spec.default_kwargs(*args), **self.metric_kwargs.get(spec.name, {})}
        return spec.result(fn(*args, **kwargs))

    def _argument(self, spec: MetricSpec, arg: str, real: _Streamed, fake: _Streamed) -> Any:
        if arg == "dataset":
            return self.dataset
        if arg == "class_histogram":
            return real.class_histogram
        if arg == "validation":
            return _in_range(to_float_samples(np.asarray(self.validation)), spec)
        side = real if arg == "real" else fake
        if spec.input == "samples":
            return _in_range(side.samples, spec)
        extracted = getattr(side, spec.space)
        if spec.input == "features":
            return extracted.features
        if extracted.probabilities is None:
            network = self.extractor if spec.space == "extractor" else self.classifier
            raise ValueError(
                f"metric {spec.name!r} needs class probabilities, but {network!r} returns "
                "none; use inception_v3(include_top=True) or a ClassifierFeatures."
            )
        return extracted.probabilities


def _in_range(samples: np.ndarray, spec: MetricSpec) -> np.ndarray:
    """Images (rank 4) from [-1, 1] to the spec's `sample_range`; anything else unchanged."""
    lo, hi = spec.sample_range
    if samples.ndim != 4 or (lo, hi) == (-1.0, 1.0):
        return samples
    unit = (samples + 1.0) / 2.0
    return unit if (lo, hi) == (0.0, 1.0) else unit * (hi - lo) + lo
