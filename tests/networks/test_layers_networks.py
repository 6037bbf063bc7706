"""Maxout and the network builders."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kgan import networks
from kgan.networks.layers import Maxout


def test_maxout_is_the_max_over_pieces():
    layer = Maxout(2, pieces=3)
    layer.build((None, 2))
    kernel = np.arange(12, dtype=np.float32).reshape(2, 6) - 6.0
    bias = np.linspace(-1, 1, 6).astype(np.float32)
    layer.set_weights([kernel, bias])
    x = np.array([[1.0, -2.0], [0.5, 0.5]], np.float32)
    expected = (x @ kernel + bias).reshape(2, 2, 3).max(axis=-1)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-6)


def test_maxout_round_trips_through_config():
    layer = Maxout(4, pieces=2, name="m")
    clone = Maxout.from_config(layer.get_config())
    assert (clone.units, clone.pieces, clone.name) == (4, 2, "m")


@pytest.mark.parametrize("size", networks.DCGAN_SIZES)
def test_dcgan_shapes(size):
    g, d = networks.dcgan(8, (size, size, 3), width=4)
    assert g.output_shape == (None, size, size, 3)
    assert d.output_shape == (None, 1)
    out = np.asarray(g(np.zeros((2, 8), np.float32)))
    assert out.shape == (2, size, size, 3) and np.all(np.abs(out) <= 1.0)


def test_dcgan_resize_upsampling_has_the_same_interface():
    g, _ = networks.dcgan(8, (28, 28, 1), width=4, upsample="resize")
    assert g.output_shape == (None, 28, 28, 1)


@pytest.mark.parametrize("upsample", networks.UPSAMPLE_MODES)
@pytest.mark.parametrize("size", [28, 64])
def test_dcgan_refine_adds_a_full_resolution_convolution(upsample, size):
    plain, _ = networks.dcgan(8, (size, size, 3), width=8, upsample=upsample)
    g, d = networks.dcgan(8, (size, size, 3), width=8, upsample=upsample, refine=True)
    assert g.output_shape == (None, size, size, 3) and d.output_shape == (None, 1)
    refine = g.get_layer("refine")
    assert refine.input.shape == (None, size, size, 4)  # width // 2 channels, at full size
    assert refine.kernel.shape == (3, 3, 4, 3)
    # The last upsampling now feeds a hidden map: batch norm and ReLU, no bias.
    last_up = g.get_layer(f"up_{(2 if size <= 32 else 4) - 1}")
    assert last_up.output.shape[1:] == (size, size, 4) and not last_up.use_bias
    assert isinstance(g.get_layer(f"{last_up.name}_bn"), keras.layers.BatchNormalization)
    names = {layer.name for layer in plain.layers}
    assert "refine" not in names and f"{last_up.name}_bn" not in names
    out = np.asarray(g(np.random.default_rng(0).normal(size=(2, 8)).astype("float32")))
    assert out.shape == (2, size, size, 3) and np.all(np.abs(out) <= 1.0)


@pytest.mark.parametrize("size", [28, 64])
def test_dcgan_d_width_sets_the_discriminator_apart_from_the_generator(size):
    n_down = 2 if size <= 32 else 4
    g, d = networks.dcgan(8, (size, size, 1), width=8)
    assert [d.get_layer(f"down_{i}").filters for i in range(n_down)] == [
        8 * 2**i for i in range(n_down)
    ]
    g2, d2 = networks.dcgan(8, (size, size, 1), width=8, d_width=3)
    assert [d2.get_layer(f"down_{i}").filters for i in range(n_down)] == [
        3 * 2**i for i in range(n_down)
    ]
    assert [w.shape for w in g2.weights] == [w.shape for w in g.weights]  # G unchanged
    assert d2(np.zeros((2, size, size, 1), np.float32)).shape == (2, 1)


def test_mlp_pair_matches_the_paper():
    g, d = networks.mlp(8, (2,))
    assert g.output_shape == (None, 2) and d.output_shape == (None, 1)
    relus = [layer for layer in g.layers if getattr(layer, "activation", None) is not None]
    assert any(layer.activation is keras.activations.relu for layer in relus)
    assert any(isinstance(layer, Maxout) for layer in d.layers)
    assert any(isinstance(layer, keras.layers.Dropout) for layer in d.layers)


def test_mlp_images_use_tanh():
    g, _ = networks.mlp(8, (8, 8, 1))
    out = np.asarray(g(np.full((1, 8), 50.0, np.float32)))
    assert out.shape == (1, 8, 8, 1) and np.all(np.abs(out) <= 1.0)


def test_conditional_pair_takes_labels():
    g, d = networks.dcgan(8, (8, 8, 1), width=4, num_classes=10)
    z = np.zeros((3, 8), np.float32)
    labels = np.array([0, 1, 9], np.int32)
    images = np.asarray(g([z, labels]))
    assert images.shape == (3, 8, 8, 1)
    assert d([images, labels]).shape == (3, 1)
    g2, d2 = networks.mlp(4, (2,), num_classes=3)
    points = np.asarray(g2([z[:, :4], labels % 3]))
    assert d2([points, labels % 3]).shape == (3, 1)


def test_spectral_norm_wraps_the_discriminator():
    _, d = networks.dcgan(8, (16, 16, 1), width=4, spectral_norm=True)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in d.layers)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"image_shape": (20, 20, 1)}, "H in"),
        ({"image_shape": (16, 8, 1)}, r"\(H, H, C\)"),
        ({"image_shape": (16, 16, 1), "upsample": "bicubic"}, "Unknown upsample"),
        ({"image_shape": (16, 16, 1), "num_classes": 1}, "num_classes"),
        ({"image_shape": (16, 16, 1), "width": 0}, "width"),
        ({"image_shape": (16, 16, 1), "d_width": 0}, "d_width"),
        ({"image_shape": (16, 16, 1), "refine": 1}, "refine"),
    ],
)
def test_dcgan_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        networks.dcgan(8, **kwargs)
