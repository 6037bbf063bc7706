"""DiffAugment: each augmentation does what it says, is seeded, and passes gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgan.core import augment


def _images(n=16, size=8, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 1)).astype(np.float32)


def _shift(image, dy, dx):
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = image[i - dy, j - dx]
    return out


def test_translation_shifts_each_image_within_an_eighth():
    x = _images()
    y = np.asarray(augment.translation(tf.constant(x), keras.random.SeedGenerator(1)))
    shifts = []
    for original, moved in zip(x, y):
        found = [
            (dy, dx) for dy in range(-1, 2) for dx in range(-1, 2)
            if np.allclose(_shift(original, dy, dx), moved)
        ]  # fmt: skip
        assert found, "an output is not a shift of its input by at most 1 pixel"
        shifts.append(found[0])
    assert len(set(shifts)) > 3  # shifts differ between images


def test_cutout_zeroes_one_half_size_square():
    x = np.ones((32, 8, 8, 1), np.float32)
    y = np.asarray(augment.cutout(tf.constant(x), keras.random.SeedGenerator(2)))
    for image in y[..., 0]:
        rows, cols = np.nonzero(image == 0)
        assert 0 < len(rows) <= 16
        # the zeros form a full rectangle, clipped by the border, at most 4 x 4
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert rows.max() - rows.min() < 4 and cols.max() - cols.min() < 4
    assert (y == 0).sum(axis=(1, 2, 3)).max() == 16  # some squares lie fully inside


def test_color_changes_brightness_and_contrast_per_image():
    x = _images()
    y = np.asarray(augment.color(tf.constant(x), keras.random.SeedGenerator(3)))
    assert y.shape == x.shape
    shift = y.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))
    assert np.ptp(shift) > 0.1  # a different brightness per image


def test_policy_is_seeded_and_differentiable():
    policy = augment.DiffAugment("color,translation,cutout")
    x = tf.constant(_images())
    a = policy(x, keras.random.SeedGenerator(5))
    b = policy(x, keras.random.SeedGenerator(5))
    c = policy(x, keras.random.SeedGenerator(6))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(policy(x, keras.random.SeedGenerator(5)))
    grad = tape.gradient(total, x)
    assert grad is not None and np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0


def test_policy_works_under_xla():
    policy = augment.DiffAugment("translation,cutout")
    x = tf.constant(_images())
    plain = policy(x, keras.random.SeedGenerator(7))
    seed = keras.random.SeedGenerator(7)
    compiled = tf.function(lambda t: policy(t, seed), jit_compile=True)
    np.testing.assert_allclose(np.asarray(plain), np.asarray(compiled(x)), atol=1e-6)


def test_config_round_trip_and_errors():
    policy = augment.DiffAugment("translation, cutout")
    assert augment.DiffAugment.from_config(policy.get_config()).names == ["translation", "cutout"]
    with pytest.raises(ValueError, match="Unknown DiffAugment policy='flip'"):
        augment.DiffAugment("flip")
    with pytest.raises(ValueError, match="NHWC"):
        policy(tf.zeros((2, 3)), keras.random.SeedGenerator(0))


# --------------------------------------------------------- GAN(augment=...)


class _CountingAugment(augment.DiffAugment):
    """A DiffAugment that counts its calls (run eagerly to count per step)."""

    def __init__(self, policy="translation,cutout"):
        super().__init__(policy)
        self.calls = 0

    def __call__(self, x, seed_generator):
        self.calls += 1
        return super().__call__(x, seed_generator)


def _image_gan(augment_policy, **kwargs):
    import kgan

    g, d = kgan.networks.dcgan(8, (8, 8, 1), width=8)
    gan = kgan.GAN(g, d, seed=0, augment=augment_policy, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), run_eagerly=True)
    return gan


@pytest.mark.parametrize(
    "kwargs, per_step",
    [
        ({}, 3),  # D: real, fake; G: fake
        ({"loss": "relativistic"}, 4),  # G also looks at real
        ({"r1_gamma": 1.0}, 4),  # R1 differentiates through the augmentation of real
        ({"loss": "wasserstein", "gradient_penalty": 10.0}, 4),  # and GP at x_hat
        ({"reuse_fake": True}, 3),
    ],
)
def test_every_discriminator_call_in_training_sees_augmented_samples(kwargs, per_step):
    policy = _CountingAugment()
    gan = _image_gan(policy, **kwargs)
    gan.fit(_images(64), batch_size=16, epochs=1, verbose=0)  # 4 steps
    assert policy.calls == 4 * per_step
    policy.calls = 0
    gan.evaluate(_images(32), batch_size=16, verbose=0)  # evaluation is not augmented
    assert policy.calls == 0


def test_augmentation_changes_training_and_passes_gradients_to_the_generator():
    plain, augmented = _image_gan(None), _image_gan("color,translation,cutout")
    augmented.set_weights(plain.get_weights())
    g0 = [np.array(w) for w in augmented.generator.weights]
    for gan in (plain, augmented):
        gan.fit(_images(32), batch_size=16, epochs=1, verbose=0, shuffle=False)
    g_plain = [np.array(w) for w in plain.generator.weights]
    g_aug = [np.array(w) for w in augmented.generator.weights]
    assert any(not np.array_equal(a, b) for a, b in zip(g0, g_aug))
    assert any(not np.allclose(a, b, atol=1e-6) for a, b in zip(g_plain, g_aug))


def test_augment_is_saved_with_the_gan(tmp_path):
    gan = _image_gan("translation,cutout")
    assert gan.get_config()["augment"] == "translation,cutout"
    gan.save(tmp_path / "gan.keras")
    restored = keras.models.load_model(tmp_path / "gan.keras")
    assert isinstance(restored.augment, augment.DiffAugment)
    assert restored.augment.names == ["translation", "cutout"]


def test_augment_needs_images_and_a_known_policy():
    import kgan

    g, d = kgan.networks.mlp(4, (2,))
    with pytest.raises(ValueError, match="needs image samples"):
        kgan.GAN(g, d, augment="translation")
    g, d = kgan.networks.dcgan(8, (8, 8, 1), width=8)
    with pytest.raises(ValueError, match="Unknown DiffAugment policy"):
        kgan.GAN(g, d, augment="flip")
    with pytest.raises(TypeError, match="policy string or a DiffAugment"):
        kgan.GAN(g, d, augment=42)
