"""A full disk, absurd sizes, and signals before training: one line each, nothing half-written."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys

import keras
import pytest

from kgan.train import Checkpoints, DiskFull, Interrupted, TrainConfig, guard, history, run, train
from kgan.train.history import append_record


def _config(**overrides):
    base = dict(
        dataset="ring8", epochs=2, batch_size=100, steps_per_epoch=6, latent_dim=4,
        checkpoint_every=2, grid_size=16, verbose=0, seed=1,
    )  # fmt: skip
    return TrainConfig(**{**base, **overrides})


def _quota(monkeypatch, checkpoints: int):
    """The disk takes `checkpoints` checkpoint files; the next one fills it mid-write."""
    save = keras.Model.save

    def save_until_full(self, path, *args, **kwargs):
        folder = os.path.dirname(os.fspath(path))
        if folder.endswith("checkpoints"):
            if (
                len([n for n in os.listdir(folder) if n.endswith(".keras") and n[0] != "."])
                >= checkpoints
            ):
                with open(path, "wb") as f:
                    f.write(b"PK\x03\x04 half a checkpoint")
                raise OSError(errno.ENOSPC, "No space left on device", os.fspath(path))
        return save(self, path, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", save_until_full)


def test_a_full_disk_stops_in_one_line_and_a_lower_keep_checkpoints_goes_on(tmp_path, monkeypatch):
    _quota(monkeypatch, checkpoints=2)
    with pytest.raises(DiskFull) as info:
        train(_config(), tmp_path)
    message = str(info.value)
    assert "\n" not in message and "The disk is full while writing" in message
    assert "--keep_checkpoints" in message
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["ckpt-000000002.json", "ckpt-000000002.keras",
                     "ckpt-000000004.json", "ckpt-000000004.keras"]  # fmt: skip
    assert all(isinstance(json.loads(line), dict)
               for line in (tmp_path / "history.jsonl").read_text().splitlines())  # fmt: skip
    result = train(_config(keep_checkpoints=1), tmp_path)  # prunes before it saves
    assert result.start_step == 4 and result.steps == 12
    assert [m["step"] for m in Checkpoints(tmp_path / "checkpoints", 1).valid()] == [12]


def test_a_full_disk_mid_append_leaves_no_partial_history_line(tmp_path, monkeypatch):
    path = tmp_path / "history.jsonl"
    append_record(path, {"epoch": 1})

    def full(fd):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(history.os, "fsync", full)
    with pytest.raises(OSError, match="quota"):
        append_record(path, {"epoch": 2, "d_loss": 1.0})
    assert path.read_text() == '{"epoch": 1}\n'


_FULL_DISK_CLI = """
import errno, sys, keras
def full(self, path, *a, **k):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))
keras.Model.save = full
from kgan.cli.train import run
sys.argv = ["kgan-train", *sys.argv[1:]]
run()
"""


def test_kgan_train_on_a_full_disk_exits_2_with_one_line(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    cmd = [sys.executable, "-c", _FULL_DISK_CLI, "--dataset=ring8", "--arch=mlp", "--epochs=1",
           "--steps_per_epoch=2", "--batch_size=64", f"--out={tmp_path}"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("kgan-train: error: The disk is full")
    assert not list((tmp_path / "checkpoints").iterdir())  # nothing half-written


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"latent_dim": 100_000_000}, "latent_dim must be in [1, 16384]"),
        ({"grid_size": 100_000_000}, "grid_size must be in [1, 1024]"),
        ({"width": 100_000}, "width must be in [1, 1024]"),
        ({"batch_size": 10**7}, "batch_size must be in [1, 65536]"),
        (
            {"generator_units": [10**6]},
            "generator_units must be a non-empty list, each in [1, 16384]",
        ),
        ({"keep_checkpoints": 10**6}, "keep_checkpoints must be in [1, 1000]"),
    ],
)
def test_absurd_sizes_are_refused_in_one_line(overrides, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _config(**overrides).validate()


def test_sizes_that_only_together_are_absurd_are_refused_before_allocating(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="more than the 999,999,999 a run may have"):
        train(_config(epochs=10**6, batch_size=1, num_examples=2000, steps_per_epoch=None),
              tmp_path / "long")  # fmt: skip
    monkeypatch.setattr(guard, "available_memory", lambda: 20_000)
    with pytest.raises(ValueError, match=r"grid_size=1024 samples of shape \(2,\) needs about"):
        train(_config(grid_size=1024), tmp_path / "grid")
    assert not (tmp_path / "grid" / "checkpoints").exists()


def test_a_signal_before_training_starts_is_one_line_with_its_status(tmp_path, monkeypatch):
    resolve = run._resolve_data

    def terminated_while_loading(config):
        os.kill(os.getpid(), signal.SIGTERM)
        return resolve(config)

    monkeypatch.setattr(run, "_resolve_data", terminated_while_loading)
    with pytest.raises(Interrupted) as info:
        train(_config(), tmp_path)
    assert info.value.signum == signal.SIGTERM and "\n" not in str(info.value)
    assert "SIGTERM received" in str(info.value)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
