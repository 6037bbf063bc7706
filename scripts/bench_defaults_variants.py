"""bench_defaults.py's kgan case with generators that are not kgan options (issue 15's screening).

Each variant replaces the kgan case's `kgan.networks.dcgan` with a 28x28 DCGAN built here: the
`upsample="resize"` generator (dense to 7x7x128, then nearest-neighbour upsampling and a
convolution twice) with a third convolution (32 channels, batch norm, ReLU) at 28x28 before
the output, and kgan's own discriminator unless the variant says otherwise:

- `extra_conv`: 3x3 kernels (the network of kgan's `dcgan(..., upsample="resize",
  refine=True)`, which came out of this screening; built here after kgan's pair, its weights
  start from other draws of the seeded stream, so its figures are the same network on another
  initialisation);
- `extra_conv_k5`: 5x5 kernels in every generator convolution;
- `extra_conv_dbn`: 3x3 kernels, and batch norm after the discriminator's second convolution.

Every other argument goes to bench_defaults.py unchanged (the protocol, seeds, `--gan_kwargs`,
`--json`, `--picture`), so the figures are comparable with its table; the rows are labelled
"kgan VARIANT", so `bench_defaults.py --merge` keeps them apart from the plain kgan case:

    .venv/bin/python scripts/bench_defaults_variants.py extra_conv --cases kgan --seeds 0 \\
        --gan_kwargs '{"loss": "least_squares"}'
"""

from __future__ import annotations

import sys

import bench_defaults

VARIANTS = ("extra_conv", "extra_conv_k5", "extra_conv_dbn")


def variant_dcgan(variant: str):
    """A drop-in for `kgan.networks.dcgan(latent_dim, (28, 28, 1), width=64)`."""
    import keras
    from keras import layers

    import kgan

    kgan_dcgan = kgan.networks.dcgan

    def dcgan(latent_dim: int, image_shape, width: int = 64, **kwargs):
        if tuple(image_shape) != (28, 28, 1) or kwargs:
            raise SystemExit(f"{variant}: builds (28, 28, 1) only and takes no --dcgan_kwargs")
        # kgan's pair is built first even where only its discriminator is kept (or none): its
        # initializers draw from the seeded stream, so this keeps the recorded figures.
        _, discriminator = kgan_dcgan(latent_dim, image_shape, width=width, upsample="resize")
        k = 5 if variant == "extra_conv_k5" else 3

        def block(h, filters):
            h = layers.Conv2D(filters, k, padding="same", use_bias=False)(h)
            return layers.ReLU()(layers.BatchNormalization()(h))

        z = keras.Input((latent_dim,), name="z")
        h = layers.Dense(7 * 7 * 2 * width, use_bias=False)(z)
        h = layers.Reshape((7, 7, 2 * width))(layers.ReLU()(layers.BatchNormalization()(h)))
        h = block(layers.UpSampling2D(2)(h), width)
        h = block(layers.UpSampling2D(2)(h), width // 2)
        h = layers.Conv2D(1, k, padding="same")(h)
        generator = keras.Model(z, layers.Activation("tanh", dtype="float32")(h))
        if variant == "extra_conv_dbn":
            x = keras.Input(image_shape)
            h = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(x))
            h = layers.Conv2D(2 * width, 4, strides=2, padding="same")(h)
            h = layers.Flatten()(layers.LeakyReLU(0.2)(layers.BatchNormalization()(h)))
            discriminator = keras.Model(x, layers.Dense(1, dtype="float32")(h))
        return generator, discriminator

    return dcgan


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in VARIANTS:
        raise SystemExit(f"usage: bench_defaults_variants.py {{{','.join(VARIANTS)}}} [ARGS...]")
    return bench_defaults.main(argv[1:], networks=(argv[0], variant_dcgan(argv[0])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
