"""`build_gan(config, ...)`: the compiled GAN that a `TrainConfig` describes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

from kgan.core.gan import GAN
from kgan.networks import builders as networks
from kgan.networks import pacgan as packing
from kgan.train import optimizers
from kgan.train.config import TrainConfig


def build_gan(
    config: TrainConfig,
    sample_shape: tuple[int, ...],
    num_classes: int | None = None,
    *,
    total_steps: int | None = None,
) -> GAN:
    """Builds and compiles the GAN that `config` describes for samples of `sample_shape`.

    Args:
        config: the settings.
        sample_shape: shape of one sample.
        num_classes: for a conditional GAN.
        total_steps: generator steps of the run; needed by `lr_decay`.

    The networks are built under the dtype policy `config.runtime.precision`; the
    global policy is restored afterwards.
    """
    with dtype_policy(config.runtime.precision):
        return _build_gan(config, sample_shape, num_classes, total_steps)


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Sets Keras's global dtype policy to `name` for the block, then restores it."""
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def _build_gan(config: TrainConfig, sample_shape, num_classes, total_steps) -> GAN:
    model, game, opt = config.model, config.game, config.optimizer
    keras.utils.set_random_seed(config.run.seed)
    arch = model.arch
    if arch == "auto":
        arch = "dcgan" if len(sample_shape) == 3 else "mlp"
    kwargs: dict[str, Any] = {"num_classes": num_classes, "spectral_norm": model.spectral_norm}
    mlp_only = ("generator_units", "discriminator_units", "maxout_pieces")
    for name in (*mlp_only, "dropout"):
        if getattr(model, name) is not None:
            if arch != "mlp" and name in mlp_only:
                raise ValueError(f"{name} applies to the mlp networks, not arch={arch!r}.")
            kwargs[name] = getattr(model, name)
    if arch in ("dcgan", "small_dcgan"):
        kwargs["width"] = model.width
    if arch == "dcgan":
        kwargs.update(upsample=model.upsample, refine=model.refine)
    elif model.upsample != "transpose" or model.refine:
        raise ValueError(f"upsample and refine apply to the dcgan networks, not arch={arch!r}.")
    if model.d_width is not None:
        if arch not in ("dcgan", "small_dcgan"):
            raise ValueError(
                f"d_width applies to the dcgan and small_dcgan networks, not arch={arch!r}."
            )
        kwargs["d_width"] = model.d_width
    builder = networks.ARCHITECTURES[arch]
    if model.num_packed > 1:
        kwargs.pop("num_classes")
        generator, discriminator = packing.packed_pair(
            builder, model.latent_dim, sample_shape, model.num_packed, **kwargs
        )
    else:
        generator, discriminator = builder(model.latent_dim, sample_shape, **kwargs)
    if model.data_scale != 1.0:
        generator, discriminator = networks.rescale(generator, discriminator, model.data_scale)
    gan = GAN(
        generator,
        discriminator,
        d_steps=game.d_steps,
        loss=game.loss,
        seed=config.run.seed,
        label_smoothing=game.label_smoothing,
        gradient_penalty=game.gradient_penalty,
        r1_gamma=game.r1_gamma,
        r1_interval=game.r1_interval,
        ema_half_life=game.ema_half_life,
        augment=game.augment,
    )

    def learning_rate(lr: float):
        if not opt.lr_decay:
            return lr
        if not total_steps:
            raise ValueError("lr_decay needs build_gan(..., total_steps=the run's steps).")
        return keras.optimizers.schedules.CosineDecay(lr, total_steps, alpha=0.0)

    adam = {"beta_1": opt.beta_1, "beta_2": opt.beta_2}
    gan.compile(
        d_optimizer=optimizers.Adam(learning_rate(opt.lr), **adam),  # Keras's Adam, fused kernel
        g_optimizer=optimizers.Adam(learning_rate(opt.g_lr or opt.lr), **adam),
        jit_compile=config.runtime.jit_compile,
        steps_per_execution=config.runtime.steps_per_execution,
    )
    return gan
