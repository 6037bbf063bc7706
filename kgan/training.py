"""`train_and_evaluate(config, workdir)`: the whole training job behind `kgan-train`.

A run folder holds:

- `config.json`: the resolved configuration;
- `samples/epoch_NNN.png`: samples from a fixed latent batch after each epoch
  (a scatter plot over the real points for 2-D data);
- `history.jsonl`: one line of metrics per epoch;
- `tensorboard/`: TensorBoard logs (scalars and sample images);
- `gan.keras`: the whole GAN, compiled, ready to `keras.models.load_model`
  and go on training;
- `generator.keras`: the generator used for sampling (the EMA one when on).

Example:
    >>> from kgan.training import TrainConfig, train_and_evaluate
    >>> result = train_and_evaluate(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")
    ... # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kgan import callbacks as callbacks_lib
from kgan import data as data_lib
from kgan import losses as losses_lib
from kgan import networks
from kgan._fileio import atomic_file, write_json
from kgan.gan import GAN
from kgan.version import __version__


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
        seed: seeds the weights, the noise, and the data order.
        width: DCGAN width (channels of the last generator feature map).
        label_smoothing: one-sided label smoothing (logistic losses).
        ema_half_life: generator EMA half-life in images (None: off).
        grid_size: samples in each epoch's PNG grid.
        steps_per_epoch: cap on generator steps per epoch (None: whole data).
        jit_compile: XLA: "auto", true or false.
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
    seed: int = 0
    width: int = 64
    label_smoothing: float = 0.0
    ema_half_life: float | None = None
    grid_size: int = 64
    steps_per_epoch: int | None = None
    jit_compile: Any = "auto"
    data_dir: str | None = None
    download: bool = True
    verbose: Any = "auto"

    def validate(self) -> None:
        """Raises ValueError naming the first bad setting."""
        positive = ("d_steps", "epochs", "batch_size", "latent_dim", "width", "grid_size")
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
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be > 0; got lr={self.lr!r}.")
        if not 0.0 <= self.beta_1 < 1.0:
            raise ValueError(f"beta_1 must be in [0, 1); got beta_1={self.beta_1!r}.")
        if self.batch_size % self.d_steps:
            raise ValueError(
                f"batch_size={self.batch_size} must be divisible by d_steps={self.d_steps}."
            )
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be >= 1 or None; got {self.steps_per_epoch}.")


def build_gan(config: TrainConfig, sample_shape: tuple[int, ...]) -> GAN:
    """Builds and compiles the GAN that `config` describes for samples of `sample_shape`."""
    keras.utils.set_random_seed(config.seed)
    arch = config.arch
    if arch == "auto":
        arch = "dcgan" if len(sample_shape) == 3 else "mlp"
    if arch == "dcgan":
        generator, discriminator = networks.dcgan(
            config.latent_dim, sample_shape, width=config.width
        )
    else:
        generator, discriminator = networks.mlp(config.latent_dim, sample_shape)
    gan = GAN(
        generator,
        discriminator,
        d_steps=config.d_steps,
        loss=config.loss,
        seed=config.seed,
        label_smoothing=config.label_smoothing,
        ema_half_life=config.ema_half_life,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        g_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        jit_compile=config.jit_compile,
    )
    return gan


def save_keras_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """Saves a `.keras` file under a temporary name, then renames it into place."""
    with atomic_file(path, suffix=".keras") as tmp:
        model.save(tmp)
    return Path(path)


def train_and_evaluate(config: TrainConfig, workdir: str | os.PathLike) -> dict[str, Any]:
    """Trains a GAN as `config` says and writes the run folder `workdir`.

    Returns:
        A dict with the run's paths (`gan`, `generator`, `samples`, `history`,
        `config`), the last epoch's metrics (`metrics`) and the wall time.
    """
    config.validate()
    workdir = Path(workdir)
    x, _ = data_lib.load_arrays(
        config.dataset,
        split="train",
        data_dir=config.data_dir,
        download=config.download,
        seed=config.seed,
    )
    dataset = data_lib.from_arrays(x, batch_size=config.batch_size, seed=config.seed)
    sample_shape = tuple(dataset.element_spec.shape[1:])
    gan = build_gan(config, sample_shape)

    workdir.mkdir(parents=True, exist_ok=True)
    resolved = dataclasses.asdict(config)
    resolved.update(
        sample_shape=list(sample_shape),
        num_examples=int(len(x)),
        kgan_version=__version__,
        keras_version=keras.__version__,
    )
    write_json(resolved, workdir / "config.json")

    real_points = None
    if len(sample_shape) == 1 and sample_shape[0] == 2:
        real_points = np.asarray(x[:2000])
    grid = callbacks_lib.SampleGrid(
        workdir / "samples",
        num_samples=config.grid_size,
        seed=config.seed,
        real=real_points,
        tensorboard_dir=workdir / "tensorboard",
    )
    history_path = workdir / "history.jsonl"
    history_path.unlink(missing_ok=True)
    callbacks = [
        grid,
        callbacks_lib.JsonlLogger(history_path),
        keras.callbacks.TensorBoard(str(workdir / "tensorboard"), write_graph=False),
    ]
    start = time.perf_counter()
    history = gan.fit(
        dataset,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=callbacks,
        verbose=config.verbose,
        shuffle=False,  # the dataset reshuffles itself every epoch
    )
    elapsed = time.perf_counter() - start
    gan_path = save_keras_atomic(gan, workdir / "gan.keras")
    generator_path = save_keras_atomic(gan.inference_generator, workdir / "generator.keras")
    metrics = {key: float(values[-1]) for key, values in history.history.items()}
    return {
        "gan": gan_path,
        "generator": generator_path,
        "samples": grid.paths,
        "history": history_path,
        "config": workdir / "config.json",
        "metrics": metrics,
        "seconds": elapsed,
        "model": gan,
    }
