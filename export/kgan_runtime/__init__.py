"""kgan-runtime: sample from ONNX generators exported by kgan, without TensorFlow.

Depends only on numpy, onnxruntime and pillow.

Example:
    >>> from kgan_runtime import OnnxGenerator, save_grid
    >>> gen = OnnxGenerator("generator.onnx")  # doctest: +SKIP
    >>> images = gen.sample(64, seed=0)  # doctest: +SKIP
    >>> save_grid(images, "grid.png", value_range=gen.value_range)  # doctest: +SKIP
"""

from __future__ import annotations

from ._validation import DEFAULT_MAX_BYTES
from ._version import __version__
from .contract import CONTRACT_KEY, FORMAT, FORMAT_VERSION, Contract
from .errors import InferenceError, InvalidInputError, KganRuntimeError, ModelLoadError
from .generator import MAX_THREADS, OnnxGenerator
from .images import make_grid, save_grid, to_uint8
from .latent_tools import interpolate, lerp, slerp, truncate, truncated_latents, walk
from .latents import default_labels, sample_latents

__all__ = [
    "CONTRACT_KEY",
    "Contract",
    "DEFAULT_MAX_BYTES",
    "FORMAT",
    "FORMAT_VERSION",
    "InferenceError",
    "InvalidInputError",
    "KganRuntimeError",
    "MAX_THREADS",
    "ModelLoadError",
    "OnnxGenerator",
    "__version__",
    "default_labels",
    "interpolate",
    "lerp",
    "make_grid",
    "sample_latents",
    "save_grid",
    "slerp",
    "to_uint8",
    "truncate",
    "truncated_latents",
    "walk",
]
