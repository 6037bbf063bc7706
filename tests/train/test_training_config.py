"""TrainConfig: typed groups that validate themselves, flat keywords, config.json old and new."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import kgan
from kgan import rules
from kgan.train import (
    RESUMABLE_CHANGES,
    DataConfig,
    GameConfig,
    ModelConfig,
    OptimizerConfig,
    TrainConfig,
    build_gan,
)

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"generator_units": [0, 8]}, "generator_units must be a non-empty list"),
        ({"discriminator_units": []}, "discriminator_units must be a non-empty list"),
        ({"maxout_pieces": 0}, "maxout_pieces must be in [1, 64]"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        ({"num_packed": 3, "batch_size": 64}, "num_packed=3 must divide"),
        ({"num_packed": 2, "conditional": True}, "does not support conditional"),
        ({"data_scale": 0.0}, "data_scale must be a finite number > 0"),
        ({"dataset": "digits", "num_examples": 10}, "num_examples applies to ring8"),
        ({"lr_decay": True, "on_divergence": "rollback"}, "use one or the other"),
        ({"strategy": "horovod"}, "Unknown strategy='horovod'"),
        ({"precision": "float16"}, "Unknown precision='float16'"),
        ({"steps_per_execution": 0}, "steps_per_execution must be in [1, 10000]"),
        ({"lr": float("nan")}, "lr must be a finite number > 0; got lr=nan."),
        ({"epochs": True}, "epochs must be a positive integer; got epochs=True."),
        ({"label_smoothing": 1.0}, "label_smoothing must be in [0, 1)"),
        ({"jit_compile": "yes"}, "Unknown jit_compile='yes'. Expected one of ['auto', True, F"),
        ({"verbose": True}, "Unknown verbose=True"),
        ({"ema_half_life": 0.0}, "ema_half_life must be a finite number > 0 or None"),
        ({"seed": 1.5}, "seed must be an integer; got seed=1.5."),
        ({"download": "yes"}, "download must be true or false"),
        ({"loss": "l3"}, "Unknown loss='l3'"),
        ({"augment": "zoom"}, "zoom"),
        ({"rollback_lr_factor": 1.0}, "rollback_lr_factor must be in (0, 1)"),
        ({"batch_size": 64, "d_steps": 5}, "batch_size=64 must be divisible by d_steps=5"),
    ],
)
def test_bad_settings_are_refused(overrides, message):
    config = TrainConfig(**{"dataset": "ring8", **overrides})
    with pytest.raises(ValueError, match=re.escape(message)):
        config.validate()


def test_each_group_validates_itself_and_nothing_changes():
    with pytest.raises(ValueError, match=re.escape("dropout must be in [0, 1) or None")):
        ModelConfig(dropout=1.5).validate()
    with pytest.raises(ValueError, match="num_examples applies to ring8, grid25, stacked_mnist"):
        DataConfig(num_examples=5).validate()
    GameConfig(loss="hinge").validate()
    # Normalisation happens when the config is made; validate() only reads.
    config = TrainConfig(dataset="ring8", generator_units=(16, 8))
    assert config.model.generator_units == [16, 8]
    before = config.to_json()
    config.validate()
    assert config.to_json() == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.model.latent_dim = 3  # type: ignore[misc]


def test_flat_keywords_fill_the_groups():
    flat = TrainConfig(dataset="ring8", lr=1e-3, latent_dim=2, epochs=5)
    grouped = TrainConfig(
        data=DataConfig(dataset="ring8"),
        optimizer=OptimizerConfig(lr=1e-3),
        model=ModelConfig(latent_dim=2),
        epochs=5,
    )
    assert flat == grouped
    assert flat.replace(epochs=7).run.epochs == 7 and flat.run.epochs == 5
    assert flat.flat()["lr"] == 1e-3 and len(flat.flat()) == 48
    with pytest.raises(TypeError, match=r"Unknown settings \['learning_rate'\]"):
        TrainConfig(learning_rate=1e-3)
    with pytest.raises(TypeError, match="model must be a ModelConfig"):
        TrainConfig(model=DataConfig())


def test_config_json_round_trips():
    config = TrainConfig.from_preset("grid25", generator_units=(16, 8), jit_compile=False)
    saved = json.loads(json.dumps(config.to_json()))
    assert set(saved) == {"data", "model", "game", "optimizer", "run", "runtime"}
    assert TrainConfig.from_json(saved) == config
    # Other top-level keys are records of the run (sizes, versions), not settings.
    assert TrainConfig.from_json({**saved, "resolved": {"num_classes": None}}) == config


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "config_v0.1_ring8.json",
            TrainConfig(dataset="ring8", arch="mlp", epochs=1, batch_size=100, steps_per_epoch=4,
                        latent_dim=4, grid_size=16, seed=3, generator_units=[16, 16],
                        discriminator_units=[8], maxout_pieces=2),
        ),
        (
            "config_v0.1_grid25.json",
            TrainConfig.from_preset("grid25", num_examples=2000, epochs=1, steps_per_epoch=20,
                                    batch_size=20, latent_dim=8),
        ),
    ],
)  # fmt: skip
def test_flat_config_json_of_kgan_0_1_loads(name, expected):
    """Files written by kgan 0.1's run loop (flat, with its extra keys) load as they were."""
    config = TrainConfig.from_json(json.loads((DATA / name).read_text()))
    assert config == expected
    config.validate()


