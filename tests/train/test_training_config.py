"""TrainConfig's network, packing, scaling and schedule settings, and build_gan."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kgan
from kgan.train import TrainConfig, build_gan


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"generator_units": [0, 8]}, "generator_units must be a non-empty list"),
        ({"discriminator_units": []}, "discriminator_units must be a non-empty list"),
        ({"maxout_pieces": 0}, "maxout_pieces must be a positive integer"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        ({"num_packed": 3, "batch_size": 64}, "num_packed=3 must divide"),
        ({"num_packed": 2, "conditional": True}, "does not support conditional"),
        ({"data_scale": 0.0}, "data_scale must be a finite number > 0"),
        ({"dataset": "digits", "num_examples": 10}, "num_examples applies to ring8"),
        ({"lr_decay": True, "on_divergence": "rollback"}, "use one or the other"),
        ({"strategy": "horovod"}, "Unknown strategy='horovod'"),
        ({"precision": "float16"}, "Unknown precision='float16'"),
        ({"steps_per_execution": 0}, "steps_per_execution must be a positive integer"),
    ],
)
def test_bad_settings_are_refused(overrides, message):
    config = TrainConfig(**{"dataset": "ring8", **overrides})
    with pytest.raises(ValueError, match=re.escape(message)):
        config.validate()


def test_units_become_lists_so_config_json_round_trips():
    config = TrainConfig(dataset="ring8", generator_units=(16, 8))
    config.validate()
    assert config.generator_units == [16, 8]
    assert TrainConfig(**config.to_json()).to_json() == config.to_json()


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
