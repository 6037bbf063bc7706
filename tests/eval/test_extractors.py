"""Tests for kgan.eval.extractors: classifier, InceptionV3 and raw features."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

from kgan.eval import extractors
from kgan.eval.extractors import ClassifierFeatures, RawFeatures, as_feature_batch


def test_docstring_examples_run():
    result = doctest.testmod(extractors, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2
    assert result.failed == 0


def test_classifier_features_default_to_the_penultimate_layer(rng, tiny_classifier):
    model = tiny_classifier()
    x = rng.uniform(-1, 1, size=(4, 8, 8, 1)).astype("float32")
    batch = ClassifierFeatures(model)(x)
    penultimate = keras.Model(model.input, model.get_layer("penultimate").output)
    np.testing.assert_allclose(batch.features, penultimate(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(batch.probabilities, model(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(batch.probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_classifier_features_softmax_logits_and_uint8(rng, tiny_classifier):
    model = tiny_classifier(softmax=False)
    x = rng.integers(0, 256, size=(3, 8, 8, 1)).astype("uint8")
    batch = ClassifierFeatures(model)(x)
    logits = model(x.astype("float32") / 127.5 - 1.0).numpy()
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(batch.probabilities, expected, atol=1e-6)
    by_index = ClassifierFeatures(model, layer=1)(x)  # the Flatten layer
    assert by_index.features.shape == (3, 64)


def test_classifier_features_errors(tiny_classifier):
    model = tiny_classifier()
    with pytest.raises(ValueError, match="Unknown layer='nope'"):
        ClassifierFeatures(model, layer="nope")
    with pytest.raises(ValueError, match="Unknown outputs='p'"):
        ClassifierFeatures(model, outputs="p")
    with pytest.raises(ValueError, match="must be a keras.Model"):
        ClassifierFeatures(object())


def test_inception_v3_random_weights_on_tiny_images():
    # weights=None never downloads; 75x75 is InceptionV3's smallest input.
    extractor = extractors.inception_v3(weights=None, image_size=75, include_top=True)
    gray = np.linspace(-1, 1, 2 * 8 * 8).reshape(2, 8, 8, 1).astype("float32")
    x = extractor.preprocess(gray)
    assert x.shape == (2, 75, 75, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])  # grayscale -> RGB
    batch = extractor(gray)
    assert batch.features.shape == (2, extractors.INCEPTION_FEATURES)
    assert batch.probabilities.shape == (2, 1000)
    np.testing.assert_allclose(batch.probabilities.sum(axis=1), 1.0, atol=1e-4)
    uint8 = np.round((gray + 1) * 127.5).astype("uint8")
    np.testing.assert_allclose(extractor(uint8).features, batch.features, atol=1e-2)


def test_inception_v3_weight_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        extractors.inception_v3(weights=tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an h5 file")
    with pytest.raises(ValueError, match="Could not load"):
        extractors.inception_v3(weights=bad, image_size=75)
    with pytest.raises(ValueError, match="image_size must be an integer >= 75"):
        extractors.inception_v3(weights=None, image_size=32)


def test_raw_features_flatten_and_reject_scalars():
    assert RawFeatures()(np.zeros((3, 2, 2))).features.shape == (3, 4)
    with pytest.raises(ValueError, match="ndim >= 2"):
        RawFeatures()(np.zeros(3))


def test_as_feature_batch_checks_shapes():
    with pytest.raises(ValueError, match=r"probabilities of shape \(2, num_classes\)"):
        as_feature_batch((np.zeros((2, 3)), np.zeros(2)), 2, "extractor")
