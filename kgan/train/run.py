"""`train(config, workdir)`: the whole training job behind `kgan-train`, in named steps.

A run folder holds:

- `config.json`: the resolved configuration (`TrainConfig.to_json()`, plus the
  sizes resolved from the data under "resolved" and the versions);
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
weights of an uninterrupted run (bit for bit with `deterministic=True`). A run
that already finished is left as it is (`RunResult.already_complete`); with
more `epochs` it goes on.

`train` runs these steps: `_resolve_data` (the arrays and the step counts),
`resume.resume_point` (the last checkpoint, if the folder's config matches),
`_start` or `_resume` (build the GAN, or load it), `_fit_loop` (epochs, with
divergence rollback and signal handling) and `_save_final`.

Example:
    >>> from kgan.train import TrainConfig, train
    >>> result = train(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")  # doctest: +SKIP
    >>> result.generator  # doctest: +SKIP
    PosixPath('runs/ring8/generator.keras')
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan import data as data_lib
from kgan import rules
from kgan.core.gan import GAN
from kgan.keras_file import load_keras
from kgan.train import callbacks as callbacks_lib
from kgan.train import distribute
from kgan.train.build import build_gan, dtype_policy
from kgan.train.checkpoints import CHECKPOINT_DIR, Checkpoints, save_keras_atomic
from kgan.train.config import TrainConfig
from kgan.train.guard import (
    Diverged,
    Interrupted,
    RunState,
    check_memory,
    disk_full,
    interrupt_on_signals,
    is_disk_full,
    log_event,
    stop_on_signals,
)
from kgan.train.resume import drop_after, resume_point
from kgan.version import __version__
from kgan_runtime.fileio import FolderLocked, folder_lock, write_json

LOCK_NAME = ".lock"  # in the run folder: one writer per run folder (kgan_runtime.fileio)


class RunFolder:
    """The paths of a run folder (see the module docstring) and its checkpoints."""

    def __init__(self, root: str | os.PathLike, keep_checkpoints: int):
        self.root = Path(root)
        self.config = self.root / "config.json"
        self.history = self.root / "history.jsonl"
        self.samples = self.root / "samples"
        self.tensorboard = self.root / "tensorboard"
        self.gan = self.root / "gan.keras"
        self.generator = self.root / "generator.keras"
        self.lock = self.root / LOCK_NAME
        self.checkpoints = Checkpoints(self.root / CHECKPOINT_DIR, keep_checkpoints)


@dataclasses.dataclass
class RunResult:
    """What `train` did, and where the run's outputs are.

    Attributes:
        folder: the run folder.
        gan: `gan.keras`, the whole GAN.
        generator: `generator.keras`, the sampling generator.
        samples: the sample grids written by this call, oldest first (none
            when the run was already complete).
        history: `history.jsonl`.
        config: `config.json`.
        metrics: the last epoch's metrics of this call ({} when none ran).
        seconds: wall time of the training in this call.
        steps: generator steps the run has done in all, this call included.
        start_step: the step this call started from (0 for a new run).
        total_steps: the steps the config asks for.
        steps_per_epoch: generator steps in an epoch.
        replicas: replicas in sync under the config's strategy.

    The trained GAN is `model` (loaded from `gan` on first access when this
    call trained nothing). `result["gan"]`, `result["model"]`, ... still
    read the fields, as when `train_and_evaluate` returned a dict.
    """

    folder: Path
    gan: Path
    generator: Path
    samples: list[Path]
    history: Path
    config: Path
    metrics: dict[str, float]
    seconds: float
    steps: int
    start_step: int
    total_steps: int
    steps_per_epoch: int
    replicas: int = 1
    _model: GAN | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def already_complete(self) -> bool:
        """True when the run had reached `total_steps` before this call."""
        return self.start_step >= self.total_steps

    @property
    def last_samples(self) -> Path | None:
        """The newest sample grid of the run: this call's last, else the folder's newest."""
        if self.samples:
            return self.samples[-1]
        grids = list((self.folder / "samples").glob("*.png"))
        return max(grids, key=lambda p: (len(p.name), p.name)) if grids else None

    @property
    def model(self) -> GAN:
        """The trained GAN."""
        if self._model is None:
            self._model = load_keras(self.gan)
        return self._model

    _KEYS = ("gan", "generator", "samples", "history", "config", "metrics", "seconds", "model",
             "steps", "replicas")  # fmt: skip

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)


@dataclasses.dataclass(frozen=True)
class _Data:
    """The training arrays and the step counts they give."""

    x: np.ndarray
    labels: np.ndarray | None
    num_classes: int | None
    sample_shape: tuple[int, ...]
    steps_per_epoch: int
    total_steps: int


def train(
    config: TrainConfig,
    workdir: str | os.PathLike,
    *,
    resume: bool = True,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> RunResult:
    """Trains a GAN as `config` says and writes the run folder `workdir`.

    Args:
        config: the run's settings.
        workdir: the run folder.
        resume: go on from the folder's last checkpoint if it has one (the
            config must match, except `epochs` and output settings). With
            False, existing checkpoints are deleted and training starts over.
        callbacks: extra Keras callbacks, run after kgan's own.

    Under `config.runtime.strategy` the GAN is built, trained and saved
    inside the strategy's scope, with `config.data.batch_size` as the global
    batch. Under "multi_worker" every worker must run this with the same
    config; the chief writes `workdir`, the others `workdir/worker_<index>`.
    The dtype policy `config.runtime.precision` is set for the run and
    restored afterwards.

    Returns:
        A `RunResult`. When the folder already holds the finished run, nothing
        is trained or written and `result.already_complete` is True.

    Raises:
        ValueError: a bad setting, a checkpoint from a different config, or
            checkpoints that are all corrupt (`CheckpointsCorrupt`, naming them).
        kgan_runtime.fileio.FolderLocked: another process is writing `workdir`
            (one writer per run folder: the lock file `workdir/.lock`).
        Diverged: NaN/Inf in the losses or weights (with `on_divergence="stop"`,
            or after `max_rollbacks` rollbacks).
        Interrupted: SIGINT/SIGTERM arrived; a checkpoint was saved first (or,
            outside the training steps, the run stopped at once).
        DiskFull: the disk or the quota is full (ENOSPC/EDQUOT); no file is left
            half-written, and the last complete checkpoint is kept.

    Example:
        >>> result = train(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")
        ... # doctest: +SKIP
        >>> result.steps, result.metrics["g_loss"]  # doctest: +SKIP
        (200, 0.69...)
    """
    config.validate()
    strategy = _strategy(config.runtime.strategy)
    replicas = strategy.num_replicas_in_sync
    batch_size, d_steps = config.data.batch_size, config.game.d_steps
    if batch_size % (replicas * d_steps):
        raise ValueError(
            f"batch_size={batch_size} must be divisible by the {replicas} replicas x "
            f"d_steps={d_steps}: each replica splits its share into d_steps minibatches."
        )
    folder = RunFolder(distribute.task_folder(workdir), config.run.keep_checkpoints)
    try:
        with interrupt_on_signals():
            folder.root.mkdir(parents=True, exist_ok=True)
            with (
                folder_lock(folder.lock, f"the run folder {str(folder.root)!r}"),
                dtype_policy(config.runtime.precision),
                strategy.scope(),
            ):
                result = _run(config, folder, resume=resume, callbacks=callbacks)
    except (Diverged, Interrupted, FolderLocked):
        raise
    except Exception as err:
        if is_disk_full(err):
            raise disk_full(err, folder.root, config.run.keep_checkpoints) from err
        raise
    result.replicas = replicas
    return result


train_and_evaluate = train  # kgan 0.1's name: it evaluates nothing.


_STRATEGIES: dict[str, Any] = {}


def _strategy(name: str):
    """One strategy object per name and process (MultiWorkerMirroredStrategy allows one)."""
    if name == "default":
        return distribute.get_strategy("default")
    if name not in _STRATEGIES:
        _STRATEGIES[name] = distribute.get_strategy(name)
    return _STRATEGIES[name]


def _run(
    config: TrainConfig,
    folder: RunFolder,
    *,
    resume: bool,
    callbacks: Sequence[keras.callbacks.Callback],
) -> RunResult:
    if config.runtime.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    folder.checkpoints.clean_partial()
    latest = resume_point(folder, config, resume)
    data = _resolve_data(config)
    start_step = int(latest["step"]) if latest is not None else 0
    if config.runtime.strategy == "multi_worker":
        distribute.check_same_step(start_step, folder.root)
    if latest is not None:
        drop_after(folder, latest, data.steps_per_epoch)
    if start_step >= data.total_steps and folder.gan.is_file() and folder.generator.is_file():
        return _result(folder, data, start_step=start_step, steps=start_step)  # nothing to do
    if latest is None:
        gan = _start(folder, config, data)
    else:
        gan = _resume(folder, latest)
    grid = callbacks_lib.SampleGrid(
        folder.samples,
        num_samples=config.run.grid_size,
        seed=config.run.seed,
        real=np.asarray(data.x[:2000]) if data.sample_shape == (2,) else None,
        tensorboard_dir=folder.tensorboard,
    )
    start = time.perf_counter()
    gan, step, history = _fit_loop(
        gan, start_step, config=config, folder=folder, data=data, grid=grid, callbacks=callbacks,
        epoch_metrics=latest.get("epoch_metrics") if latest is not None else None,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    _save_final(folder, gan)
    result = _result(
        folder, data, start_step=start_step, steps=step, samples=grid.paths, seconds=seconds,
        metrics={key: float(values[-1]) for key, values in history.items() if values},
    )  # fmt: skip
    result._model = gan
    return result


def _result(
    folder: RunFolder,
    data: _Data,
    *,
    start_step: int,
    steps: int,
    samples: Sequence[Path] = (),
    metrics: dict[str, float] | None = None,
    seconds: float = 0.0,
) -> RunResult:
    return RunResult(
        folder=folder.root, gan=folder.gan, generator=folder.generator, samples=list(samples),
        history=folder.history, config=folder.config, metrics=metrics or {}, seconds=seconds,
        steps=steps, start_step=start_step, total_steps=data.total_steps,
        steps_per_epoch=data.steps_per_epoch,
    )  # fmt: skip


def _resolve_data(config: TrainConfig) -> _Data:
    """Loads the training arrays and derives the sample shape, classes and step counts."""
    data = config.data
    x, labels = data_lib.load_arrays(
        data.dataset, split="train", data_dir=data.data_dir, download=data.download,
        seed=config.run.seed, with_labels=config.model.conditional,
        num_examples=data.num_examples,
    )  # fmt: skip
    num_classes = int(labels.max()) + 1 if labels is not None else None
    if num_classes is not None and num_classes < 2:
        raise ValueError(f"A conditional GAN needs at least 2 classes; {data.dataset!r} has 1.")
    sample_shape = data_lib.sample_shape(x)
    full_epoch = len(x) // data.batch_size
    if full_epoch < 1:
        raise ValueError(
            f"batch_size={data.batch_size} is larger than the dataset ({len(x)} examples)."
        )
    steps_per_epoch = min(full_epoch, config.run.steps_per_epoch or full_epoch)
    per_execution = config.runtime.steps_per_execution
    if steps_per_epoch % per_execution:
        # Keras would run whole executions past the end of the epoch.
        raise ValueError(
            f"The {steps_per_epoch} steps per epoch must be a multiple of steps_per_execution="
            f"{per_execution}; set steps_per_epoch to one."
        )
    total_steps = config.run.epochs * steps_per_epoch
    if total_steps > rules.MAX_STEPS:
        raise ValueError(
            f"epochs={config.run.epochs} x {steps_per_epoch} steps per epoch = {total_steps:,} "
            f"steps, more than the {rules.MAX_STEPS:,} a run may have."
        )
    # The epoch grid: the samples, the image grid and its upscaled PNG, at once in memory.
    check_memory(
        config.run.grid_size * int(np.prod(sample_shape)) * 4 * 4,
        f"grid_size={config.run.grid_size} samples of shape {sample_shape}",
    )
    return _Data(x, labels, num_classes, sample_shape, steps_per_epoch, total_steps)


def _start(folder: RunFolder, config: TrainConfig, data: _Data) -> GAN:
    """A new run: clears the folder's checkpoints, history and final files, writes config.json."""
    for meta in folder.checkpoints.valid():
        meta["path"].unlink(missing_ok=True)
        meta["path"].with_suffix(".json").unlink(missing_ok=True)
    for stale in (folder.history, folder.gan, folder.generator):
        stale.unlink(missing_ok=True)  # the final files belong to one run
    record = {
        **config.to_json(),
        "resolved": {
            "sample_shape": list(data.sample_shape),
            "num_examples": int(len(data.x)),
            "num_classes": data.num_classes,
            "steps_per_epoch": data.steps_per_epoch,
        },
        "versions": {"kgan": __version__, "keras": keras.__version__},
    }
    write_json(record, folder.config)
    return build_gan(config, data.sample_shape, data.num_classes, total_steps=data.total_steps)


def _resume(folder: RunFolder, latest: dict[str, Any]) -> GAN:
    """Loads the checkpoint `latest` and records the resumption in the history."""
    gan = _load_checkpoint(latest)
    log_event(folder.history, "resumed", step=int(latest["step"]), checkpoint=latest["path"].name)
    return gan


def _load_checkpoint(meta: dict[str, Any]) -> GAN:
    gan = load_keras(meta["path"])
    for optimizer, key in ((gan.d_optimizer, "d_lr"), (gan.g_optimizer, "g_lr")):
        if hasattr(optimizer.learning_rate, "assign"):  # a schedule restores itself
            optimizer.learning_rate.assign(meta[key])
    return gan


def _fit_loop(
    gan: GAN,
    step: int,
    *,
    config: TrainConfig,
    folder: RunFolder,
    data: _Data,
    grid: callbacks_lib.SampleGrid,
    callbacks: Sequence[keras.callbacks.Callback],
    epoch_metrics: dict[str, list[float]] | None = None,
) -> tuple[GAN, int, dict[str, list[float]]]:
    """Trains from `step` to the end: rolls back on divergence, stops on a signal.

    `epoch_metrics` (from a mid-epoch checkpoint) are the metrics' running state at
    `step`, restored so that the epoch's record covers the whole epoch. The sample grid
    and the history line of an epoch are written before its checkpoint, so a kill just
    after the checkpoint loses neither.

    Returns:
        The GAN (another object after a rollback), the last step, and the
        Keras history of the last `fit`.
    """
    rollbacks = 0
    history: dict[str, list[float]] = {}
    while step < data.total_steps:
        state = RunState(
            folder.checkpoints, folder.history, start_step=step,
            steps_per_epoch=data.steps_per_epoch, every=config.run.checkpoint_every,
            epoch_metrics=epoch_metrics,
        )  # fmt: skip
        run_callbacks = [
            grid,
            callbacks_lib.JsonlLogger(folder.history),
            state,  # after the grid and the history line: its epoch-end checkpoint comes last
            keras.callbacks.TensorBoard(str(folder.tensorboard), write_graph=False),
            *callbacks,
        ]
        with stop_on_signals(state):
            history = _fit_epochs(gan, state, config=config, data=data, callbacks=run_callbacks)
        step = state.step
        if state.divergence is not None:
            good = _on_divergence(state.divergence, folder, config, rollbacks)
            rollbacks += 1
            gan, step = _roll_back(good, folder, config, lr=_learning_rates(gan))
            epoch_metrics = good.get("epoch_metrics")
        elif state.signum is not None:
            _interrupted(state.signum, step, folder)
    return gan, step, history


def _fit_epochs(
    gan: GAN,
    state: RunState,
    *,
    config: TrainConfig,
    data: _Data,
    callbacks: Sequence[keras.callbacks.Callback],
) -> dict[str, list[float]]:
    """Finishes the epoch a kill interrupted, then runs the remaining epochs; `state` counts."""
    history: dict[str, list[float]] = {}
    spe = data.steps_per_epoch
    fit = dict(config=config, data=data, callbacks=callbacks)
    epoch, offset = divmod(state.step, spe)
    if offset:
        history = _fit(gan, **fit, start_step=state.step, initial_epoch=epoch, epochs=epoch + 1,
                       steps_per_epoch=spe - offset)  # fmt: skip
    if not state.divergence and state.signum is None and state.step < data.total_steps:
        history = _fit(gan, **fit, start_step=state.step, initial_epoch=state.step // spe,
                       epochs=config.run.epochs, steps_per_epoch=spe)  # fmt: skip
    return history


def _fit(
    gan: GAN,
    *,
    config: TrainConfig,
    data: _Data,
    callbacks: Sequence[keras.callbacks.Callback],
    start_step: int,
    initial_epoch: int,
    epochs: int,
    steps_per_epoch: int,
) -> dict[str, list[float]]:
    dataset = data_lib.resumable_batches(
        data.x, data.labels, batch_size=config.data.batch_size, seed=config.run.seed,
        start_step=start_step,
    )  # fmt: skip
    result = gan.fit(
        dataset,
        initial_epoch=initial_epoch,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=callbacks,
        verbose=config.run.verbose,
        shuffle=False,  # the dataset orders each epoch itself
    )
    return result.history


def _on_divergence(
    divergence: tuple[int, str], folder: RunFolder, config: TrainConfig, rollbacks: int
) -> dict[str, Any]:
    """Logs a divergence; returns the checkpoint to roll back to, or raises `Diverged`."""
    bad_step, quantity = divergence
    log_event(folder.history, "diverged", step=bad_step, quantity=quantity)
    good = folder.checkpoints.latest()
    run = config.run
    if run.on_divergence == "rollback" and rollbacks < run.max_rollbacks and good:
        return good
    where = f"; the last good checkpoint is {good['path']}" if good else ""
    raise Diverged(
        f"Training diverged at step {bad_step}: {quantity} is NaN or infinite{where}.",
        step=bad_step,
        quantity=quantity,
    )


def _learning_rates(gan: GAN) -> tuple[float, float]:
    """The (discriminator, generator) learning rates in use."""
    return tuple(float(np.asarray(o.learning_rate)) for o in (gan.d_optimizer, gan.g_optimizer))


def _roll_back(
    good: dict[str, Any], folder: RunFolder, config: TrainConfig, *, lr: tuple[float, float]
) -> tuple[GAN, int]:
    """Reloads checkpoint `good` with the rates `lr` that diverged scaled by `rollback_lr_factor`.

    Each rollback lowers the rates the run was using, not the checkpoint's: three rollbacks
    with the factor 0.5 train on at 1/8 of the first rate.
    """
    gan = _load_checkpoint(good)
    for optimizer, rate in zip((gan.d_optimizer, gan.g_optimizer), lr):
        if hasattr(optimizer.learning_rate, "assign"):  # a schedule follows its own course
            optimizer.learning_rate.assign(rate * config.run.rollback_lr_factor)
    step = int(good["step"])
    log_event(
        folder.history, "rolled_back", step=step, checkpoint=good["path"].name,
        lr=float(np.asarray(gan.g_optimizer.learning_rate)),
    )  # fmt: skip
    return gan, step


def _interrupted(signum: int, step: int, folder: RunFolder) -> None:
    """Logs the signal and raises `Interrupted` (the checkpoint is already saved)."""
    name = signal.Signals(signum).name
    log_event(folder.history, "interrupted", step=step, signal=name)
    raise Interrupted(
        f"{name} received: saved a checkpoint at step {step} in "
        f"{folder.checkpoints.folder}; run the same command again to resume.",
        signum=signum,
        step=step,
    )


def _save_final(folder: RunFolder, gan: GAN) -> None:
    """Writes `gan.keras` and `generator.keras` (each atomically)."""
    save_keras_atomic(gan, folder.gan)
    save_keras_atomic(gan.inference_generator, folder.generator)


@dataclasses.dataclass(frozen=True)
class DryRun:
    """What a run would train: the data (described, not read) and the networks' sizes."""

    data: str
    steps_per_epoch: int | None
    generator_parameters: int
    discriminator_parameters: int


def dry_run(config: TrainConfig) -> DryRun:
    """Checks `config`, describes its data and builds its GAN; reads no samples, downloads
    nothing and writes nothing.

    Raises:
        ValueError: as `train` does for a bad setting or data that does not fit.
    """
    config.validate()
    data = config.data
    info = data_lib.describe(data.dataset, data_dir=data.data_dir, num_examples=data.num_examples)
    conditional = config.model.conditional
    info.check(batch_size=data.batch_size, with_labels=conditional)
    steps_per_epoch = None
    if info.num_examples is not None:
        full_epoch = info.num_examples // data.batch_size
        steps_per_epoch = min(full_epoch, config.run.steps_per_epoch or full_epoch)
    total_steps = config.run.epochs * (steps_per_epoch or config.run.steps_per_epoch or 1)
    num_classes = info.num_classes if conditional else None
    gan = build_gan(config, info.sample_shape, num_classes, total_steps=max(total_steps, 1))
    return DryRun(
        data=info.summary(),
        steps_per_epoch=steps_per_epoch,
        generator_parameters=gan.generator.count_params(),
        discriminator_parameters=gan.discriminator.count_params(),
    )
