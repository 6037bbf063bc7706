"""`TrainConfig`: everything that defines a training run, in typed groups; written to `config.json`.

A config holds six frozen groups, each a dataclass that checks its own fields:

| group | class | what |
|---|---|---|
| `data` | `DataConfig` | the dataset and its batches |
| `model` | `ModelConfig` | the network pair |
| `game` | `GameConfig` | the loss, its regularizers, the generator EMA |
| `optimizer` | `OptimizerConfig` | Adam and its learning-rate schedule |
| `run` | `RunConfig` | length, seed, checkpoints, sample grids, divergence handling |
| `runtime` | `RuntimeConfig` | distribution, precision, XLA, determinism |

Each field is declared once, with `setting(...)`: its default, its help text
(also shown by `kgan-train --help`, whose flags are generated from the fields)
and its rule (a `kgan.rules.Range` or a tuple of choices). Field names are
unique across the groups, so flat keywords address them:
`TrainConfig(dataset="ring8", lr=1e-3)` and `TrainConfig.from_preset("dcgan",
epochs=5)` fill the groups. Nothing here imports TensorFlow (checking `loss`
and `augment` does, through their registries).

Example:
    >>> config = TrainConfig.from_preset("sngan_hinge", epochs=5)
    >>> config.game.loss, config.run.epochs
    ('hinge', 5)
    >>> config.validate()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from kgan import rules

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def setting(
    default: Any,
    help: str,
    *,
    rule: rules.Range | None = None,
    choices: tuple[Any, ...] | None = None,
    flag: bool = True,
    resumable: bool = False,
) -> Any:
    """A config field: its default, help text and rule, in one place.

    Args:
        default: the default value (None: unset).
        help: one or two sentences for `--help` and the docs.
        rule: the range a number (or each number of a list) must lie in.
        choices: the values allowed.
        flag: whether `kgan-train` has a flag for it.
        resumable: whether the setting may change when a run is resumed.
    """
    metadata = {"help": help, "rule": rule, "choices": choices, "flag": flag,
                "resumable": resumable}  # fmt: skip
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Setting:
    """What is known about one config field (read from its `setting(...)`).

    `type` is `bool`, `int`, `float`, `str`, `list` (of ints), or `object`
    for a union such as `jit_compile`'s "auto"/True/False (then `choices`
    says what is allowed); `optional` says whether None is.
    """

    name: str
    group: str
    type: type
    optional: bool
    default: Any
    help: str
    rule: rules.Range | None
    choices: tuple[Any, ...] | None
    flag: bool
    resumable: bool

    def check(self, value: Any) -> None:
        """Raises ValueError naming this setting unless `value` is allowed."""
        name = self.name
        if value is None and self.optional:
            return
        if self.choices is not None:
            rules.check_choice(name, value, self.choices)
        elif self.type is list:  # of numbers in `rule`
            if not (isinstance(value, list) and value and all(map(self.rule.contains, value))):
                raise ValueError(
                    f"{name} must be a non-empty list, each {self.rule.describe()}; "
                    f"got {name}={value!r}."
                )
        elif self.rule is not None:
            self.rule.check(name, value, optional=self.optional)
        elif not _is_a(value, self.type):
            noun = {bool: "true or false", int: "an integer", str: "a string"}.get(
                self.type, f"a {self.type.__name__}"
            )
            raise ValueError(f"{name} must be {noun}; got {name}={value!r}.")


def _is_a(value: Any, kind: type) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    return isinstance(value, kind)


class _Group:
    """Shared by the groups: field introspection and self-validation (never mutates)."""

    def validate(self) -> None:
        """Raises ValueError naming the first bad setting of this group."""
        for s in self.settings():
            s.check(getattr(self, s.name))
        self._check_together()

    def _check_together(self) -> None:
        """Rules between fields of the group (each field is valid on its own here)."""

    @classmethod
    def settings(cls) -> tuple[Setting, ...]:
        return _settings(cls)


@functools.cache
def _settings(cls: type) -> tuple[Setting, ...]:
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        optional = type(None) in members
        members = tuple(m for m in members if m is not type(None))
        kind = (typing.get_origin(members[0]) or members[0]) if len(members) == 1 else object
        found.append(Setting(name=f.name, group=cls.GROUP, type=kind, optional=optional,
                             default=f.default, **f.metadata))  # fmt: skip
    return tuple(found)


def _documented(cls: type) -> type:
    """Makes `cls` a frozen dataclass and lists its fields' help under `Attributes:`."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    lines = [f"        {s.name}: {s.help}" for s in _settings(cls)]
    cls.__doc__ = f"{cls.__doc__.rstrip()}\n\n    Attributes:\n" + "\n".join(lines) + "\n"
    return cls


