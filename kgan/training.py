"""`train_and_evaluate(config, workdir)`: the whole training job behind `kgan-train`.

A run folder holds:

- `config.json`: the resolved configuration;
- `samples/epoch_NNN.png`: samples from a fixed latent batch after each epoch
  (a scatter plot over the real points for 2-D data);
- `history.jsonl`: one line of metrics per epoch, and one per event
  (resumed, interrupted, diverged, rolled back);
- `tensorboard/`: TensorBoard logs (scalars and sample images);
- `checkpoints/ckpt-NNNNNNNNN.{keras,json}`: the last few checkpoints;
- `gan.keras`: the whole GAN, compiled, ready to `keras.models.load_model`
  and go on training;
- `generator.keras`: the generator used for sampling (the EMA one when on).

Running the same job again on the same folder resumes from the last
checkpoint: both networks, both optimizers, the EMA, the RNG states and the
position in the data, so a run killed at any moment and resumed ends with the
weights of an uninterrupted run (bit for bit with `deterministic=True`).

Example:
    >>> from kgan.training import TrainConfig, train_and_evaluate
    >>> result = train_and_evaluate(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")
    ... # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan import callbacks as callbacks_lib
from kgan import data as data_lib
from kgan import distribute, networks, optimizers, packing
from kgan import losses as losses_lib
from kgan._fileio import atomic_file, write_json
from kgan.gan import GAN
from kgan.version import __version__

CHECKPOINT_DIR = "checkpoints"
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
        from kgan import presets

        settings = presets.get(preset) if preset else {}
        settings.update(overrides)
        return cls(preset=preset, **settings)


class Diverged(RuntimeError):
    """Training produced NaN or Inf; the last good checkpoint is intact."""

    def __init__(self, message: str, *, step: int, quantity: str):
        super().__init__(message)
        self.step = step
        self.quantity = quantity


class Interrupted(RuntimeError):
    """SIGINT or SIGTERM arrived; a checkpoint was saved and training stopped."""

    def __init__(self, message: str, *, signum: int, step: int):
        super().__init__(message)
        self.signum = signum
        self.step = step


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

    The networks are built under the dtype policy `config.precision`; the
    global policy is restored afterwards.
    """
    with _dtype_policy(config.precision):
        return _build_gan(config, sample_shape, num_classes, total_steps)


@contextlib.contextmanager
def _dtype_policy(name: str) -> Iterator[None]:
    """Sets Keras's global dtype policy to `name` for the block, then restores it."""
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def _build_gan(config, sample_shape, num_classes, total_steps) -> GAN:
    keras.utils.set_random_seed(config.seed)
    arch = config.arch
    if arch == "auto":
        arch = "dcgan" if len(sample_shape) == 3 else "mlp"
    kwargs: dict[str, Any] = {"num_classes": num_classes, "spectral_norm": config.spectral_norm}
    mlp_only = ("generator_units", "discriminator_units", "maxout_pieces")
    for name in (*mlp_only, "dropout"):
        if getattr(config, name) is not None:
            if arch != "mlp" and name in mlp_only:
                raise ValueError(f"{name} applies to the mlp networks, not arch={arch!r}.")
            kwargs[name] = getattr(config, name)
    if config.num_packed > 1:
        if arch != "mlp":
            raise ValueError(f"num_packed (PacGAN) needs the mlp networks, not arch={arch!r}.")
        kwargs.pop("num_classes")
        generator, discriminator = packing.packed_mlp(
            config.latent_dim, sample_shape, config.num_packed, **kwargs
        )
    elif arch == "dcgan":
        generator, discriminator = networks.dcgan(
            config.latent_dim, sample_shape, width=config.width, **kwargs
        )
    else:
        generator, discriminator = networks.mlp(config.latent_dim, sample_shape, **kwargs)
    if config.data_scale != 1.0:
        generator, discriminator = networks.rescale(generator, discriminator, config.data_scale)
    gan = GAN(
        generator,
        discriminator,
        d_steps=config.d_steps,
        loss=config.loss,
        seed=config.seed,
        label_smoothing=config.label_smoothing,
        gradient_penalty=config.gradient_penalty,
        r1_gamma=config.r1_gamma,
        r1_interval=config.r1_interval,
        ema_half_life=config.ema_half_life,
        augment=config.augment,
    )

    def learning_rate():
        if not config.lr_decay:
            return config.lr
        if not total_steps:
            raise ValueError("lr_decay needs build_gan(..., total_steps=the run's steps).")
        return keras.optimizers.schedules.CosineDecay(config.lr, total_steps, alpha=0.0)

    adam = {"beta_1": config.beta_1, "beta_2": config.beta_2}
    gan.compile(
        d_optimizer=optimizers.Adam(learning_rate(), **adam),  # Keras's Adam, fused kernel
        g_optimizer=optimizers.Adam(learning_rate(), **adam),
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )
    return gan


