"""Helpers of the evaluation and kgan-evaluate tests (pytest puts tests/ on sys.path)."""

from __future__ import annotations

from pathlib import Path

import keras

import kgan


def save_points_generator(folder: Path) -> tuple[Path, Path, keras.Model]:
    """A small untrained 2-D generator saved as .keras and exported to .onnx in `folder`."""
    from kgan.export import export_generator

    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.mlp(4, (2,), generator_units=(16,))
    generator.save(folder / "generator.keras")
    export_generator(generator, folder / "export", formats=("onnx",))
    return folder / "generator.keras", folder / "export" / "generator.onnx", generator
