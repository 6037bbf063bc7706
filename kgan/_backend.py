"""Makes sure Keras runs on the TensorFlow backend before anything else imports it."""

from __future__ import annotations

import os
import sys


def ensure_tensorflow_backend() -> None:
    """Selects the TensorFlow backend for Keras, or fails with a clear message.

    kgan uses `tf.GradientTape`, `tf.distribute` and tf2onnx, so it needs Keras
    on TensorFlow. `KERAS_BACKEND` defaults to "tensorflow" when unset.

    Raises:
        ImportError: if `KERAS_BACKEND` names another backend, or Keras was
            already imported with another backend.
    """
    requested = os.environ.get("KERAS_BACKEND")
    if requested is not None and requested != "tensorflow":
        raise ImportError(
            f"kgan needs Keras on the TensorFlow backend, but KERAS_BACKEND={requested!r}. "
            "Unset it or set KERAS_BACKEND=tensorflow before importing kgan."
        )
    os.environ["KERAS_BACKEND"] = "tensorflow"
    if "keras" in sys.modules:
        import keras

        backend = keras.backend.backend()
        if backend != "tensorflow":
            raise ImportError(
                f"kgan needs Keras on the TensorFlow backend, but Keras is already running "
                f"backend={backend!r}. Import kgan in a fresh process with "
                "KERAS_BACKEND=tensorflow."
            )
