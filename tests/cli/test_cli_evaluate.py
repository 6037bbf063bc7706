"""kgan-evaluate end to end: flags -> kgan.eval.evaluate -> printed lines and a JSON file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from eval_testing import save_points_generator

import kgan
from kgan.eval.evaluator import Evaluator
from kgan.eval.sources import sampler


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
    return save_points_generator(tmp_path_factory.mktemp("points"))


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
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("mode_coverage: modes=") and lines[-1] == f"wrote {out}"
    report = json.loads(out.read_text())
    assert report["data"] == "ring8" and report["num_samples"] == 400
    assert report["num_real"] == 1000
    assert report["features"] == "raw"
    assert set(report["metrics"]) == {"mode_coverage", "precision_recall", "density_coverage"}
    assert not list(out.parent.glob(".*"))  # no temporary file left behind

    # The same numbers as the library on the same sample stream from the Keras model.
    real, _ = kgan.data.load_arrays("ring8", split="test")
    expected = Evaluator(["mode_coverage", "precision_recall"], real=real[:1000], dataset="ring8")(
        sampler(generator, 3), num_samples=400
    )
    assert report["metrics"]["mode_coverage"] == pytest.approx(expected["mode_coverage"])
    assert report["metrics"]["precision_recall"] == pytest.approx(
        expected["precision_recall"], abs=0.01
    )


def test_cli_errors_are_one_line_with_status_2(tmp_path):
    result = _run_cli(f"--model={tmp_path / 'none.onnx'}", "--data=ring8")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"kgan-evaluate: error: No model file at {str(tmp_path / 'none.onnx')!r}."
    )
    assert "Traceback" not in result.stderr


def test_importing_the_cli_defines_no_flags():
    from absl import flags

    from kgan.cli import evaluate  # noqa: F401

    assert "inception_weights" not in flags.FLAGS  # defined by run(), not at import
