"""The networks of scripts/bench_train.py: each model in Keras (kgan's builders) and PyTorch,
with its arithmetic per image, so that GFLOP/s can be compared across sizes.

Models (batch 128 in the benchmark):

- `dcgan`: `kgan.networks.dcgan(64, (28, 28, 1))` (the 28x28 grey DCGAN);
- `dcgan32`: `kgan.networks.dcgan(64, (32, 32, 3))` (the same design on 32x32 RGB);
- `dcgan64`: `kgan.networks.dcgan64()`, PyTorch `examples/dcgan`'s 64x64 RGB network
  (latent 100; G 3,576,704 and D 2,765,568 parameters), and its PyTorch original;
- `mlp`: `kgan.networks.mlp(64, (28, 28, 1))` (Goodfellow et al.'s MLP pair).

Batch norm in the PyTorch twins uses Keras's epsilon (1e-3) and momentum (0.99, i.e. PyTorch's
0.01), as kgan's networks do; it does not change the arithmetic.

Example:
    >>> flops_per_image("dcgan64", "fresh") / 1e9  # doctest: +ELLIPSIS
    2.49...
"""

from __future__ import annotations

MODELS = {
    "dcgan": {"latent": 64, "image": (28, 28, 1)},
    "dcgan32": {"latent": 64, "image": (32, 32, 3)},
    "dcgan64": {"latent": 100, "image": (64, 64, 3)},
    "mlp": {"latent": 64, "image": (28, 28, 1)},
}
"""Model name -> latent size and image shape (H, W, C)."""


def macs(model: str) -> tuple[int, int]:
    """Multiply-adds of one forward pass of G and of D for one image.

    A stride-2 transposed convolution costs (input pixels) x Cin x Cout x 16, a stride-2
    convolution (output pixels) x Cin x Cout x 16 (4x4 kernels); batch norm and activations
    are left out.
    """
    latent, (size, _, channels) = MODELS[model]["latent"], MODELS[model]["image"]
    if model == "mlp":
        pixels = size * size * channels
        return latent * 256 + 256 * 256 + 256 * pixels, pixels * 640 + 128 * 640 + 128
    if model == "dcgan64":
        widths = [512, 256, 128, 64]
        g = latent * 16 * widths[0]
        g += sum(4**i * 16 * widths[i] * widths[i + 1] * 16 for i in range(3))
        g += 32 * 32 * widths[3] * channels * 16
        d = 32 * 32 * channels * widths[3] * 16
        d += sum(4 ** (2 - i) * 16 * widths[3 - i] * widths[2 - i] * 16 for i in range(3))
        return g, d + 16 * widths[0]
    start, w0, w1 = size // 4, 128, 64  # kgan.networks.dcgan with n_up = 2, width 64
    g = latent * start**2 * w0 + start**2 * w0 * w1 * 16 + (2 * start) ** 2 * w1 * channels * 16
    d = (2 * start) ** 2 * channels * w1 * 16 + start**2 * w1 * w0 * 16 + start**2 * w0
    return g, d


def flops_per_image(model: str, variant: str) -> float:
    """FLOPs of one update per real image (1 MAC = 2 FLOPs; a backward pass = 2 forward).

    D update: G forward (outside the tape), D forward on real and fake, D backward on both.
    G update: G forward (skipped by `reuse`), D forward and backward to its input (1x), G
    backward. About 162 MFLOP for the fresh 28x28 DCGAN step, 2.49 GFLOP for dcgan64's.
    """
    g, d = macs(model)
    d_update = g + 2 * d + 2 * (2 * d)
    g_update = (0 if variant == "reuse" else g) + d + d + 2 * g
    return 2.0 * (d_update + g_update)


def keras_pair(model: str):
    """(generator, discriminator) from kgan's builders."""
    import kgan

    latent, image = MODELS[model]["latent"], MODELS[model]["image"]
    if model == "mlp":
        return kgan.networks.mlp(latent, image)
    if model == "dcgan64":
        return kgan.networks.dcgan64(latent, image[2])
    return kgan.networks.dcgan(latent, image)


def torch_pair(model: str):
    """(generator, discriminator) in PyTorch, NCHW, D giving (N, 1) logits."""
    from torch import nn

    latent, (size, _, channels) = MODELS[model]["latent"], MODELS[model]["image"]

    def bn(n: int, dims: int = 2) -> nn.Module:
        return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(n, eps=1e-3, momentum=0.01)

    if model == "mlp":

        class Maxout(nn.Module):
            def __init__(self, d_in, units, pieces=5):
                super().__init__()
                self.units, self.pieces = units, pieces
                self.linear = nn.Linear(d_in, units * pieces)

            def forward(self, x):
                return self.linear(x).view(-1, self.units, self.pieces).amax(-1)

        pixels = size * size * channels
        generator = nn.Sequential(
            nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
            nn.Linear(256, pixels), nn.Tanh(), nn.Unflatten(1, (channels, size, size)),
        )  # fmt: skip
        discriminator = nn.Sequential(
            nn.Flatten(), Maxout(pixels, 128), nn.Dropout(0.2), Maxout(128, 128),
            nn.Dropout(0.2), nn.Linear(128, 1),
        )  # fmt: skip
        return generator, discriminator
    if model == "dcgan64":  # PyTorch examples/dcgan, ngf = ndf = 64
        ngf = ndf = 64
        g_layers: list[nn.Module] = [nn.Unflatten(1, (latent, 1, 1))]
        widths = [latent, ngf * 8, ngf * 4, ngf * 2, ngf]
        for i in range(4):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            g_layers += [
                nn.ConvTranspose2d(widths[i], widths[i + 1], 4, stride, pad, bias=False),
                bn(widths[i + 1]),
                nn.ReLU(True),
            ]
        g_layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False), nn.Tanh()]
        d_layers: list[nn.Module] = []
        widths = [channels, ndf, ndf * 2, ndf * 4, ndf * 8]
        for i in range(4):
            d_layers.append(nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=False))
            if i > 0:
                d_layers.append(bn(widths[i + 1]))
            d_layers.append(nn.LeakyReLU(0.2, inplace=True))
        d_layers += [nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten()]
        return nn.Sequential(*g_layers), nn.Sequential(*d_layers)
    start = size // 4
    generator = nn.Sequential(
        nn.Linear(latent, start * start * 128, bias=False),
        bn(start * start * 128, dims=1),
        nn.ReLU(),
        nn.Unflatten(1, (128, start, start)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
        bn(64),
        nn.ReLU(),
        nn.ConvTranspose2d(64, channels, 4, 2, 1),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(channels, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(start * start * 128, 1),
    )
    return generator, discriminator
