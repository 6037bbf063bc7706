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

from kgan._fileio import write_json
from kgan.core.gan import GAN
from kgan.data import loaders as data_lib
from kgan.train import callbacks as callbacks_lib
from kgan.train import distribute
from kgan.train.build import _dtype_policy, build_gan
from kgan.train.checkpoints import CHECKPOINT_DIR, Checkpoints, _finite, save_keras_atomic
from kgan.train.config import RESUMABLE_CHANGES, TrainConfig
from kgan.version import __version__


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
    sample_shape = data_lib.sample_shape(x)
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
