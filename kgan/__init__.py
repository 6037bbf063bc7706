"""kgan: generative adversarial networks for Keras 3 on TensorFlow.

Example:
    >>> import kgan
    >>> generator, discriminator = kgan.networks.mlp(latent_dim=8, sample_shape=(2,))
    >>> gan = kgan.GAN(generator, discriminator, seed=0)
    >>> gan.compile(d_optimizer="adam", g_optimizer="adam")
    >>> gan.fit(kgan.data.load("ring8", batch_size=256), epochs=1)  # doctest: +SKIP
"""

from kgan._backend import ensure_tensorflow_backend

ensure_tensorflow_backend()

from kgan import (  # noqa: E402
    callbacks,
    data,
    distribute,
    layers,
    losses,
    networks,
    optimizers,
    presets,
)
from kgan.gan import GAN  # noqa: E402
from kgan.latents import sample_latents  # noqa: E402
from kgan.version import __version__  # noqa: E402

__all__ = [
    "GAN",
    "__version__",
    "callbacks",
    "data",
    "distribute",
    "layers",
    "losses",
    "networks",
    "optimizers",
    "presets",
    "sample_latents",
]
