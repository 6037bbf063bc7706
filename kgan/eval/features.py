"""Feature extractors for sample-quality metrics, and streaming evaluation.

The metric math lives in `kgan.metrics` (pure NumPy); this module turns
samples into the arrays it needs:

- `inception_v3(weights=...)`: InceptionV3 from `keras.applications`, 2048-d
  average-pool features (and ImageNet class probabilities with
  `include_top=True`), after a bilinear resize to 299x299, grayscale -> RGB,
  from images in [-1, 1] (uint8 in [0, 255] is accepted too).
- `ClassifierFeatures(model)`: any Keras classifier; features from a named
  layer (default: the input of the last dense layer) and class probabilities,
  for the "Fréchet classifier distance" and a classifier score.
- `RawFeatures()`: the flattened samples themselves (2-D points, pixels).

`extract_features(source, extractor, ...)` streams a sample *source* (a
callable `(n) -> batch`, such as `sampler(gan)`, an array, or an iterable of
batches such as a `tf.data.Dataset`) through an extractor in batches,
accumulating float64 `metrics.FeatureStats`, so 50,000 samples never sit in
memory at once. `Evaluator` computes any of `kgan.metrics.METRICS` on
generated samples in one streaming pass, with the real side computed once:
it is what `kgan.callbacks.MetricsCallback` and `kgan-evaluate` run.

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
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from kgan.eval import metrics as metrics_lib
from kgan_runtime.latents import default_labels, sample_latents

__all__ = [
    "CLASSIFIER_METRICS",
    "EXTRACTOR_METRICS",
    "RAW_METRICS",
    "ClassifierFeatures",
    "Evaluator",
    "ExtractedFeatures",
    "FeatureBatch",
    "InceptionFeatures",
    "RawFeatures",
    "extract_features",
    "flatten_results",
    "inception_v3",
    "iterate_batches",
    "sampler",
]

Source = Callable[[int], ArrayLike] | Iterable[Any] | np.ndarray
"""A callable `(n) -> batch of n samples`, an array of samples, or an iterable of batches."""

INCEPTION_SIZE = 299
INCEPTION_FEATURES = 2048


@dataclasses.dataclass
class FeatureBatch:
    """What an extractor returns for one batch.

    Attributes:
        features: float array (n, d).
        probabilities: class probabilities (n, num_classes), or None.
    """

    features: np.ndarray
    probabilities: np.ndarray | None = None


def _as_feature_batch(out: Any, n: int, what: str) -> FeatureBatch:
    """Accepts a FeatureBatch, a (features, probabilities) pair, or a plain array."""
    if isinstance(out, FeatureBatch):
        batch = out
    elif isinstance(out, tuple) and len(out) == 2:
        batch = FeatureBatch(np.asarray(out[0]), None if out[1] is None else np.asarray(out[1]))
    else:
        batch = FeatureBatch(np.asarray(out))
    feats = np.asarray(batch.features)
    if feats.ndim != 2 or feats.shape[0] != n:
        raise ValueError(
            f"{what} must return features of shape ({n}, num_features) for a batch of {n}; "
            f"got shape {feats.shape}."
        )
    probs = batch.probabilities
    if probs is not None:
        probs = np.asarray(probs)
        if probs.ndim != 2 or probs.shape[0] != n:
            raise ValueError(
                f"{what} must return probabilities of shape ({n}, num_classes); "
                f"got shape {probs.shape}."
            )
    return FeatureBatch(feats, probs)


# ---------------------------------------------------------------------------
# Extractors
# ---------------------------------------------------------------------------


def _to_float_images(images: ArrayLike, value_range: tuple[float, float]) -> np.ndarray:
    """NHWC (or NHW) images -> float32 NHWC in [-1, 1]."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"Images must have shape (N, H, W, C) or (N, H, W); got shape {x.shape}.")
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"Images must have 1 or 3 channels; got {x.shape[-1]} (shape {x.shape}).")
    if x.dtype == np.uint8:
        return (x.astype(np.float32) / 127.5 - 1.0).astype(np.float32)
    lo, hi = value_range
    x = x.astype(np.float32)
    if (lo, hi) != (-1.0, 1.0):
        x = (x - lo) * (2.0 / (hi - lo)) - 1.0
    return x