@_documented
class DataConfig(_Group):
    """The dataset and its batches."""

    GROUP: ClassVar[str] = "data"

    dataset: str = setting(
        "digits",
        f"A set kgan builds ({', '.join(rules.DATASETS)}; stacked_mnist reads MNIST from "
        "data_dir), a folder, an .npz file or a TFDS name (mnist, cifar10, ...).",
    )
    batch_size: int = setting(
        64,
        "Samples per batch: the global batch under a strategy, split into d_steps "
        "discriminator minibatches.",
        rule=rules.BATCH_SIZE,
    )
    num_examples: int | None = setting(
        None,
        f"Samples drawn for {', '.join(rules.SIZED)} (unset: kgan.data's default).",
        rule=rules.NUM_EXAMPLES,
    )
    data_dir: str | None = setting(
        None,
        "TFDS data folder; for stacked_mnist, a folder of MNIST IDX files (else TFDS's mnist).",
        resumable=True,
    )
    download: bool = setting(True, "Let TFDS download the dataset.", resumable=True)

    def _check_together(self) -> None:
        if self.num_examples is not None and self.dataset not in rules.SIZED:
            raise ValueError(
                f"num_examples applies to {', '.join(rules.SIZED)}, not dataset={self.dataset!r}."
            )


@_documented
class ModelConfig(_Group):
    """The network pair (`kgan.networks`)."""

    GROUP: ClassVar[str] = "model"

    arch: str = setting(
        "auto",
        "Network pair; auto: mlp for 2-D data, dcgan for images.",
        choices=("auto", *rules.ARCHITECTURES),
    )
    latent_dim: int = setting(64, "Size of the latent vector z.", rule=rules.LATENT_DIM)
    width: int = setting(
        64,
        "DCGAN width (channels of the generator's last hidden feature map; dcgan, small_dcgan).",
        rule=rules.WIDTH,
    )
    generator_units: list[int] | None = setting(
        None,
        "MLP generator hidden widths, e.g. 128,128 (unset: kgan.networks.mlp's).",
        rule=rules.UNITS,
    )
    discriminator_units: list[int] | None = setting(
        None,
        "MLP discriminator maxout units per layer, e.g. 128,128 (unset: the builder's).",
        rule=rules.UNITS,
    )
    maxout_pieces: int | None = setting(
        None, "Pieces per maxout unit, MLP only (unset: the builder's).", rule=rules.MAXOUT_PIECES
    )
    dropout: float | None = setting(
        None, "Discriminator dropout rate (unset: the builder's).", rule=rules.DROPOUT
    )
    d_width: int | None = setting(
        None,
        "Discriminator width of dcgan and small_dcgan (channels of its first layer; unset: "
        "dcgan's width, small_dcgan's width / 4).",
        rule=rules.WIDTH,
    )
    upsample: str = setting(
        "transpose",
        "dcgan generator upsampling: transpose (4x4 transposed convolutions) or resize (nearest "
        "neighbour, then a 3x3 convolution).",
        choices=rules.UPSAMPLE_MODES,
    )
    refine: bool = setting(
        False, "dcgan generator: a third convolution at full resolution, before the image."
    )
    spectral_norm: bool = setting(False, "Spectral normalization in the discriminator.")
    num_packed: int = setting(
        1,
        "PacGAN packing (Lin et al., 2018): D judges this many samples at once (1: off).",
        rule=rules.NUM_PACKED,
    )
    data_scale: float = setting(
        1.0, "The networks see data / data_scale (e.g. 4 for grid25's +-4).", rule=rules.POSITIVE
    )
    conditional: bool = setting(False, "Train a conditional GAN on the dataset's labels.")

    def __post_init__(self) -> None:
        for name in ("generator_units", "discriminator_units"):
            if isinstance(getattr(self, name), tuple):  # so that config.json round-trips
                object.__setattr__(self, name, list(getattr(self, name)))

    def _check_together(self) -> None:
        if self.num_packed > 1 and self.conditional:
            raise ValueError("num_packed > 1 (PacGAN) does not support conditional GANs.")
        if self.data_scale != 1.0 and self.conditional:
            raise ValueError("data_scale != 1 does not support conditional GANs.")