def test_from_json_refuses_what_is_not_a_config():
    with pytest.raises(ValueError, match="must be a JSON object"):
        TrainConfig.from_json([1, 2])
    with pytest.raises(ValueError, match=r"Unknown settings \['nosuch'\]"):
        TrainConfig.from_json({"dataset": "ring8", "nosuch": 1})
    with pytest.raises(ValueError, match="Unknown setting data.lr"):
        TrainConfig.from_json({"data": {"lr": 1.0}})


def test_resumable_settings_are_marked_on_their_fields():
    assert set(RESUMABLE_CHANGES) == {
        "epochs", "verbose", "data_dir", "download", "keep_checkpoints", "strategy",
        "preset",  # only a label: the resumed folder keeps the recipe it started with
    }  # fmt: skip


@pytest.mark.parametrize(
    "name, values",
    [
        ("label_smoothing", [-0.1, 0.0, 0.5, 0.999, 1.0, 1.5]),
        ("d_steps", [0, 1, 3]),
        ("r1_interval", [0, 1, 16]),
        ("gradient_penalty", [-1.0, 0.0, 10.0]),
        ("r1_gamma", [-1.0, 0.0, 1.0]),
        ("ema_half_life", [-5.0, 0.0, 10.0, None]),
    ],
)
def test_the_config_and_the_gan_agree_on_each_bound(tiny_gan, name, values):
    """GAN's own argument checks and GameConfig accept exactly the same values."""
    for value in values:
        try:
            GameConfig(loss="minimax", **{name: value}).validate()
            config_accepts = True
        except ValueError:
            config_accepts = False
        try:
            kgan.GAN(tiny_gan.generator, tiny_gan.discriminator, loss="minimax", **{name: value})
            gan_accepts = True
        except ValueError:
            gan_accepts = False
        assert config_accepts == gan_accepts, (name, value, config_accepts, gan_accepts)


@pytest.mark.parametrize("value", [-0.1, 0.0, 0.3, 1.0])
def test_the_config_and_the_builders_agree_on_dropout(value):
    try:
        ModelConfig(dropout=value).validate()
        config_accepts = True
    except ValueError:
        config_accepts = False
    for build in (
        lambda: kgan.networks.mlp(2, (2,), dropout=value),
        lambda: kgan.networks.dcgan(8, (8, 8, 1), width=8, dropout=value),
    ):
        try:
            build()
            builder_accepts = True
        except ValueError:
            builder_accepts = False
        assert builder_accepts == config_accepts


def test_name_lists_match_their_registries():
    """The TensorFlow-free names --help shows are exactly what the registries hold."""
    from kgan.core import losses
    from kgan.train import config, distribute

    assert set(losses.LOSSES) == set(rules.LOSSES)
    assert kgan.data.BUILTIN == rules.DATASETS
    assert tuple(kgan.networks.ARCHITECTURES) == rules.ARCHITECTURES
    assert distribute.STRATEGIES is config.STRATEGIES


