"""The renovation of issue 12 changed no result: kgan's commands give the recorded figures.

`tests/golden/golden.json` was written by `tests/golden/figures.py` on the code
before the reorganisation. On the machine kind it was recorded on (same CPU
flags and TensorFlow) the weights after training, the ONNX samples and the
metrics must be bit-identical; elsewhere, oneDNN may pick other kernels, so
they must agree to float rounding.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import figures  # noqa: E402


@pytest.fixture(scope="module")
def recorded_and_now(tmp_path_factory):
    recorded = json.loads(figures.GOLDEN.read_text())
    now = figures.compute(tmp_path_factory.mktemp("golden"))
    same_machine = recorded["machine"] == figures.machine()
    return recorded["figures"], now, same_machine


def _close(a, b, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def _compare_arrays(name, recorded, now, exact: bool) -> None:
    if exact:
        assert now["sha256"] == recorded["sha256"], f"{name}: not bit-identical to the recording"
    assert len(now["sums"]) == len(recorded["sums"]), f"{name}: a different number of arrays"
    for i, (a, b) in enumerate(zip(recorded["sums"], now["sums"])):
        assert _close(a[0], b[0], 1e-3) and _close(a[1], b[1], 1e-3), f"{name}[{i}]: {a} != {b}"


def test_trained_weights_match(recorded_and_now):
    recorded, now, exact = recorded_and_now
    assert sorted(now["train"]) == sorted(recorded["train"])
    for run, networks in recorded["train"].items():
        for network, values in networks.items():
            _compare_arrays(f"{run}/{network}", values, now["train"][run][network], exact)


def test_onnx_samples_match(recorded_and_now):
    recorded, now, exact = recorded_and_now
    for name, values in recorded["onnx"].items():
        _compare_arrays(f"onnx/{name}", values, now["onnx"][name], exact)


def _leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{prefix}/{key}")
    else:
        yield prefix, tree


def test_evaluate_figures_match(recorded_and_now):
    recorded, now, exact = recorded_and_now
    got = dict(_leaves(now["evaluate"]))
    for key, value in _leaves(recorded["evaluate"]):
        assert key in got, f"{key} is no longer reported"
        if exact:
            assert got[key] == value, f"{key}: {got[key]} != {value}"
        else:
            assert _close(float(got[key]), float(value), 1e-2), f"{key}: {got[key]} != {value}"
