"""Error types raised by :mod:`kgan_runtime`.

All errors derive from :class:`KganRuntimeError`, so applications can catch
everything this package raises with a single ``except`` clause::

    from kgan_runtime import KganRuntimeError, OnnxGenerator

    try:
        images = OnnxGenerator("generator.onnx").sample(16, seed=0)
    except KganRuntimeError as err:
        print(f"sampling failed: {err}")

Errors raised while onnxruntime is involved are chained (``raise ... from err``),
so the original onnxruntime exception stays available as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "InferenceError",
    "InvalidInputError",
    "KganRuntimeError",
    "ModelLoadError",
]


class KganRuntimeError(Exception):
    """Base class of every error raised by :mod:`kgan_runtime`."""


class ModelLoadError(KganRuntimeError):
    """The model file cannot be used.

    Raised when the file is missing, unreadable, truncated or not ONNX, when it
    has no ``kgan.contract`` metadata, or when the contract is invalid or does
    not match the ONNX graph (names, ranks, dimensions or dtypes).
    """


class InvalidInputError(KganRuntimeError, ValueError):
    """An argument passed to the runtime is invalid.

    Examples: ``n <= 0``, a non-integer ``batch_size``, latents of the wrong
    shape or dtype, NaN/Inf latents, labels out of range, or labels passed to an
    unconditional generator. Also a :class:`ValueError`, so code that already
    catches ``ValueError`` keeps working.
    """


class InferenceError(KganRuntimeError):
    """onnxruntime failed while running a model that loaded successfully.

    Also raised when the model returns an array whose shape or dtype differs
    from what its contract declares.
    """
