"""Golden figures: what kgan's command lines compute, recorded before the renovation of issue 12.

`compute(workdir)` runs short seeded `kgan-train` runs of several presets (with
`--deterministic`), exports two of them with `kgan-export`, samples the ONNX files
through kgan-runtime and scores two generators with `kgan-evaluate`; it returns
the figures as a JSON-able dict. `tests/test_golden.py` compares them with
`golden.json`, written by running this file:

    .venv/bin/python tests/golden/figures.py   # rewrites tests/golden/golden.json

Only the command lines and the networks' weights are read, so the figures stay
comparable across any reorganisation of the library's modules.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden.json"
BIN = Path(sys.executable).parent

# name -> kgan-train flags (beyond --out and --deterministic). Small, seeded, a few steps each:
# together they cover the DCGAN and MLP builders, PacGAN packing, data scaling, XLA with
# steps_per_execution, conditional GANs, spectral norm, the gradient penalty with d_steps > 1,
# lazy R1, DiffAugment and the generator EMA.
IMAGES = ["--dataset=digits", "--batch_size=32", "--latent_dim=16", "--width=16", "--grid_size=4"]
RUNS: dict[str, list[str]] = {
    "dcgan": ["--preset=dcgan", *IMAGES, "--epochs=2", "--steps_per_epoch=3"],
    "grid25": ["--preset=grid25", "--epochs=1", "--steps_per_epoch=20", "--num_examples=4000",
               "--grid_size=16"],
    "sngan_conditional": ["--preset=sngan_hinge", "--conditional", *IMAGES, "--epochs=1",
                          "--steps_per_epoch=4"],
    # d_steps=1: with d_steps > 1 the gradient penalty's runs differ under --deterministic.
    "wgan_gp": ["--preset=wgan_gp", "--d_steps=1", "--dataset=ring8", "--batch_size=50",
                "--epochs=1", "--steps_per_epoch=4", "--grid_size=16"],
    "r1_augment_ema": ["--preset=stylegan2_r1", "--augment=color,translation,cutout",
                       "--r1_interval=2", *IMAGES, "--epochs=1", "--steps_per_epoch=4"],
}  # fmt: skip
EXPORTS = {"dcgan": ["--output=float"], "sngan_conditional": ["--output=uint8"]}
EVALUATIONS = {
    "grid25": ["--model={run}/grid25/generator.keras", "--data=grid25", "--num_samples=2000"],
    "dcgan_onnx": [
        "--model={run}/dcgan/export/generator.onnx", "--data=digits",
        "--metrics=fcd,classifier_score,class_coverage", "--num_samples=500",
        "--classifier_epochs=2",
    ],
}  # fmt: skip


def machine() -> dict[str, str]:
    """What decides whether float results can be bit-identical: the CPU and TensorFlow."""
    flags = model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = hashlib.sha256(" ".join(sorted(line.split(":")[1].split())).encode())
                flags = flags.hexdigest()[:16]
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    import tensorflow as tf

    return {"cpu": model, "cpu_flags": flags, "machine": platform.machine(),
            "tensorflow": tf.__version__, "cores": str(os.cpu_count())}  # fmt: skip


def _run(command: list[str], cwd: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def array_figures(arrays: list[np.ndarray]) -> dict[str, Any]:
    """sha256 of the exact bytes, and per-array sums for a tolerant comparison."""
    digest = hashlib.sha256()
    sums = []
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(str((a.dtype.str, a.shape)).encode())
        digest.update(a.tobytes())
        f = a.astype(np.float64)
        sums.append([float(f.sum()), float(np.abs(f).sum())])
    return {"sha256": digest.hexdigest(), "sums": sums}


def _network_figures(run: Path) -> dict[str, Any]:
    import keras

    import kgan  # noqa: F401  (registers kgan's Keras classes)

    gan = keras.models.load_model(run / "gan.keras", compile=False)
    generator = keras.models.load_model(run / "generator.keras", compile=False)
    return {
        "generator": array_figures(gan.generator.get_weights()),
        "discriminator": array_figures(gan.discriminator.get_weights()),
        "inference_generator": array_figures(generator.get_weights()),
    }


def compute(workdir: Path) -> dict[str, Any]:
    """Runs every command into `workdir` and returns the figures."""
    workdir = Path(workdir)
    runs = workdir / "runs"
    figures: dict[str, Any] = {"train": {}, "onnx": {}, "evaluate": {}}
    for name, flags in RUNS.items():
        _run([str(BIN / "kgan-train"), *flags, "--deterministic", f"--out={runs / name}"], workdir)
        figures["train"][name] = _network_figures(runs / name)
    from kgan_runtime import OnnxGenerator

    for name, flags in EXPORTS.items():
        _run([str(BIN / "kgan-export"), f"--run={runs / name}", *flags], workdir)
        generator = OnnxGenerator(runs / name / "export" / "generator.onnx")
        figures["onnx"][name] = array_figures([generator.sample(16, seed=0)])
    for name, flags in EVALUATIONS.items():
        out = workdir / f"{name}.json"
        command = [str(BIN / "kgan-evaluate"), *(f.format(run=runs) for f in flags), f"--out={out}"]
        _run(command, workdir)
        results = json.loads(out.read_text())
        figures["evaluate"][name] = results.get("metrics", results)
    return figures


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        record = {"machine": machine(), "figures": compute(Path(tmp))}
    GOLDEN.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
