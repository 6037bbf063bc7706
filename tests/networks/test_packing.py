"""Tests for kgan.packing: PacGAN discriminators judge groups of samples."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

import kgan
from kgan.networks import pacgan as packing
from kgan.networks.pacgan import Pack, pack_discriminator, packed_mlp


def test_docstring_examples_run():
    result = doctest.testmod(packing, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_pack_vectors_concatenates_consecutive_samples():
    x = np.arange(12.0, dtype="float32").reshape(6, 2)
    out = Pack(3)(x).numpy()
    np.testing.assert_array_equal(out, x.reshape(2, 6))
    np.testing.assert_array_equal(Pack(1)(x), x)


def test_pack_images_concatenates_channels():
    x = np.random.default_rng(0).normal(size=(4, 3, 3, 2)).astype("float32")
    out = Pack(2)(x).numpy()
    assert out.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(out[0], np.concatenate([x[0], x[1]], axis=-1))
    np.testing.assert_array_equal(out[1], np.concatenate([x[2], x[3]], axis=-1))


def test_pack_errors():
    with pytest.raises(ValueError, match="num_packed must be a positive integer"):
        Pack(0)
    with pytest.raises(ValueError, match="batch divisible by 4; got a batch of 6"):
        Pack(4)(np.zeros((6, 2), "float32"))
    with pytest.raises(ValueError, match=r"\(d,\) or \(H, W, C\)"):
        packing.packed_shape((2, 2), 2)


def test_packed_discriminator_is_the_inner_network_on_packed_inputs():
    keras.utils.set_random_seed(0)
    _, inner = kgan.networks.mlp(4, (8,), dropout=0.0)
    d = pack_discriminator(inner, (2,), 4)
    x = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
    np.testing.assert_allclose(d(x).numpy(), inner(x.reshape(2, 8)).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"takes inputs of shape \(8,\)"):
        pack_discriminator(inner, (2,), 2)


def test_packed_gan_trains_saves_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = packed_mlp(2, (2,), 2, generator_units=(8,), discriminator_units=(8,), dropout=0.0)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    x, _ = kgan.data.mixture_arrays("ring8", num_examples=64)
    history = gan.fit(kgan.data.from_arrays(x, batch_size=32), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    gan.save(tmp_path / "gan.keras")
    reloaded = keras.models.load_model(tmp_path / "gan.keras")
    np.testing.assert_allclose(reloaded.generate(5, seed=0), gan.generate(5, seed=0), atol=1e-6)
    probe = np.zeros((4, 2), "float32")
    np.testing.assert_allclose(reloaded.discriminator(probe), gan.discriminator(probe), atol=1e-6)


def test_small_dcgan_has_the_unrolled_gan_shapes_and_a_quarter_size_discriminator():
    from kgan.networks import small_dcgan

    g, d = small_dcgan(256, (28, 28, 3))
    assert g.output_shape == (None, 28, 28, 3) and d.output_shape == (None, 1)
    shapes = [g.get_layer(f"up_{i}").output.shape[1:] for i in range(3)]
    assert shapes == [(7, 7, 32), (14, 14, 16), (28, 28, 8)]
    assert [d.get_layer(f"down_{i}").filters for i in range(3)] == [2, 4, 8]
    _, half = small_dcgan(256, (28, 28, 3), d_width=4)
    assert d.count_params() < half.count_params() < g.count_params()
    for size in (8, 16, 32):
        assert small_dcgan(8, (size, size, 1))[0].output_shape == (None, size, size, 1)
    with pytest.raises(ValueError, match="H in"):
        small_dcgan(8, (64, 64, 3))


@pytest.mark.parametrize("builder", ["dcgan", "small_dcgan"])
def test_packed_pair_packs_image_discriminators(builder):
    from kgan import networks

    g, d = networks.packed_pair(networks.ARCHITECTURES[builder], 8, (28, 28, 3), 4, width=8)
    assert d.name.startswith("pac4_")
    assert tuple(d.layers[-1].input_shape[1:]) == (28, 28, 12)  # the inner, packed discriminator
    x = np.zeros((8, 28, 28, 3), "float32")
    assert tuple(d(x).shape) == (2, 1) and g.output_shape == (None, 28, 28, 3)
    with pytest.raises(ValueError, match="conditional"):
        networks.packed_pair(networks.dcgan, 8, (28, 28, 3), 2, num_classes=10)