def test_grid25_preset_builds_packed_rescaled_networks_with_a_cosine_schedule():
    config = TrainConfig.from_preset("grid25", latent_dim=2)
    config.validate()
    gan = build_gan(config, (2,), total_steps=100)
    assert gan.discriminator.name == "pac2_mlp_discriminator"
    assert [128, 128] == [
        layer.units for layer in gan.generator.layers if isinstance(layer, keras.layers.Dense)
    ][:2]
    schedule = gan.g_optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert float(schedule(0)) == pytest.approx(1e-3) and float(schedule(100)) == pytest.approx(0)
    assert not any(
        isinstance(layer, keras.layers.Dropout) for layer in gan.discriminator._flatten_layers()
    )
    with pytest.raises(ValueError, match="lr_decay needs"):
        build_gan(config, (2,))
    with pytest.raises(ValueError, match="applies to the mlp networks"):
        build_gan(TrainConfig(maxout_pieces=3), (8, 8, 1))


def test_stacked_mnist_presets_build_packed_image_networks_with_their_own_g_lr():
    config = TrainConfig.from_preset("stacked_mnist_quarter_d", num_examples=64)
    config.validate()
    gan = build_gan(config, (28, 28, 3), total_steps=10)
    assert gan.discriminator.name == "pac4_small_dcgan_discriminator"
    inner = gan.discriminator.layers[-1]
    assert tuple(inner.input_shape[1:]) == (28, 28, 12)
    assert [inner.get_layer(f"down_{i}").filters for i in range(3)] == [2, 4, 8]
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(gan.g_optimizer.beta_2) == pytest.approx(0.99)
    veegan = build_gan(TrainConfig.from_preset("stacked_mnist_veegan"), (28, 28, 3))
    assert veegan.discriminator.name == "pac2_dcgan_discriminator"
    assert float(veegan.g_optimizer.learning_rate) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match="d_width applies to the dcgan and small_dcgan"):
        build_gan(TrainConfig(d_width=2), (2,))
    dcgan = build_gan(TrainConfig(width=8, d_width=4, latent_dim=8), (28, 28, 1))
    assert [dcgan.discriminator.get_layer(f"down_{i}").filters for i in range(2)] == [4, 8]
    assert dcgan.generator.get_layer("up_0").filters == 8


def test_upsample_and_refine_reach_the_dcgan_generator():
    config = TrainConfig(upsample="resize", refine=True, width=8, latent_dim=8)
    config.validate()
    generator = build_gan(config, (28, 28, 1)).generator
    names = {layer.name for layer in generator.layers}
    assert {"resize_0", "resize_1", "refine"} <= names
    assert generator.get_layer("refine").input.shape[-1] == 4  # width // 2
    plain = build_gan(TrainConfig(width=8, latent_dim=8), (28, 28, 1)).generator
    assert not {"resize_0", "refine"} & {layer.name for layer in plain.layers}
    with pytest.raises(ValueError, match="upsample and refine apply to the dcgan"):
        build_gan(TrainConfig(refine=True), (2,))
    with pytest.raises(ValueError, match="upsample"):
        TrainConfig(upsample="bilinear").validate()


def test_rescale_works_in_data_space():
    inner_g, inner_d = kgan.networks.mlp(2, (2,), dropout=0.0)
    g, d = kgan.networks.rescale(inner_g, inner_d, 4.0)
    z = kgan.sample_latents(5, 2, seed=0)
    np.testing.assert_allclose(np.asarray(g(z)), 4.0 * np.asarray(inner_g(z)), rtol=1e-6)
    x = np.random.default_rng(0).uniform(-4, 4, (5, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(d(x)), np.asarray(inner_d(x / 4.0)), rtol=1e-5)
    with pytest.raises(ValueError, match="scale must be"):
        kgan.networks.rescale(inner_g, inner_d, -1.0)
    cg, cd = kgan.networks.mlp(2, (2,), num_classes=3)
    with pytest.raises(ValueError, match="unconditional"):
        kgan.networks.rescale(cg, cd, 2.0)