def save_keras_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """Saves a `.keras` file under a temporary name, then renames it into place."""
    with atomic_file(path, suffix=".keras") as tmp:
        model.save(tmp)
    return Path(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _finite(model: keras.Model) -> str | None:
    """The path of the first non-finite variable of `model`, or None."""
    for variable in model.variables:
        value = np.asarray(variable)
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            return variable.path
    return None


class Checkpoints:
    """The checkpoints of a run folder: `ckpt-NNNNNNNNN.keras` plus a JSON that vouches for it.

    A checkpoint counts only once its JSON exists and the sha256 it records
    matches the `.keras` file, so a kill at any moment leaves either the
    previous checkpoint or a complete new one.
    """

    def __init__(self, folder: Path, keep: int):
        self.folder = folder
        self.keep = keep

    def _paths(self, step: int) -> tuple[Path, Path]:
        stem = self.folder / f"ckpt-{step:09d}"
        return stem.with_suffix(".keras"), stem.with_suffix(".json")

    def save(self, gan: GAN, *, step: int, epoch: int) -> Path:
        model_path, meta_path = self._paths(step)
        save_keras_atomic(gan, model_path)
        meta = {
            "step": step,
            "epoch": epoch,
            "sha256": _sha256(model_path),
            "d_lr": float(np.asarray(gan.d_optimizer.learning_rate)),
            "g_lr": float(np.asarray(gan.g_optimizer.learning_rate)),
            "time": time.time(),
        }
        write_json(meta, meta_path)
        self.prune()
        return model_path

    def valid(self) -> list[dict[str, Any]]:
        """Complete checkpoints, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for meta_path in sorted(self.folder.glob("ckpt-*.json")):
            try:
                meta = json.loads(meta_path.read_text())
                model_path = meta_path.with_suffix(".keras")
                if model_path.is_file() and _sha256(model_path) == meta["sha256"]:
                    found.append({**meta, "path": model_path})
            except (OSError, ValueError, KeyError):
                continue
        return found

    def latest(self) -> dict[str, Any] | None:
        found = self.valid()
        return found[-1] if found else None

    def prune(self) -> None:
        for meta in self.valid()[: -self.keep]:
            meta["path"].unlink(missing_ok=True)
            meta["path"].with_suffix(".json").unlink(missing_ok=True)

    def clean_partial(self) -> None:
        """Removes temporary files left by a kill during a save."""
        if self.folder.is_dir():
            for tmp in self.folder.glob(".ckpt-*"):
                tmp.unlink(missing_ok=True)


class _RunState(keras.callbacks.Callback):
    """Counts steps, checkpoints, guards against divergence, and honours SIGINT/SIGTERM."""

    def __init__(
        self,
        checkpoints: Checkpoints,
        history_path: Path,
        *,
        start_step: int,
        steps_per_epoch: int,
        every: int | None,
    ):
        super().__init__()
        self.checkpoints = checkpoints
        self.history_path = history_path
        self.step = start_step
        self.steps_per_epoch = steps_per_epoch
        self.every = every
        self.signum: int | None = None
        self.divergence: tuple[int, str] | None = None
        self.last_saved = start_step
        self.epoch_start = start_step

    def _save(self) -> None:
        if self.last_saved == self.step:
            return
        bad = _finite(self.model)
        if bad is not None:
            self.divergence = (self.step, f"weight {bad}")
            self.model.stop_training = True
            return
        self.checkpoints.save(self.model, step=self.step, epoch=self.step // self.steps_per_epoch)
        self.last_saved = self.step

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_start = self.step

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # With steps_per_execution > 1 Keras calls this once per execution,
        # with `batch` the index of its last step in the epoch.
        before = self.step
        self.step = self.epoch_start + batch + 1
        for key, value in (logs or {}).items():
            if not math.isfinite(float(np.asarray(value))):
                self.divergence = (self.step, key)
                self.model.stop_training = True
                return
        if self.every and self.step // self.every > before // self.every:
            self._save()
        if self.signum is not None:
            self._save()
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.divergence is None and self.step % self.steps_per_epoch == 0:
            self._save()


def log_event(path: Path, event: str, **fields: Any) -> None:
    """Appends an event line (`{"event": ..., ...}`) to `history.jsonl`, fsync'ed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, **fields}) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def _stop_on_signals(state: _RunState) -> Iterator[None]:
    """SIGINT/SIGTERM ask the run to checkpoint and stop after the current step."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        state.signum = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _config_differences(saved: dict[str, Any], config: TrainConfig) -> list[str]:
    current = config.to_json()
    # lr_decay's schedule spans the run's steps as first configured.
    resumable = [k for k in RESUMABLE_CHANGES if not (k == "epochs" and config.lr_decay)]
    return [
        f"{key}: {saved.get(key)!r} in the run folder, {current[key]!r} now"
        for key in current
        if key not in resumable and saved.get(key) != current[key]
    ]


def _load_checkpoint(meta: dict[str, Any]) -> GAN:
    gan = keras.models.load_model(meta["path"])
    for optimizer, key in ((gan.d_optimizer, "d_lr"), (gan.g_optimizer, "g_lr")):
        if hasattr(optimizer.learning_rate, "assign"):  # a schedule restores itself
            optimizer.learning_rate.assign(meta[key])
    return gan


def train_and_evaluate(
    config: TrainConfig,
    workdir: str | os.PathLike,
    *,
    resume: bool = True,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Trains a GAN as `config` says and writes the run folder `workdir`.

    Args:
        config: the run's settings.
        workdir: the run folder.
        resume: go on from the folder's last checkpoint if it has one (the
            config must match, except `epochs` and output settings). With
            False, existing checkpoints are deleted and training starts over.
        callbacks: extra Keras callbacks, run after kgan's own.

    Under `config.strategy` the GAN is built, trained and saved inside the
    strategy's scope, with `config.batch_size` as the global batch. Under
    "multi_worker" every worker must run this with the same config; the chief
    writes `workdir`, the others `workdir/worker_<index>`. The dtype policy
    `config.precision` is set for the run and restored afterwards.

    Returns:
        A dict with the run's paths (`gan`, `generator`, `samples`, `history`,
        `config`), the last epoch's metrics (`metrics`), the wall time
        (`seconds`), the trained `model` and the number of `replicas`.

    Raises:
        ValueError: a bad setting, or a checkpoint from a different config.
        Diverged: NaN/Inf in the losses or weights (with `on_divergence="stop"`,
            or after `max_rollbacks` rollbacks).
        Interrupted: SIGINT/SIGTERM arrived; a checkpoint was saved first.
    """
    config.validate()
    strategy = _strategy(config.strategy)
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % (replicas * config.d_steps):
        raise ValueError(
            f"batch_size={config.batch_size} must be divisible by the {replicas} replicas x "
            f"d_steps={config.d_steps}: each replica splits its share into d_steps minibatches."
        )
    with _dtype_policy(config.precision), strategy.scope():
        result = _train_and_evaluate(
            config, distribute.task_folder(workdir), resume=resume, callbacks=callbacks
        )
    result["replicas"] = replicas
    return result


_STRATEGIES: dict[str, Any] = {}


def _strategy(name: str):
    """One strategy object per name and process (MultiWorkerMirroredStrategy allows one)."""
    if name == "default":
        return distribute.get_strategy("default")
    if name not in _STRATEGIES:
        _STRATEGIES[name] = distribute.get_strategy(name)
    return _STRATEGIES[name]


def _train_and_evaluate(
    config: TrainConfig,
    workdir: Path,
    *,
    resume: bool,
    callbacks: Sequence[keras.callbacks.Callback],
) -> dict[str, Any]:
    if config.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    workdir = Path(workdir)
    checkpoints = Checkpoints(workdir / CHECKPOINT_DIR, config.keep_checkpoints)
    history_path = workdir / "history.jsonl"
    latest = checkpoints.latest() if resume else None
    if latest is not None:
        saved = json.loads((workdir / "config.json").read_text())
        differences = _config_differences(saved, config)
        if differences:
            raise ValueError(
                f"{str(workdir)!r} holds a checkpoint of a run with a different config ("
                + "; ".join(differences)
                + "). Use another output folder, or resume=False (--noresume) to start over."
            )

    x, labels = data_lib.load_arrays(
        config.dataset, split="train", data_dir=config.data_dir, download=config.download,
        seed=config.seed, with_labels=config.conditional, num_examples=config.num_examples,
    )  # fmt: skip
    num_classes = int(labels.max()) + 1 if labels is not None else None
    if num_classes is not None and num_classes < 2:
        raise ValueError(f"A conditional GAN needs at least 2 classes; {config.dataset!r} has 1.")
    sample_shape = tuple(data_lib._to_float_samples(x[:1]).shape[1:])
    full_epoch = len(x) // config.batch_size
    if full_epoch < 1:
        raise ValueError(
            f"batch_size={config.batch_size} is larger than the dataset ({len(x)} examples)."
        )
    steps_per_epoch = min(full_epoch, config.steps_per_epoch or full_epoch)
    if steps_per_epoch % config.steps_per_execution:
        # Keras would run whole executions past the end of the epoch.
        raise ValueError(
            f"The {steps_per_epoch} steps per epoch must be a multiple of steps_per_execution="
            f"{config.steps_per_execution}; set steps_per_epoch to one."
        )
    total_steps = config.epochs * steps_per_epoch

    workdir.mkdir(parents=True, exist_ok=True)
    checkpoints.clean_partial()
    if latest is None:
        for meta in checkpoints.valid():
            meta["path"].unlink(missing_ok=True)
            meta["path"].with_suffix(".json").unlink(missing_ok=True)
        history_path.unlink(missing_ok=True)
        resolved = config.to_json()
        resolved.update(
            sample_shape=list(sample_shape),
            num_examples_resolved=int(len(x)),
            num_classes=num_classes,
            steps_per_epoch_resolved=steps_per_epoch,
            kgan_version=__version__,
            keras_version=keras.__version__,
        )
        write_json(resolved, workdir / "config.json")
        gan = build_gan(config, sample_shape, num_classes, total_steps=total_steps)
        step = 0
    else:
        gan = _load_checkpoint(latest)
        step = int(latest["step"])
        log_event(history_path, "resumed", step=step, checkpoint=latest["path"].name)

    real_points = np.asarray(x[:2000]) if sample_shape == (2,) else None
    grid = callbacks_lib.SampleGrid(
        workdir / "samples",
        num_samples=config.grid_size,
        seed=config.seed,
        real=real_points,
        tensorboard_dir=workdir / "tensorboard",
    )
    rollbacks = 0
    start = time.perf_counter()
    history: dict[str, list[float]] = {}
    while step < total_steps:
        state = _RunState(
            checkpoints, history_path, start_step=step, steps_per_epoch=steps_per_epoch,
            every=config.checkpoint_every,
        )  # fmt: skip
        run_callbacks = [
            state,
            grid,
            callbacks_lib.JsonlLogger(history_path),
            keras.callbacks.TensorBoard(str(workdir / "tensorboard"), write_graph=False),
            *callbacks,
        ]
        with _stop_on_signals(state):
            epoch, offset = divmod(step, steps_per_epoch)
            if offset:  # finish the epoch a kill interrupted
                history = _fit(
                    gan,
                    x,
                    labels,
                    config,
                    step,
                    run_callbacks,
                    epoch,
                    epoch + 1,
                    steps_per_epoch - offset,
                )
                step = state.step
            if not state.divergence and state.signum is None and step < total_steps:
                epoch = step // steps_per_epoch
                history = _fit(
                    gan,
                    x,
                    labels,
                    config,
                    step,
                    run_callbacks,
                    epoch,
                    config.epochs,
                    steps_per_epoch,
                )
                step = state.step

        if state.divergence is not None:
            bad_step, quantity = state.divergence
            log_event(history_path, "diverged", step=bad_step, quantity=quantity)
            good = checkpoints.latest()
            if config.on_divergence == "rollback" and rollbacks < config.max_rollbacks and good:
                rollbacks += 1
                gan = _load_checkpoint(good)
                for optimizer in (gan.d_optimizer, gan.g_optimizer):
                    optimizer.learning_rate.assign(
                        float(np.asarray(optimizer.learning_rate)) * config.rollback_lr_factor
                    )
                step = int(good["step"])
                log_event(
                    history_path, "rolled_back", step=step, checkpoint=good["path"].name,
                    lr=float(np.asarray(gan.g_optimizer.learning_rate)),
                )  # fmt: skip
                continue
            where = f"; the last good checkpoint is {good['path']}" if good else ""
            raise Diverged(
                f"Training diverged at step {bad_step}: {quantity} is NaN or infinite{where}.",
                step=bad_step,
                quantity=quantity,
            )
        if state.signum is not None:
            name = signal.Signals(state.signum).name
            log_event(history_path, "interrupted", step=step, signal=name)
            raise Interrupted(
                f"{name} received: saved a checkpoint at step {step} in "
                f"{checkpoints.folder}; run the same command again to resume.",
                signum=state.signum,
                step=step,
            )
    elapsed = time.perf_counter() - start
    gan_path = save_keras_atomic(gan, workdir / "gan.keras")
    generator_path = save_keras_atomic(gan.inference_generator, workdir / "generator.keras")
    metrics = {key: float(values[-1]) for key, values in history.items() if values}
    return {
        "gan": gan_path,
        "generator": generator_path,
        "samples": grid.paths,
        "history": history_path,
        "config": workdir / "config.json",
        "metrics": metrics,
        "seconds": elapsed,
        "model": gan,
        "steps": step,
    }


def _fit(gan, x, labels, config, step, callbacks, initial_epoch, epochs, steps_per_epoch):
    dataset = data_lib.resumable_batches(
        x, labels, batch_size=config.batch_size, seed=config.seed, start_step=step
    )
    result = gan.fit(
        dataset,
        initial_epoch=initial_epoch,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=callbacks,
        verbose=config.verbose,
        shuffle=False,  # the dataset orders each epoch itself
    )
    return result.history
