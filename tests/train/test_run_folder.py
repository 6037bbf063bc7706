"""One writer per run folder, corrupt checkpoints, rollback rates, and history.jsonl on resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from kgan.train import Checkpoints, Diverged, TrainConfig, train
from kgan.train.checkpoints import CheckpointsCorrupt
from kgan.train.history import read_history
from kgan_runtime.fileio import FolderLocked, folder_lock


def _env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def _config(**overrides):
    base = dict(
        dataset="ring8", epochs=2, batch_size=100, steps_per_epoch=6, latent_dim=4,
        checkpoint_every=2, grid_size=16, verbose=0, seed=1, deterministic=True,
    )  # fmt: skip
    return TrainConfig(**{**base, **overrides})


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from kgan_runtime.fileio import folder_lock
    with folder_lock(sys.argv[1], "x"):
        print("locked", flush=True)
        time.sleep(600)
    """
)


def _hold_lock(path: Path) -> subprocess.Popen:
    """Another process holding the lock file `path` (as a running kgan-train would)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], stdout=subprocess.PIPE, text=True, env=_env()
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_of_a_run_folder_is_refused_with_the_holders_pid(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = _hold_lock(out / ".lock")
    try:
        cmd = [sys.executable, "-m", "kgan.cli.train", "--dataset=ring8", "--arch=mlp",
               "--epochs=1", "--steps_per_epoch=2", f"--out={out}"]  # fmt: skip
        second = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
        assert second.returncode == 2, second.stderr[-2000:]
        last = second.stderr.splitlines()[-1]  # before it: TensorFlow's own log lines
        assert (
            last.startswith("kgan-train: error: the run folder")
            and "Traceback" not in second.stderr
        )
        assert f"is in use by process {holder.pid}" in last
        assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing written
    finally:
        holder.kill()
        holder.wait()
    # A killed holder releases the lock: the folder is usable at once.
    with folder_lock(out / ".lock", "the run folder"):
        with pytest.raises(FolderLocked, match=f"in use by process {os.getpid()}"):
            with folder_lock(out / ".lock", "the run folder"):
                pass


def test_all_checkpoints_corrupt_refuses_and_keeps_the_history(tmp_path):
    config = _config(epochs=1)
    train(config, tmp_path)
    history = (tmp_path / "history.jsonl").read_bytes()
    metas = Checkpoints(tmp_path / "checkpoints", keep=3).valid()
    assert metas
    for meta in metas:
        meta["path"].write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "gan.keras").unlink()  # the run is not finished: it must resume
    with pytest.raises(CheckpointsCorrupt) as info:
        train(_config(epochs=2), tmp_path)
    message = str(info.value)
    assert "\n" not in message and "--noresume" in message
    for meta in metas:
        assert meta["path"].name in message
    assert (tmp_path / "history.jsonl").read_bytes() == history
    assert all(meta["path"].exists() for meta in metas)


def test_a_corrupt_newest_checkpoint_is_skipped_and_removed_on_resume(tmp_path):
    train(_config(epochs=1, keep_checkpoints=2), tmp_path)
    checkpoints = Checkpoints(tmp_path / "checkpoints", keep=2)
    newest = checkpoints.latest()
    newest["path"].write_bytes(b"garbage")
    (tmp_path / "gan.keras").unlink()
    result = train(_config(epochs=1, keep_checkpoints=2), tmp_path)
    assert result.start_step == 4 and result.steps == 6
    assert [m["step"] for m in checkpoints.valid()] == [4, 6]
    assert checkpoints.corrupt() == []


class _Poison(keras.callbacks.Callback):
    """Puts a NaN into the discriminator after the given batches (counted over all fits)."""

    def __init__(self, *at: int):
        super().__init__()
        self.at, self.seen = set(at), 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen in self.at:
            w = self.model.discriminator.weights[0]
            w.assign(np.full(w.shape, np.nan, np.float32))


def test_each_rollback_halves_the_rate_it_resumed_with(tmp_path):
    config = _config(on_divergence="rollback", max_rollbacks=3, deterministic=False)
    with pytest.raises(Diverged):
        train(config, tmp_path, callbacks=[_Poison(5, 7, 9, 11)])
    rolled = [
        e for e in read_history(tmp_path / "history.jsonl") if e.get("event") == "rolled_back"
    ]
    assert [e["lr"] for e in rolled] == pytest.approx([1e-4, 5e-5, 2.5e-5])


class _Kill(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def _kill_after_save(monkeypatch, step: int):
    save = Checkpoints.save

    def save_then_die(self, gan, *, step: int, epoch: int, extra=None):
        path = save(self, gan, step=step, epoch=epoch, extra=extra)
        if step == at:
            monkeypatch.setattr(Checkpoints, "save", save)
            raise _Kill()
        return path

    at = step
    monkeypatch.setattr(Checkpoints, "save", save_then_die)


def _epochs(path: Path) -> list[dict]:
    return [r for r in read_history(path) if "event" not in r]


@pytest.mark.parametrize("kill_at", [6, 8], ids=["just-after-epoch-end", "mid-epoch"])
def test_a_resumed_run_logs_the_same_epochs_and_samples_as_an_uninterrupted_one(
    tmp_path, monkeypatch, kill_at
):
    config = _config(epochs=3)
    train(config, tmp_path / "straight")
    _kill_after_save(monkeypatch, kill_at)
    with pytest.raises(_Kill):
        train(config, tmp_path / "killed")
    result = train(config, tmp_path / "killed")
    assert result.start_step == kill_at
    assert _epochs(tmp_path / "killed" / "history.jsonl") == _epochs(
        tmp_path / "straight" / "history.jsonl"
    )
    for name in ("epoch_001.png", "epoch_002.png", "epoch_003.png"):
        a = (tmp_path / "straight" / "samples" / name).read_bytes()
        assert (tmp_path / "killed" / "samples" / name).read_bytes() == a, name


def test_history_with_a_cut_last_line_is_read_and_repaired_on_resume(tmp_path, monkeypatch):
    config = _config(epochs=2)
    _kill_after_save(monkeypatch, 8)
    with pytest.raises(_Kill):
        train(config, tmp_path)
    with open(tmp_path / "history.jsonl", "a") as f:
        f.write('{"epoch": 2, "d_lo')  # a kill or a full disk mid-append
    assert [r["epoch"] for r in _epochs(tmp_path / "history.jsonl")] == [1]
    train(config, tmp_path)
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert [r["epoch"] for r in _epochs(tmp_path / "history.jsonl")] == [1, 2]


def test_a_killed_noresume_run_leaves_nothing_of_the_previous_run_to_export(tmp_path, monkeypatch):
    train(_config(epochs=1, latent_dim=16), tmp_path)
    assert (tmp_path / "generator.keras").exists()
    _kill_after_save(monkeypatch, 2)
    with pytest.raises(_Kill):
        train(_config(epochs=1, latent_dim=8), tmp_path, resume=False)
    assert not (tmp_path / "generator.keras").exists() and not (tmp_path / "gan.keras").exists()
    assert json.loads((tmp_path / "config.json").read_text())["model"]["latent_dim"] == 8


def test_checkpoints_hash_each_file_once_and_prune_orphans(tmp_path, monkeypatch):
    from kgan.train import checkpoints as checkpoints_lib

    hashed = []
    sha256 = checkpoints_lib._sha256
    monkeypatch.setattr(checkpoints_lib, "_sha256", lambda p: hashed.append(p.name) or sha256(p))
    train(_config(epochs=2, keep_checkpoints=2), tmp_path)
    assert hashed == [f"ckpt-{s:09d}.keras" for s in (2, 4, 6, 8, 10, 12)]  # once each, at save
    folder = tmp_path / "checkpoints"
    (folder / "ckpt-000000001.keras").write_bytes(b"a kill between the .keras and its JSON")
    (folder / "ckpt-000000003.json").write_text('{"step": 3, "sha256": "0"}')  # its file is gone
    hashed.clear()
    (tmp_path / "gan.keras").unlink()
    train(_config(epochs=3, keep_checkpoints=2), tmp_path)
    assert hashed[0] == "ckpt-000000012.keras"  # the resume point, newest first: one hash
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"ckpt-0000000{s}.{x}" for s in (16, 18) for x in ("json", "keras")]


def test_a_non_object_config_json_is_one_line_on_resume(tmp_path):
    train(_config(epochs=1), tmp_path)
    (tmp_path / "gan.keras").unlink()
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(
        ValueError, match="config.json is unreadable .a JSON list, not an object"
    ) as info:
        train(_config(epochs=1), tmp_path)
    assert "\n" not in str(info.value) and "--noresume" in str(info.value)
