"""Fixtures of the evaluation tests."""

from __future__ import annotations

import keras
import pytest


def _tiny_classifier(num_classes: int = 3, *, softmax: bool = True) -> keras.Model:
    """A deterministic stand-in classifier: 8x8x1 images -> 5 features -> classes."""
    keras.utils.set_random_seed(0)
    x = inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, activation="tanh", name="penultimate")(x)
    x = keras.layers.Dense(num_classes, activation="softmax" if softmax else None, name="out")(x)
    return keras.Model(inputs, x)


@pytest.fixture
def tiny_classifier():
    """Builds the stand-in classifier: `tiny_classifier(num_classes=3, softmax=True)`."""
    return _tiny_classifier
