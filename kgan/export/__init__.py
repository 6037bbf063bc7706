"""Export a trained generator as a SavedModel and an ONNX file, verified against Keras.

Example:
    >>> from kgan.export import export_generator
    >>> manifest = export_generator("runs/digits/gan.keras", "runs/digits/export")
    ... # doctest: +SKIP
"""

from kgan.export.exporter import (
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
from kgan_runtime.contract import CONTRACT_KEY, FORMAT, FORMAT_VERSION, Contract

# The contract lives in kgan-runtime (one definition for the writer and the readers); its
# names are re-exported here for kgan 0.1's `kgan.export.CONTRACT_KEY` and friends.
__all__ = [
    "CONTRACT_KEY",
    "Contract",
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