class InceptionFeatures:
    """InceptionV3 pool features (2048-d) and, with the top, ImageNet probabilities.

    Build it with `inception_v3()`. Calling it on a batch of NHWC images
    (float in `value_range`, or uint8) returns a `FeatureBatch`.

    Note that FID values computed with Keras's ImageNet weights are not
    comparable to FIDs published with the TF1 "pool_3" graph of the original
    FID code (different weights and resize); compare models with one
    extractor only.
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        image_size: int,
        include_top: bool,
        value_range: tuple[float, float] = (-1.0, 1.0),
    ):
        self.model = model
        self.image_size = int(image_size)
        self.include_top = bool(include_top)
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self._forward = _compiled(model)

    def __repr__(self) -> str:
        return (
            f"InceptionFeatures(image_size={self.image_size}, include_top={self.include_top}, "
            f"value_range={self.value_range})"
        )

    def preprocess(self, images: ArrayLike) -> np.ndarray:
        """Images -> float32 (N, size, size, 3) in [-1, 1], as InceptionV3 expects."""
        import tensorflow as tf

        x = _to_float_images(images, self.value_range)
        if x.shape[-1] == 1:
            x = np.repeat(x, 3, axis=-1)
        if x.shape[1:3] != (self.image_size, self.image_size):
            x = tf.image.resize(x, (self.image_size, self.image_size), method="bilinear").numpy()
        return np.clip(x, -1.0, 1.0)

    def __call__(self, images: ArrayLike) -> FeatureBatch:
        x = self.preprocess(images)
        outputs = self._forward(x)
        if self.include_top:
            feats, probs = outputs
            return FeatureBatch(np.asarray(feats, np.float64), np.asarray(probs, np.float64))
        return FeatureBatch(np.asarray(outputs, np.float64))


def _compiled(model: keras.Model) -> Callable[[Any], Any]:
    """A traced forward pass (inference mode, any batch size) that returns NumPy arrays."""
    import tensorflow as tf

    specs = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in model.inputs]
    if len(specs) == 1:
        forward = tf.function(lambda x: model(x, training=False), input_signature=specs)
    else:
        forward = tf.function(lambda xs: model(xs, training=False), input_signature=[specs])

    def run(x: Any) -> Any:
        if len(specs) == 1:
            out = forward(tf.convert_to_tensor(x, dtype=specs[0].dtype))
        else:
            out = forward([tf.convert_to_tensor(v, dtype=s.dtype) for v, s in zip(x, specs)])
        if isinstance(out, (list, tuple)):
            return [o.numpy() for o in out]
        return out.numpy()

    return run


def inception_v3(
    weights: str | os.PathLike | None = "imagenet",
    *,
    include_top: bool = False,
    image_size: int = INCEPTION_SIZE,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> InceptionFeatures:
    """InceptionV3 (`keras.applications`) as a feature extractor.

    Features are the 2048-d global-average-pool activations; with
    `include_top=True` the extractor also returns the 1,000 ImageNet class
    probabilities (for the Inception Score).

    Args:
        weights: a local weights file (Keras's
            `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, or the
            file without `_notop` for `include_top=True`); "imagenet" to let
            Keras download them (needs the network, or Keras's cache under
            `~/.keras/models`); None for random weights (tests only: the
            features are then meaningless).
        include_top: also return ImageNet class probabilities.
        image_size: resize images to this square size (299 for FID; >= 75).
        value_range: the range of float input images.

    Returns:
        An `InceptionFeatures` extractor.

    Raises:
        ValueError: if the weights file does not exist, cannot be read or
            downloaded, or `image_size` < 75.

    Example:
        >>> extractor = inception_v3(weights=None, image_size=75)  # doctest: +SKIP
        >>> extractor(np.zeros((2, 8, 8, 1), "float32")).features.shape  # doctest: +SKIP
        (2, 2048)
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 75:
        raise ValueError(f"image_size must be an integer >= 75; got image_size={image_size!r}.")
    lo, hi = value_range
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"value_range must be (low, high) with low < high; got {value_range!r}.")
    if weights is not None and weights != "imagenet":
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise ValueError(
                f"InceptionV3 weights file {weights!r} does not exist. Pass the path of Keras's "
                "inception_v3_weights_tf_dim_ordering_tf_kernels"
                f"{'' if include_top else '_notop'}.h5, or weights='imagenet' when online."
            )
    shape = (image_size, image_size, 3)
    try:
        base = keras.applications.InceptionV3(
            include_top=include_top,
            weights=weights,
            input_shape=shape,
            pooling=None if include_top else "avg",
        )
    except Exception as err:  # download failures, bad h5 files, shape mismatches
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        where = "download" if weights == "imagenet" else f"load {weights!r}"
        raise ValueError(
            f"Could not {where} the InceptionV3 weights ({type(err).__name__}: {first}). "
            "Offline, pass a local weights file."
        ) from None
    if include_top:
        model = keras.Model(base.input, [base.get_layer("avg_pool").output, base.output])
    else:
        model = base
    return InceptionFeatures(
        model, image_size=image_size, include_top=include_top, value_range=value_range
    )


def _is_softmax_layer(layer: keras.layers.Layer) -> bool:
    if isinstance(layer, keras.layers.Softmax):
        return True
    activation = getattr(layer, "activation", None)
    return activation is not None and getattr(activation, "__name__", "") == "softmax"


class ClassifierFeatures:
    """Features and class probabilities from any Keras classifier.

    The features (for the "Fréchet classifier distance") are the output of
    `layer`; by default the input of the classifier's last `Dense` layer (its
    penultimate representation). Probabilities are the model's output, passed
    through a softmax unless the model already ends in one (`outputs`).

    Args:
        model: a functional or built Sequential classifier with one output
            of shape (batch, num_classes).
        layer: name or index of the feature layer (its output is used);
            None for the penultimate representation.
        outputs: "auto" (softmax unless the last layer already applies one),
            "probabilities" or "logits".
        preprocess: optional function applied to every batch before the
            model (e.g. to map [-1, 1] samples to the classifier's range).

    Raises:
        ValueError: for a bad `layer` or `outputs`, or a model that has no
            dense layer to take default features from.

    Example:
        >>> clf = kgan.classifier.train_classifier(x, y)  # doctest: +SKIP
        >>> batch = ClassifierFeatures(clf)(x[:4])  # doctest: +SKIP
        >>> batch.features.shape, batch.probabilities.shape  # doctest: +SKIP
        ((4, 128), (4, 10))
    """

    OUTPUTS = ("auto", "probabilities", "logits")

    def __init__(
        self,
        model: keras.Model,
        *,
        layer: str | int | None = None,
        outputs: str = "auto",
        preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        if not isinstance(model, keras.Model):
            raise ValueError(f"model must be a keras.Model; got {type(model).__name__}.")
        if outputs not in self.OUTPUTS:
            raise ValueError(f"Unknown outputs={outputs!r}. Expected one of {list(self.OUTPUTS)}.")
        try:
            model_outputs = model.outputs
            model_inputs = model.inputs
        except (AttributeError, ValueError):
            model_outputs = None
        if not model_outputs:
            raise ValueError(
                "model must be built (a functional model, or a Sequential model with an Input)."
            )
        if len(model_outputs) != 1:
            raise ValueError(f"model must have one output; got {len(model_outputs)}.")
        feature_tensor = self._feature_tensor(model, layer)
        self.model = model
        self.layer = layer
        self.apply_softmax = outputs == "logits" or (
            outputs == "auto" and not _is_softmax_layer(model.layers[-1])
        )
        self.preprocess = preprocess
        self.num_classes = int(model_outputs[0].shape[-1])
        inputs = model_inputs[0] if len(model_inputs) == 1 else model_inputs
        self._model = keras.Model(inputs, [feature_tensor, model_outputs[0]])
        self._forward = _compiled(self._model)

    @staticmethod
    def _feature_tensor(model: keras.Model, layer: str | int | None) -> Any:
        if layer is None:
            for candidate in reversed(model.layers):
                if isinstance(candidate, keras.layers.Dense):
                    return candidate.input
            raise ValueError(
                "The classifier has no Dense layer to take default features from; pass layer=."
            )
        try:
            found = model.get_layer(name=layer) if isinstance(layer, str) else model.layers[layer]
        except (ValueError, IndexError):
            names = [lay.name for lay in model.layers]
            raise ValueError(
                f"Unknown layer={layer!r} in the classifier. Expected a name or index of {names}."
            ) from None
        return found.output

    def __repr__(self) -> str:
        return (
            f"ClassifierFeatures({self.model.name!r}, layer={self.layer!r}, "
            f"num_classes={self.num_classes})"
        )

    def __call__(self, samples: ArrayLike) -> FeatureBatch:
        x = np.asarray(samples)
        if x.dtype == np.uint8:
            x = x.astype(np.float32) / 127.5 - 1.0
        x = x.astype(np.float32)
        if self.preprocess is not None:
            x = np.asarray(self.preprocess(x), np.float32)
        feats, out = self._forward(x)
        feats = np.asarray(feats, np.float64).reshape(len(x), -1)
        out = np.asarray(out, np.float64)
        if self.apply_softmax:
            out = out - out.max(axis=1, keepdims=True)
            out = np.exp(out)
            out /= out.sum(axis=1, keepdims=True)
        return FeatureBatch(feats, out)


class RawFeatures:
    """The samples themselves, flattened to (n, prod(sample_shape)) float64.

    Example:
        >>> RawFeatures()(np.zeros((3, 2, 2))).features.shape
        (3, 4)
    """

    def __repr__(self) -> str:
        return "RawFeatures()"

    def __call__(self, samples: ArrayLike) -> FeatureBatch:
        x = np.asarray(samples, dtype=np.float64)
        if x.ndim < 2:
            raise ValueError(
                f"samples must have shape (n, ...) with ndim >= 2; got shape {x.shape}."
            )
        return FeatureBatch(x.reshape(x.shape[0], -1))


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def _check_positive(value: Any, name: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")
    return int(value)


def _first_element(element: Any) -> Any:
    """The samples of a dataset element: `x` of `(x, y)` pairs and `{"image": x}` dicts."""
    if isinstance(element, Mapping):
        for key in ("image", "images", "x", "samples"):
            if key in element:
                return element[key]
        raise ValueError(
            f"A source yielded a dict with keys {sorted(element)}; expected an 'image' key."
        )
    if isinstance(element, (tuple, list)) and element and not np.isscalar(element[0]):
        return element[0]
    return element


def iterate_batches(
    source: Source, *, num_samples: int | None = None, batch_size: int = 250
) -> Iterator[np.ndarray]:
    """Yields NumPy batches of at most `batch_size` samples from a source.

    Args:
        source: a callable `(n) -> n samples` (e.g. `sampler(gan)`: then
            `num_samples` is required), an array of samples (a list or tuple
            is read as one array, like `np.asarray`), or an iterable of
            batches (a `tf.data.Dataset`, a generator, `iter(list_of_batches)`;
            `(x, y)` pairs and `{"image": x}` dicts yield `x`).
        num_samples: stop after this many samples; None takes the whole array
            or iterable.
        batch_size: the largest batch yielded; bigger batches are split.

    Yields:
        NumPy arrays of shape (b, ...) with 1 <= b <= batch_size.

    Raises:
        ValueError: for a callable without `num_samples`, a callable that
            returns the wrong number of samples, or an array/iterable with
            fewer than `num_samples` samples.

    Example:
        >>> [b.shape[0] for b in iterate_batches(np.zeros((5, 2)), batch_size=2)]
        [2, 2, 1]
    """
    num_samples = _check_positive(num_samples, "num_samples", allow_none=True)
    batch_size = _check_positive(batch_size, "batch_size")
    if callable(source) and not isinstance(source, np.ndarray) and not hasattr(source, "__iter__"):
        if num_samples is None:
            raise ValueError("A callable source needs num_samples: how many samples to draw.")
        done = 0
        while done < num_samples:
            want = min(batch_size, num_samples - done)
            batch = np.asarray(source(want))
            if batch.ndim < 1 or batch.shape[0] != want:
                raise ValueError(
                    f"The source was asked for {want} samples and returned shape {batch.shape}."
                )
            done += want
            yield batch
        return

    if isinstance(source, (np.ndarray, list, tuple)) or (
        not hasattr(source, "__iter__") and hasattr(source, "__array__")
    ):
        iterable: Iterable[Any] = [np.asarray(source)]
    elif isinstance(source, (str, bytes)) or not hasattr(source, "__iter__"):
        raise ValueError(
            "source must be a callable (n) -> samples, an array, or an iterable of batches; "
            f"got {type(source).__name__}."
        )
    else:
        iterable = source
    done = 0
    for element in iterable:
        batch = np.asarray(_first_element(element))
        if batch.ndim < 1:
            raise ValueError(f"A source batch must have a batch dimension; got {batch.shape}.")
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size]
            if num_samples is not None:
                chunk = chunk[: num_samples - done]
            if chunk.shape[0] == 0:
                break
            done += chunk.shape[0]
            yield chunk
            if num_samples is not None and done >= num_samples:
                return
    if num_samples is not None and done < num_samples:
        raise ValueError(f"The source ran out after {done} samples; num_samples={num_samples}.")


def sampler(model: Any, seed: int | None = 0, *, labels: Any = None) -> Callable[[int], np.ndarray]:
    """A source `(n) -> n samples` drawing from a generator, batch after batch.

    Call k uses the seed `SeedSequence([seed, k])`, so a fixed `seed` gives
    the same stream of samples every time a new sampler is made.

    Args:
        model: a `kgan.GAN` (its `generate`), a `kgan_runtime.OnnxGenerator`
            (its `sample`), a generator `keras.Model` mapping `z` (and labels)
            to samples, or any object with `generate(n, seed=...)`.
        seed: base seed; None draws fresh latents every call.
        labels: for conditional generators: an int class for all samples, or
            None for `arange(n) % num_classes`.

    Returns:
        A callable `(n) -> np.ndarray` of n samples.

    Example:
        >>> source = sampler(gan, seed=0)  # doctest: +SKIP
        >>> stats = extract_features(source, RawFeatures(), num_samples=10_000).stats
        ... # doctest: +SKIP
    """
    calls = [0]

    def next_seed() -> int | None:
        if seed is None:
            return None
        state = np.random.SeedSequence([int(seed), calls[0]]).generate_state(1)[0]
        calls[0] += 1
        return int(state)

    if hasattr(model, "generate") and callable(model.generate):

        def draw(n: int) -> np.ndarray:
            kwargs = {}
            if labels is not None:
                kwargs["labels"] = np.full(n, int(labels), np.int32)
            return np.asarray(model.generate(n, seed=next_seed(), **kwargs))

        return draw
    if hasattr(model, "sample") and callable(model.sample) and hasattr(model, "latent_dim"):

        def draw_onnx(n: int) -> np.ndarray:
            return np.asarray(model.sample(n, seed=next_seed(), labels=labels))

        return draw_onnx
    if isinstance(model, keras.Model):
        shapes = model.input_shape
        conditional = isinstance(shapes, list) and len(shapes) == 2
        z_shape = shapes[0] if isinstance(shapes, list) else shapes
        latent_dim = int(z_shape[-1])
        num_classes = None
        if conditional:
            for layer in model.layers:
                if isinstance(layer, keras.layers.Embedding):
                    num_classes = int(layer.input_dim)
            if num_classes is None:
                raise ValueError("A conditional generator needs an Embedding layer for its labels.")
        forward = _compiled(model)

        def draw_keras(n: int) -> np.ndarray:
            z = sample_latents(n, latent_dim, next_seed())
            if not conditional:
                return np.asarray(forward(z))
            assert num_classes is not None
            y = (
                default_labels(n, num_classes)
                if labels is None
                else np.full(n, int(labels), np.int32)
            )
            return np.asarray(forward([z, y]))

        return draw_keras
    raise ValueError(
        "model must be a kgan.GAN, a kgan_runtime.OnnxGenerator, a generator keras.Model, or "
        f"have generate(n, seed=...); got {type(model).__name__}."
    )


# ---------------------------------------------------------------------------
# Streaming extraction
# ---------------------------------------------------------------------------


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
        acc.add(_as_feature_batch(extractor(batch), batch.shape[0], repr(extractor)))
    if acc.num == 0:
        raise ValueError("The source yielded no samples.")
    return acc.result()


def _check_keep(keep: Any) -> int:
    if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or keep < 0:
        raise ValueError(f"keep_features must be an integer >= 0; got {keep!r}.")
    return int(keep)


# ---------------------------------------------------------------------------
# Evaluator
# ---------------------------------------------------------------------------


def _standardize(batch: np.ndarray) -> np.ndarray:
    """uint8 images in [0, 255] -> float32 NHWC in [-1, 1]; anything else unchanged."""
    if batch.dtype == np.uint8:
        batch = batch.astype(np.float32) / 127.5 - 1.0
        if batch.ndim == 3:
            batch = batch[..., None]
    return batch


EXTRACTOR_METRICS = ("fid", "kid", "inception_score", "precision_recall", "density_coverage")
"""Metrics computed on the `extractor`'s features (raw samples when it is None)."""
CLASSIFIER_METRICS = ("fcd", "classifier_score", "class_coverage")
"""Metrics computed with the `classifier`'s features and probabilities."""
RAW_METRICS = ("mode_coverage", "parzen")
"""Metrics computed on the samples themselves."""
_NEEDS_REAL = ("fid", "kid", "precision_recall", "density_coverage", "fcd", "parzen")


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


class Evaluator:
    """Computes named metrics on generated samples, in one streaming pass.

    The real side (statistics, kept features, class histogram) is computed
    once, on the first call, and reused, so an `Evaluator` is cheap to call
    every few epochs. Each call streams the generated samples once through
    every extractor it needs.

    Metric names (all in `kgan.metrics.METRICS`) and what they need:

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
    - any other registered metric `fn`: `fn(real, fake)` on the
      `extractor`'s features, or `fn(fake)` without `real`.

    uint8 images (real or generated) are mapped to float [-1, 1] first.
    Results map each name to a float, or to a dict of floats (`kid`,
    `inception_score` and `classifier_score` give `{"mean", "std"}`).

    Args:
        metrics: metric names (see the table).
        real: real samples: an array or a source (see `iterate_batches`).
        real_labels: class labels of `real`, for `class_coverage`'s reference
            histogram; without them, the classifier's predictions on `real`
            are used.
        dataset: "ring8" or "grid25" for `mode_coverage`.
        extractor: the feature extractor of the `EXTRACTOR_METRICS`; None
            uses the raw flattened samples (`RawFeatures`).
        classifier: a Keras classifier or a `ClassifierFeatures`, for the
            `CLASSIFIER_METRICS`.
        validation: real data for choosing the Parzen window width.
        num_real: real samples to use (None: all of `real`).
        max_features: feature vectors kept per side for `kid`,
            `precision_recall`, `density_coverage` and custom metrics
            (the Fréchet distances use all samples, streamed).
        batch_size: samples per extractor call.
        metric_kwargs: extra keyword arguments per metric name, e.g.
            `{"kid": {"num_subsets": 10}}`.

    Raises:
        ValueError: for an unknown metric, or a metric without what it needs.

    Example:
        >>> centers, _ = kgan.metrics.MODES["ring8"]  # doctest: +SKIP
        >>> Evaluator(["mode_coverage"], dataset="ring8")(centers)["mode_coverage"]["modes"]
        ... # doctest: +SKIP
        8
    """

    def __init__(
        self,
        metrics: Sequence[str],
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
        for name in names:
            metrics_lib.get_metric(name)  # raises with the list of choices
        self.metrics = names
        self.real = real
        self.real_labels = None if real_labels is None else np.asarray(real_labels)
        self.dataset = dataset
        self.extractor = extractor if extractor is not None else RawFeatures()
        if classifier is not None and not isinstance(classifier, ClassifierFeatures):
            classifier = ClassifierFeatures(classifier)
        self.classifier = classifier
        self.validation = validation
        self.num_real = _check_positive(num_real, "num_real", allow_none=True)
        self.max_features = _check_positive(max_features, "max_features")
        self.batch_size = _check_positive(batch_size, "batch_size")
        self.metric_kwargs = {k: dict(v) for k, v in (metric_kwargs or {}).items()}
        for key in self.metric_kwargs:
            if key not in names:
                raise ValueError(f"metric_kwargs names {key!r}, which is not in metrics={names}.")
        self._check_requirements()
        self._real_cache: dict[str, Any] | None = None

    # -- what each metric needs ------------------------------------------------

    def _custom(self, name: str) -> bool:
        return name not in (*EXTRACTOR_METRICS, *CLASSIFIER_METRICS, *RAW_METRICS)

    def _uses_extractor(self) -> bool:
        return any(n in EXTRACTOR_METRICS or self._custom(n) for n in self.metrics)

    def _uses_classifier(self) -> bool:
        return any(n in CLASSIFIER_METRICS for n in self.metrics)

    def _uses_raw(self) -> bool:
        return any(n in RAW_METRICS for n in self.metrics)

    def _keeps_features(self) -> bool:
        return any(
            n in ("kid", "precision_recall", "density_coverage") or self._custom(n)
            for n in self.metrics
        )

    def _check_requirements(self) -> None:
        for name in self.metrics:
            if name in _NEEDS_REAL and self.real is None:
                raise ValueError(f"metric {name!r} compares with real data: pass real=.")
        if self._uses_classifier() and self.classifier is None:
            wanted = [n for n in self.metrics if n in CLASSIFIER_METRICS]
            raise ValueError(f"metrics {wanted} need a classifier: pass classifier=.")
        if "mode_coverage" in self.metrics and self.dataset not in metrics_lib.MODES:
            raise ValueError(
                f"mode_coverage needs dataset= one of {sorted(metrics_lib.MODES)}; "
                f"got dataset={self.dataset!r}."
            )
        if "parzen" in self.metrics and self.validation is None:
            raise ValueError(
                "metric 'parzen' chooses its window on validation data: pass validation=."
            )

    # -- one streaming pass ----------------------------------------------------

    def _pass(self, source: Source, num_samples: int | None, keep_raw: bool) -> dict[str, Any]:
        keep = self.max_features if self._keeps_features() else 0
        main = _Accumulator(keep, True) if self._uses_extractor() else None
        clf = _Accumulator(0, True) if self._uses_classifier() else None
        raw: list[np.ndarray] = []
        num = 0
        for batch in iterate_batches(source, num_samples=num_samples, batch_size=self.batch_size):
            batch = _standardize(batch)
            n = batch.shape[0]
            num += n
            if main is not None:
                main.add(_as_feature_batch(self.extractor(batch), n, repr(self.extractor)))
            if clf is not None:
                assert self.classifier is not None
                clf.add(_as_feature_batch(self.classifier(batch), n, repr(self.classifier)))
            if keep_raw:
                raw.append(np.asarray(batch, np.float32))
        if num == 0:
            raise ValueError("The source yielded no samples.")
        return {
            "main": None if main is None else main.result(),
            "classifier": None if clf is None else clf.result(),
            "raw": np.concatenate(raw) if keep_raw else None,
            "num": num,
        }

    def _real(self) -> dict[str, Any]:
        if self._real_cache is None:
            if self.real is None:
                self._real_cache = {"main": None, "classifier": None, "raw": None, "num": 0}
            else:
                self._real_cache = self._pass(self.real, self.num_real, "parzen" in self.metrics)
            self._real_cache["histogram"] = self._reference_histogram(self._real_cache)
        return self._real_cache

    def _reference_histogram(self, real: dict[str, Any]) -> np.ndarray | None:
        if "class_coverage" not in self.metrics:
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
        if real["classifier"] is not None and real["classifier"].probabilities is not None:
            predicted = real["classifier"].probabilities.argmax(axis=1)
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
        fake = self._pass(samples, num_samples, self._uses_raw())
        return {name: self._compute(name, real, fake) for name in self.metrics}

    def _compute(self, name: str, real: dict[str, Any], fake: dict[str, Any]) -> Any:
        kwargs = self.metric_kwargs.get(name, {})
        fn = metrics_lib.get_metric(name)
        if name in ("fid", "fcd"):
            side = "main" if name == "fid" else "classifier"
            r, f = real[side].stats, fake[side].stats
            return metrics_lib.frechet_distance(r.mean, r.cov, f.mean, f.cov, **kwargs)
        if name == "kid":
            m = min(real["main"].features.shape[0], fake["main"].features.shape[0])
            kwargs = {"subset_size": min(1000, m), **kwargs}
            mean, std = fn(real["main"].features, fake["main"].features, **kwargs)
            return {"mean": mean, "std": std}
        if name in ("precision_recall", "density_coverage"):
            return fn(real["main"].features, fake["main"].features, **kwargs)
        if name in ("inception_score", "classifier_score"):
            side = "main" if name == "inception_score" else "classifier"
            probs = fake[side].probabilities
            if probs is None:
                raise ValueError(
                    f"metric {name!r} needs class probabilities, but {self.extractor!r} returns "
                    "none; use inception_v3(include_top=True) or a ClassifierFeatures."
                )
            kwargs = {"splits": min(10, probs.shape[0]), **kwargs}
            mean, std = fn(probs, **kwargs)
            return {"mean": mean, "std": std}
        if name == "class_coverage":
            return fn(fake["classifier"].probabilities, real["histogram"], **kwargs)
        if name == "mode_coverage":
            return fn(fake["raw"], self.dataset, **kwargs)
        if name == "parzen":
            validation = _standardize(np.asarray(self.validation))
            if fake["raw"].ndim == 4:  # images: pixel intensities in [0, 1], as in the paper
                return fn(
                    (fake["raw"] + 1.0) / 2.0,
                    (real["raw"] + 1.0) / 2.0,
                    (validation + 1.0) / 2.0,
                    **kwargs,
                )
            return fn(fake["raw"], real["raw"], validation, **kwargs)
        # A custom registered metric: fn(real, fake) on the extractor's features.
        fake_feats = fake["main"].features
        if real["main"] is None:
            return fn(fake_feats, **kwargs)
        return fn(real["main"].features, fake_feats, **kwargs)
