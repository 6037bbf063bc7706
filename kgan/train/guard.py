"""The guards of a training run: step counting, checkpoints, the divergence guard, signals.

`RunState` is the Keras callback `kgan.train.train` puts first in every `fit`;
`Diverged` and `Interrupted` are what a run raises when the guards stop it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan.train.checkpoints import Checkpoints, _finite


class Diverged(RuntimeError):
    """Training produced NaN or Inf; the last good checkpoint is intact."""

    def __init__(self, message: str, *, step: int, quantity: str):
        super().__init__(message)
        self.step = step
        self.quantity = quantity


class Interrupted(RuntimeError):
    """SIGINT or SIGTERM arrived; a checkpoint was saved and training stopped."""

    def __init__(self, message: str, *, signum: int, step: int):
        super().__init__(message)
        self.signum = signum
        self.step = step


class RunState(keras.callbacks.Callback):
    """Counts steps, checkpoints, guards against divergence, and honours SIGINT/SIGTERM."""

    def __init__(
        self,
        checkpoints: Checkpoints,
        history_path: Path,
        *,
        start_step: int,
        steps_per_epoch: int,
        every: int | None,
        epoch_metrics: dict[str, list[float]] | None = None,
    ):
        super().__init__()
        self.epoch_metrics = epoch_metrics
        self.checkpoints = checkpoints
        self.history_path = history_path
        self.step = start_step
        self.steps_per_epoch = steps_per_epoch
        self.every = every
        self.signum: int | None = None
        self.divergence: tuple[int, str] | None = None
        self.last_saved = start_step
        self.epoch_start = start_step

    def _save(self) -> None:
        if self.last_saved == self.step:
            return
        bad = _finite(self.model)
        if bad is not None:
            self.divergence = (self.step, f"weight {bad}")
            self.model.stop_training = True
            return
        extra = None
        if self.step % self.steps_per_epoch:  # mid-epoch: the metrics' running state too
            extra = {"epoch_metrics": metric_state(self.model)}
        self.checkpoints.save(
            self.model, step=self.step, epoch=self.step // self.steps_per_epoch, extra=extra
        )
        self.last_saved = self.step

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_start = self.step
        if self.epoch_metrics and self.step % self.steps_per_epoch:
            # Keras reset the metrics just before; a resumed epoch goes on from their state.
            restore_metric_state(self.model, self.epoch_metrics)
        self.epoch_metrics = None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # With steps_per_execution > 1 Keras calls this once per execution,
        # with `batch` the index of its last step in the epoch.
        before = self.step
        self.step = self.epoch_start + batch + 1
        for key, value in (logs or {}).items():
            if not math.isfinite(float(np.asarray(value))):
                self.divergence = (self.step, key)
                self.model.stop_training = True
                return
        if self.step % self.steps_per_epoch == 0:
            # The epoch's last step: on_epoch_end saves, after the grid and the history line.
            if self.signum is not None:
                self.model.stop_training = True
            return
        if self.every and self.step // self.every > before // self.every:
            self._save()
        if self.signum is not None:
            self._save()
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.divergence is None and self.step % self.steps_per_epoch == 0:
            self._save()


def metric_state(model: keras.Model) -> dict[str, list[float]]:
    """The variables of `model.metrics` (a `Mean`'s total and count) by metric name."""
    return {
        m.name: [float(np.asarray(v)) for v in m.variables]
        for m in model.metrics
        if all(np.asarray(v).ndim == 0 for v in m.variables)
    }


def restore_metric_state(model: keras.Model, state: dict[str, list[float]]) -> None:
    """Assigns what `metric_state` returned back to `model.metrics` (unknown names skipped)."""
    for m in model.metrics:
        values = state.get(m.name)
        if values is not None and len(values) == len(m.variables):
            for variable, value in zip(m.variables, values):
                variable.assign(np.asarray(value, dtype=np.asarray(variable).dtype))


def log_event(path: Path, event: str, **fields: Any) -> None:
    """Appends an event line (`{"event": ..., ...}`) to `history.jsonl`, fsync'ed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, **fields}) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def stop_on_signals(state: RunState) -> Iterator[None]:
    """SIGINT/SIGTERM ask the run to checkpoint and stop after the current step."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        state.signum = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