@_documented
class GameConfig(_Group):
    """The game (`kgan.GAN`): the loss, its regularizers, augmentation, the generator EMA."""

    GROUP: ClassVar[str] = "game"

    loss: str = setting(
        "non_saturating",
        f"The loss pair: {', '.join(rules.LOSSES)} (or one registered with "
        "kgan.core.losses.register).",
    )
    d_steps: int = setting(
        1, "Discriminator updates per generator update (k).", rule=rules.POSITIVE_INT
    )
    label_smoothing: float = setting(
        0.0, "One-sided label smoothing (logistic losses).", rule=rules.LABEL_SMOOTHING
    )
    gradient_penalty: float = setting(0.0, "WGAN-GP weight (0: off).", rule=rules.PENALTY_WEIGHT)
    r1_gamma: float = setting(0.0, "R1 penalty gamma (0: off).", rule=rules.PENALTY_WEIGHT)
    r1_interval: int = setting(
        1, "Lazy R1: every this many discriminator steps.", rule=rules.POSITIVE_INT
    )
    augment: str | None = setting(
        None, "DiffAugment policy, e.g. color,translation,cutout (unset: off)."
    )
    ema_half_life: float | None = setting(
        None, "Generator EMA half-life in images (unset: off).", rule=rules.EMA_HALF_LIFE
    )

    def _check_together(self) -> None:
        # The registries own these names (imported here: they need Keras).
        from kgan.core import losses
        from kgan.core.augment import DiffAugment

        losses.get(self.loss)
        if self.augment is not None:
            DiffAugment(self.augment)


@_documented
class OptimizerConfig(_Group):
    """Adam for both networks and its learning-rate schedule."""

    GROUP: ClassVar[str] = "optimizer"

    lr: float = setting(2e-4, "Adam learning rate of both networks.", rule=rules.POSITIVE)
    g_lr: float | None = setting(
        None, "The generator's Adam learning rate (unset: lr).", rule=rules.POSITIVE
    )
    beta_1: float = setting(0.5, "Adam beta_1 (0.5 as in DCGAN).", rule=rules.FRACTION)
    beta_2: float = setting(0.999, "Adam beta_2.", rule=rules.FRACTION)
    lr_decay: bool = setting(
        False,
        "Cosine decay of both learning rates to 0 over the run's steps (a resumed run then "
        "cannot change epochs).",
    )


@_documented
class RunConfig(_Group):
    """The run's length and seed, checkpoints, sample grids and divergence handling."""

    GROUP: ClassVar[str] = "run"

    epochs: int = setting(10, "Passes over the data.", rule=rules.POSITIVE_INT, resumable=True)
    steps_per_epoch: int | None = setting(
        None,
        "Cap on generator steps per epoch (unset: the whole data).",
        rule=rules.STEPS_PER_EPOCH,
    )
    seed: int = setting(0, "Seed of the weights, the noise and the data order.")
    grid_size: int = setting(64, "Samples in each epoch's PNG grid.", rule=rules.GRID_SIZE)
    checkpoint_every: int | None = setting(
        None,
        "Also checkpoint every this many steps (unset: at the end of each epoch only).",
        rule=rules.CHECKPOINT_EVERY,
    )
    keep_checkpoints: int = setting(
        3, "Checkpoints to keep.", rule=rules.KEEP_CHECKPOINTS, resumable=True
    )
    on_divergence: str = setting(
        "stop",
        "On NaN/Inf: stop, or roll back to the last good checkpoint with the learning rates "
        "scaled by rollback_lr_factor (at most max_rollbacks times).",
        choices=("stop", "rollback"),
    )
    rollback_lr_factor: float = setting(
        0.5,
        "Learning-rate factor of a rollback.",
        rule=rules.Range(0.0, 1.0, low_open=True, high_open=True),
    )
    max_rollbacks: int = setting(3, "Rollbacks before giving up.", rule=rules.MAX_ROLLBACKS)
    verbose: int | str = setting(
        "auto", "Keras progress output: 0, 1, 2 or auto.", choices=("auto", 0, 1, 2),
        flag=False, resumable=True,
    )  # fmt: skip
    preset: str | None = setting(
        None,
        "The kgan.train.presets recipe these settings came from (informative).",
        flag=False,
        resumable=True,
    )


