"""Scoring Stacked MNIST: a digit classifier per channel, and the `stacked_mnist_modes` metric.

The protocol of Metz et al., 2017 and Lin et al., 2018 (PacGAN): a digit
classifier trained on MNIST reads each of a sample's three channels; the
triple of its answers is the sample's mode (of 1,000), and the metric counts
the modes reached and the KL divergence between their histogram and uniform
(`kgan.metrics.stacked_mnist_modes`).

- `train_digit_classifier(x, y, holdout=...)`: kgan's own classifier
  (`kgan.eval.classifier.train_classifier`) on all but the last `holdout`
  digits, with its accuracy on those;
- `triple_classifier(digits)`: the Keras model `(H, W, 3) -> 1,000` mode
  probabilities (column `100 r + 10 g + b` holds p(r) p(g) p(b)) whose
  `features` layer concatenates the three channels' features;
- `stacked_mnist_scores(classifier, samples)`: the metric on generated
  samples, streamed through `kgan.eval.Evaluator`.

Example:
    >>> clf, accuracy = train_digit_classifier(x, y, holdout=2000)  # doctest: +SKIP
    >>> stacked_mnist_scores(clf, kgan.eval.sampler(gan), num_samples=26_000)  # doctest: +SKIP
    {'stacked_mnist_modes': {'modes': 1000, 'num_modes': 1000, 'kl': 0.04...}}
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from kgan.data.stacked import STACKED_CHANNELS
from kgan.eval.classifier import FEATURES_LAYER, evaluate_accuracy, train_classifier
from kgan.eval.evaluator import Evaluator
from kgan.eval.extractors import ClassifierFeatures
from kgan.eval.sources import Source

__all__ = ["stacked_mnist_scores", "train_digit_classifier", "triple_classifier"]


def train_digit_classifier(
    x: ArrayLike,
    y: ArrayLike,
    *,
    holdout: int = 2000,
    epochs: int = 10,
    seed: int = 0,
    **kwargs: Any,
) -> tuple[keras.Model, float]:
    """kgan's classifier trained on all but the last `holdout` digits; its accuracy on them.

    Args:
        x: grayscale digits, uint8 (n, H, W[, 1]) or float in [-1, 1].
        y: their labels 0-9.
        holdout: how many of the last digits are kept out of training to
            measure the accuracy (0: none, and the accuracy is NaN).
        epochs, seed, **kwargs: passed to `train_classifier`.

    Returns:
        `(classifier, accuracy on the held-out digits)`.

    Raises:
        ValueError: for a holdout that leaves no training digits, or bad images or labels.

    Example:
        >>> clf, acc = train_digit_classifier(*mnist_arrays("test"), holdout=2000)  # doctest: +SKIP
    """
    x, y = np.asarray(x), np.asarray(y)
    if isinstance(holdout, bool) or not isinstance(holdout, int) or not 0 <= holdout < len(x):
        raise ValueError(
            f"holdout must be an integer in [0, {len(x)}) (the digits kept out of training); "
            f"got holdout={holdout!r}."
        )
    cut = len(x) - holdout
    model = train_classifier(x[:cut], y[:cut], num_classes=10, epochs=epochs, seed=seed, **kwargs)
    accuracy = evaluate_accuracy(model, x[cut:], y[cut:]) if holdout else float("nan")
    return model, accuracy


@keras.saving.register_keras_serializable(package="kgan")
class LastAxisSlice(keras.layers.Layer):
    """`inputs[..., start:stop]`: one channel of images, or one part of a feature vector.

    Example:
        >>> LastAxisSlice(2, 3)(np.arange(6.0, dtype="float32").reshape(1, 1, 2, 3)).numpy().ravel()
        array([2., 5.], dtype=float32)
    """

    def __init__(self, start: int, stop: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.start, self.stop = int(start), int(stop)

    def call(self, inputs: Any) -> Any:
        return inputs[..., self.start : self.stop]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], self.stop - self.start)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package="kgan")
class TripleProbabilities(keras.layers.Layer):
    """Three (B, 10) distributions -> their product over the 1,000 triples, (B, 1000).

    Column `100 r + 10 g + b` holds `p0[r] p1[g] p2[b]`.

    Example:
        >>> p = np.eye(10, dtype="float32")[[[1], [2], [3]]]
        >>> int(np.argmax(TripleProbabilities()([p[0], p[1], p[2]])))
        123
    """

    def call(self, inputs: Any) -> Any:
        p0, p1, p2 = inputs
        joint = ops.einsum("bi,bj,bk->bijk", p0, p1, p2)
        return ops.reshape(joint, (-1, p0.shape[-1] * p1.shape[-1] * p2.shape[-1]))

    def compute_output_shape(self, input_shapes: Any) -> tuple:
        return (input_shapes[0][0], input_shapes[0][-1] * input_shapes[1][-1] * input_shapes[2][-1])


def triple_classifier(digits: keras.Model) -> keras.Model:
    """The Stacked MNIST mode classifier built on a digit classifier.

    Args:
        digits: a built classifier of 1-channel digits (H, W, 1) in [-1, 1]
            with 10 softmax outputs, e.g. from `train_digit_classifier`.

    Returns:
        A functional model `(B, H, W, 3) -> (B, 1000)` mode probabilities,
        whose layer "features" concatenates the channels' penultimate features.

    Raises:
        ValueError: for a classifier that does not take 1-channel images or
            has no 10 outputs.

    Example:
        >>> from kgan.eval.classifier import build_classifier
        >>> triple_classifier(build_classifier((28, 28, 1), 10)).output_shape
        (None, 1000)
    """
    shape = tuple(digits.input_shape[1:])
    head = digits.layers[-1]
    if (
        len(shape) != 3
        or shape[-1] != 1
        or digits.output_shape[-1] != 10
        or not isinstance(head, keras.layers.Dense)
    ):
        raise ValueError(
            "triple_classifier needs a digit classifier of (H, W, 1) images that ends in a "
            f"Dense layer of 10 outputs; got inputs {digits.input_shape}, outputs "
            f"{digits.output_shape} and a last layer {type(head).__name__}."
        )
    # The digits' features are the input of their last (Dense) layer, as ClassifierFeatures's.
    features_of = keras.Model(digits.inputs, head.input, name="digit_features")
    width = int(head.input.shape[-1])
    x = keras.Input((*shape[:2], STACKED_CHANNELS), name="stacked_images")
    channels = [
        features_of(LastAxisSlice(c, c + 1, name=f"channel_{c}")(x))
        for c in range(STACKED_CHANNELS)
    ]
    features = keras.layers.Concatenate(name=FEATURES_LAYER)(channels)
    probs = [
        head(LastAxisSlice(c * width, (c + 1) * width, name=f"features_{c}")(features))
        for c in range(STACKED_CHANNELS)
    ]
    modes = TripleProbabilities(name="mode_probabilities")(probs)
    return keras.Model(x, modes, name="stacked_mnist_classifier")


def stacked_mnist_scores(
    classifier: keras.Model,
    samples: Source,
    *,
    num_samples: int | None = None,
    batch_size: int = 250,
) -> dict[str, Any]:
    """`stacked_mnist_modes` of generated Stacked MNIST samples, streamed in batches.

    Args:
        classifier: a digit classifier (wrapped by `triple_classifier`) or a
            triple classifier already.
        samples: images (N, H, W, 3) in [-1, 1]: an array, an iterable of
            batches, or a callable source such as `kgan.eval.sampler(gan)`
            (then `num_samples` is required).
        num_samples: how many samples to score (the papers: 26,000 or 25,600).
        batch_size: samples per classifier call.

    Returns:
        `{"modes", "num_modes", "kl"}` (see `kgan.metrics.stacked_mnist_modes`).

    Example:
        >>> stacked_mnist_scores(clf, kgan.eval.sampler(gan), num_samples=26_000)
        ... # doctest: +SKIP
    """
    if classifier.output_shape[-1] != 10**STACKED_CHANNELS:
        classifier = triple_classifier(classifier)
    extractor = ClassifierFeatures(classifier, layer=FEATURES_LAYER, outputs="probabilities")
    evaluator = Evaluator(["stacked_mnist_modes"], classifier=extractor, batch_size=batch_size)
    return evaluator(samples, num_samples=num_samples)["stacked_mnist_modes"]
