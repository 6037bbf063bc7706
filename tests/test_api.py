"""The public API is explicit: a snapshot of __all__, and a clean import."""

from __future__ import annotations

import os
import subprocess
import sys

import kgan


def test_all_snapshot():
    assert sorted(kgan.__all__) == sorted(
        [
            "GAN",
            "__version__",
            "augment",
            "callbacks",
            "classifier",
            "core",
            "data",
            "distribute",
            "eval",
            "export",
            "features",
            "layers",
            "losses",
            "metrics",
            "networks",
            "optimizers",
            "packing",
            "penalties",
            "presets",
            "sample_latents",
            "train",
        ]
    )
    for name in kgan.__all__:
        assert hasattr(kgan, name)


def test_other_keras_backend_is_refused_with_a_clear_message():
    env = dict(os.environ, KERAS_BACKEND="jax")
    result = subprocess.run(
        [sys.executable, "-c", "import kgan"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "kgan needs Keras on the TensorFlow backend, but KERAS_BACKEND='jax'" in result.stderr


def test_the_flat_layouts_module_paths_still_import():
    """kgan 0.1's module paths name the modules of the wings that now hold their code."""
    import importlib

    from kgan.train import TrainConfig

    old = importlib.import_module("kgan.training")
    assert old.TrainConfig is TrainConfig
    assert importlib.import_module("kgan.losses").get is kgan.core.losses.get
    assert importlib.import_module("kgan.packing").Pack is kgan.networks.Pack
    assert importlib.import_module("kgan.export_optimize").subpixel_generator
    assert kgan.metrics.get_metric is importlib.import_module("kgan.eval.metrics").get_metric
    assert kgan.export.export_generator is importlib.import_module("kgan.export").export_generator
