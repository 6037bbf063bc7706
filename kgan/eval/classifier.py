"""A small CNN classifier for digit-like images, and the metrics it gives offline.

InceptionV3 needs ImageNet weights (a download) and is a poor judge of 8x8
or 28x28 grayscale digits. `train_classifier` trains a small, seeded CNN on
the labelled real data in seconds (about 95% test accuracy on the built-in
8x8 `digits`, whose 297 test digits come from other writers), and
`classifier_metrics` uses it to score generated samples:

- `fcd`: the Fréchet distance between the classifier's penultimate features
  of generated and of held-out real images ("Fréchet classifier distance");
- `classifier_score`: the Inception Score computed with this classifier;
- `class_coverage`: how many classes the samples reach, and the KL divergence
  between the predicted-class histogram and the data's class histogram.

Example:
    >>> from kgan import classifier, data
    >>> x, y = data.digits_arrays("train")
    >>> clf = classifier.train_classifier(x, y, epochs=5)  # doctest: +SKIP
    >>> xt, yt = data.digits_arrays("test")
    >>> classifier.evaluate_accuracy(clf, xt, yt) > 0.9  # doctest: +SKIP
    True
    >>> classifier.classifier_metrics(clf, gan.generate(1000, seed=0), xt, yt)  # doctest: +SKIP
    {'fcd': ..., 'classifier_score': {'mean': ..., 'std': ...}, 'class_coverage': {...}}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from kgan.data.arrays import check_labels as check_data_labels
from kgan.data.arrays import uint8_to_float
from kgan.eval.evaluator import Evaluator
from kgan.eval.extractors import ClassifierFeatures
from kgan.eval.sources import Source, iterate_batches

__all__ = [
    "FEATURES_LAYER",
    "build_classifier",
    "classifier_metrics",
    "evaluate_accuracy",
    "train_classifier",
]

FEATURES_LAYER = "features"
"""Name of the penultimate dense layer whose output is the classifier's feature vector."""


def _images(x: ArrayLike, what: str = "x") -> np.ndarray:
    """uint8 [0, 255] or float [-1, 1] images (N, H, W[, C]) -> float32 NHWC in [-1, 1]."""
    arr = np.asarray(x)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4:
        raise ValueError(f"{what} must be images of shape (N, H, W[, C]); got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{what} is empty: got shape {arr.shape}.")
    if arr.dtype == np.uint8:
        return uint8_to_float(arr)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"{what} must be uint8 in [0, 255] or float in [-1, 1]; got dtype {arr.dtype}."
        )
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or infinite values.")
    if arr.min() < -1.0 - 1e-6 or arr.max() > 1.0 + 1e-6:
        raise ValueError(
            f"Float images must lie in [-1, 1]; got values in [{arr.min():.4g}, {arr.max():.4g}]."
        )
    return arr


def _check_labels(y: ArrayLike, n: int, name: str) -> np.ndarray:
    return check_data_labels(y, n, name, what="integer class labels, one per image")


def build_classifier(
    image_shape: Sequence[int], num_classes: int, *, width: int = 32, dropout: float = 0.25
) -> keras.Model:
    """A small CNN: two 3x3 conv blocks, a 128-unit dense `features` layer, softmax.

    For 28x28 images each block ends in 2x2 max pooling; for images smaller
    than 16 pixels only the second block pools.

    Args:
        image_shape: `(H, W, C)`.
        num_classes: number of classes (>= 2).
        width: filters of the first convolution (the second has twice as many).
        dropout: dropout before the output layer.

    Returns:
        An uncompiled functional `keras.Model` mapping images in [-1, 1] to
        class probabilities.

    Example:
        >>> build_classifier((8, 8, 1), 10).output_shape
        (None, 10)
    """
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (H, W, C); got image_shape={image_shape!r}.")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2; got num_classes={num_classes!r}.")
    layers = keras.layers
    x = inputs = keras.Input(shape, name="images")
    small = min(shape[:2]) < 16
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="conv_1")(x)
    if not small:
        x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Conv2D(2 * width, 3, padding="same", activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    # The features are the *input* of this layer, i.e. the 128-d `features` output.
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="kgan_classifier")


