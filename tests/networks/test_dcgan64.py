"""kgan.networks.dcgan64: PyTorch examples/dcgan's 64x64 DCGAN, layer for layer (issue 16)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kgan
from kgan import networks
from kgan.networks.layers import BatchNormalization, Conv2D, Conv2DTranspose


def _torch_dcgan_parameters(nz: int, nc: int, ngf: int, ndf: int) -> tuple[int, int]:
    """PyTorch's parameter counts of examples/dcgan's Generator and Discriminator, by formula:
    bias-free 4x4 (transposed) convolutions, two parameters per batch-norm channel."""
    g_convs = [(nz, ngf * 8), (ngf * 8, ngf * 4), (ngf * 4, ngf * 2), (ngf * 2, ngf), (ngf, nc)]
    g = sum(16 * a * b for a, b in g_convs) + 2 * (ngf * 8 + ngf * 4 + ngf * 2 + ngf)
    d_convs = [(nc, ndf), (ndf, ndf * 2), (ndf * 2, ndf * 4), (ndf * 4, ndf * 8), (ndf * 8, 1)]
    d = sum(16 * a * b for a, b in d_convs) + 2 * (ndf * 2 + ndf * 4 + ndf * 8)
    return g, d


def _trainable(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_parameter_counts_are_pytorchs():
    assert _torch_dcgan_parameters(100, 3, 64, 64) == (3_576_704, 2_765_568)  # published
    g, d = networks.dcgan64()
    assert (_trainable(g), _trainable(d)) == (3_576_704, 2_765_568)
    g, d = networks.dcgan64(16, 1, width=8)
    assert (_trainable(g), _trainable(d)) == _torch_dcgan_parameters(16, 1, 8, 8)


def test_feature_maps_are_the_papers():
    g, d = networks.dcgan64()
    assert g.input_shape == (None, 100) and g.output_shape == (None, 64, 64, 3)
    g_maps = [layer.output.shape[1:] for layer in g.layers if layer.name.endswith("_relu")]
    assert g_maps == [(4, 4, 512), (8, 8, 256), (16, 16, 128), (32, 32, 64)]
    d_maps = [layer.output.shape[1:] for layer in d.layers if layer.name.endswith("_lrelu")]
    assert d_maps == [(32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512)]
    assert d.output_shape == (None, 1) and d.output.dtype == "float32"
    # kgan's fast drop-ins, batch norm on every G block and on D's blocks but the first.
    assert sum(isinstance(x, Conv2DTranspose) for x in g.layers) == 4
    assert sum(isinstance(x, Conv2D) for x in d.layers) == 4
    assert sum(isinstance(x, BatchNormalization) for x in g.layers) == 4
    assert sum(isinstance(x, BatchNormalization) for x in d.layers) == 3
    lrelu = [x for x in d.layers if isinstance(x, keras.layers.LeakyReLU)]
    assert [float(x.negative_slope) for x in lrelu] == [0.2] * 4


def _torch_conv_transpose(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """torch.nn.functional.conv_transpose2d in NumPy (x: N,C,H,W; w: C,O,K,K)."""
    n, _, h, width = x.shape
    k = w.shape[2]
    full = np.zeros((n, w.shape[1], (h - 1) * stride + k, (width - 1) * stride + k))
    for i in range(h):
        for j in range(width):
            patch = np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
            full[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += patch
    return full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]


def _torch_conv(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """torch.nn.functional.conv2d in NumPy (x: N,C,H,W; w: O,C,K,K)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[2]
    out_h = (x.shape[2] - k) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_h))
    for i in range(out_h):
        for j in range(out_h):
            window = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", window, w)
    return out


def test_up_and_down_blocks_compute_pytorchs_convolutions():
    """Keras's 'same' 4x4 stride-2 (transposed) convolutions are PyTorch's padding=1 ones."""
    g, d = networks.dcgan64(8, 3, width=2)
    rng = np.random.default_rng(0)
    up = g.get_layer("up_1")  # 8 -> 4 channels, 8x8 -> 16x16
    x = rng.normal(size=(2, 8, 8, 8)).astype(np.float32)
    kernel = np.asarray(up.kernel)  # (K, K, out, in); PyTorch's is (in, out, K, K)
    expected = _torch_conv_transpose(x.transpose(0, 3, 1, 2), kernel.transpose(3, 2, 0, 1), 2, 1)
    got = np.asarray(up(x)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    down = d.get_layer("down_1")  # 2 -> 4 channels, 32x32 -> 16x16
    x = rng.normal(size=(2, 32, 32, 2)).astype(np.float32)
    kernel = np.asarray(down.kernel)  # (K, K, in, out); PyTorch's is (out, in, K, K)
    expected = _torch_conv(x.transpose(0, 3, 1, 2), kernel.transpose(3, 2, 0, 1), 2, 1)
    got = np.asarray(down(x)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_fit_step_runs():
    keras.utils.set_random_seed(0)
    g, d = networks.dcgan64(16, 3, width=8)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(
        d_optimizer=kgan.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=kgan.optimizers.Adam(2e-4, beta_1=0.5),
    )
    images = np.random.default_rng(0).uniform(-1, 1, size=(16, 64, 64, 3)).astype(np.float32)
    before = [np.asarray(w).copy() for w in g.trainable_weights]
    history = gan.fit(kgan.data.from_arrays(images, batch_size=8, seed=0), epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert any(not np.array_equal(b, np.asarray(w)) for b, w in zip(before, g.trainable_weights))
    assert gan.generate(2, seed=0).shape == (2, 64, 64, 3)


@pytest.mark.parametrize("kwargs", [{"latent_dim": 0}, {"channels": 0}, {"width": 2.5}], ids=str)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="must be a positive integer"):
        networks.dcgan64(**kwargs)
