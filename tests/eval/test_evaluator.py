"""Tests for kgan.eval.evaluator: streaming extraction and the spec-driven Evaluator."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from kgan.eval import evaluator as evaluator_lib
from kgan.eval import metrics
from kgan.eval.evaluator import Evaluator, extract_features, flatten_results
from kgan.eval.extractors import FeatureBatch, RawFeatures


def test_docstring_examples_run():
    result = doctest.testmod(evaluator_lib, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0


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


def test_evaluator_classifier_metrics(rng, tiny_classifier):
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


# ---------------------------------------------------------------------------
# What the specs declare is what the Evaluator feeds
# ---------------------------------------------------------------------------


@pytest.fixture
def registered():
    """Registers test metrics under names starting with '_', and removes them afterwards."""
    yield metrics.register_metric
    for name in [n for n in metrics.METRICS if n.startswith("_")]:
        del metrics.METRICS[name]


def test_a_metric_of_the_fake_side_alone_needs_no_real_data(registered):
    @registered("_mean_norm", args=("fake",))
    def mean_norm(fake):
        return float(np.linalg.norm(fake, axis=1).mean())

    assert Evaluator(["_mean_norm"])(np.full((4, 2), [3.0, 4.0]))["_mean_norm"] == 5.0
    registered("_pair")(lambda real, fake: 0.0)  # args=("real", "fake") by default
    with pytest.raises(ValueError, match="'_pair' compares with real data"):
        Evaluator(["_pair"])


def test_streaming_metrics_use_every_sample_but_keep_no_features(rng):
    real, fake = rng.normal(size=(3000, 3)), rng.normal(loc=0.2, size=(2000, 3))
    evaluator = Evaluator(["fid"], real=real, max_features=10, batch_size=128)
    out = evaluator(fake)
    assert out["fid"] == pytest.approx(
        metrics.frechet_distance_from_activations(real, fake), rel=1e-9
    )


def test_spec_defaults_results_and_sample_range_are_applied(registered, rng):
    seen = {}

    @registered(
        "_range_and_size",
        input="samples",
        args=("fake", "real", "validation"),
        defaults=lambda fake, real, validation: {"size": len(fake)},
        result_keys=("low", "high"),
        sample_range=(0.0, 255.0),
    )
    def range_and_size(fake, real, validation, *, size):
        seen.update(size=size, shapes=(fake.shape, real.shape, validation.shape))
        return float(fake.min()), float(max(real.max(), validation.max()))

    images = np.stack([np.full((2, 2, 1), -1.0), np.full((2, 2, 1), 1.0)])
    evaluator = Evaluator(["_range_and_size"], real=images, validation=images)
    assert evaluator(images)["_range_and_size"] == {"low": 0.0, "high": 255.0}
    assert seen["size"] == 2 and seen["shapes"] == ((2, 2, 2, 1),) * 3
    points = Evaluator(["_range_and_size"], real=[[-1.0, 1.0]], validation=[[0.5, 0.5]])
    assert points([[-1.0, 1.0]])["_range_and_size"] == {"low": -1.0, "high": 1.0}  # not images
    overridden = Evaluator(
        ["_range_and_size"],
        real=images,
        validation=images,
        metric_kwargs={"_range_and_size": {"size": 7}},
    )
    overridden(images)
    assert seen["size"] == 7


def test_a_new_classifier_metric_gets_probabilities_and_the_class_histogram(
    registered, rng, tiny_classifier
):
    @registered(
        "_histograms",
        input="probabilities",
        space="classifier",
        args=("fake", "class_histogram"),
    )
    def histograms(probs, reference):
        return {"fake": float(probs.shape[0]), "real": float(reference.sum())}

    model = tiny_classifier(3)
    real = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype("float32")
    evaluator = Evaluator(
        ["_histograms"], real=real, real_labels=np.arange(12) % 3, classifier=model
    )
    assert evaluator(real[:5])["_histograms"] == {"fake": 5.0, "real": 12.0}
    with pytest.raises(ValueError, match=r"metrics \['_histograms'\] need a classifier"):
        Evaluator(["_histograms"], real=real)


def test_the_old_features_module_keeps_its_public_names():
    """kgan 0.1's `kgan.features` (an alias of kgan.eval.features) re-exports the new modules."""
    import importlib

    from kgan.eval import evaluator, extractors, sources

    old = importlib.import_module("kgan.features")
    assert old is importlib.import_module("kgan.eval.features")
    for name in old.__all__:
        assert getattr(old, name) is not None, name
    assert old.Evaluator is evaluator.Evaluator and old.sampler is sources.sampler
    assert old.inception_v3 is extractors.inception_v3
    assert old.CLASSIFIER_METRICS[:3] == ("fcd", "classifier_score", "class_coverage")
    assert "stacked_mnist_modes" in old.CLASSIFIER_METRICS  # registered later, listed too
    assert old.RAW_METRICS == ("mode_coverage", "parzen")
    assert "fid" in old.EXTRACTOR_METRICS and "fcd" not in old.EXTRACTOR_METRICS
    with pytest.raises(AttributeError):
        old.NO_SUCH_NAME  # noqa: B018
