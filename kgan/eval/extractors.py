"""Feature extractors: the networks that turn samples into what the metrics read.

- `inception_v3(weights=...)`: InceptionV3 from `keras.applications`, 2048-d
  average-pool features (and ImageNet class probabilities with
  `include_top=True`), after a bilinear resize to 299x299, grayscale -> RGB,
  from images in [-1, 1] (uint8 in [0, 255] is accepted too).
- `ClassifierFeatures(model)`: any Keras classifier; features from a named
  layer (default: the input of the last dense layer) and class probabilities,
  for the "Fréchet classifier distance" and a classifier score.
- `RawFeatures()`: the flattened samples themselves (2-D points, pixels).

An extractor is any callable `batch -> FeatureBatch` (or a features array, or
a `(features, probabilities)` pair).

Example:
    >>> RawFeatures()(np.zeros((3, 2, 2))).features.shape
    (3, 4)
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from kgan.data.arrays import uint8_to_float

__all__ = [
    "INCEPTION_FEATURES",
    "INCEPTION_SIZE",
    "ClassifierFeatures",
    "FeatureBatch",
    "InceptionFeatures",
    "RawFeatures",
    "as_feature_batch",
    "inception_v3",
]

INCEPTION_SIZE = 299
"""InceptionV3's input size for FID: images are resized to 299x299."""
INCEPTION_FEATURES = 2048
"""Size of InceptionV3's average-pool features."""


@dataclasses.dataclass
class FeatureBatch:
    """What an extractor returns for one batch.

    Attributes:
        features: float array (n, d).
        probabilities: class probabilities (n, num_classes), or None.
    """

    features: np.ndarray
    probabilities: np.ndarray | None = None


def as_feature_batch(out: Any, n: int, what: str) -> FeatureBatch:
    """Reads what an extractor returned for a batch of `n` samples as a `FeatureBatch`.

    Args:
        out: a `FeatureBatch`, a `(features, probabilities)` pair, or a
            features array.
        n: the batch's number of samples.
        what: the extractor, as named in error messages.

    Returns:
        A `FeatureBatch` of arrays with `n` rows.

    Raises:
        ValueError: for features that are not (n, d), or probabilities that
            are not (n, num_classes).

    Example:
        >>> as_feature_batch(np.zeros((2, 3)), 2, "RawFeatures()").features.shape
        (2, 3)
    """
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
        return uint8_to_float(x)
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
        self._forward = compiled_forward(model)

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


def _call_inference(model: keras.Model, inputs: Any) -> Any:
    return model(inputs, training=False)


def compiled_forward(model: keras.Model) -> Callable[[Any], Any]:
    """A traced forward pass (inference mode, any batch size) that returns NumPy arrays.

    Shared by the extractors and `kgan.eval.sources.sampler` (generator models).
    """
    import tensorflow as tf

    specs = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in model.inputs]
    # A partial, not a lambda: TensorFlow counts traces per code object, so one lambda traced
    # for each of several models reads as retracing and logs a warning each evaluation.
    call = functools.partial(_call_inference, model)
    forward = tf.function(call, input_signature=specs if len(specs) == 1 else [specs])

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
        self._forward = compiled_forward(self._model)

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
            x = uint8_to_float(x)
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
