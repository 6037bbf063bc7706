"""Export a trained generator as a SavedModel and an ONNX file, verified against Keras.

Example:
    >>> from kgan.export import export_generator
    >>> manifest = export_generator("runs/digits/gan.keras", "runs/digits/export")
    ... # doctest: +SKIP
"""

from kgan.export.exporter import (
    CONTRACT_KEY,
    FORMAT,
    FORMAT_VERSION,
    FORMATS,
    MANIFEST_NAME,
    ONNX_NAME,
    OUTPUTS,
    PARITY_BATCH_SIZES,
    SAVED_MODEL_NAME,
    TOLERANCE,
    ExportError,
    export_generator,
    generator_contract,
)

__all__ = [
    "CONTRACT_KEY",
    "FORMAT",
    "FORMATS",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "ONNX_NAME",
    "OUTPUTS",
    "PARITY_BATCH_SIZES",
    "SAVED_MODEL_NAME",
    "TOLERANCE",
    "ExportError",
    "export_generator",
    "generator_contract",
]
