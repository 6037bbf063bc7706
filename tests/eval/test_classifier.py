"""Tests for kgan.classifier: the seeded digit classifier and the metrics it gives."""

from __future__ import annotations

import numpy as np
import pytest

from kgan import data
from kgan.eval import classifier, features, metrics


@pytest.fixture(scope="module")
def digits():
    x, y = data.digits_arrays("train")
    xt, yt = data.digits_arrays("test")
    return x, y, xt, yt


@pytest.fixture(scope="module")
def trained(digits):
    x, y, _, _ = digits
    return classifier.train_classifier(x, y, epochs=12, seed=0)


def test_build_classifier_shapes():
    model = classifier.build_classifier((28, 28, 1), 10)
    assert model.output_shape == (None, 10)
    assert model.get_layer(classifier.FEATURES_LAYER).output.shape == (None, 128)
    assert classifier.build_classifier((8, 8, 3), 4).output_shape == (None, 4)


def test_trained_classifier_is_accurate_on_held_out_digits(trained, digits):
    _, _, xt, yt = digits
    assert classifier.evaluate_accuracy(trained, xt, yt) > 0.9


def test_training_is_seeded(digits):
    x, y, xt, _ = digits
    a = classifier.train_classifier(x[:128], y[:128], epochs=1, seed=3)
    b = classifier.train_classifier(x[:128], y[:128], epochs=1, seed=3)
    np.testing.assert_array_equal(
        a.predict(xt[:8] / 127.5 - 1, verbose=0), b.predict(xt[:8] / 127.5 - 1, verbose=0)
    )


def test_classifier_metrics_on_real_and_collapsed_samples(trained, digits):
    x, _, xt, yt = digits
    real = classifier.classifier_metrics(trained, x[:600], xt, yt)
    assert set(real) == {"fcd", "classifier_score", "class_coverage"}
    assert real["class_coverage"]["classes"] == 10
    assert real["class_coverage"]["kl"] < 0.05
    assert real["classifier_score"]["mean"] > 7.0
    assert real["fcd"] < 20.0

    collapsed = classifier.classifier_metrics(trained, np.repeat(xt[:1], 100, axis=0), xt, yt)
    assert collapsed["class_coverage"]["classes"] == 1
    assert collapsed["classifier_score"]["mean"] == pytest.approx(1.0)
    assert collapsed["fcd"] > 10 * real["fcd"]


def test_classifier_metrics_identities(trained, digits):
    _, _, xt, yt = digits
    # The held-out set against itself: FCD 0, and KL 0 when the reference is its own predictions.
    same = classifier.classifier_metrics(trained, xt, xt)
    assert same["fcd"] == pytest.approx(0.0, abs=1e-6)
    assert same["class_coverage"]["kl"] == pytest.approx(0.0, abs=1e-12)
    # It equals the metrics computed by hand from the extractor's outputs.
    out = features.ClassifierFeatures(trained)(xt)
    expected_score, _ = metrics.inception_score(out.probabilities, splits=10)
    streamed = classifier.classifier_metrics(
        trained, features.iterate_batches(xt, batch_size=50), xt, yt, batch_size=64
    )
    assert streamed["classifier_score"]["mean"] == pytest.approx(expected_score, rel=1e-6)
    assert streamed["class_coverage"] == pytest.approx(
        metrics.class_coverage(out.probabilities, np.bincount(yt, minlength=10))
    )


@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.zeros((4, 8)), np.zeros(4, int), r"shape \(N, H, W\[, C\]\)"),
        (np.zeros((4, 8, 8), "int64"), np.zeros(4, int), "uint8 in"),
        (np.full((4, 8, 8), 2.0), np.zeros(4, int), r"must lie in \[-1, 1\]"),
        (np.zeros((4, 8, 8), "uint8"), np.zeros(3, int), "4 integer class labels"),
        (np.zeros((4, 8, 8), "uint8"), -np.ones(4, int), "must be >= 0"),
    ],
)
def test_train_classifier_rejects_bad_inputs(x, y, match):
    with pytest.raises(ValueError, match=match):
        classifier.train_classifier(x, y, epochs=1)


def test_build_classifier_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        classifier.build_classifier((8, 8, 1), 1)
    with pytest.raises(ValueError, match=r"image_shape must be \(H, W, C\)"):
        classifier.build_classifier((8, 8), 10)