def train_classifier(
    x: ArrayLike,
    y: ArrayLike,
    *,
    num_classes: int | None = None,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    verbose: Any = 0,
) -> keras.Model:
    """Trains `build_classifier` on labelled images, seeded, and returns it.

    Args:
        x: uint8 images in [0, 255] or float images in [-1, 1], (N, H, W[, C]).
        y: integer labels (N,).
        num_classes: defaults to `max(y) + 1`.
        epochs: passes over the data (20 take about 7 s on the 1,500
            built-in digits on 2 CPU cores, for about 95% test accuracy).
        batch_size: samples per step.
        learning_rate: Adam's learning rate.
        seed: seeds the weights, dropout and the data order.
        validation: optional `(x, y)` reported by Keras during training.
        verbose: Keras `fit` verbosity.

    Returns:
        The trained, compiled classifier (softmax output; its penultimate
        features are the output of the layer named `FEATURES_LAYER`).

    Raises:
        ValueError: on bad images or labels.

    Example:
        >>> x, y = kgan.data.digits_arrays("train")  # doctest: +SKIP
        >>> clf = train_classifier(x, y, epochs=10, seed=0)  # doctest: +SKIP
    """
    images = _images(x)
    labels = _check_labels(y, images.shape[0], name="y")
    k = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.max() >= k:
        raise ValueError(f"y must lie in [0, {k}); got a maximum of {labels.max()}.")
    keras.utils.set_random_seed(seed)
    model = build_classifier(images.shape[1:], max(k, 2))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    val = None
    if validation is not None:
        val = (
            _images(validation[0], "validation x"),
            _check_labels(validation[1], len(validation[0]), name="validation y"),
        )
    order = np.random.default_rng(seed).permutation(images.shape[0])
    model.fit(
        images[order],
        labels[order],
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        validation_data=val,
        verbose=verbose,
    )
    return model


def evaluate_accuracy(
    classifier: keras.Model, x: ArrayLike, y: ArrayLike, *, batch_size: int = 250
) -> float:
    """Top-1 accuracy of a classifier on labelled images.

    Example:
        >>> evaluate_accuracy(clf, *kgan.data.digits_arrays("test"))  # doctest: +SKIP
        0.97...
    """
    images = _images(x)
    labels = _check_labels(y, images.shape[0], name="y")
    probs = ClassifierFeatures(classifier)
    predicted = np.concatenate(
        [
            probs(batch).probabilities.argmax(axis=1)
            for batch in iterate_batches(images, batch_size=batch_size)
        ]
    )
    return float((predicted == labels).mean())


def classifier_metrics(
    classifier: keras.Model | ClassifierFeatures,
    samples: Source,
    real_x: ArrayLike,
    real_y: ArrayLike | None = None,
    *,
    num_samples: int | None = None,
    batch_size: int = 250,
) -> dict[str, Any]:
    """Fréchet classifier distance, classifier score and class coverage of samples.

    Args:
        classifier: e.g. from `train_classifier`, or a `ClassifierFeatures`
            (to pick another feature layer).
        samples: generated images in [-1, 1]: an array, an iterable of
            batches, or a callable source such as `features.sampler(gan)`
            (then `num_samples` is required). Streamed in batches.
        real_x: held-out real images (uint8 or float in [-1, 1]).
        real_y: their labels, for the reference class histogram; None uses
            the classifier's predictions on `real_x`.
        num_samples: how many generated samples to use.
        batch_size: samples per classifier call.

    Returns:
        `{"fcd": float, "classifier_score": {"mean", "std"},
        "class_coverage": {"classes", "num_classes", "kl"}}`.

    Example:
        >>> classifier_metrics(clf, features.sampler(gan), xt, yt, num_samples=5000)
        ... # doctest: +SKIP
    """
    real = _images(real_x, "real_x")
    labels = None if real_y is None else _check_labels(real_y, real.shape[0], name="real_y")
    evaluator = Evaluator(
        ["fcd", "classifier_score", "class_coverage"],
        real=real,
        real_labels=labels,
        classifier=classifier,
        batch_size=batch_size,
    )
    return evaluator(samples, num_samples=num_samples)
