"""Every preset trains from kgan-train, saves, reloads, and exports to ONNX with parity."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from mnist_testing import fake_digits, write_idx

import kgan_runtime
from kgan.export import export_generator
from kgan.train import TrainConfig, presets

# What each preset must put into the trained GAN (read back from gan.keras).
EXPECTED = {
    "gan": {"loss_name": "minimax"},
    "dcgan": {"loss_name": "non_saturating"},
    "lsgan": {"loss_name": "least_squares"},
    "ragan": {"loss_name": "relativistic"},
    "wgan_gp": {"loss_name": "wasserstein", "gradient_penalty": 10.0, "d_steps": 5},
    "sngan_hinge": {"loss_name": "hinge"},
    "stylegan2_r1": {"r1_gamma": 1.0, "r1_interval": 16, "ema_half_life": 10_000.0},
    "diffaugment": {"ema_half_life": 2_000.0},
    "ring8": {"ema_half_life": 20_000.0, "num_classes": None},
    "grid25": {"ema_half_life": 20_000.0, "num_classes": None},
    "stacked_mnist_veegan": {"ema_half_life": 20_000.0, "num_classes": None},
    "stacked_mnist_quarter_d": {"ema_half_life": 20_000.0, "num_classes": None},
}
# Packed discriminators (PacGAN) and the generator's own learning rate, where a preset sets them.
PACKED = {"grid25": 2, "stacked_mnist_veegan": 2, "stacked_mnist_quarter_d": 4}
G_LR = {"stacked_mnist_quarter_d": 1e-4}
IMAGES = ["--dataset=digits", "--steps_per_epoch=2", "--batch_size=20", "--width=8"]
# The 2-D recipes keep their own dataset (smaller) and their 20 steps per execution.
POINTS = ["--num_examples=2000", "--steps_per_epoch=20", "--batch_size=20"]


def _args(name, tmp_path):
    if name in ("ring8", "grid25"):
        return POINTS, 20
    if name.startswith("stacked_mnist"):
        # Stacked MNIST from fake digits in IDX files (never the real MNIST).
        write_idx(tmp_path / "mnist", *fake_digits(50))
        folder = f"--data_dir={tmp_path / 'mnist'}"
        return [folder, "--num_examples=64", "--steps_per_epoch=2", "--batch_size=16"], 2
    return IMAGES + (["--conditional"] if name == "sngan_hinge" else []), 2


def test_every_preset_is_covered_here():
    assert set(EXPECTED) == set(presets.PRESETS)


def test_explicit_settings_override_the_preset():
    config = TrainConfig.from_preset("wgan_gp", d_steps=2, dataset="grid25")
    assert (config.game.d_steps, config.game.gradient_penalty, config.run.preset) == (
        2,
        10.0,
        "wgan_gp",
    )
    with pytest.raises(ValueError, match="Unknown preset"):
        TrainConfig.from_preset("biggan")


# sngan_hinge also runs conditional, so the labels input goes through export too.
@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_trains_saves_reloads_and_exports(tmp_path, preset):
    out = tmp_path / "run"
    extra, steps = _args(preset, tmp_path)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kgan.cli.train",
            f"--preset={preset}",
            "--epochs=1",
            "--latent_dim=8",
            "--grid_size=10",
            f"--out={out}",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((out / "config.json").read_text())
    assert config["run"]["preset"] == preset
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert all(np.isfinite(history[-1][k]) for k in ("d_loss", "g_loss"))

    gan = keras.models.load_model(out / "gan.keras")
    for attribute, value in EXPECTED[preset].items():
        assert getattr(gan, attribute) == value, attribute
    assert int(gan.g_optimizer.iterations) == steps
    assert int(gan.d_optimizer.iterations) == steps * gan.d_steps
    spectral = any(
        isinstance(layer, keras.layers.SpectralNormalization)
        for layer in gan.discriminator._flatten_layers()
    )
    assert spectral == (preset == "sngan_hinge")
    assert (gan.augment is not None) == (preset == "diffaugment")
    assert (gan.ema_generator is not None) == ("ema_half_life" in EXPECTED[preset])
    assert (gan.num_classes == 10) == ("--conditional" in extra)
    layer_names = {layer.name for layer in gan.generator._flatten_layers()}
    assert ("to_data_scale" in layer_names) == (preset == "grid25")
    packed = PACKED.get(preset)
    assert gan.discriminator.name.startswith(f"pac{packed}_") == (packed is not None)
    g_lr = float(keras.ops.convert_to_numpy(gan.g_optimizer.learning_rate))
    assert g_lr == pytest.approx(G_LR.get(preset, float(gan.d_optimizer.learning_rate)))
    decays = isinstance(gan.g_optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert decays == (preset in ("ring8", "grid25"))

    manifest = export_generator(
        out / "gan.keras", tmp_path / "export", formats=("onnx",), batch_sizes=(1, 7)
    )
    assert set(manifest["parity"]["onnx"]["per_batch_size"]) == {"1", "7"}
    # Checked here too, independently of the manifest: the TensorFlow-free
    # runtime reproduces the trained (EMA when on) generator from a seed.
    runtime = kgan_runtime.OnnxGenerator(tmp_path / "export" / "generator.onnx")
    labels = [3, 1, 4, 1, 5] if gan.num_classes else None
    np.testing.assert_allclose(
        runtime.sample(5, seed=11, labels=labels),
        gan.generate(5, seed=11, labels=labels),
        atol=1e-4,
    )


def test_every_preset_fits_every_built_in_dataset_with_the_defaults():
    """`--preset=P --dataset=D` and nothing else is a valid run for every P and D (dry runs)."""
    from kgan import rules
    from kgan.train import dry_run

    for preset in presets.PRESETS:
        for dataset in rules.DATASETS:
            config = TrainConfig.from_preset(preset, dataset=dataset)
            plan = dry_run(config)  # validates, describes the data and builds the GAN
            if plan.steps_per_epoch is not None:  # None: data not on disk (stacked_mnist's MNIST)
                assert plan.steps_per_epoch >= 1, (preset, dataset)
                assert plan.steps_per_epoch % config.runtime.steps_per_execution == 0
            own = presets.PRESETS[preset].get("dataset")
            if own is not None and own != dataset:  # keeps the recipe, not its data settings
                assert config.data.num_examples is None and config.model.data_scale == 1.0
                assert presets.left_out(preset, dataset)
    # The 2-D recipes' 2-D latent is part of their networks: an image run gets the default.
    assert TrainConfig.from_preset("ring8", dataset="digits").model.latent_dim == 64
    assert TrainConfig.from_preset("ring8").model.latent_dim == 2
    assert "latent_dim" in presets.left_out("grid25", "digits")
    # What it keeps there: its game (packing and EMA included), batch size and optimizer.
    kept = TrainConfig.from_preset("grid25", dataset="digits")
    assert (kept.model.num_packed, kept.game.ema_half_life) == (2, 20_000.0)
    assert (kept.data.batch_size, kept.optimizer.lr, kept.optimizer.lr_decay) == (200, 1e-3, True)
    # A 2-D run leaves DiffAugment (for images) out; an image run keeps it.
    assert TrainConfig.from_preset("diffaugment", dataset="ring8").game.augment is None
    assert TrainConfig.from_preset("diffaugment").game.augment == "color,translation,cutout"
    # An explicit epoch length the recipe's steps per execution does not divide.
    config = TrainConfig.from_preset("ring8", steps_per_epoch=12)
    assert config.runtime.steps_per_execution == 4


# Stacked MNIST's recipes read MNIST (IDX files or TFDS), which is not on disk offline.
OFFLINE = sorted(p for p, s in presets.PRESETS.items() if s.get("dataset") != "stacked_mnist")


@pytest.mark.parametrize("preset", OFFLINE)
def test_each_preset_trains_with_its_own_defaults(tmp_path, preset):
    """One short epoch of each preset as `kgan-train --preset=P` configures it (batch size,
    d_steps, steps per execution: the defaults, validated as given); only the epoch is cut."""
    from kgan.train import train

    config = TrainConfig.from_preset(preset)
    if config.data.dataset == "stacked_mnist":  # from fake digits, and two batches of them
        write_idx(tmp_path / "mnist", *fake_digits(50))
        config = config.replace(
            data_dir=str(tmp_path / "mnist"), num_examples=2 * config.data.batch_size
        )
    config.validate()
    per_execution = config.runtime.steps_per_execution
    short = config.replace(epochs=1, steps_per_epoch=max(2, per_execution), grid_size=4, verbose=0)
    result = train(short, tmp_path / "run")
    assert result.steps == short.run.steps_per_epoch
    assert np.isfinite(result.metrics["d_loss"]) and np.isfinite(result.metrics["g_loss"])
    assert int(result.model.d_optimizer.iterations) == result.steps * config.game.d_steps
