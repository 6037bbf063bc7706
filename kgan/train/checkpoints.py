"""The checkpoints of a run folder: written atomically, vouched for by a sha256.

`ckpt-NNNNNNNNN.keras` holds the GAN at step N; its sidecar `ckpt-NNNNNNNNN.json`
records the step, the learning rates, the epoch's running metrics and the sha256 of
the `.keras` file (hashed once, streaming, when it is written). A checkpoint counts
only when both exist and the hash matches. A `.keras` file without a sidecar is what a
kill between the two writes leaves (an orphan, pruned); a sidecar whose file is missing
or differs is corrupt (reported when no checkpoint is left to resume from).

Example:
    >>> checkpoints = Checkpoints(Path("runs/a/checkpoints"), keep=3)  # doctest: +SKIP
    >>> checkpoints.latest()["step"]  # doctest: +SKIP
    400
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan.core.gan import GAN
from kgan_runtime.fileio import _fsync_folder, atomic_file, write_json

CHECKPOINT_DIR = "checkpoints"


def save_keras_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """Saves a `.keras` file under a temporary name, then renames it into place.

    Missing parent folders are created (`kgan_runtime.fileio.atomic_file` does the rest:
    fsync of the file and of its folder, umask permissions, clean-up on error).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, suffix=".keras") as tmp:
        model.save(tmp)
    return path


def _sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks (a checkpoint may be large)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _finite(model: keras.Model) -> str | None:
    """The path of the first non-finite variable of `model`, or None."""
    for variable in model.variables:
        value = np.asarray(variable)
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            return variable.path
    return None


class CheckpointsCorrupt(ValueError):
    """The run folder has checkpoints, and none of them can be resumed from."""


class Checkpoints:
    """The checkpoints of a run folder: `ckpt-NNNNNNNNN.keras` plus a JSON that vouches for it.

    A kill at any moment leaves either the previous checkpoint or a complete new one.
    `save` prunes to `keep - 1` before writing (never below one), so a full disk is
    eased by lowering `keep`.
    """

    def __init__(self, folder: Path, keep: int):
        self.folder = folder
        self.keep = keep

    def _paths(self, step: int) -> tuple[Path, Path]:
        stem = self.folder / f"ckpt-{step:09d}"
        return stem.with_suffix(".keras"), stem.with_suffix(".json")

    def save(self, gan: GAN, *, step: int, epoch: int, extra: dict[str, Any] | None = None) -> Path:
        """Writes the checkpoint of step `step` (`extra` goes into its sidecar JSON)."""
        self.prune(max(self.keep - 1, 1))
        model_path, meta_path = self._paths(step)
        save_keras_atomic(gan, model_path)
        meta = {
            **(extra or {}),
            "step": step,
            "epoch": epoch,
            "sha256": _sha256(model_path),
            "d_lr": float(np.asarray(gan.d_optimizer.learning_rate)),
            "g_lr": float(np.asarray(gan.g_optimizer.learning_rate)),
            "time": time.time(),
        }
        try:
            write_json(meta, meta_path)
        except BaseException:
            model_path.unlink(missing_ok=True)  # no orphan: the disk may be full
            raise
        self.prune()
        return model_path

    def _sidecars(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("ckpt-[0-9]*.json"))

    def _check(self, meta_path: Path) -> dict[str, Any] | None:
        """The sidecar's record when it vouches for its `.keras` file, else None."""
        try:
            meta = json.loads(meta_path.read_text())
            model_path = meta_path.with_suffix(".keras")
            if (
                isinstance(meta, dict)
                and model_path.is_file()
                and _sha256(model_path) == meta["sha256"]
            ):
                return {**meta, "path": model_path}
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def valid(self) -> list[dict[str, Any]]:
        """Complete checkpoints, oldest first (hashes every one: `latest` reads less)."""
        return [meta for p in self._sidecars() if (meta := self._check(p)) is not None]

    def latest(self) -> dict[str, Any] | None:
        """The newest complete checkpoint (hashing from the newest down), or None."""
        for meta_path in reversed(self._sidecars()):
            meta = self._check(meta_path)
            if meta is not None:
                return meta
        return None

    def corrupt(self) -> list[Path]:
        """Sidecars that do not vouch for their `.keras` file (missing, changed, unreadable)."""
        return [p for p in self._sidecars() if self._check(p) is None]

    def latest_or_refuse(self) -> dict[str, Any] | None:
        """`latest()`; None for a folder without checkpoints.

        Raises:
            CheckpointsCorrupt: checkpoints exist but none is intact (named in the message).
        """
        latest = self.latest()
        if latest is None:
            bad = self.corrupt()
            if bad:
                names = ", ".join(p.with_suffix(".keras").name for p in bad)
                raise CheckpointsCorrupt(
                    f"Cannot resume from {str(self.folder)!r}: every checkpoint is corrupt "
                    f"({names}: missing, truncated or changed since saved). Use resume=False "
                    "(--noresume) to start over; history.jsonl was left as it is."
                )
        return latest

    def prune(self, keep: int | None = None) -> None:
        """Keeps the newest `keep` (default `self.keep`) checkpoints; removes orphans.

        Sorted by step from the file names, no hashing; each sidecar goes first, so a
        kill mid-prune leaves an orphan `.keras` (removed next time), never a sidecar
        that vouches for nothing.
        """
        keep = self.keep if keep is None else keep
        sidecars = self._sidecars()
        for meta_path in sidecars[: max(len(sidecars) - keep, 0)]:
            meta_path.unlink(missing_ok=True)
            meta_path.with_suffix(".keras").unlink(missing_ok=True)
        self.remove_orphans(sidecars=True)
        _fsync_folder(self.folder)

    def remove_orphans(self, *, sidecars: bool = False) -> None:
        """Removes `.keras` files that no sidecar vouches for (a kill between the writes).

        With `sidecars`, also sidecars whose `.keras` file is gone (only damage leaves
        those: call it when an intact checkpoint exists, or they could not be reported).
        """
        if not self.folder.is_dir():
            return
        for model_path in self.folder.glob("ckpt-[0-9]*.keras"):
            if not model_path.with_suffix(".json").exists():
                model_path.unlink(missing_ok=True)
        if sidecars:
            for meta_path in self.folder.glob("ckpt-[0-9]*.json"):
                if not meta_path.with_suffix(".keras").exists():
                    meta_path.unlink(missing_ok=True)

    def clean_partial(self) -> None:
        """Removes temporary files left by a kill during a save, and orphan `.keras` files."""
        if self.folder.is_dir():
            for tmp in self.folder.glob(".ckpt-*"):
                tmp.unlink(missing_ok=True)
            self.remove_orphans()
