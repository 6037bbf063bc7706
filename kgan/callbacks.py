"""Keras callbacks for GAN training: sample grids from fixed latents, and JSONL logs."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan import images


class SampleGrid(keras.callbacks.Callback):
    """Saves samples from a fixed latent batch every `every` epochs.

    Images become a PNG grid `{directory}/epoch_NNN.png`; 2-D samples become a
    scatter plot over `real` points. The same seed is used at every epoch, so
    the grids show one set of latents evolving. When `tensorboard_dir` is
    given, grids are also written as TensorBoard images.

    Args:
        directory: where the PNGs go.
        num_samples: samples per grid (a square number makes a square grid).
        seed: seed of the fixed latents (see `kgan.sample_latents`).
        every: epochs between grids.
        real: real 2-D points drawn under the scatter plot.
        scale: upscaling of image grids, for tiny images such as 8x8 digits.
        tensorboard_dir: optional TensorBoard log folder.

    Example:
        >>> gan.fit(ds, epochs=5, callbacks=[SampleGrid("samples")])  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        num_samples: int = 64,
        seed: int = 0,
        every: int = 1,
        real: np.ndarray | None = None,
        scale: int | None = None,
        tensorboard_dir: str | os.PathLike | None = None,
    ):
        super().__init__()
        if every < 1 or num_samples < 1:
            raise ValueError(f"every and num_samples must be >= 1; got {every}, {num_samples}.")
        self.directory = Path(directory)
        self.num_samples = num_samples
        self.seed = seed
        self.every = every
        self.real = real
        self.scale = scale
        self.tensorboard_dir = tensorboard_dir
        self._writer = None
        self.paths: list[Path] = []

    def save(self, epoch: int) -> Path:
        """Writes the grid for `epoch` (1-based) now and returns its path."""
        gan = self.model
        samples = gan.generate(self.num_samples, seed=self.seed)
        path = self.directory / f"epoch_{epoch:03d}.png"
        if samples.ndim == 2 and samples.shape[1] == 2:
            images.save_scatter(samples, path, real=self.real)
        else:
            labels_per_row = gan.num_classes
            nrow = labels_per_row or max(1, math.ceil(math.sqrt(self.num_samples)))
            scale = self.scale or max(1, 128 // samples.shape[1])
            images.save_grid(samples, path, nrow=nrow, scale=scale)
            self._to_tensorboard(samples, nrow, epoch)
        self.paths.append(path)
        return path

    def _to_tensorboard(self, samples: np.ndarray, nrow: int, epoch: int) -> None:
        if self.tensorboard_dir is None:
            return
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(Path(self.tensorboard_dir) / "images"))
        grid = images.make_grid(images.to_uint8(samples), nrow=nrow)
        with self._writer.as_default():
            tf.summary.image("samples", grid[None], step=epoch)
        self._writer.flush()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every == 0:
            self.save(epoch + 1)


class JsonlLogger(keras.callbacks.Callback):
    """Appends one JSON object per epoch (`{"epoch": 1, "d_loss": ...}`) to a file.

    Each line is flushed and fsync'ed, so a killed run keeps every finished epoch.
    """

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        record = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            value = float(np.asarray(value))
            record[key] = value if math.isfinite(value) else str(value)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
