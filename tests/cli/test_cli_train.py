"""kgan-train end to end on tiny configs, and kgan.train.train called directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import kgan
from kgan.train import TrainConfig, train


def _run_cli(*args, cwd=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", "kgan.cli.train", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_cli_writes_a_complete_run_folder(tmp_path):
    out = tmp_path / "run"
    result = _run_cli(
        "--dataset=digits",
        "--epochs=2",
        "--batch_size=64",
        "--latent_dim=8",
        "--width=8",
        "--steps_per_epoch=3",
        "--grid_size=16",
        f"--out={out}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"samples:   {out / 'samples' / 'epoch_002.png'}" in result.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["dataset"] == "digits"
    assert config["resolved"]["sample_shape"] == [8, 8, 1]
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history[0])
    for epoch in (1, 2):
        with Image.open(out / "samples" / f"epoch_{epoch:03d}.png") as png:
            assert png.size[0] >= 4 * 8
    assert any((out / "tensorboard").rglob("events.out.tfevents.*"))
    gan = keras.models.load_model(out / "gan.keras")
    assert isinstance(gan, kgan.GAN) and int(gan.g_optimizer.iterations) == 6
    generator = keras.models.load_model(out / "generator.keras")
    z = kgan.sample_latents(4, 8, seed=0)
    np.testing.assert_allclose(np.asarray(generator(z)), gan.generate(4, seed=0), atol=1e-6)


def test_cli_dry_run_writes_nothing(tmp_path):
    out = tmp_path / "dry"
    result = _run_cli("--dataset=ring8", "--dry_run", f"--out={out}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dry run: 100000 examples of shape (2,)" in result.stdout  # the ring8 recipe's
    assert not out.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--loss=l3"], "Unknown loss='l3'"),
        (["--batch_size=64", "--d_steps=5"], "must be divisible by d_steps=5"),
        (["--dataset=no_such_set_kgan"], "Unknown dataset='no_such_set_kgan'"),
        (["--num_examples=100"], "applies to ring8, grid25, stacked_mnist, not dataset='digits'"),
        (["--preset=grid25", "--batch_size=31"], "num_packed=2 must divide each discriminator"),
        (["--arch=dcgan", "--generator_units=8"], "generator_units applies to the mlp networks"),
        (["--lr_decay", "--on_divergence=rollback"], "use one or the other"),
    ],
)
def test_cli_bad_settings_give_one_line_errors(tmp_path, args, message):
    result = _run_cli(*args, "--dry_run", f"--out={tmp_path / 'x'}")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_flag_out_of_range_is_rejected_by_absl(tmp_path):
    result = _run_cli("--epochs=0", f"--out={tmp_path / 'x'}")
    assert result.returncode != 0
    assert "epochs" in result.stderr and "Traceback" not in result.stderr


def test_train_on_2d_data_writes_scatter_plots(tmp_path):
    config = TrainConfig(
        dataset="ring8",
        epochs=1,
        batch_size=200,
        latent_dim=4,
        steps_per_epoch=2,
        grid_size=100,
        verbose=0,
    )
    result = train(config, tmp_path)
    with Image.open(result.samples[0]) as png:
        assert png.size == (512, 512) and png.mode == "RGB"
    assert result.model.generator.name == "mlp_generator"
    assert set(result.metrics) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert (result.steps, result.start_step, result.replicas) == (2, 0, 1)
    # kgan 0.1 returned a dict: its keys still read the fields.
    assert result["gan"] == tmp_path / "gan.keras" and result["model"] is result.model


# The settings of tests/train/data/config_v0.1_ring8.json, a config.json written by kgan 0.1.
OLD_RUN = ["--dataset=ring8", "--arch=mlp", "--batch_size=100", "--steps_per_epoch=4",
           "--latent_dim=4", "--grid_size=16", "--seed=3", "--generator_units=16,16",
           "--discriminator_units=8", "--maxout_pieces=2"]  # fmt: skip


def _events(out):
    return [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]


def test_a_finished_run_rerun_says_so_and_more_epochs_continue_it(tmp_path):
    out = tmp_path / "run"
    first = _run_cli(*OLD_RUN, "--epochs=1", f"--out={out}")
    assert first.returncode == 0, first.stderr[-2000:]
    # The run folder of kgan 0.1 had a flat config.json: it still resumes.
    (out / "config.json").write_text(
        (Path(__file__).parents[1] / "train" / "data" / "config_v0.1_ring8.json").read_text()
    )
    before = (out / "gan.keras").stat().st_mtime_ns, (out / "history.jsonl").read_text()

    again = _run_cli(*OLD_RUN, "--epochs=1", f"--out={out}")
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{out} already holds the finished run (1 epoch, 4 steps): nothing to train" in (
        again.stdout
    )
    assert f"samples:   {out / 'samples' / 'epoch_001.png'}" in again.stdout
    assert f"gan:       {out / 'gan.keras'}" in again.stdout
    assert before == ((out / "gan.keras").stat().st_mtime_ns, (out / "history.jsonl").read_text())

    # Killed after the last checkpoint, before the final files: a rerun writes them.
    (out / "gan.keras").unlink()
    (out / "generator.keras").unlink()
    finish = _run_cli(*OLD_RUN, "--epochs=1", f"--out={out}")
    assert finish.returncode == 0, finish.stderr[-2000:]
    assert "already holds the finished run" in finish.stdout
    assert int(keras.models.load_model(out / "gan.keras").g_optimizer.iterations) == 4
    assert (out / "generator.keras").is_file()

    longer = _run_cli(*OLD_RUN, "--epochs=2", f"--out={out}")
    assert longer.returncode == 0, longer.stderr[-2000:]
    assert "already" not in longer.stdout
    # The folder's own recipe (none, kgan 0.1's) is kept: no preset is picked for it.
    assert "preset:" not in longer.stdout
    assert "resuming from step 4 (after epoch 1 of 2)" in longer.stdout
    assert "trained 1 epoch in this invocation (steps 5-8), 2 epochs in all" in longer.stdout
    assert f"samples:   {out / 'samples' / 'epoch_002.png'}" in longer.stdout
    assert int(keras.models.load_model(out / "gan.keras").g_optimizer.iterations) == 8
    assert [e["epoch"] for e in _events(out) if "epoch" in e] == [1, 2]


def _quiet_env():
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # kgan-train must be quiet without it
    return env


TINY_RING8 = ["--dataset=ring8", "--preset=none", "--batch_size=64", "--steps_per_epoch=3",
              "--latent_dim=4", "--grid_size=16"]  # fmt: skip


def test_output_is_quiet_and_one_line_per_epoch_when_redirected(tmp_path):
    """No TensorFlow/absl/Keras noise on stderr; no progress-bar escapes in a redirected stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "kgan.cli.train", *TINY_RING8, "--epochs=2",
         f"--out={tmp_path / 'run'}"],
        capture_output=True, text=True, env=_quiet_env(), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    assert not any(c in result.stdout for c in "\x1b\r\b")
    epochs = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert all("d_loss" in line and "g_loss" in line for line in epochs)


