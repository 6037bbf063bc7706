"""Shared fixtures. Tests are offline, seeded, and run on the CPU."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["KERAS_BACKEND"] = "tensorflow"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, whichever tests ran before it in its
    process (pytest-xdist spreads the files over workers, so that order is not fixed)."""
    keras.utils.set_random_seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def tiny_gan():
    """A compiled MLP GAN on 2-D points, small enough for step-level tests."""
    import kgan

    keras.utils.set_random_seed(0)
    generator, discriminator = kgan.networks.mlp(
        4, (2,), generator_units=(16,), discriminator_units=(8,), maxout_pieces=2, dropout=0.0
    )
    gan = kgan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    return gan
