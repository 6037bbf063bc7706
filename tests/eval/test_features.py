"""Tests for kgan.features: extractors, sources, streaming statistics and the Evaluator."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

import kgan
from kgan.eval import features, metrics
from kgan.eval.features import (
    ClassifierFeatures,
    Evaluator,
    FeatureBatch,
    RawFeatures,
    extract_features,
    flatten_results,
    iterate_batches,
    sampler,
)


def tiny_classifier(num_classes: int = 3, *, softmax: bool = True) -> keras.Model:
    """A deterministic stand-in classifier: 8x8x1 images -> 5 features -> classes."""
    keras.utils.set_random_seed(0)
    x = inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, activation="tanh", name="penultimate")(x)
    x = keras.layers.Dense(num_classes, activation="softmax" if softmax else None, name="out")(x)
    return keras.Model(inputs, x)


def test_docstring_examples_run():
    result = doctest.testmod(features, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def test_iterate_batches_from_an_array_splits_and_caps():
    assert [b.shape for b in iterate_batches([[1.0, 2.0], [3.0, 4.0]])] == [(2, 2)]
    x = np.arange(10.0).reshape(5, 2)
    batches = list(iterate_batches(x, batch_size=2))
    assert [b.shape[0] for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate(batches), x)
    assert sum(b.shape[0] for b in iterate_batches(x, num_samples=3, batch_size=2)) == 3


def test_iterate_batches_from_an_iterable_of_pairs_and_dicts():
    pairs = [(np.ones((4, 2)), np.zeros(4)), (np.zeros((4, 2)), np.ones(4))]
    out = np.concatenate(list(iterate_batches(iter(pairs), batch_size=3)))
    assert out.shape == (8, 2) and out[:4].sum() == 8
    dicts = ({"image": np.ones((2, 3))} for _ in range(3))
    assert sum(b.shape[0] for b in iterate_batches(dicts, num_samples=5)) == 5


def test_iterate_batches_from_a_tf_dataset():
    ds = kgan.data.from_arrays(np.zeros((20, 2), "float32"), batch_size=8, shuffle=False)
    assert sum(b.shape[0] for b in iterate_batches(ds)) == 16  # drop_remainder


def test_iterate_batches_from_a_callable():
    asked = []

    def source(n):
        asked.append(n)
        return np.zeros((n, 2))

    assert sum(b.shape[0] for b in iterate_batches(source, num_samples=7, batch_size=3)) == 7
    assert asked == [3, 3, 1]


@pytest.mark.parametrize(
    "source, kwargs, match",
    [
        (lambda n: np.zeros((n, 2)), {}, "needs num_samples"),
        (lambda n: np.zeros((n + 1, 2)), {"num_samples": 2}, "asked for 2 samples"),
        (np.zeros((3, 2)), {"num_samples": 5}, "ran out after 3 samples"),
        ("not a source", {}, "got str"),
        (np.zeros((3, 2)), {"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_iterate_batches_errors(source, kwargs, match):
    with pytest.raises(ValueError, match=match):
        list(iterate_batches(source, **kwargs))


def test_sampler_streams_reproducible_distinct_batches(tiny_gan):
    a, b = sampler(tiny_gan, seed=3), sampler(tiny_gan, seed=3)
    first, second = a(5), a(5)
    np.testing.assert_array_equal(first, b(5))
    np.testing.assert_array_equal(second, b(5))
    assert not np.allclose(first, second)
    # A bare generator model gives the same stream as the GAN it came from.
    np.testing.assert_allclose(sampler(tiny_gan.generator, seed=3)(5), first, atol=1e-6)


def test_sampler_rejects_other_objects():
    with pytest.raises(ValueError, match="got int"):
        sampler(3)


# ---------------------------------------------------------------------------
# Streaming extraction
# ---------------------------------------------------------------------------


def test_extract_features_streams_the_same_statistics_as_one_shot(rng):
    x = rng.normal(size=(103, 4)) * [1.0, 2.0, 3.0, 4.0] + 1e4
    out = extract_features(x, RawFeatures(), batch_size=10, keep_features=7)
    assert out.num_samples == 103
    np.testing.assert_allclose(out.stats.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out.stats.cov, np.cov(x, rowvar=False), rtol=1e-9)
    np.testing.assert_allclose(out.features, x[:7].astype(np.float32))
    assert out.probabilities is None


def test_extract_features_accepts_arrays_and_pairs_from_the_extractor(rng):
    x = rng.normal(size=(6, 3))
    plain = extract_features(x, lambda b: b * 2.0, batch_size=4)
    np.testing.assert_allclose(plain.stats.mean, 2 * x.mean(axis=0))
    probs = np.full((6, 2), 0.5)
    pair = extract_features(x, lambda b: (b, probs[: len(b)]), batch_size=4)
    np.testing.assert_array_equal(pair.probabilities, probs)


def test_extract_features_rejects_a_bad_extractor():
    with pytest.raises(ValueError, match=r"must return features of shape \(2, num_features\)"):
        extract_features(np.zeros((2, 3)), lambda b: b[:1], batch_size=4)


def test_fid_from_streamed_stats_matches_fid_from_activations(rng):
    a, b = rng.normal(size=(300, 5)), rng.normal(loc=0.3, size=(200, 5))
    sa = extract_features(a, RawFeatures(), batch_size=64).stats
    sb = extract_features(b, RawFeatures(), batch_size=64).stats
    assert metrics.frechet_distance_from_stats(sa, sb) == pytest.approx(
        metrics.frechet_distance_from_activations(a, b), rel=1e-10
    )


# ---------------------------------------------------------------------------
# Extractors
# ---------------------------------------------------------------------------


def test_classifier_features_default_to_the_penultimate_layer(rng):
    model = tiny_classifier()
    x = rng.uniform(-1, 1, size=(4, 8, 8, 1)).astype("float32")
    batch = ClassifierFeatures(model)(x)
    penultimate = keras.Model(model.input, model.get_layer("penultimate").output)
    np.testing.assert_allclose(batch.features, penultimate(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(batch.probabilities, model(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(batch.probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_classifier_features_softmax_logits_and_uint8(rng):
    model = tiny_classifier(softmax=False)
    x = rng.integers(0, 256, size=(3, 8, 8, 1)).astype("uint8")
    batch = ClassifierFeatures(model)(x)
    logits = model(x.astype("float32") / 127.5 - 1.0).numpy()
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(batch.probabilities, expected, atol=1e-6)
    by_index = ClassifierFeatures(model, layer=1)(x)  # the Flatten layer
    assert by_index.features.shape == (3, 64)


def test_classifier_features_errors():
    model = tiny_classifier()
    with pytest.raises(ValueError, match="Unknown layer='nope'"):
        ClassifierFeatures(model, layer="nope")
    with pytest.raises(ValueError, match="Unknown outputs='p'"):
        ClassifierFeatures(model, outputs="p")
    with pytest.raises(ValueError, match="must be a keras.Model"):
        ClassifierFeatures(object())


def test_inception_v3_random_weights_on_tiny_images():
    # weights=None never downloads; 75x75 is InceptionV3's smallest input.
    extractor = features.inception_v3(weights=None, image_size=75, include_top=True)
    gray = np.linspace(-1, 1, 2 * 8 * 8).reshape(2, 8, 8, 1).astype("float32")
    x = extractor.preprocess(gray)
    assert x.shape == (2, 75, 75, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])  # grayscale -> RGB
    batch = extractor(gray)
    assert batch.features.shape == (2, features.INCEPTION_FEATURES)
    assert batch.probabilities.shape == (2, 1000)
    np.testing.assert_allclose(batch.probabilities.sum(axis=1), 1.0, atol=1e-4)
    uint8 = np.round((gray + 1) * 127.5).astype("uint8")
    np.testing.assert_allclose(extractor(uint8).features, batch.features, atol=1e-2)


def test_inception_v3_weight_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        features.inception_v3(weights=tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an h5 file")
    with pytest.raises(ValueError, match="Could not load"):
        features.inception_v3(weights=bad, image_size=75)
    with pytest.raises(ValueError, match="image_size must be an integer >= 75"):
        features.inception_v3(weights=None, image_size=32)


# ---------------------------------------------------------------------------
# Evaluator
# ---------------------------------------------------------------------------


def test_evaluator_on_raw_features_matches_the_metrics(rng):
    real = rng.normal(size=(300, 2))
    fake = rng.normal(loc=0.5, size=(200, 2))
    names = ["fid", "kid", "precision_recall", "density_coverage"]
    evaluator = Evaluator(names, real=real, batch_size=64, metric_kwargs={"kid": {"seed": 1}})
    out = evaluator(fake)
    assert list(out) == names
    assert out["fid"] == pytest.approx(metrics.frechet_distance_from_activations(real, fake))
    mean, std = metrics.kernel_inception_distance(real, fake, subset_size=200, seed=1)
    assert out["kid"] == pytest.approx({"mean": mean, "std": std})
    assert out["precision_recall"] == metrics.precision_recall(real, fake)
    assert out["density_coverage"] == metrics.density_coverage(real, fake)


def test_evaluator_mode_coverage_and_parzen():
    centers, _ = metrics.MODES["ring8"]
    evaluator = Evaluator(["mode_coverage"], dataset="ring8")
    out = evaluator(np.repeat(centers[:5], 10, axis=0))
    assert out["mode_coverage"]["modes"] == 5 and out["mode_coverage"]["high_quality"] == 100.0
    parzen = Evaluator(["parzen"], real=[[0.0]], validation=[[1.0]])
    result = parzen(np.array([[0.0]]))
    expected = metrics.parzen_log_likelihood([[0.0]], [[0.0]], [[1.0]])
    assert result["parzen"] == pytest.approx(expected)


def test_evaluator_parzen_on_images_uses_unit_pixel_range(rng):
    fake = rng.uniform(-1, 1, size=(20, 2, 2, 1))
    real = rng.uniform(-1, 1, size=(10, 2, 2, 1))
    val = rng.uniform(-1, 1, size=(10, 2, 2, 1))
    out = Evaluator(["parzen"], real=real, validation=val)(fake)["parzen"]
    expected = metrics.parzen_log_likelihood((fake + 1) / 2, (real + 1) / 2, (val + 1) / 2)
    assert out == pytest.approx(expected)


def test_evaluator_classifier_metrics(rng):
    model = tiny_classifier(3)
    real = rng.uniform(-1, 1, size=(60, 8, 8, 1)).astype("float32")
    labels = np.arange(60) % 3
    evaluator = Evaluator(
        ["fcd", "classifier_score", "class_coverage"],
        real=real,
        real_labels=labels,
        classifier=model,
    )
    same = evaluator(real)
    assert same["fcd"] == pytest.approx(0.0, abs=1e-9)
    probs = model(real).numpy()
    mean, std = metrics.inception_score(probs, splits=10)
    assert same["classifier_score"]["mean"] == pytest.approx(mean, rel=1e-5)
    assert same["class_coverage"] == pytest.approx(metrics.class_coverage(probs, [20, 20, 20]))
    # A constant image collapses to one class: one class reached, KL = log 3.
    collapsed = evaluator(np.zeros((30, 8, 8, 1), "float32"))
    assert collapsed["class_coverage"]["classes"] == 1
    assert collapsed["class_coverage"]["kl"] == pytest.approx(np.log(3))
    assert collapsed["classifier_score"]["mean"] == pytest.approx(1.0)
    assert collapsed["fcd"] > 0


def test_evaluator_computes_the_real_side_once(rng):
    calls = []

    def extractor(batch):
        calls.append(len(batch))
        return FeatureBatch(np.asarray(batch, np.float64))

    evaluator = Evaluator(["fid"], real=rng.normal(size=(50, 2)), extractor=extractor)
    evaluator(rng.normal(size=(20, 2)))
    evaluator(rng.normal(size=(20, 2)))
    assert sum(calls) == 50 + 20 + 20


def test_evaluator_runs_custom_registered_metrics(rng):
    @metrics.register_metric("_mean_gap")
    def mean_gap(real, fake):
        return float(np.abs(real.mean() - fake.mean()))

    try:
        out = Evaluator(["_mean_gap"], real=np.zeros((5, 2)))(np.ones((4, 2)))
        assert out == {"_mean_gap": 1.0}
    finally:
        metrics.METRICS.pop("_mean_gap")


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (["nope"], {}, "Unknown metric='nope'"),
        ([], {}, "at least one metric"),
        (["fid"], {}, "compares with real data"),
        (["fcd"], {"real": np.zeros((3, 2))}, "need a classifier"),
        (["mode_coverage"], {"dataset": "ring9"}, "dataset= one of"),
        (["parzen"], {"real": np.zeros((3, 2))}, "pass validation="),
        (["fid"], {"real": np.zeros((3, 2)), "metric_kwargs": {"kid": {}}}, "not in metrics"),
    ],
)
def test_evaluator_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Evaluator(args, **kwargs)


def test_evaluator_inception_score_needs_probabilities(rng):
    with pytest.raises(ValueError, match="needs class probabilities"):
        Evaluator(["inception_score"])(rng.normal(size=(5, 2)))


def test_flatten_results():
    flat = flatten_results({"fid": 2, "mode_coverage": {"modes": 8, "kl": 0.5}})
    assert flat == {"fid": 2.0, "mode_coverage/modes": 8.0, "mode_coverage/kl": 0.5}
