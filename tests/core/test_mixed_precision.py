"""GAN under mixed precision: loss scaling, float32 logits and losses, closeness to float32."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kgan

# Max abs weight difference from the float32 run after 8 updates of each network.
TOLERANCE = {"mixed_float16": 1e-3, "mixed_bfloat16": 5e-3}


@pytest.fixture
def policy():
    """Sets a global dtype policy for one test and restores float32 afterwards."""

    def set_policy(name: str) -> None:
        keras.mixed_precision.set_dtype_policy(name)

    yield set_policy
    keras.mixed_precision.set_dtype_policy("float32")


def _data(arch: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if arch == "mlp":
        return rng.normal(size=(128, 2)).astype(np.float32)
    return rng.uniform(-1, 1, size=(128, 8, 8, 1)).astype(np.float32)


def _train(arch: str, d_steps: int = 1):
    """8 D and 8/d_steps G updates (2 epochs of 4 batches of 32) with SGD; the current policy."""
    keras.utils.set_random_seed(0)
    if arch == "mlp":
        generator, discriminator = kgan.networks.mlp(
            8, (2,), generator_units=(32,), discriminator_units=(16,), maxout_pieces=2, dropout=0.0
        )
    else:
        generator, discriminator = kgan.networks.dcgan(8, (8, 8, 1), width=8)
    gan = kgan.GAN(generator, discriminator, seed=0, d_steps=d_steps)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    initial = _trainable(gan)
    history = gan.fit(_data(arch), batch_size=32, epochs=2, verbose=0, shuffle=False)
    return gan, initial, history.history


def _trainable(gan) -> list[np.ndarray]:
    weights = gan.generator.trainable_weights + gan.discriminator.trainable_weights
    return [np.asarray(w, dtype=np.float32) for w in weights]


def _max_diff(a, b) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_is_finite_and_close_to_float32(policy, name, arch):
    reference, initial, reference_history = _train(arch)
    policy(name)
    gan, _, history = _train(arch)

    compute = "float16" if name == "mixed_float16" else "bfloat16"
    assert gan.generator.layers[1].compute_dtype == compute
    data = _data(arch)[:4]
    assert keras.backend.standardize_dtype(gan.discriminator(data).dtype) == "float32"
    z = np.zeros((2, 8), "float32")
    assert keras.backend.standardize_dtype(gan.generator(z).dtype) == "float32"
    for values in history.values():
        assert all(np.isfinite(values))
    for key, values in history.items():
        np.testing.assert_allclose(values, reference_history[key], atol=TOLERANCE[name])

    mixed = _trainable(gan)
    assert all(w.dtype == "float32" for w in gan.generator.trainable_weights)
    moved = _max_diff(_trainable(reference), initial)
    assert _max_diff(mixed, _trainable(reference)) <= TOLERANCE[name] < moved / 5


def test_mixed_float16_scales_both_losses(policy, tmp_path):
    policy("mixed_float16")
    gan, _, _ = _train("mlp", d_steps=2)
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert np.isfinite(float(optimizer.dynamic_scale)) and float(optimizer.dynamic_scale) >= 1
    assert int(gan.d_optimizer.iterations) == 16 and int(gan.g_optimizer.iterations) == 8

    gan.save(tmp_path / "gan.keras")
    restored = keras.models.load_model(tmp_path / "gan.keras")
    assert isinstance(restored.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(restored.d_optimizer.inner_optimizer, keras.optimizers.LossScaleOptimizer)
    np.testing.assert_array_equal(restored.generate(4, seed=0), gan.generate(4, seed=0))


def test_bfloat16_needs_no_loss_scaling(policy):
    policy("mixed_bfloat16")
    g, d = kgan.networks.mlp(8, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    assert not isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
