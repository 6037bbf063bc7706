"""Fixtures for the kgan-runtime tests.

Works from export/ (``pytest export/tests``, using export/pyproject.toml) and from the
repository root's pytest configuration (``--import-mode=importlib``): this folder is put
on ``sys.path`` for ``kgan_runtime_testing``, and export/ too if ``kgan_runtime`` is not
installed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_TESTS = Path(__file__).resolve().parent
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))
if importlib.util.find_spec("kgan_runtime") is None:
    sys.path.insert(0, str(_TESTS.parent))

from kgan_runtime_testing import ToyModel, build_model  # noqa: E402


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., ToyModel]:
    """Factory: make_model(name="m.onnx", **build_model_kwargs) -> ToyModel in tmp_path."""

    def factory(name: str = "model.onnx", **kwargs: Any) -> ToyModel:
        return build_model(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ToyModel]:
    """The standard toy models, built once per test session."""
    root = tmp_path_factory.mktemp("models")
    return {
        "image": build_model(root / "image.onnx"),
        "rgb": build_model(root / "rgb.onnx", out_shape=(3, 5, 3), latent_dim=6, seed=1),
        "uint8": build_model(root / "uint8.onnx", dtype="uint8", seed=2),
        "conditional": build_model(root / "conditional.onnx", num_classes=3, seed=3),
        "points": build_model(root / "points.onnx", out_shape=(2,), latent_dim=4, seed=4),
    }
