"""The checkpoints of a run folder: written atomically, vouched for by a sha256."""

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
from kgan_runtime.fileio import atomic_file, write_json

CHECKPOINT_DIR = "checkpoints"


def save_keras_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """Saves a `.keras` file under a temporary name, then renames it into place.

    Missing parent folders are created (`kgan_runtime.fileio.atomic_file` does the rest:
    fsync, umask permissions, clean-up on error).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, suffix=".keras") as tmp:
        model.save(tmp)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _finite(model: keras.Model) -> str | None:
    """The path of the first non-finite variable of `model`, or None."""
    for variable in model.variables:
        value = np.asarray(variable)
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            return variable.path
    return None


class Checkpoints:
    """The checkpoints of a run folder: `ckpt-NNNNNNNNN.keras` plus a JSON that vouches for it.

    A checkpoint counts only once its JSON exists and the sha256 it records
    matches the `.keras` file, so a kill at any moment leaves either the
    previous checkpoint or a complete new one.
    """

    def __init__(self, folder: Path, keep: int):
        self.folder = folder
        self.keep = keep

    def _paths(self, step: int) -> tuple[Path, Path]:
        stem = self.folder / f"ckpt-{step:09d}"
        return stem.with_suffix(".keras"), stem.with_suffix(".json")

    def save(self, gan: GAN, *, step: int, epoch: int) -> Path:
        model_path, meta_path = self._paths(step)
        save_keras_atomic(gan, model_path)
        meta = {
            "step": step,
            "epoch": epoch,
            "sha256": _sha256(model_path),
            "d_lr": float(np.asarray(gan.d_optimizer.learning_rate)),
            "g_lr": float(np.asarray(gan.g_optimizer.learning_rate)),
            "time": time.time(),
        }
        write_json(meta, meta_path)
        self.prune()
        return model_path

    def valid(self) -> list[dict[str, Any]]:
        """Complete checkpoints, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for meta_path in sorted(self.folder.glob("ckpt-*.json")):
            try:
                meta = json.loads(meta_path.read_text())
                model_path = meta_path.with_suffix(".keras")
                if model_path.is_file() and _sha256(model_path) == meta["sha256"]:
                    found.append({**meta, "path": model_path})
            except (OSError, ValueError, KeyError):
                continue
        return found

    def latest(self) -> dict[str, Any] | None:
        found = self.valid()
        return found[-1] if found else None

    def prune(self) -> None:
        for meta in self.valid()[: -self.keep]:
            meta["path"].unlink(missing_ok=True)
            meta["path"].with_suffix(".json").unlink(missing_ok=True)

    def clean_partial(self) -> None:
        """Removes temporary files left by a kill during a save."""
        if self.folder.is_dir():
            for tmp in self.folder.glob(".ckpt-*"):
                tmp.unlink(missing_ok=True)
