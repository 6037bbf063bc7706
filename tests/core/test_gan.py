"""kgan.GAN: the adversarial update, metrics, sampling, saving."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from gan_testing import changed, weights_of

import kgan


def _points(n=256, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32)


def _batch(gan, n=32):
    return tf.constant(_points(n))


def test_fit_updates_both_networks_and_reports_metrics(tiny_gan):
    g0, d0 = weights_of(tiny_gan.generator), weights_of(tiny_gan.discriminator)
    history = tiny_gan.fit(_points(), batch_size=32, epochs=2, verbose=0)
    assert changed(g0, weights_of(tiny_gan.generator))
    assert changed(d0, weights_of(tiny_gan.discriminator))
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for key in ("d_real", "d_fake"):
        assert all(0.0 < v < 1.0 for v in history.history[key])
    assert all(np.isfinite(v) for values in history.history.values() for v in values)


def test_fit_on_a_dataset_passes_keras_no_shuffle_to_ignore(tiny_gan):
    data = tf.data.Dataset.from_tensor_slices(_points()).batch(32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiny_gan.fit(data, epochs=1, verbose=0)
    assert not [w for w in caught if "shuffle" in str(w.message)]
    with pytest.warns(UserWarning, match="shuffle=True"):  # an explicit True is Keras's to judge
        tiny_gan.fit(data, epochs=1, verbose=0, shuffle=True)


def test_fit_on_arrays_still_shuffles_by_default():
    def trained(**kwargs):
        keras.utils.set_random_seed(0)
        g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
        gan = kgan.GAN(g, d, seed=0)
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
        gan.fit(_points(64), batch_size=16, epochs=2, verbose=0, **kwargs)
        return weights_of(gan.discriminator)

    assert changed(trained(shuffle=False), trained())
    assert not changed(trained(shuffle=True), trained())


def test_discriminator_phase_changes_only_the_discriminator(tiny_gan):
    g0, d0 = weights_of(tiny_gan.generator), weights_of(tiny_gan.discriminator)
    z = tf.random.normal((32, tiny_gan.latent_dim), seed=1)
    tiny_gan._discriminator_step(_batch(tiny_gan), None, z)
    assert not changed(g0, weights_of(tiny_gan.generator))
    assert changed(d0, weights_of(tiny_gan.discriminator))
    assert int(tiny_gan.d_optimizer.iterations) == 1
    assert int(tiny_gan.g_optimizer.iterations) == 0


def test_generator_phase_changes_only_the_generator(tiny_gan):
    g0, d0 = weights_of(tiny_gan.generator), weights_of(tiny_gan.discriminator)
    z = tf.random.normal((32, tiny_gan.latent_dim), seed=1)
    tiny_gan._generator_step(z, None, _batch(tiny_gan))
    assert changed(g0, weights_of(tiny_gan.generator))
    assert not changed(d0, weights_of(tiny_gan.discriminator))
    assert int(tiny_gan.d_optimizer.iterations) == 0
    assert int(tiny_gan.g_optimizer.iterations) == 1


@pytest.mark.parametrize("k", [1, 2, 4])
def test_k_discriminator_updates_per_generator_update(k):
    g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, d_steps=k, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    gan.fit(_points(256), batch_size=64, epochs=1, verbose=0)  # 4 fit batches
    assert int(gan.g_optimizer.iterations) == 4
    assert int(gan.d_optimizer.iterations) == 4 * k


def test_each_discriminator_minibatch_is_a_strided_slice():
    """With k = 2, D step i sees x[i::2] of the fit batch and G sees m = B / 2 latents."""
    g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, d_steps=2, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    seen = []
    original = gan._discriminator_step

    def spy(real, labels, z):
        seen.append((real, z))
        return original(real, labels, z)

    gan._discriminator_step = spy
    gan.run_eagerly = True
    x = np.arange(16, dtype=np.float32).reshape(8, 2)
    gan.train_step(tf.constant(x))
    assert [np.asarray(r).tolist() for r, _ in seen] == [x[0::2].tolist(), x[1::2].tolist()]
    assert all(tuple(z.shape) == (4, 4) for _, z in seen)
    assert not np.allclose(np.asarray(seen[0][1]), np.asarray(seen[1][1]))  # fresh noise


def test_batch_not_divisible_by_d_steps_is_refused():
    g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, d_steps=3, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match="divisible by d_steps=3"):
        gan.fit(_points(64), batch_size=32, epochs=1, verbose=0)


def test_evaluate_changes_no_weight(tiny_gan):
    tiny_gan.fit(_points(), batch_size=32, epochs=1, verbose=0)
    before = weights_of(tiny_gan)
    results = tiny_gan.evaluate(_points(64, seed=3), batch_size=32, verbose=0, return_dict=True)
    assert set(results) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in results.values())
    assert not changed(before, weights_of(tiny_gan))


def test_generate_is_seeded_and_uses_numpy_latents(tiny_gan):
    a = tiny_gan.generate(5, seed=7)
    b = tiny_gan.generate(5, seed=7, batch_size=2)
    np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(7).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(a, np.asarray(tiny_gan.generator(z)), atol=1e-6)
    assert not np.allclose(a, tiny_gan.generate(5, seed=8))
    np.testing.assert_allclose(np.asarray(tiny_gan(z)), a, atol=1e-6)


def test_save_and_load_keeps_samples_and_goes_on_training(tiny_gan, tmp_path):
    tiny_gan.fit(_points(), batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    tiny_gan.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, kgan.GAN)
    np.testing.assert_array_equal(restored.generate(8, seed=0), tiny_gan.generate(8, seed=0))
    assert int(restored.d_optimizer.iterations) == int(tiny_gan.d_optimizer.iterations)
    assert restored.get_compile_config() == tiny_gan.get_compile_config()
    restored.fit(_points(), batch_size=32, epochs=1, verbose=0)
    assert int(restored.g_optimizer.iterations) == 2 * int(tiny_gan.g_optimizer.iterations)


def test_reloaded_training_continues_exactly(tmp_path):
    """Save after 1 epoch, reload, train 1 more: same weights as 2 epochs straight."""

    def make():
        keras.utils.set_random_seed(0)
        g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
        gan = kgan.GAN(g, d, seed=3)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        return gan

    x = _points(128)
    straight = make()
    straight.fit(x, batch_size=32, epochs=2, verbose=0, shuffle=False)
    first = make()
    first.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
    first.save(tmp_path / "gan.keras")
    resumed = keras.models.load_model(tmp_path / "gan.keras")
    resumed.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(weights_of(straight.generator), weights_of(resumed.generator)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_xla_step_matches_the_plain_step():
    def train(jit):
        keras.utils.set_random_seed(0)
        g, d = kgan.networks.mlp(
            4, (2,), generator_units=(8,), discriminator_units=(8,), dropout=0.0
        )
        gan = kgan.GAN(g, d, d_steps=2, seed=0)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), jit_compile=jit)
        gan.fit(_points(128), batch_size=32, epochs=2, verbose=0, shuffle=False)
        assert gan.jit_compile is jit
        return weights_of(gan)

    for a, b in zip(train(False), train(True)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_reuse_fake_variant_trains():
    g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, reuse_fake=True, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    g0 = weights_of(gan.generator)
    gan.fit(_points(64), batch_size=32, epochs=1, verbose=0)
    assert changed(g0, weights_of(gan.generator))
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 2


def test_ema_generator_lags_the_generator_and_is_used_for_sampling(tmp_path):
    g, d = kgan.networks.mlp(4, (2,), generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, seed=0, ema_half_life=1e6, ema_rampup=None)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    start = weights_of(gan.generator)
    gan.fit(_points(64), batch_size=32, epochs=1, verbose=0)
    ema, raw = weights_of(gan.ema_generator), weights_of(gan.generator)
    # A half-life of 1e6 images barely moves the average in 64 images.
    for s, e, r in zip(start, ema, raw):
        assert np.abs(e - s).max() <= np.abs(r - s).max() * 1e-3 + 1e-12
    z = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(gan.generate(3, seed=0), np.asarray(gan.ema_generator(z)), atol=1e-6)
    gan.save(tmp_path / "ema.keras")
    restored = keras.models.load_model(tmp_path / "ema.keras")
    np.testing.assert_array_equal(restored.generate(3, seed=0), gan.generate(3, seed=0))


def test_conditional_gan_trains_on_labelled_data():
    g, d = kgan.networks.mlp(4, (2,), num_classes=3, generator_units=(8,), discriminator_units=(8,))
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    assert gan.num_classes == 3
    labels = np.arange(64) % 3
    gan.fit(kgan.data.from_arrays(_points(64), labels, batch_size=32), epochs=1, verbose=0)
    assert gan.generate(6, seed=0, labels=[0, 1, 2, 0, 1, 2]).shape == (6, 2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        gan.generate(2, seed=0, labels=[0, 3])
    # kgan-runtime's label rule: one integer serves every sample.
    np.testing.assert_array_equal(
        gan.generate(3, seed=0, labels=2), gan.generate(3, seed=0, labels=[2, 2, 2])
    )
    with pytest.raises(ValueError, match="must yield \\(samples, labels\\)"):
        gan.fit(_points(64), batch_size=32, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"d_steps": 0}, ValueError, "d_steps must be a positive integer"),
        ({"loss": "l2"}, ValueError, "Unknown loss='l2'"),
        ({"latent_dim": 5}, ValueError, "does not match"),
        ({"label_smoothing": 0.1, "loss": "hinge"}, ValueError, "logistic losses"),
        ({"reuse_fake": True, "d_steps": 2}, ValueError, "reuse_fake=True needs d_steps=1"),
        # The bounds are kgan.rules' (TrainConfig's too): finite, and of the right kind.
        ({"label_smoothing": 1.0}, ValueError, r"label_smoothing must be in \[0, 1\)"),
        ({"gradient_penalty": float("inf")}, ValueError, "gradient_penalty must be a finite"),
        ({"r1_gamma": float("nan")}, ValueError, "r1_gamma must be a finite number >= 0"),
        ({"r1_interval": 2.0}, ValueError, "r1_interval must be a positive integer"),
        ({"ema_half_life": 0.0}, ValueError, "ema_half_life must be a finite number > 0 or None"),
        ({"ema_rampup": -0.1}, ValueError, "ema_rampup must be a finite number > 0 or None"),
        ({"d_steps": True}, ValueError, "d_steps must be a positive integer"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    g, d = kgan.networks.mlp(4, (2,))
    with pytest.raises(error, match=match):
        kgan.GAN(g, d, **kwargs)


def test_gan_and_train_config_share_their_bounds():
    from kgan import rules
    from kgan.train.config import TrainConfig

    for name, value in [("label_smoothing", 1.0), ("gradient_penalty", float("inf"))]:
        g, d = kgan.networks.mlp(4, (2,))
        with pytest.raises(ValueError) as from_gan:
            kgan.GAN(g, d, **{name: value})
        with pytest.raises(ValueError) as from_config:
            TrainConfig(**{name: value}).validate()
        assert str(from_gan.value) in str(from_config.value)
    assert rules.LABEL_SMOOTHING.contains(0.5) and not rules.LABEL_SMOOTHING.contains(1.0)


def test_fit_without_compile_says_so():
    g, d = kgan.networks.mlp(4, (2,))
    gan = kgan.GAN(g, d)
    with pytest.raises(Exception, match="compile"):
        gan.fit(_points(64), batch_size=32, epochs=1, verbose=0)


def test_get_config_round_trip(tiny_gan):
    clone = kgan.GAN.from_config(tiny_gan.get_config())
    assert clone.latent_dim == 4 and clone.d_steps == 1 and clone.loss_name == "non_saturating"
