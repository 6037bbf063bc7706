"""kgan-train --strategy / --precision / --steps_per_execution, end to end in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
from gan_testing import free_ports

import kgan  # noqa: F401  (registers the GAN class for load_model)
from kgan.train import distribute

TINY = ["--dataset=ring8", "--preset=none", "--epochs=2", "--steps_per_epoch=4",
        "--batch_size=64", "--grid_size=8"]  # fmt: skip


def _start(args, tf_config=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = tf_config
    return subprocess.Popen(
        [sys.executable, "-m", "kgan.cli.train", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(process, timeout=180):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"kgan-train timed out:\n{err[-3000:]}") from None
    return process.returncode, out, err


def _weights(path):
    return keras.models.load_model(path).get_weights()


def test_mirrored_on_two_cpu_replicas_with_steps_per_execution(tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = _finish(
        _start(
            [
                *TINY,
                "--strategy=mirrored",
                "--cpu_replicas=2",
                "--steps_per_execution=2",
                f"--out={out}",
            ]
        )  # fmt: skip
    )
    assert code == 0, stderr[-3000:]
    assert "on 2 replicas" in stdout
    config = json.loads((out / "config.json").read_text())
    assert (config["runtime"]["strategy"], config["runtime"]["steps_per_execution"]) == (
        "mirrored",
        2,
    )
    gan = keras.models.load_model(out / "gan.keras")
    assert int(gan.g_optimizer.iterations) == 8
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["d_loss"]) for h in history)


def test_global_batch_must_split_over_the_replicas(tmp_path):
    code, _, stderr = _finish(
        _start(
            [
                *TINY[:-2],
                "--batch_size=63",
                "--strategy=mirrored",
                "--cpu_replicas=2",
                f"--out={tmp_path / 'run'}",
            ]
        )  # fmt: skip
    )
    assert code == 2
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith("kgan-train: error: batch_size=63 must be divisible by the 2 replicas")
    )


def test_mixed_bfloat16_policy_is_used_and_restored(tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = _finish(
        _start(
            [
                "--dataset=digits",
                "--epochs=1",
                "--steps_per_epoch=3",
                "--batch_size=32",
                "--latent_dim=8",
                "--width=8",
                "--grid_size=8",
                "--precision=mixed_bfloat16",
                f"--out={out}",
            ]
        )  # fmt: skip
    )
    assert code == 0, stderr[-3000:]
    gan = keras.models.load_model(out / "gan.keras")
    conv = next(
        layer for layer in gan.discriminator.layers if isinstance(layer, keras.layers.Conv2D)
    )
    assert conv.dtype_policy.name == "mixed_bfloat16"
    assert conv.compute_dtype == "bfloat16"
    assert gan.discriminator.outputs[0].dtype == "float32"  # logits stay float32
    history = json.loads((out / "history.jsonl").read_text().splitlines()[-1])
    assert np.isfinite(history["d_loss"]) and np.isfinite(history["g_loss"])
    assert keras.mixed_precision.dtype_policy().name == "float32"  # this process untouched


def test_multi_worker_on_two_local_processes(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    out = tmp_path / "run"
    processes = [
        _start(
            [*TINY, "--strategy=multi_worker", f"--out={out}"],
            tf_config=distribute.tf_config(workers, i),
        )  # fmt: skip
        for i in range(2)
    ]
    results = [_finish(p) for p in processes]
    for code, stdout, stderr in results:
        assert code == 0, stderr[-3000:]
        assert "on 2 replicas" in stdout
    # The chief owns the run folder; worker 1 keeps its files apart.
    assert (out / "gan.keras").exists() and (out / "worker_1" / "gan.keras").exists()
    assert not (out / "worker_0").exists()
    chief, other = _weights(out / "gan.keras"), _weights(out / "worker_1" / "gan.keras")
    assert len(chief) == len(other)
    for a, b in zip(chief, other):
        np.testing.assert_array_equal(a, b)
    assert int(keras.models.load_model(out / "gan.keras").g_optimizer.iterations) == 8


def test_multi_workers_refuse_to_resume_from_different_steps(tmp_path):
    from kgan.train import Checkpoints, TrainConfig, train

    out = tmp_path / "run"
    config = TrainConfig(dataset="ring8", epochs=1, steps_per_epoch=4, batch_size=64,
                         grid_size=8, checkpoint_every=2, verbose=0)  # fmt: skip
    for folder in (out, out / "worker_1"):  # as two workers would have left them
        train(config, folder)
        (folder / "gan.keras").unlink()
    Checkpoints(out / "worker_1" / "checkpoints", 3).latest()["path"].unlink()  # back to step 2
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = [
        _start(
            [*TINY, "--checkpoint_every=2", "--strategy=multi_worker", f"--out={out}"],
            tf_config=distribute.tf_config(workers, i),
        )  # fmt: skip
        for i in range(2)
    ]
    results = [_finish(p) for p in processes]
    for (code, _, stderr), step in zip(results, (4, 2)):
        assert code == 2, stderr[-3000:]
        assert "would resume from different steps" in stderr.splitlines()[-1]
        assert f"is at step {step}, the workers' mean is 3" in stderr
    assert not (out / "gan.keras").exists()
