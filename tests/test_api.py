"""The public API is explicit: a snapshot of __all__, and a clean import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kgan


def test_all_snapshot():
    assert sorted(kgan.__all__) == sorted(
        [
            "GAN",
            "__version__",
            "augment",
            "callbacks",
            "classifier",
            "core",
            "data",
            "distribute",
            "eval",
            "export",
            "features",
            "latent_tools",
            "layers",
            "load",
            "losses",
            "metrics",
            "networks",
            "optimizers",
            "packing",
            "penalties",
            "presets",
            "sample_latents",
            "train",
        ]
    )
    for name in kgan.__all__:
        assert hasattr(kgan, name)


def test_other_keras_backend_is_refused_with_a_clear_message():
    env = dict(os.environ, KERAS_BACKEND="jax")
    result = subprocess.run(
        [sys.executable, "-c", "import kgan"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "kgan needs Keras on the TensorFlow backend, but KERAS_BACKEND='jax'" in result.stderr


def test_the_flat_layouts_module_paths_still_import():
    """kgan 0.1's module paths name the modules of the wings that now hold their code."""
    import importlib

    from kgan.train import TrainConfig

    old = importlib.import_module("kgan.training")
    assert old.TrainConfig is TrainConfig
    assert importlib.import_module("kgan.losses").get is kgan.core.losses.get
    assert importlib.import_module("kgan.packing").Pack is kgan.networks.Pack
    assert importlib.import_module("kgan.export_optimize").subpixel_generator
    assert kgan.metrics.get_metric is importlib.import_module("kgan.eval.metrics").get_metric
    assert kgan.export.export_generator is importlib.import_module("kgan.export").export_generator
    # An alias is the module itself, which keeps its own name and spec.
    assert importlib.import_module("kgan.training").__spec__.name == "kgan.train"


def _python(code: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("KERAS_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_import_kgan_loads_no_tensorflow():
    """What --help needs (the package, the config, the presets, the flags) is TensorFlow-free."""
    result = _python(
        "import sys, kgan, kgan.rules, kgan.train.config, kgan.train.presets, kgan.cli._flags\n"
        "from kgan.train import TrainConfig\n"
        "TrainConfig.from_preset('grid25').to_json()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_every_module_that_registers_keras_classes_is_imported_with_keras():
    root = Path(kgan.__file__).parent
    registering = {
        ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for path in root.rglob("*.py")
        if re.search(r"^\s*@keras\.saving\.register_keras_serializable", path.read_text(), re.M)
    }
    assert registering == set(kgan._SERIALIZABLE)


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """One file of every kind kgan writes: GANs with each kind of layer, generators, checkpoints."""
    from kgan.train import Checkpoints, TrainConfig, build_gan, save_keras_atomic

    folder = tmp_path_factory.mktemp("keras_files")
    runs = {
        # A plain MLP GAN: no packing, no EMA, Keras's layers only.
        "plain": (TrainConfig(dataset="ring8", latent_dim=2, arch="mlp"), (2,), None),
        # MLP with Maxout, PacGAN's Pack, data scaling, EMA, cosine decay, kgan's Adam.
        "pacgan": (TrainConfig.from_preset("grid25", latent_dim=2), (2,), None),
        # DCGAN with kgan's Conv2D/Conv2DTranspose/BatchNormalization, DiffAugment, EMA.
        "dcgan_augment": (TrainConfig.from_preset("diffaugment", latent_dim=8, width=8),
                          (8, 8, 1), None),
        # Conditional, spectral norm.
        "sngan_conditional": (TrainConfig.from_preset("sngan_hinge", latent_dim=8, width=8),
                              (8, 8, 1), 10),
    }  # fmt: skip
    files = []
    for name, (config, shape, classes) in runs.items():
        gan = build_gan(config, shape, classes, total_steps=10)
        files.append(save_keras_atomic(gan, folder / f"{name}_gan.keras"))
        files.append(save_keras_atomic(gan.inference_generator, folder / f"{name}_gen.keras"))
        files.append(Checkpoints(folder / f"{name}_ckpt", keep=1).save(gan, step=1, epoch=0))
    return files


@pytest.mark.parametrize(
    "imports",
    [
        "import kgan\nimport keras",
        "import keras\nimport kgan",
        # TensorFlow imports Keras before it has finished initialising itself.
        "import kgan\nimport tensorflow\nimport keras",
        # The first `import keras` runs inside a half-initialised kgan module.
        "import kgan\nimport kgan.networks.layers\nimport keras",
        "import kgan\nfrom kgan.train import TrainConfig\nimport keras",
    ],
    ids=["kgan-keras", "keras-kgan", "kgan-tensorflow-keras", "kgan-layers-keras", "kgan-config"],
)
def test_every_keras_file_loads_in_a_fresh_process_after_only_import_kgan(keras_files, imports):
    paths = [str(p) for p in keras_files]
    result = _python(
        f"{imports}\n"
        f"for path in {paths!r}:\n"
        "    model = keras.models.load_model(path)\n"
        "    print(type(model).__name__, path.rsplit('/', 1)[1])\n"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(paths)
    assert sum(line.startswith("GAN ") for line in lines) == 8  # gans and checkpoints
