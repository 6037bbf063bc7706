"""The guards of a training run: step counting, checkpoints, the divergence guard, signals,
memory and disk space.

`RunState` is the Keras callback `kgan.train.train` puts in every `fit`; `Diverged`,
`Interrupted` and `DiskFull` are what a run raises when the guards stop it.
"""

from __future__ import annotations

import contextlib
import errno
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
from kgan.train.history import append_record


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


class DiskFull(RuntimeError):
    """The disk (or the quota) is full; the last complete checkpoint is intact."""


_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def is_disk_full(err: BaseException) -> bool:
    """Whether `err` (or an error it wraps) is ENOSPC/EDQUOT, whatever raised it (h5py says
    it only in words)."""
    while err is not None:
        if isinstance(err, OSError) and err.errno in _FULL:
            return True
        text = str(err)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        err = err.__cause__ or err.__context__
    return False


def disk_full(err: BaseException, folder: Path, keep: int) -> DiskFull:
    """The one-line `DiskFull` for `err` while writing the run folder `folder`."""
    where = getattr(err, "filename", None) or folder
    return DiskFull(
        f"The disk is full while writing {str(where)!r} (kept {keep} checkpoint"
        f"{'s' if keep != 1 else ''}): free space, or lower keep_checkpoints "
        "(--keep_checkpoints), then run the same command again to resume from the last "
        "complete checkpoint."
    )


def available_memory() -> int | None:
    """Bytes of memory available to allocate now (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(nbytes: int, what: str) -> None:
    """Raises ValueError when `nbytes` is more than half the memory available now.

    Example:
        >>> check_memory(10**18, "a grid of 1024 samples")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        ValueError: a grid of 1024 samples needs about 1000000000.0 GB, more than half ...
    """
    available = available_memory()
    if available is not None and nbytes > available // 2:
        raise ValueError(
            f"{what} needs about {nbytes / 1e9:.1f} GB, more than half the "
            f"{available / 1e9:.1f} GB of memory available; ask for less."
        )


@contextlib.contextmanager
def _handling_signals(handler: Any) -> Iterator[None]:
    """`handler` serves SIGINT and SIGTERM inside the block (main thread only), then the
    previous handlers come back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def interrupt_on_signals(step: int = 0) -> Iterator[None]:
    """SIGINT/SIGTERM raise `Interrupted` at once: for the steps around training (loading
    data, building, the final save), where there is nothing to checkpoint.

    `stop_on_signals` takes over while `fit` runs. In the main thread only.
    """

    def handler(signum, frame):
        name = signal.Signals(signum).name
        raise Interrupted(
            f"{name} received outside training steps: stopped (completed checkpoints are "
            "kept); run the same command again to resume.",
            signum=signum,
            step=step,
        )

    with _handling_signals(handler):
        yield


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
    append_record(path, {"event": event, **fields})


@contextlib.contextmanager
def stop_on_signals(state: RunState) -> Iterator[None]:
    """SIGINT/SIGTERM ask the run to checkpoint and stop after the current step."""

    def handler(signum, frame):
        state.signum = signum

    with _handling_signals(handler):
        yield