def test_without_preset_the_dataset_picks_the_recipe_and_flags_win(tmp_path):
    out = f"--out={tmp_path / 'x'}"
    grid = _run_cli("--dataset=grid25", "--dry_run", out)
    assert grid.returncode == 0, grid.stderr[-2000:]
    assert "preset: grid25 (picked for --dataset=grid25" in grid.stdout
    assert "num_packed=2" in grid.stdout and "preset='grid25'" in grid.stdout
    ring = _run_cli("--dataset=ring8", "--lr=0.01", "--dry_run", out)
    assert "preset: ring8 (picked for --dataset=ring8" in ring.stdout
    assert "lr=0.01," in ring.stdout and "latent_dim=2," in ring.stdout  # the flag wins
    digits = _run_cli("--dry_run", out)
    assert "preset: dcgan (picked for --dataset=digits" in digits.stdout
    # A labelled dataset trained unconditionally: said once; --conditional uses the labels.
    assert digits.stdout.count("note: digits has labels (10 classes)") == 1
    assert "note:" not in _run_cli("--dry_run", "--conditional", out).stdout
    plain = _run_cli("--dataset=ring8", "--preset=none", "--dry_run", out)
    assert "preset:" not in plain.stdout and "preset=None" in plain.stdout
    assert "lr=0.0002," in plain.stdout


def test_resume_mid_epoch_says_where_and_counts_honestly(tmp_path):
    out = tmp_path / "run"
    args = [*TINY_RING8, "--steps_per_epoch=4", "--checkpoint_every=2", f"--out={out}"]
    first = _run_cli(*args, "--epochs=1")
    assert first.returncode == 0, first.stderr[-2000:]
    # As if killed after step 2's checkpoint: the epoch-end checkpoint and final files are gone.
    checkpoints = sorted((out / "checkpoints").glob("ckpt-*.keras"))
    last = checkpoints[-1]
    last.unlink()
    last.with_suffix(".json").unlink()
    (out / "gan.keras").unlink()
    again = _run_cli(*args, "--epochs=1")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming from step 2 (2 of 4 steps into epoch 1 of 1)" in again.stdout
    assert "epoch 1/1 (resumed after step 2 of 4): d_loss" in again.stdout
    assert "trained 0.50 epochs in this invocation (steps 3-4), 1 epoch in all" in again.stdout
