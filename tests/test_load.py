"""`kgan.load`: Keras's load_model with kgan's classes registered and the file checked first."""

from __future__ import annotations

import numpy as np
import pytest

import kgan


def test_kgan_load_reads_a_saved_gan_and_names_a_damaged_file(tmp_path):
    generator, discriminator = kgan.networks.mlp(
        4, (2,), generator_units=(8,), discriminator_units=(4,), maxout_pieces=2
    )
    gan = kgan.GAN(generator, discriminator, seed=0)
    gan.compile(d_optimizer="adam", g_optimizer="adam")
    gan.save(tmp_path / "gan.keras")
    again = kgan.load(tmp_path / "gan.keras")
    assert isinstance(again, kgan.GAN)
    np.testing.assert_allclose(again.generate(3, seed=1), gan.generate(3, seed=1), atol=1e-6)
    data = (tmp_path / "gan.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"'.*cut\.keras' is corrupt"):
        kgan.load(tmp_path / "cut.keras")
