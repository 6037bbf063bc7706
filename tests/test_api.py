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
            "callbacks",
            "data",
            "distribute",
            "layers",
            "losses",
            "networks",
            "optimizers",
            "presets",
            "sample_latents",
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
