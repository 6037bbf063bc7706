"""scripts/bench_defaults.py's scoring and `--merge`, on made-up rows (its protocol needs MNIST,
which the tests do not have)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scripts_testing import import_script

bench_defaults = import_script("bench_defaults")  # (it hides GPUs: undone for the tests)


class _Classifier:
    """Stands in for the digit classifier: returns fixed probabilities."""

    def __init__(self, probs: np.ndarray):
        self.probs = probs

    def predict(self, samples, batch_size, verbose):
        assert len(samples) == len(self.probs)
        return self.probs


def _probs(classes: list[int], top: float) -> np.ndarray:
    probs = np.full((len(classes), 10), (1 - top) / 9)
    probs[np.arange(len(classes)), classes] = top
    return probs


def test_score_reads_classes_kl_to_uniform_and_mean_confidence():
    balanced = bench_defaults.score(_Classifier(_probs(list(range(10)) * 3, 0.9)), np.zeros(30))
    assert balanced["classes"] == 10
    assert balanced["kl"] == pytest.approx(0.0, abs=1e-12)
    assert balanced["confidence"] == pytest.approx(0.9)

    # Half the samples on digit 0, half on digit 1: KL = log(10 / 2).
    two = bench_defaults.score(_Classifier(_probs([0, 1] * 5, 0.6)), np.zeros(10))
    assert two["classes"] == 2
    assert two["kl"] == pytest.approx(math.log(5))
    assert two["confidence"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"classes": 10, "kl": 0.05, "confidence": 0.9}, True),
        ({"classes": 10, "kl": 0.051, "confidence": 0.95}, False),
        ({"classes": 10, "kl": 0.01, "confidence": 0.899}, False),
        ({"classes": 9, "kl": 0.01, "confidence": 0.95}, False),
    ],
)
def test_met_needs_all_three_targets(row, expected):
    assert bench_defaults.met(row) is expected


def _run_json(path: Path, rows: dict[str, list[dict]], **settings) -> str:
    base = {"epochs": 10, "images": 8000, "batch_size": 64, "latent_dim": 128, "samples": 10000}
    base.update(gan_kwargs="{}", dcgan_kwargs="{}", seeds="0")
    base.update(settings)
    real = {"classes": 10, "kl": 0.003, "confidence": 0.995}
    payload = {"settings": base, "classifier_accuracy": 0.99, "real": real, "results": rows}
    path.write_text(json.dumps(payload))
    return str(path)


def _row(seed: int, kl: float, confidence: float) -> dict:
    return {"seed": seed, "seconds": 1.0, "classes": 10, "kl": kl, "confidence": confidence}


def test_merge_prints_one_table_of_runs_of_the_same_protocol(tmp_path, capsys):
    a = _run_json(tmp_path / "a.json", {"kgan": [_row(0, 0.04, 0.91), _row(1, 0.06, 0.89)]})
    # The JSON arguments are compared as values: other spacing is the same protocol. Seed 1 again
    # with the same figures (a rerun) is kept once.
    b = _run_json(
        tmp_path / "b.json",
        {"kgan": [_row(1, 0.06, 0.89), _row(2, 0.05, 0.90)], "keras_io": [_row(0, 0.5, 0.8)]},
        gan_kwargs="{ }",
        seeds="1,2",
    )
    assert bench_defaults.main(["--merge", a, b]) == 0
    out = capsys.readouterr().out
    assert "| kgan | 3 | 10 | 0.050 ± 0.006 | 0.900 ± 0.006 | 2/3 |" in out
    assert "| keras_io | 1 | 10 | 0.500 ± 0.000 | 0.800 ± 0.000 | 0/1 |" in out
    assert "| real digits (2,000 held out) | | 10 | 0.003 | 0.995 | |" in out


def test_merge_refuses_another_protocol(tmp_path):
    a = _run_json(tmp_path / "a.json", {"kgan": [_row(0, 0.04, 0.91)]})
    b = _run_json(
        tmp_path / "b.json", {"kgan": [_row(1, 0.04, 0.91)]}, dcgan_kwargs='{"width": 128}'
    )
    with pytest.raises(SystemExit, match="another protocol"):
        bench_defaults.main(["--merge", a, b])


def test_merge_refuses_a_seed_that_disagrees(tmp_path):
    a = _run_json(tmp_path / "a.json", {"kgan": [_row(0, 0.04, 0.91)]})
    b = _run_json(tmp_path / "b.json", {"kgan": [_row(0, 0.04, 0.92)]})
    with pytest.raises(SystemExit, match="kgan seed 0 disagrees"):
        bench_defaults.main(["--merge", a, b])
