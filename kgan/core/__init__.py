"""The game: `GAN` (Algorithm 1 in `train_step`), losses, penalties, augmentation, RNG.

This wing never imports training, evaluation or export.
"""

from kgan.core.gan import GAN

__all__ = ["GAN"]