@_documented
class RuntimeConfig(_Group):
    """How the steps run: distribution, precision, XLA and determinism."""

    GROUP: ClassVar[str] = "runtime"

    strategy: str = setting(
        "default",
        "tf.distribute strategy: default (one device), mirrored (all local GPUs), multi_worker "
        "(the TF_CONFIG cluster) or tpu. batch_size is the global batch.",
        choices=STRATEGIES,
        resumable=True,
    )
    precision: str = setting(
        "float32",
        "Keras dtype policy of the networks: float32, mixed_float16 (with loss scaling) or "
        "mixed_bfloat16; the losses stay float32.",
        choices=PRECISIONS,
    )
    jit_compile: bool | str = setting(
        "auto", "XLA for the training step.", choices=("auto", True, False)
    )
    steps_per_execution: int = setting(
        1, "Batches per tf.function call.", rule=rules.STEPS_PER_EXECUTION
    )
    deterministic: bool = setting(False, "TensorFlow op determinism (bit-exact resumption).")


GROUPS: dict[str, type[_Group]] = {
    cls.GROUP: cls
    for cls in (DataConfig, ModelConfig, GameConfig, OptimizerConfig, RunConfig, RuntimeConfig)
}
# Every setting by its (unique) name, in the order of the groups.
SETTINGS: dict[str, Setting] = {s.name: s for cls in GROUPS.values() for s in cls.settings()}
assert len(SETTINGS) == sum(len(cls.settings()) for cls in GROUPS.values()), "a name twice"
# Settings that may change between a run and its resumption.
RESUMABLE_CHANGES = tuple(name for name, s in SETTINGS.items() if s.resumable)
# What kgan 0.1's flat config.json held besides the settings (see `TrainConfig.from_json`).
_FLAT_RECORDS = ("sample_shape", "num_examples_resolved", "num_classes",
                 "steps_per_epoch_resolved", "kgan_version", "keras_version")  # fmt: skip


