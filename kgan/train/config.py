"""`TrainConfig`: everything that defines a training run, written to `config.json`.

Example:
    >>> TrainConfig.from_preset("sngan_hinge", epochs=5).loss
    'hinge'
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from kgan.core import losses as losses_lib
from kgan.networks import builders as networks

# Settings that may change between a run and its resumption.
RESUMABLE_CHANGES = (
    "epochs", "verbose", "data_dir", "download", "keep_checkpoints", "strategy",
)  # fmt: skip
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run. Written to `config.json`.

    Attributes:
        dataset: a built-in set (ring8, grid25, digits) or a TFDS name.
        arch: "mlp" or "dcgan"; "auto" picks mlp for 2-D data, dcgan for images.
        loss: a name from `kgan.losses.LOSSES`.
        d_steps: discriminator updates per generator update.
        epochs: passes over the data.
        batch_size: samples per `fit` batch (split into d_steps minibatches).
        latent_dim: size of z.
        lr: learning rate of both Adam optimizers.
        beta_1: Adam's beta_1 (0.5 as in DCGAN).
        beta_2: Adam's beta_2.
        seed: seeds the weights, the noise, and the data order.
        width: DCGAN width (channels of the last generator feature map).
        generator_units: MLP generator hidden widths (None: `networks.mlp`'s).
        discriminator_units: MLP discriminator maxout units per layer (None:
            `networks.mlp`'s).
        maxout_pieces: pieces per maxout unit (None: `networks.mlp`'s).
        dropout: dropout rate in the discriminator (None: the builder's).
        num_packed: PacGAN packing (Lin et al., 2018): D judges this many
            samples at once (1: off; MLP only).
        data_scale: the networks see data divided by this (e.g. 4 for grid25's
            +-4), through `networks.rescale`.
        lr_decay: cosine decay of both learning rates to 0 over the run's
            steps (so a resumed run cannot change `epochs`).
        num_examples: points drawn for ring8/grid25 (None: 20,000).
        label_smoothing: one-sided label smoothing (logistic losses).
        gradient_penalty: WGAN-GP weight (0: off).
        r1_gamma: R1 penalty gamma (0: off).
        r1_interval: lazy R1 every this many D steps.
        spectral_norm: spectral normalization in the discriminator.
        augment: a DiffAugment policy such as "color,translation,cutout" (None: off).
        conditional: train a conditional GAN on the dataset's labels.
        preset: the `kgan.presets` name these settings came from (informative).
        ema_half_life: generator EMA half-life in images (None: off).
        grid_size: samples in each epoch's PNG grid.
        steps_per_epoch: cap on generator steps per epoch (None: whole data).
        jit_compile: XLA: "auto", true or false.
        strategy: a `kgan.distribute.get_strategy` name: "default" (one
            device), "mirrored" (all local GPUs), "multi_worker" (the cluster
            in `TF_CONFIG`) or "tpu". `batch_size` is the global batch.
        precision: "float32", "mixed_float16" (with loss scaling) or
            "mixed_bfloat16".
        steps_per_execution: batches per `tf.function` call.
        checkpoint_every: also checkpoint every this many steps (None: each epoch only).
        keep_checkpoints: how many checkpoints to keep.
        deterministic: TensorFlow op determinism (bit-exact resumption).
        on_divergence: "stop" (raise `Diverged`) or "rollback" (reload the
            last good checkpoint with the learning rates scaled by
            `rollback_lr_factor`, at most `max_rollbacks` times).
        rollback_lr_factor: learning-rate factor of a rollback.
        max_rollbacks: rollbacks before giving up.
        data_dir: TFDS data folder.
        download: let TFDS download.
        verbose: Keras progress output (0, 1, 2 or "auto").
    """

    dataset: str = "digits"
    arch: str = "auto"
    loss: str = "non_saturating"
    d_steps: int = 1
    epochs: int = 10
    batch_size: int = 64
    latent_dim: int = 64
    lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    seed: int = 0
    width: int = 64
    generator_units: list[int] | None = None
    discriminator_units: list[int] | None = None
    maxout_pieces: int | None = None
    dropout: float | None = None
    num_packed: int = 1
    data_scale: float = 1.0
    lr_decay: bool = False
    num_examples: int | None = None
    label_smoothing: float = 0.0
    gradient_penalty: float = 0.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
    spectral_norm: bool = False
    augment: str | None = None
    conditional: bool = False
    preset: str | None = None
    ema_half_life: float | None = None
    grid_size: int = 64
    steps_per_epoch: int | None = None
    jit_compile: Any = "auto"
    strategy: str = "default"
    precision: str = "float32"
    steps_per_execution: int = 1
    checkpoint_every: int | None = None
    keep_checkpoints: int = 3
    deterministic: bool = False
    on_divergence: str = "stop"
    rollback_lr_factor: float = 0.5
    max_rollbacks: int = 3
    data_dir: str | None = None
    download: bool = True
    verbose: Any = "auto"

    def validate(self) -> None:
        """Raises ValueError naming the first bad setting."""
        positive = (
            "d_steps", "epochs", "batch_size", "latent_dim", "width", "grid_size",
            "keep_checkpoints",
        )  # fmt: skip
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")
        if self.arch not in ("auto", *networks.ARCHITECTURES):
            raise ValueError(
                f"Unknown arch={self.arch!r}. Expected one of "
                f"{['auto', *sorted(networks.ARCHITECTURES)]}."
            )
        losses_lib.get(self.loss)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0; got lr={self.lr!r}.")
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {name}={value!r}.")
        for name in ("gradient_penalty", "r1_gamma", "label_smoothing"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0; got {name}={value!r}.")
        if self.augment is not None:
            from kgan.augment import DiffAugment

            DiffAugment(self.augment)
        for name in ("generator_units", "discriminator_units"):
            value = getattr(self, name)
            if value is not None:
                value = list(value)
                if not value or not all(
                    isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
                ):
                    raise ValueError(
                        f"{name} must be a non-empty list of positive integers; got {value!r}."
                    )
                setattr(self, name, value)
        for name in ("maxout_pieces", "num_examples"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None; got {value!r}.")
        if self.num_examples is not None and self.dataset not in ("ring8", "grid25"):
            raise ValueError(
                f"num_examples applies to ring8 and grid25, not dataset={self.dataset!r}."
            )
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got dropout={self.dropout!r}.")
        if not isinstance(self.num_packed, int) or self.num_packed < 1:
            raise ValueError(f"num_packed must be a positive integer; got {self.num_packed!r}.")
        if (self.batch_size // self.d_steps) % self.num_packed:
            raise ValueError(
                f"num_packed={self.num_packed} must divide each discriminator minibatch "
                f"(batch_size / d_steps = {self.batch_size // self.d_steps})."
            )
        if self.num_packed > 1 and self.conditional:
            raise ValueError("num_packed > 1 (PacGAN) does not support conditional GANs.")
        if not (math.isfinite(self.data_scale) and self.data_scale > 0):
            raise ValueError(f"data_scale must be a finite number > 0; got {self.data_scale!r}.")
        if self.data_scale != 1.0 and self.conditional:
            raise ValueError("data_scale != 1 does not support conditional GANs.")
        if self.lr_decay and self.on_divergence == "rollback":
            raise ValueError(
                "on_divergence='rollback' lowers the learning rate, which lr_decay's schedule "
                "owns: use one or the other."
            )
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"Unknown strategy={self.strategy!r}. Expected one of {list(STRATEGIES)}."
            )
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"Unknown precision={self.precision!r}. Expected one of {list(PRECISIONS)}."
            )
        if not isinstance(self.steps_per_execution, int) or self.steps_per_execution < 1:
            raise ValueError(
                f"steps_per_execution must be a positive integer; got {self.steps_per_execution!r}."
            )
        if self.batch_size % self.d_steps:
            raise ValueError(
                f"batch_size={self.batch_size} must be divisible by d_steps={self.d_steps}."
            )
        for name in ("steps_per_epoch", "checkpoint_every"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None; got {value!r}.")
        if self.on_divergence not in ("stop", "rollback"):
            raise ValueError(
                f"Unknown on_divergence={self.on_divergence!r}. Expected one of "
                "['rollback', 'stop']."
            )
        if not 0.0 < self.rollback_lr_factor < 1.0:
            raise ValueError(
                f"rollback_lr_factor must be in (0, 1); got {self.rollback_lr_factor!r}."
            )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_preset(cls, preset: str | None, **overrides: Any) -> TrainConfig:
        """A config from a `kgan.presets` recipe, with `overrides` taking precedence.

        Example:
            >>> TrainConfig.from_preset("sngan_hinge", epochs=5).loss
            'hinge'
        """
        from kgan.train import presets

        settings = presets.get(preset) if preset else {}
        settings.update(overrides)
        return cls(preset=preset, **settings)
