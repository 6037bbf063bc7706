"""Evaluating several models traces each once, without TensorFlow's retracing warning."""

from __future__ import annotations

import logging

import keras
import numpy as np

from kgan.eval.extractors import compiled_forward


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_compiled_forward_on_many_models_logs_no_retracing_warning():
    models = [keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]) for _ in range(7)]
    x = np.ones((4, 3), np.float32)
    records = _Records()
    logger = logging.getLogger("tensorflow")  # TensorFlow's own logger, which does not propagate
    logger.addHandler(records)
    try:
        for model in models:
            forward = compiled_forward(model)
            np.testing.assert_allclose(forward(x), np.asarray(model(x)), atol=1e-6)
            forward(x[:2])  # another batch size: the same trace
    finally:
        logger.removeHandler(records)
    assert not [m for m in records.messages if "retracing" in m], records.messages
