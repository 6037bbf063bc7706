"""Keras callbacks for GAN training: sample grids, periodic metrics, and JSONL logs."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan.eval.evaluator import Evaluator, flatten_results
from kgan.eval.sources import sampler
from kgan.train.history import append_record
from kgan_runtime.images import make_grid, save_grid
from kgan_runtime.scatter import save_scatter


class SampleGrid(keras.callbacks.Callback):
    """Saves samples from a fixed latent batch every `every` epochs.

    Images become a PNG grid `{directory}/epoch_NNN.png` (for a conditional
    GAN, one class per row); 2-D samples become a scatter picture over `real`
    points, with axes and a legend (`kgan_runtime.scatter`). The same seed is
    used at every epoch, so the grids show one set of latents evolving. When
    `tensorboard_dir` is given, grids are also written as TensorBoard images.
    Grids, in PNGs and in TensorBoard, are upscaled by default to at least 256
    pixels on the long side (`kgan_runtime.images.readable_scale`). Samples with
    NaN/Inf values (a diverged run) give no grid, only a warning.

    Args:
        directory: where the PNGs go (created if missing).
        num_samples: samples per grid (a square number makes a square grid).
        seed: seed of the fixed latents (see `kgan.sample_latents`).
        every: epochs between grids.
        real: real 2-D points drawn under the scatter picture.
        scale: integer nearest-neighbour upscaling of image grids; None (the
            default) for the smallest one giving 256 pixels on the long side.
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

    def save(self, epoch: int) -> Path | None:
        """Writes the grid for `epoch` (1-based) now; returns its path (None if not finite)."""
        gan = self.model
        nrow = max(1, math.ceil(math.sqrt(self.num_samples)))
        if gan.num_classes:  # one class per row
            nrow = max(1, self.num_samples // gan.num_classes)
            labels = np.repeat(np.arange(gan.num_classes), nrow)
            samples = gan.generate(len(labels), seed=self.seed, labels=labels)
        else:
            samples = gan.generate(self.num_samples, seed=self.seed)
        path = self.directory / f"epoch_{epoch:03d}.png"
        self.directory.mkdir(parents=True, exist_ok=True)
        if samples.ndim == 2 and samples.shape[1] == 2:
            save_scatter(samples, path, real=self.real, title=f"epoch {epoch}")
        elif not np.isfinite(samples).all():
            warnings.warn(
                f"epoch {epoch}: the samples hold NaN/Inf values; no grid written.",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        else:
            save_grid(samples, path, nrow=nrow, scale=self.scale)
            self._to_tensorboard(samples, nrow, epoch)
        self.paths.append(path)
        return path

    def _to_tensorboard(self, samples: np.ndarray, nrow: int, epoch: int) -> None:
        if self.tensorboard_dir is None:
            return
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(Path(self.tensorboard_dir) / "images"))
        grid = make_grid(samples, nrow=nrow, scale=self.scale)
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
        append_record(self.path, record)


class MetricsCallback(keras.callbacks.Callback):
    """Computes registered metrics on generated samples every `every` epochs.

    The samples come from `model.generate` (a `kgan.GAN`) in batches, from a
    fixed seed, so every evaluation sees the same latents. Results are
    flattened to scalars (`"fid"`, `"mode_coverage/modes"`,
    `"kid/mean"`, ...; see `kgan.eval.flatten_results`) and

    - put into the epoch's `logs`, so `History`, the progress bar, and the
      `TensorBoard`/`JsonlLogger`/`CSVLogger` callbacks placed *after* this one
      in the `callbacks` list see them (Keras calls callbacks in list order,
      and adds History and the progress bar at the end);
    - appended to `path` as one JSON line per evaluation
      (`{"epoch": 5, "mode_coverage/modes": 8.0, ...}`), flushed and fsync'ed;
    - kept in `self.history` (a list of those dicts).

    Epochs without an evaluation carry no metric keys in their logs.

    Args:
        metrics: metric names (see `kgan.eval.Evaluator`), or an
            `Evaluator` built by the caller.
        every: epochs between evaluations (also evaluates at the last epoch
            when `at_end` is on).
        num_samples: generated samples per evaluation (2,500 is the VEEGAN /
            PacGAN protocol for 2-D data; 10,000 or 50,000 for FID).
        seed: seed of the sample stream (see `kgan.eval.sampler`).
        path: optional JSONL file to append to.
        at_end: also evaluate after the last epoch if it is not a multiple
            of `every`.
        **evaluator_kwargs: passed to `kgan.eval.Evaluator` when
            `metrics` are names: `real=`, `dataset=`, `extractor=`,
            `classifier=`, `validation=`, ...

    Example:
        >>> callback = MetricsCallback(["mode_coverage"], dataset="ring8", every=5,
        ...                            path="runs/ring8/metrics.jsonl")  # doctest: +SKIP
        >>> gan.fit(ds, epochs=20, callbacks=[callback, JsonlLogger("history.jsonl")])
        ... # doctest: +SKIP
        >>> callback.history[-1]["mode_coverage/modes"]  # doctest: +SKIP
        8.0
    """

    def __init__(
        self,
        metrics: Any,
        *,
        every: int = 1,
        num_samples: int = 2500,
        seed: int = 0,
        path: str | os.PathLike | None = None,
        at_end: bool = True,
        **evaluator_kwargs: Any,
    ):
        super().__init__()
        for name, value in (("every", every), ("num_samples", num_samples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")
        if isinstance(metrics, Evaluator):
            if evaluator_kwargs:
                raise ValueError(
                    "Pass either an Evaluator or metric names with Evaluator keyword arguments; "
                    f"got an Evaluator and {sorted(evaluator_kwargs)}."
                )
            self.evaluator = metrics
        else:
            self.evaluator = Evaluator(metrics, **evaluator_kwargs)
        self.every = every
        self.num_samples = num_samples
        self.seed = seed
        self.path = None if path is None else Path(path)
        self.at_end = bool(at_end)
        self.history: list[dict[str, float]] = []
        self._epochs: int | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._epochs = (self.params or {}).get("epochs")

    def evaluate(self) -> dict[str, float]:
        """Runs the metrics on the current model now and returns the flat values."""
        source = sampler(self.model, self.seed)
        results = self.evaluator(source, num_samples=self.num_samples)
        return flatten_results(results)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        last = self._epochs is not None and epoch + 1 == self._epochs
        if (epoch + 1) % self.every and not (self.at_end and last):
            return
        values = self.evaluate()
        if logs is not None:
            logs.update(values)
        record = {"epoch": epoch + 1, **values}
        self.history.append(record)
        if self.path is not None:
            self._append(record)

    def _append(self, record: dict[str, float]) -> None:
        line = {
            key: value if not isinstance(value, float) or math.isfinite(value) else str(value)
            for key, value in record.items()
        }
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())


class EpochProgress(keras.callbacks.Callback):
    """Progress of a run that may resume mid-epoch: a bar on a terminal, else one line an epoch.

    Use it with `fit(..., verbose=0)` (what `kgan-train` does). Each epoch is
    numbered out of the run's `epochs` (not the `epochs` of the `fit` call, which
    for a resumed partial epoch is that epoch alone), and a resumed partial
    epoch says where it resumed. With `bar=False` (kgan-train's choice when
    stdout is not a terminal) each epoch prints one plain line, without
    progress-bar escape codes:
    `epoch 3/10: d_loss 1.3530 - g_loss 0.6561 - d_real 0.5383 - d_fake 0.5193 (1.2 s)`.

    Args:
        epochs: epochs of the whole run.
        steps_per_epoch: generator steps in a full epoch, or a callable giving them when
            training begins (kgan-train reads them from the run's config.json); None:
            the steps of each `fit` call (a resumed partial epoch then looks whole).
        bar: a Keras progress bar per epoch (True) or one line per epoch (False).
        stream: where to print (default: sys.stdout at print time).

    Example:
        >>> progress = EpochProgress(epochs=10, steps_per_epoch=23, bar=False)
        >>> gan.fit(ds, epochs=10, verbose=0, callbacks=[progress])  # doctest: +SKIP
    """

    def __init__(
        self,
        epochs: int,
        steps_per_epoch: int | Callable[[], int | None] | None,
        *,
        bar: bool,
        stream: Any = None,
    ):
        super().__init__()
        self.epochs = int(epochs)
        self._steps_per_epoch = steps_per_epoch
        self.bar = bool(bar)
        self.stream = stream
        self._progbar: keras.utils.Progbar | None = None
        self._header = ""
        self._started = 0.0
        self._begun = False

    @property
    def steps_per_epoch(self) -> int:
        """Generator steps in a full epoch (a callable given is asked once, when needed;
        when it answers None, the steps of the current `fit` call)."""
        if callable(self._steps_per_epoch):
            self._steps_per_epoch = self._steps_per_epoch()
        if self._steps_per_epoch is None:
            return int(self.params.get("steps") or 1)
        return int(self._steps_per_epoch)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self._begun:
            return
        self._begun = True
        optimizer = getattr(self.model, "g_optimizer", None)
        step = int(np.asarray(optimizer.iterations)) if optimizer is not None else 0
        if step > 0:
            epoch, offset = divmod(step, self.steps_per_epoch)
            where = (
                f"{offset} of {self.steps_per_epoch} steps into epoch {epoch + 1}"
                if offset
                else f"after epoch {epoch}"
            )
            self._print(f"resuming from step {step} ({where} of {self.epochs})")

    def _print(self, text: str) -> None:
        import sys

        print(text, file=self.stream or sys.stdout, flush=True)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        import time

        steps = int(self.params.get("steps") or self.steps_per_epoch)
        done = self.steps_per_epoch - steps
        self._header = f"epoch {epoch + 1}/{self.epochs}"
        if done > 0:
            self._header += f" (resumed after step {done} of {self.steps_per_epoch})"
        self._started = time.perf_counter()
        if self.bar:
            self._print(self._header[0].upper() + self._header[1:])
            self._progbar = keras.utils.Progbar(target=steps, unit_name="step")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._progbar is not None:
            self._progbar.update(batch + 1, values=_numbers(logs), finalize=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import time

        values = _numbers(logs)
        if self._progbar is not None:
            self._progbar.update(self._progbar.target, values=values, finalize=True)
            self._progbar = None
            return
        seconds = time.perf_counter() - self._started
        metrics = " - ".join(f"{key} {value:.4f}" for key, value in values)
        self._print(f"{self._header}: {metrics} ({seconds:.1f} s)")


def _numbers(logs: dict | None) -> list[tuple[str, float]]:
    """The scalar entries of Keras `logs`, as floats, in a stable order."""
    order = ("d_loss", "g_loss", "d_real", "d_fake")
    found = []
    for key, value in (logs or {}).items():
        try:
            found.append((key, float(np.asarray(value))))
        except (TypeError, ValueError):
            continue
    return sorted(found, key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))
