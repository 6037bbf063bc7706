"""GAN losses as pure functions of discriminator logits, and a registry by name.

Names follow TF-GAN's grammar: `<family>_discriminator_loss(real_logits,
fake_logits)` and `<family>_generator_loss(fake_logits, real_logits)`. Logits
may have any rank; each function averages over every element and returns a
float32 scalar. The discriminator *minimizes* its loss and so does the
generator, so every formula below is written as a quantity to minimize.

`D(x) = sigmoid(logit)` for the logistic families.

Example:
    >>> import numpy as np
    >>> from kgan import losses
    >>> pair = losses.get("non_saturating")
    >>> float(pair.generator(np.zeros(4, "float32"), None))  # -log(1/2)
    0.6931...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from keras import ops

Tensor = Any


def _f32(x: Tensor) -> Tensor:
    return ops.cast(x, "float32")


def _bce_with_logits(logits: Tensor, target: float) -> Tensor:
    """Per-element binary cross-entropy -[t log D + (1 - t) log(1 - D)]."""
    # -log sigmoid(l) = softplus(-l); -log(1 - sigmoid(l)) = softplus(l).
    loss = ops.softplus(-logits)
    if target != 1.0:
        loss = target * loss + (1.0 - target) * ops.softplus(logits)
    return loss


# --- Goodfellow et al. (2014), "Generative Adversarial Nets" -----------------


def minimax_discriminator_loss(
    real_logits: Tensor, fake_logits: Tensor, *, label_smoothing: float = 0.0
) -> Tensor:
    """The discriminator's side of the minimax game (Goodfellow et al., 2014, eq. 1).

    `-E[log D(x)] - E[log(1 - D(G(z)))]`. With `label_smoothing=a`, the real
    target is `1 - a` (one-sided label smoothing, Salimans et al., 2016).
    """
    real = _bce_with_logits(_f32(real_logits), 1.0 - label_smoothing)
    fake = ops.softplus(_f32(fake_logits))
    return ops.mean(real) + ops.mean(fake)


def minimax_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """The generator's side of the minimax game: `E[log(1 - D(G(z)))]`.

    The paper's Algorithm 1; it saturates when D rejects samples confidently.
    """
    del real_logits
    return -ops.mean(ops.softplus(_f32(fake_logits)))


def non_saturating_discriminator_loss(
    real_logits: Tensor, fake_logits: Tensor, *, label_smoothing: float = 0.0
) -> Tensor:
    """Same as `minimax_discriminator_loss`: only the generator's loss differs."""
    return minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=label_smoothing)


def non_saturating_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """`-E[log D(G(z))]`, the variant recommended in Goodfellow et al. (2014), sec. 3."""
    del real_logits
    return ops.mean(ops.softplus(-_f32(fake_logits)))


# --- Arjovsky et al. (2017); Gulrajani et al. (2017) -------------------------


def wasserstein_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """WGAN critic loss `E[D(G(z))] - E[D(x)]` (pair it with a gradient penalty)."""
    return ops.mean(_f32(fake_logits)) - ops.mean(_f32(real_logits))


def wasserstein_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """WGAN generator loss `-E[D(G(z))]`."""
    del real_logits
    return -ops.mean(_f32(fake_logits))


# --- Lim & Ye (2017); Miyato et al. (2018) -----------------------------------


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Hinge loss `E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]`."""
    return ops.mean(ops.relu(1.0 - _f32(real_logits))) + ops.mean(ops.relu(1.0 + _f32(fake_logits)))


def hinge_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """Hinge generator loss `-E[D(G(z))]`."""
    del real_logits
    return -ops.mean(_f32(fake_logits))


# --- Mao et al. (2017), LSGAN ------------------------------------------------


def least_squares_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """LSGAN (a=0, b=1): `1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`."""
    return 0.5 * ops.mean(ops.square(_f32(real_logits) - 1.0)) + 0.5 * ops.mean(
        ops.square(_f32(fake_logits))
    )


def least_squares_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """LSGAN (c=1): `1/2 E[(D(G(z)) - 1)^2]`."""
    del real_logits
    return 0.5 * ops.mean(ops.square(_f32(fake_logits) - 1.0))


# --- Jolicoeur-Martineau (2018), relativistic average GAN --------------------


def relativistic_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """RaGAN: `-E[log sig(C(x) - E C(G(z)))] - E[log(1 - sig(C(G(z)) - E C(x)))]`.

    The batch means are over the replica's batch under `tf.distribute`.
    """
    real, fake = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.softplus(-(real - ops.mean(fake)))) + ops.mean(
        ops.softplus(fake - ops.mean(real))
    )


def relativistic_generator_loss(fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """RaGAN generator loss: the discriminator's with real and fake swapped."""
    if real_logits is None:
        raise ValueError("The relativistic generator loss needs real_logits; got None.")
    return relativistic_discriminator_loss(fake_logits, real_logits)


class GANLoss(NamedTuple):
    """A pair of loss functions that play one game.

    Attributes:
        discriminator: `fn(real_logits, fake_logits) -> scalar`.
        generator: `fn(fake_logits, real_logits) -> scalar`.
        generator_needs_real: whether `generator` reads `real_logits`, so the
            generator phase must run D on real data too.
        supports_label_smoothing: whether `discriminator` takes `label_smoothing`.
    """

    discriminator: Callable[..., Tensor]
    generator: Callable[..., Tensor]
    generator_needs_real: bool = False
    supports_label_smoothing: bool = False


LOSSES: dict[str, GANLoss] = {}


def register(name: str, loss: GANLoss) -> GANLoss:
    """Registers a loss pair under `name` (used by `GAN(loss=name)` and `kgan-train --loss`)."""
    if name in LOSSES:
        raise ValueError(f"A loss named {name!r} is already registered.")
    LOSSES[name] = loss
    return loss


register(
    "minimax",
    GANLoss(minimax_discriminator_loss, minimax_generator_loss, supports_label_smoothing=True),
)
register(
    "non_saturating",
    GANLoss(
        non_saturating_discriminator_loss,
        non_saturating_generator_loss,
        supports_label_smoothing=True,
    ),
)
register("wasserstein", GANLoss(wasserstein_discriminator_loss, wasserstein_generator_loss))
register("hinge", GANLoss(hinge_discriminator_loss, hinge_generator_loss))
register("least_squares", GANLoss(least_squares_discriminator_loss, least_squares_generator_loss))
register(
    "relativistic",
    GANLoss(
        relativistic_discriminator_loss, relativistic_generator_loss, generator_needs_real=True
    ),
)


def get(name: str) -> GANLoss:
    """Returns the registered loss pair called `name`.

    Raises:
        ValueError: for an unknown name; the message lists the choices.
    """
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"Unknown loss={name!r}. Expected one of {sorted(LOSSES)}.")
    return LOSSES[name]
