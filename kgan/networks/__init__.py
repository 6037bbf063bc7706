"""Network pairs (MLP, DCGAN, PyTorch's 64x64 DCGAN, Stacked MNIST's small DCGAN, PacGAN)
and fast drop-in Keras layers.

Example:
    >>> import kgan
    >>> generator, discriminator = kgan.networks.dcgan(latent_dim=32, image_shape=(8, 8, 1))
    >>> generator.output_shape
    (None, 8, 8, 1)
"""

from kgan.networks.builders import (
    ARCHITECTURES,
    DCGAN_SIZES,
    SMALL_DCGAN_SIZES,
    UPSAMPLE_MODES,
    dcgan,
    dcgan64,
    mlp,
    rescale,
    small_dcgan,
)
from kgan.networks.pacgan import Pack, pack_discriminator, packed_mlp, packed_pair, packed_shape

__all__ = [
    "ARCHITECTURES",
    "DCGAN_SIZES",
    "SMALL_DCGAN_SIZES",
    "UPSAMPLE_MODES",
    "Pack",
    "dcgan",
    "dcgan64",
    "mlp",
    "pack_discriminator",
    "packed_mlp",
    "packed_pair",
    "packed_shape",
    "rescale",
    "small_dcgan",
]