@dataclasses.dataclass(frozen=True, init=False)
class TrainConfig:
    """Everything that defines a training run, in six groups (see the module docstring).

    Args:
        data, model, game, optimizer, run, runtime: the groups (default: each
            group's defaults).
        **settings: flat settings by field name, applied on top of the groups
            (`TrainConfig(dataset="ring8", lr=1e-3)`).

    Raises:
        TypeError: for an unknown setting name or a group of the wrong class.

    Example:
        >>> TrainConfig(dataset="ring8", epochs=2).data.dataset
        'ring8'
    """

    data: DataConfig
    model: ModelConfig
    game: GameConfig
    optimizer: OptimizerConfig
    run: RunConfig
    runtime: RuntimeConfig

    def __init__(
        self,
        data: DataConfig | None = None,
        model: ModelConfig | None = None,
        game: GameConfig | None = None,
        optimizer: OptimizerConfig | None = None,
        run: RunConfig | None = None,
        runtime: RuntimeConfig | None = None,
        **settings: Any,
    ):
        given = {"data": data, "model": model, "game": game, "optimizer": optimizer,
                 "run": run, "runtime": runtime}  # fmt: skip
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise TypeError(f"Unknown settings {unknown}. Expected names from {list(SETTINGS)}.")
        for name, cls in GROUPS.items():
            group = given[name] if given[name] is not None else cls()
            if not isinstance(group, cls):
                raise TypeError(f"{name} must be a {cls.__name__}; got {group!r}.")
            mine = {k: v for k, v in settings.items() if SETTINGS[k].group == name}
            object.__setattr__(self, name, dataclasses.replace(group, **mine) if mine else group)

    def validate(self) -> None:
        """Raises ValueError naming the first bad setting; changes nothing."""
        for name in GROUPS:
            getattr(self, name).validate()
        batch, d_steps, packed = self.data.batch_size, self.game.d_steps, self.model.num_packed
        if batch % d_steps:
            raise ValueError(f"batch_size={batch} must be divisible by d_steps={d_steps}.")
        if (batch // d_steps) % packed:
            raise ValueError(
                f"num_packed={packed} must divide each discriminator minibatch "
                f"(batch_size / d_steps = {batch // d_steps})."
            )
        if self.optimizer.lr_decay and self.run.on_divergence == "rollback":
            raise ValueError(
                "on_divergence='rollback' lowers the learning rate, which lr_decay's schedule "
                "owns: use one or the other."
            )

    def replace(self, **settings: Any) -> TrainConfig:
        """A copy with flat `settings` changed: `config.replace(epochs=20)`."""
        return TrainConfig(**{name: getattr(self, name) for name in GROUPS}, **settings)

    def flat(self) -> dict[str, Any]:
        """Every setting by name: `{"dataset": ..., "arch": ..., ...}`."""
        return {name: getattr(getattr(self, s.group), name) for name, s in SETTINGS.items()}

    def to_json(self) -> dict[str, Any]:
        """The grouped form written to `config.json`: `{"data": {...}, "model": {...}, ...}`."""
        return {name: dataclasses.asdict(getattr(self, name)) for name in GROUPS}

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> TrainConfig:
        """The config of a `config.json`, grouped (as `to_json` writes) or flat (kgan 0.1).

        Top-level keys other than the groups (the run's resolved sizes and
        versions) are records, not settings, and are ignored; so are the
        extra keys of kgan 0.1's flat files. Settings missing from the file
        take their defaults.

        Raises:
            ValueError: for something that is not a config (an unknown
                setting, a setting in the wrong group, not a JSON object).
        """
        if not isinstance(saved, Mapping):
            raise ValueError(f"A config must be a JSON object; got {type(saved).__name__}.")
        if any(isinstance(saved.get(name), Mapping) for name in GROUPS):
            flat: dict[str, Any] = {}
            for name in GROUPS:
                for key, value in saved.get(name, {}).items():
                    if key not in SETTINGS or SETTINGS[key].group != name:
                        raise ValueError(f"Unknown setting {name}.{key} in the config.")
                    flat[key] = value
        else:
            flat = {k: v for k, v in saved.items() if k not in _FLAT_RECORDS}
            unknown = sorted(set(flat) - set(SETTINGS))
            if unknown:
                raise ValueError(f"Unknown settings {unknown} in the config.")
        return cls(**flat)

    @classmethod
    def from_preset(cls, preset: str | None, **overrides: Any) -> TrainConfig:
        """A config from a `kgan.train.presets` recipe, with flat `overrides` taking precedence.

        A recipe made for one dataset keeps only its game, networks and
        optimizer on another (`kgan.train.presets.get`); with an explicit
        `steps_per_epoch` that its `steps_per_execution` does not divide, the
        latter becomes their greatest common divisor.

        Raises:
            ValueError: for an unknown preset; the message lists the choices.

        Example:
            >>> TrainConfig.from_preset("sngan_hinge", epochs=5).game.loss
            'hinge'
        """
        from kgan.train import presets

        settings = presets.get(preset, overrides.get("dataset")) if preset else {}
        steps, per = overrides.get("steps_per_epoch"), settings.get("steps_per_execution")
        if steps and per and steps % per and "steps_per_execution" not in overrides:
            # A recipe's steps per execution fit its own epochs; an explicit epoch length wins.
            settings["steps_per_execution"] = math.gcd(steps, per)
        settings.update(overrides)
        return cls(preset=preset, **settings)
