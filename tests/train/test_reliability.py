"""Crash and resume, the divergence guard, signals, and atomic artifacts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from kgan.train import Checkpoints, Diverged, TrainConfig, train

# A small deterministic job: 3 epochs x 12 steps, a checkpoint every 4 steps.
JOB = [
    "--dataset=ring8", "--preset=none", "--arch=mlp", "--epochs=3", "--batch_size=100",
    "--steps_per_epoch=12", "--latent_dim=4", "--checkpoint_every=4", "--grid_size=16",
    "--deterministic", "--seed=3",
]  # fmt: skip


def _env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def _train(out: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kgan.cli.train", *JOB, f"--out={out}", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout)


def _weights(path: Path) -> list[np.ndarray]:
    gan = keras.models.load_model(path)
    return [np.asarray(v) for v in gan.variables]


def _start(out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "kgan.cli.train", *JOB, f"--out={out}"]
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env()
    )


def _wait_for_checkpoint(out: Path, proc: subprocess.Popen, min_step: int) -> int:
    folder = Checkpoints(out / "checkpoints", keep=3)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        latest = folder.latest()
        if latest is not None and latest["step"] >= min_step:
            return latest["step"]
        if proc.poll() is not None:
            pytest.fail(f"training ended before step {min_step}: {proc.stderr.read()[-2000:]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no checkpoint appeared in time")


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path):
    straight = _train(tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr[-2000:]

    out = tmp_path / "killed"
    proc = _start(out)
    step = _wait_for_checkpoint(out, proc, min_step=16)  # inside epoch 2 (steps 13-24)
    proc.kill()
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "gan.keras").exists(), "the run finished before it was killed"
    assert step < 36

    resumed = _train(out)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert any(e.get("event") == "resumed" for e in events)
    for a, b in zip(_weights(tmp_path / "straight" / "gan.keras"), _weights(out / "gan.keras")):
        np.testing.assert_array_equal(a, b)
    for meta in Checkpoints(out / "checkpoints", keep=3).valid():
        assert isinstance(keras.models.load_model(meta["path"]), keras.Model)


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    out = tmp_path / "term"
    proc = _start(out)
    _wait_for_checkpoint(out, proc, min_step=4)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "SIGTERM received: saved a checkpoint at step" in stderr
    assert "Traceback" not in stderr
    events = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    interrupted = [e for e in events if e.get("event") == "interrupted"]
    assert interrupted and interrupted[0]["signal"] == "SIGTERM"
    assert Checkpoints(out / "checkpoints", keep=3).latest()["step"] == interrupted[0]["step"]
    again = _train(out)
    assert again.returncode == 0, again.stderr[-2000:]


def test_resume_refuses_a_different_config(tmp_path):
    out = tmp_path / "run"
    first = _train(out, "--epochs=1")
    assert first.returncode == 0, first.stderr[-2000:]
    other = _train(out, "--lr=0.001")
    assert other.returncode == 2
    assert "different config (lr: 0.0002 in the run folder, 0.001 now)" in other.stderr
    longer = _train(out, "--epochs=2")  # more epochs is a resumption, not a new config
    assert longer.returncode == 0, longer.stderr[-2000:]
    assert keras.models.load_model(out / "gan.keras").g_optimizer.iterations == 24


class _Poison(keras.callbacks.Callback):
    """Puts a NaN into the discriminator at a given step, once."""

    def __init__(self, step: int):
        super().__init__()
        self.step, self.seen, self.fired = step, 0, False

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step and not self.fired:
            self.fired = True
            w = self.model.discriminator.weights[0]
            w.assign(np.full(w.shape, np.nan, np.float32))


def _config(**overrides):
    base = dict(
        dataset="ring8", epochs=2, batch_size=100, steps_per_epoch=6, latent_dim=4,
        checkpoint_every=2, grid_size=16, verbose=0, seed=1,
    )  # fmt: skip
    return TrainConfig(**{**base, **overrides})


def test_divergence_stops_with_the_step_and_quantity_and_keeps_the_last_good_checkpoint(tmp_path):
    with pytest.raises(
        Diverged, match="Training diverged at step 6: .* is NaN or infinite"
    ) as info:
        train(_config(), tmp_path, callbacks=[_Poison(step=5)])
    assert info.value.step == 6  # the first step computed with the NaN weight
    latest = Checkpoints(tmp_path / "checkpoints", keep=3).latest()
    assert latest["step"] == 4
    gan = keras.models.load_model(latest["path"])
    assert all(np.all(np.isfinite(np.asarray(v))) for v in gan.variables)
    events = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert {"event": "diverged", "step": 6, "quantity": info.value.quantity} in events
    assert not (tmp_path / "gan.keras").exists()


def test_rollback_reloads_the_last_good_checkpoint_with_a_lower_learning_rate(tmp_path):
    result = train(_config(on_divergence="rollback"), tmp_path, callbacks=[_Poison(step=5)])
    events = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    rolled = [e for e in events if e.get("event") == "rolled_back"]
    assert rolled == [{"event": "rolled_back", "step": 4, "checkpoint": "ckpt-000000004.keras",
                       "lr": pytest.approx(1e-4)}]  # fmt: skip
    gan = result.model
    assert int(gan.g_optimizer.iterations) == 12
    assert float(np.asarray(gan.g_optimizer.learning_rate)) == pytest.approx(1e-4)
    assert all(np.all(np.isfinite(np.asarray(v))) for v in gan.variables)


def test_kill_during_export_leaves_a_complete_export_or_none(tmp_path):
    from kgan.export.exporter import _sha256

    run = tmp_path / "run"
    assert _train(run, "--epochs=1").returncode == 0
    code = (
        "import sys; from kgan.export import export_generator; "
        "export_generator(sys.argv[1], sys.argv[2])"
    )
    for delay in (0.5, 2.0, 3.5, 5.0):
        out = tmp_path / f"export_{delay}"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(run / "generator.keras"), str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(),
        )  # fmt: skip
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=60)
        if out.exists():
            manifest = json.loads((out / "kgan.json").read_text())
            for rel, entry in manifest["files"].items():
                assert _sha256(out / rel) == entry["sha256"]
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".export_{delay}")]
        # A kill may leave a hidden temporary folder and the lock file (the next export
        # removes both), never a half-written export_*/.
        assert all(name.endswith((".tmp", ".lock")) for name in leftovers), leftovers


def test_steps_per_execution_counts_every_step_and_checkpoints_on_crossings(tmp_path):
    # Keras calls the batch callbacks once per execution (after steps 3 and 6
    # of each epoch here): the run must still count every step and save
    # whenever a multiple of checkpoint_every is crossed.
    config = _config(steps_per_epoch=6, steps_per_execution=3, keep_checkpoints=10)
    result = train(config, tmp_path / "run")
    assert result.steps == 12
    assert int(result.model.g_optimizer.iterations) == 12
    saved = [meta["step"] for meta in Checkpoints(tmp_path / "run" / "checkpoints", 10).valid()]
    assert saved == [3, 6, 9, 12]
    with pytest.raises(ValueError, match="multiple of steps_per_execution=4"):
        train(_config(steps_per_execution=4), tmp_path / "other")


def test_lr_decay_resumes_from_its_schedule_and_refuses_more_epochs(tmp_path):
    config = _config(lr_decay=True)
    train(config, tmp_path / "run")
    again = train(config, tmp_path / "run")  # finished: trains and writes nothing
    assert again.already_complete and again.samples == [] and again.steps == 12
    optimizer = again.model.g_optimizer  # read from gan.keras
    assert isinstance(optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert int(optimizer.iterations) == 12 and float(optimizer.learning_rate) == 0.0
    with pytest.raises(ValueError, match="epochs: 2 in the run folder, 3 now"):
        train(_config(lr_decay=True, epochs=3), tmp_path / "run")
