"""kgan-evaluate end to end: .keras and .onnx generators, built-in data, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kgan
from kgan.cli import evaluate as cli
from kgan.eval import features


def _run_cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", "kgan.cli.evaluate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def points_generator(tmp_path_factory):
    """A small untrained 2-D generator saved as .keras and exported to .onnx."""
    folder = tmp_path_factory.mktemp("points")
    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.mlp(4, (2,), generator_units=(16,))
    generator.save(folder / "generator.keras")
    from kgan.export import export_generator

    export_generator(generator, folder / "export", formats=("onnx",))
    return folder / "generator.keras", folder / "export" / "generator.onnx", generator


def test_cli_writes_json_for_an_onnx_generator(points_generator, tmp_path):
    _, onnx_path, generator = points_generator
    out = tmp_path / "m" / "metrics.json"
    result = _run_cli(
        f"--model={onnx_path}",
        "--data=ring8",
        "--num_samples=400",
        "--num_real=1000",
        "--seed=3",
        f"--out={out}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "mode_coverage: modes=" in result.stdout and f"wrote {out}" in result.stdout
    report = json.loads(out.read_text())
    assert report["data"] == "ring8" and report["num_samples"] == 400
    assert report["num_real"] == 1000
    assert report["features"] == "raw"
    assert set(report["metrics"]) == {"mode_coverage", "precision_recall", "density_coverage"}
    assert not list(out.parent.glob(".*"))  # no temporary file left behind

    # The same numbers as the library on the same sample stream from the Keras model.
    real, _ = kgan.data.load_arrays("ring8", split="test")
    expected = features.Evaluator(
        ["mode_coverage", "precision_recall"], real=real[:1000], dataset="ring8"
    )(features.sampler(generator, 3), num_samples=400)
    assert report["metrics"]["mode_coverage"] == pytest.approx(expected["mode_coverage"])
    assert report["metrics"]["precision_recall"] == pytest.approx(
        expected["precision_recall"], abs=0.01
    )


def test_keras_and_onnx_models_give_the_same_report(points_generator):
    keras_path, onnx_path, _ = points_generator
    a = cli.evaluate(keras_path, "ring8", metrics="mode_coverage,fid", num_samples=300)
    b = cli.evaluate(onnx_path, "ring8", metrics=["mode_coverage", "fid"], num_samples=300)
    assert a["metrics"]["mode_coverage"] == b["metrics"]["mode_coverage"]
    assert a["metrics"]["fid"] == pytest.approx(b["metrics"]["fid"], rel=1e-4)


def test_a_whole_gan_file_and_parzen_on_digits(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    gan.save(tmp_path / "gan.keras")
    report = cli.evaluate(
        tmp_path / "gan.keras",
        "digits",
        metrics="auto",
        num_samples=200,
        classifier_epochs=2,
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
    parzen = cli.evaluate(tmp_path / "gan.keras", "digits", metrics="parzen", num_samples=100)
    assert np.isfinite(parzen["metrics"]["parzen"]["mean"])
    assert parzen["features"] is None  # no feature space, no classifier trained


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"metrics": "fid"}, "need InceptionV3 weights"),
        ({"metrics": "nope"}, "Unknown metric='nope'"),
        ({"features": "pixels"}, "Unknown features='pixels'"),
        ({"features": "inception", "metrics": "kid"}, "needs --inception_weights"),
        ({"inception_weights": "/no/such/weights.h5", "metrics": "fid"}, "does not exist"),
    ],
)
def test_evaluate_errors_on_images(tmp_path, kwargs, match):
    g, _ = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    g.save(tmp_path / "g.keras")
    with pytest.raises(ValueError, match=match):
        cli.evaluate(tmp_path / "g.keras", "digits", num_samples=10, **kwargs)


def test_evaluate_errors_on_points(points_generator, tmp_path):
    keras_path, _, _ = points_generator
    with pytest.raises(ValueError, match="Classifier metrics need images"):
        cli.evaluate(keras_path, "ring8", metrics="fcd")
    with pytest.raises(ValueError, match=r"samples of shape \(2,\), but 'digits'"):
        cli.evaluate(keras_path, "digits")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="Cannot load"):
        cli.evaluate(bad, "ring8")
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"")
    with pytest.raises(ValueError, match="must be a .keras or .onnx file"):
        cli.evaluate(h5, "ring8")


def test_cli_errors_are_one_line_with_status_2(tmp_path):
    result = _run_cli(f"--model={tmp_path / 'none.onnx'}", "--data=ring8")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"kgan-evaluate: error: No model file at {str(tmp_path / 'none.onnx')!r}."
    )
    assert "Traceback" not in result.stderr


def test_importing_the_cli_defines_no_flags():
    from absl import flags

    assert "inception_weights" not in flags.FLAGS  # defined by run(), not at import
