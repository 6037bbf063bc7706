"""The latent tools in kgan are kgan-runtime's (one implementation, issue 14): importable from
kgan, and their latents drive a kgan.GAN's generator to the same samples as `gan.generate`."""

from __future__ import annotations

import importlib

import keras
import numpy as np

import kgan
import kgan_runtime.latent_tools


def test_kgan_latent_tools_are_the_runtimes():
    from kgan.latent_tools import interpolate, slerp, truncate, truncated_latents, walk

    assert kgan.latent_tools is kgan_runtime.latent_tools
    assert importlib.import_module("kgan.latent_tools") is kgan_runtime.latent_tools
    assert (interpolate, slerp, truncate, truncated_latents, walk) == (
        kgan_runtime.latent_tools.interpolate,
        kgan_runtime.latent_tools.slerp,
        kgan_runtime.latent_tools.truncate,
        kgan_runtime.latent_tools.truncated_latents,
        kgan_runtime.latent_tools.walk,
    )


def test_interpolation_ends_are_the_seeds_samples():
    keras.utils.set_random_seed(0)
    generator, discriminator = kgan.networks.mlp(latent_dim=8, sample_shape=(2,))
    gan = kgan.GAN(generator, discriminator, seed=0)
    z = kgan.latent_tools.interpolate(3, 11, steps=5, latent_dim=gan.latent_dim)
    assert z.shape == (5, 8) and z.dtype == np.float32
    np.testing.assert_array_equal(z[0], kgan.sample_latents(1, 8, seed=3)[0])
    np.testing.assert_array_equal(z[-1], kgan.sample_latents(1, 8, seed=11)[0])
    samples = keras.ops.convert_to_numpy(gan(z))
    np.testing.assert_allclose(samples[0], gan.generate(1, seed=3)[0], atol=1e-6)
    np.testing.assert_allclose(samples[-1], gan.generate(1, seed=11)[0], atol=1e-6)
    # The truncation trick: psi=1 leaves the seed's latents unchanged, psi=0 gives the mean.
    z0 = kgan.sample_latents(4, 8, seed=0)
    np.testing.assert_array_equal(kgan.latent_tools.truncate(z0, 1.0), z0)
    np.testing.assert_array_equal(kgan.latent_tools.truncate(z0, 0.0), np.zeros_like(z0))
