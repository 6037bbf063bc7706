"""kgan.distribute, and GAN.fit under tf.distribute: N replicas take the step one device takes.

A process can hold one distribution strategy (a second MirroredStrategy after
one was used fails with a collective shape mismatch, and logical CPU devices
must be set before TensorFlow starts), so the strategy runs live in
subprocesses: this file is also their script,
`python tests/test_distribute.py mirrored OUT` or
`python tests/test_distribute.py worker PORTS INDEX OUT`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from gan_testing import free_ports  # noqa: E402

import kgan  # noqa: E402
from kgan.train import distribute  # noqa: E402

TOLERANCE = 1e-5
# Each case trains a small GAN for 2 epochs of 4 global batches of 32.
CASES = {
    "d_steps2_shuffled": {"d_steps": 2},
    "reuse_fake_spe2": {"reuse_fake": True, "steps_per_execution": 2},
    "conditional_ema": {"conditional": True, "ema_half_life": 64.0},
    # kgan.optimizers.Adam (the fused kernel) on each replica's variables; the label
    # embedding's gradients are IndexedSlices.
    "fused_adam_conditional": {"conditional": True, "fused_adam": True},
    # LossScaleOptimizer under a strategy: float16 sums differ per replica, hence the tolerance.
    "mixed_float16": {"d_steps": 2, "policy": "mixed_float16", "tolerance": 1e-2},
    "mixed_float16_fused_adam": {
        "policy": "mixed_float16",
        "fused_adam": True,
        "tolerance": 1e-2,
    },
}
MULTI_WORKER_CASE = {"d_steps": 2, "steps_per_execution": 3, "evaluate": True, "fused_adam": True}


def _train(case: dict, strategy: tf.distribute.Strategy) -> tuple[list[np.ndarray], dict]:
    """Builds and compiles a small MLP GAN in `strategy`'s scope and fits it on the global batch."""
    # Before the dataset: tf.data's shuffle order depends on TF's global seed too.
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 2)).astype(np.float32)
    labels = np.arange(128) % 3 if case.get("conditional") else None
    dataset = distribute.prepare_dataset(kgan.data.from_arrays(x, labels, batch_size=32, seed=0))
    with strategy.scope():
        generator, discriminator = kgan.networks.mlp(
            4,
            (2,),
            generator_units=(16,),
            discriminator_units=(8,),
            maxout_pieces=2,
            dropout=0.0,
            num_classes=3 if case.get("conditional") else None,
        )
        gan = kgan.GAN(
            generator,
            discriminator,
            seed=0,
            d_steps=case.get("d_steps", 1),
            reuse_fake=case.get("reuse_fake", False),
            ema_half_life=case.get("ema_half_life"),
            ema_rampup=None,
        )
        adam = kgan.optimizers.Adam if case.get("fused_adam") else keras.optimizers.Adam
        gan.compile(
            adam(1e-2),
            adam(1e-2),
            steps_per_execution=case.get("steps_per_execution", 1),
        )
    history = dict(gan.fit(dataset, epochs=case.get("epochs", 2), verbose=0).history)
    if case.get("evaluate"):
        history["evaluate"] = gan.evaluate(dataset, verbose=0, return_dict=True)
    weights = [np.asarray(w) for w in gan.weights]
    weights += [np.asarray(gan.d_optimizer.iterations), np.asarray(gan.g_optimizer.iterations)]
    return weights, history


def _max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    assert len(a) == len(b)
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def _run(args: list[str], timeout: float) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    # The script imports tests/gan_testing.py, one folder up from this file.
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [tests, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _wait(process: subprocess.Popen, timeout: float) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"subprocess timed out after {timeout} s:\n{output[-4000:]}")
    assert process.returncode == 0, output[-4000:]
    return output


# ------------------------------------------------------------------ the tests


def test_mirrored_on_2_cpu_replicas_matches_one_device(tmp_path):
    out = tmp_path / "mirrored.json"
    _wait(_run(["mirrored", str(out)], timeout=240), timeout=240)
    results = json.loads(out.read_text())
    assert results["replicas"] == 2
    for name in CASES:
        result = results[name]
        assert result["max_abs_diff"] <= CASES[name].get("tolerance", TOLERANCE), (name, result)
        assert result["changed"], name
        for key, values in result["history"].items():
            assert all(np.isfinite(values)), (name, key, values)
            np.testing.assert_allclose(
                values, result["one_device_history"][key], atol=CASES[name].get("tolerance", 1e-5)
            )


