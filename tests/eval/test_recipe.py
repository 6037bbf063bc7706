"""Tests for kgan.eval.recipe: evaluate() on .keras, .onnx and loaded generators."""

from __future__ import annotations

import doctest
import json

import keras
import numpy as np
import pytest
from eval_testing import save_points_generator

import kgan
from kgan.eval import metrics, recipe
from kgan.eval.recipe import auto_metrics, evaluate, format_results, load_generator, save_report


@pytest.fixture(scope="module")
def points_generator(tmp_path_factory):
    return save_points_generator(tmp_path_factory.mktemp("points"))


@pytest.fixture(scope="module")
def image_generator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    g, _ = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    g.save(folder / "g.keras")
    return folder / "g.keras"


def test_docstring_examples_run():
    result = doctest.testmod(recipe, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2
    assert result.failed == 0


def test_the_library_names_of_the_recipe():
    assert kgan.eval.evaluate is evaluate
    assert kgan.eval.load_generator is load_generator
    assert kgan.eval.Evaluator is kgan.eval.evaluator.Evaluator


def test_keras_and_onnx_models_give_the_same_report(points_generator):
    keras_path, onnx_path, _ = points_generator
    a = evaluate(keras_path, "ring8", metrics="mode_coverage,fid", num_samples=300)
    b = evaluate(onnx_path, "ring8", metrics=["mode_coverage", "fid"], num_samples=300)
    assert a["metrics"]["mode_coverage"] == b["metrics"]["mode_coverage"]
    assert a["metrics"]["fid"] == pytest.approx(b["metrics"]["fid"], rel=1e-4)
    assert a["model"] == str(keras_path) and a["features"] == "raw"


def test_a_loaded_model_gives_the_report_of_its_file(points_generator):
    keras_path, _, generator = points_generator
    from_file = evaluate(keras_path, "ring8", num_samples=300, num_real=500)
    loaded = evaluate(generator, "ring8", num_samples=300, num_real=500)
    assert loaded["metrics"] == from_file["metrics"]
    assert loaded["model"] == generator.name
    assert list(loaded["metrics"]) == ["mode_coverage", "precision_recall", "density_coverage"]
    assert loaded["num_real"] == 500 and loaded["num_samples"] == 300


def test_a_whole_gan_file_and_parzen_on_digits(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    gan.save(tmp_path / "gan.keras")
    report = evaluate(
        tmp_path / "gan.keras", "digits", metrics="auto", num_samples=200, classifier_epochs=2
    )
    assert report["features"] == "classifier"
    assert list(report["metrics"]) == [
        "fcd",
        "classifier_score",
        "class_coverage",
        "precision_recall",
    ]
    assert report["metrics"]["class_coverage"]["num_classes"] == 10
    assert 0.0 <= report["classifier_test_accuracy"] <= 1.0
    parzen = evaluate(tmp_path / "gan.keras", "digits", metrics="parzen", num_samples=100)
    assert np.isfinite(parzen["metrics"]["parzen"]["mean"])
    assert parzen["features"] is None  # no feature space, no classifier trained
    assert "classifier_test_accuracy" not in parzen


@pytest.mark.parametrize(
    "points, labelled, inception, expected",
    [
        (True, False, False, ["mode_coverage", "precision_recall", "density_coverage"]),
        (False, True, False, ["fcd", "classifier_score", "class_coverage", "precision_recall"]),
        (False, False, True, ["fid", "kid", "precision_recall"]),
        (
            False,
            True,
            True,
            ["fid", "kid", "fcd", "classifier_score", "class_coverage", "precision_recall"],
        ),
    ],
)
def test_auto_metrics(points, labelled, inception, expected):
    dataset = "ring8" if points else "digits"
    got = auto_metrics(points=points, dataset=dataset, labelled=labelled, inception=inception)
    assert got == expected


def test_auto_metrics_on_other_points_and_unlabelled_images():
    got = auto_metrics(points=True, dataset="moons", labelled=False, inception=False)
    assert got == ["precision_recall", "density_coverage"]  # mode_coverage needs a mixture
    with pytest.raises(ValueError, match="No offline metric for the unlabelled image set 'x'"):
        auto_metrics(points=False, dataset="x", labelled=False, inception=False)


def test_a_newly_registered_metric_is_picked_and_fed_by_its_spec(points_generator):
    """Registering is the only step: auto picks it, evaluate feeds it what it declares."""
    keras_path, _, _ = points_generator

    @metrics.register_metric("_spread", input="samples", args=("fake",), auto=("points",))
    def spread(samples):
        return float(np.linalg.norm(samples, axis=1).std())

    try:
        report = evaluate(keras_path, "ring8", num_samples=200)
        assert list(report["metrics"])[-1] == "_spread"
        samples = kgan.eval.sampler(load_generator(keras_path), 0)(200)
        assert report["metrics"]["_spread"] == pytest.approx(spread(samples), rel=1e-6)
    finally:
        del metrics.METRICS["_spread"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"metrics": "fid"}, r"metrics \['fid'\] need InceptionV3 weights"),
        ({"metrics": "inception_score"}, "need InceptionV3 weights"),
        ({"metrics": "nope"}, "Unknown metric='nope'"),
        ({"features": "pixels"}, "Unknown features='pixels'"),
        ({"features": "inception", "metrics": "kid"}, "needs inception_weights="),
        ({"inception_weights": "/no/such/weights.h5", "metrics": "fid"}, "does not exist"),
        ({"metrics": "fcd", "classifier": "/no/such.keras"}, "existing .keras file"),
    ],
)
def test_evaluate_errors_on_images(image_generator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate(image_generator, "digits", num_samples=10, **kwargs)


def test_evaluate_errors_on_points(points_generator, tmp_path):
    keras_path, _, _ = points_generator
    with pytest.raises(ValueError, match="Classifier metrics need images"):
        evaluate(keras_path, "ring8", metrics="fcd")
    with pytest.raises(ValueError, match=r"samples of shape \(2,\), but 'digits'"):
        evaluate(keras_path, "digits")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="Cannot load .* is corrupt: not a readable") as info:
        evaluate(bad, "ring8")
    assert "File not found" not in str(info.value)
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"")
    with pytest.raises(ValueError, match="must be a .keras or .onnx file"):
        evaluate(h5, "ring8")
    with pytest.raises(ValueError, match="No model file at"):
        load_generator(tmp_path / "none.onnx")


def test_format_results():
    lines = format_results({"fid": 1.23456789, "kid": {"mean": 0.5, "std": float("nan")}})
    assert lines == ["fid: 1.23457", "kid: mean=0.5, std=nan"]
    assert format_results({"mode_coverage": {"modes": 8}}) == ["mode_coverage: modes=8"]


def test_save_report_writes_non_finite_values_as_strings(tmp_path):
    path = save_report(
        {"metrics": {"kl": float("inf"), "x": [1.0, float("nan")]}}, tmp_path / "r.json"
    )
    assert json.loads(path.read_text()) == {"metrics": {"kl": "inf", "x": [1.0, "nan"]}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