def test_multi_worker_on_2_processes_ends_with_identical_weights(tmp_path):
    ports = ",".join(str(p) for p in free_ports(2))
    processes = [
        _run(["worker", ports, str(i), str(tmp_path / f"worker{i}")], timeout=180) for i in range(2)
    ]
    outputs = [_wait(p, timeout=180) for p in processes]
    weights, histories = [], []
    for i in range(2):
        with np.load(tmp_path / f"worker{i}.npz") as f:
            weights.append([f[k] for k in sorted(f.files, key=lambda k: int(k[4:]))])
        histories.append(json.loads((tmp_path / f"worker{i}.json").read_text()))
    assert histories[0]["replicas"] == 2, outputs[0][-2000:]
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    assert histories[0]["history"] == histories[1]["history"]

    # The same global batches on one device give the same weights and metrics.
    expected_weights, expected_history = _train(MULTI_WORKER_CASE, tf.distribute.get_strategy())
    assert _max_diff(weights[0], expected_weights) <= TOLERANCE
    history = histories[0]["history"]
    evaluated, expected_evaluated = history.pop("evaluate"), expected_history.pop("evaluate")
    for key, value in evaluated.items():
        assert value != 0.0 and abs(value - expected_evaluated[key]) <= 1e-5, (key, value)
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for key, values in history.items():
        assert all(v != 0.0 and np.isfinite(v) for v in values), (key, values)
        np.testing.assert_allclose(values, expected_history[key], atol=1e-5)


def test_steps_per_execution_gives_the_same_training():
    one, _ = _train({"d_steps": 2}, tf.distribute.get_strategy())
    three, history = _train({"d_steps": 2, "steps_per_execution": 3}, tf.distribute.get_strategy())
    assert _max_diff(one, three) <= 1e-6
    assert all(len(v) == 2 for v in history.values())


def test_get_strategy_default_and_errors():
    assert distribute.get_strategy("default").num_replicas_in_sync == 1
    assert distribute.num_replicas() == 1
    with pytest.raises(ValueError, match=r"Unknown strategy='ring'. Expected one of \["):
        distribute.get_strategy("ring")
    with pytest.raises(ValueError, match="devices= applies to the 'mirrored' strategy"):
        distribute.get_strategy("default", devices=["/cpu:0"])
    with pytest.raises(ValueError, match="replicas must be a positive integer"):
        distribute.split_cpu(0)


def test_tf_config_and_chief(monkeypatch):
    config = json.loads(distribute.tf_config(["a:1", "b:2"], 1))
    assert config == {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match=r"index must be in \[0, 2\)"):
        distribute.tf_config(["a:1", "b:2"], 2)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", distribute.tf_config(["a:1", "b:2"], 0))
    assert distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", distribute.tf_config(["a:1", "b:2"], 1))
    assert not distribute.is_chief()
    chief = {
        "cluster": {"chief": ["c:0"], "worker": ["a:1"]},
        "task": {"type": "worker", "index": 0},
    }
    monkeypatch.setenv("TF_CONFIG", json.dumps(chief))
    assert not distribute.is_chief()


def test_prepare_dataset_shards_by_data_without_autotuning():
    dataset = distribute.prepare_dataset(tf.data.Dataset.range(8).batch(4))
    policy = dataset.options().experimental_distribute.auto_shard_policy
    assert policy == tf.data.experimental.AutoShardPolicy.DATA
    assert dataset.options().autotune.enabled is False
    assert distribute.prepare_dataset(dataset, autotune=True).options().autotune.enabled
    assert [b.tolist() for b in dataset.as_numpy_iterator()] == [[0, 1, 2, 3], [4, 5, 6, 7]]


# ------------------------------------------------------- subprocess programs


def _mirrored_main(out: str) -> None:
    devices = distribute.split_cpu(2)
    strategy = distribute.get_strategy("mirrored", devices=devices)
    results = {"replicas": strategy.num_replicas_in_sync}
    for name, case in CASES.items():
        keras.mixed_precision.set_dtype_policy(case.get("policy", "float32"))
        one_device, one_history = _train(case, tf.distribute.get_strategy())
        mirrored, history = _train(case, strategy)
        initial, _ = _train(dict(case, epochs=0), tf.distribute.get_strategy())
        keras.mixed_precision.set_dtype_policy("float32")
        results[name] = {
            "max_abs_diff": _max_diff(one_device, mirrored),
            "changed": _max_diff(initial, mirrored) > 1e-3,
            "history": history,
            "one_device_history": one_history,
        }
    with open(out, "w") as f:
        json.dump(results, f)


def _worker_main(ports: str, index: int, out: str) -> None:
    workers = [f"127.0.0.1:{port}" for port in ports.split(",")]
    os.environ["TF_CONFIG"] = distribute.tf_config(workers, index)
    strategy = distribute.get_strategy("multi_worker")
    weights, history = _train(MULTI_WORKER_CASE, strategy)
    np.savez(out + ".npz", *weights)
    with open(out + ".json", "w") as f:
        json.dump({"replicas": strategy.num_replicas_in_sync, "history": history}, f)


if __name__ == "__main__":
    import faulthandler

    # Stops on its own (with a traceback) if a peer died and a collective waits forever.
    faulthandler.dump_traceback_later(150, exit=True)
    start = time.monotonic()
    if sys.argv[1] == "mirrored":
        _mirrored_main(sys.argv[2])
    else:
        _worker_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    print(f"done in {time.monotonic() - start:.1f} s")
