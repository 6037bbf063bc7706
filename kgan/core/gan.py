"""`kgan.GAN`: a `keras.Model` whose `fit` plays the adversarial game."""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgan import _keras_compat, rules
from kgan.core import losses as losses_lib
from kgan.core import penalties, rng, sampling
from kgan.core.augment import DiffAugment
from kgan.core.ema import GeneratorEMA
from kgan.core.replicas import num_replicas, replica_slice
from kgan.core.signature import generator_signature
from kgan.core.step_loop import DistributedStepLoop

_TRACKED = ("d_loss", "g_loss", "d_real", "d_fake")


@keras.saving.register_keras_serializable(package="kgan")
class GAN(DistributedStepLoop, keras.Model):
    """A generative adversarial network trained with `model.fit`.

    `fit` runs Algorithm 1 of Goodfellow et al. (2014): each batch of `B`
    real samples is split into `d_steps` (k) strided minibatches of
    `m = B // k` samples (`x[i::k]`); the discriminator takes one update on
    each, with fresh noise, then the generator takes one update on `m` fresh
    latents. One epoch therefore shows every real sample to D once, and makes
    `N // B` generator updates. Use a `batch_size` divisible by `d_steps`.

    Losses are scaled by the number of replicas, so under `tf.distribute` the
    summed gradients are those of the global batch; the latents of a step are
    drawn for the global batch and sliced per replica, so N replicas see what
    one device would. Build and compile the GAN inside `strategy.scope()` and
    give `fit` the global batch (see `kgan.distribute`). Batch normalization
    computes its statistics per replica, so only networks without it match
    one device exactly; and Keras layers that draw noise (dropout) draw it
    from mirrored seeds, so every replica repeats the same noise on its own
    slice of the batch (turn dropout off to compare with one device).

    Under a `mixed_float16` or `mixed_bfloat16` policy the losses and the
    metrics are computed in float32 from the discriminator's logits.

    Args:
        generator: a `keras.Model` mapping `z` (and int labels, when
            conditional) to samples.
        discriminator: a `keras.Model` mapping samples (and labels) to logits.
        latent_dim: size of z; read from the generator's input when None.
        d_steps: discriminator updates per generator update (k in the paper).
        loss: a name from `kgan.losses.LOSSES`.
        seed: seed of the noise drawn during training; None draws one.
        label_smoothing: one-sided label smoothing of the real target
            (logistic losses only).
        gradient_penalty: weight of the WGAN-GP penalty (0 disables it).
        r1_gamma: gamma of the R1 penalty on real data (0 disables it).
        r1_interval: apply R1 every this many D steps, scaled by it (lazy
            regularization).
        ema_half_life: half-life, in images, of an exponential moving average
            of the generator's weights (None disables it). When on, the EMA
            generator is what `call`, `generate` and export use.
        ema_rampup: during early training the half-life is capped at
            `ema_rampup * images_seen` (StyleGAN2's ramp-up); None disables.
        reuse_fake: the generator update reuses the fake batch (and the
            latents) of the last discriminator update, as in the PyTorch DCGAN
            example, instead of drawing fresh noise as in the paper.
        augment: a DiffAugment policy (a string such as
            "color,translation,cutout", or a `kgan.augment.DiffAugment`) for
            image data: every discriminator call during training, in both
            phases and inside the gradient penalties, sees real and fake
            samples through a fresh random augmentation, and the generator's
            gradients flow through it (Zhao et al., 2020). None disables it.

    Example:
        >>> import kgan
        >>> g, d = kgan.networks.mlp(latent_dim=8, sample_shape=(2,))
        >>> gan = kgan.GAN(g, d, d_steps=1, loss="non_saturating", seed=0)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4),
        ...             g_optimizer=keras.optimizers.Adam(2e-4))
        >>> history = gan.fit(kgan.data.load("ring8", batch_size=256), epochs=1)  # doctest: +SKIP
        >>> gan.generate(16, seed=0).shape
        (16, 2)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        latent_dim: int | None = None,
        d_steps: int = 1,
        loss: str = "non_saturating",
        seed: int | None = None,
        label_smoothing: float = 0.0,
        gradient_penalty: float = 0.0,
        r1_gamma: float = 0.0,
        r1_interval: int = 1,
        ema_half_life: float | None = None,
        ema_rampup: float | None = 0.05,
        reuse_fake: bool = False,
        augment: str | DiffAugment | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.loss_fns = losses_lib.get(loss)
        _check_arguments(
            generator, discriminator, self.loss_fns, loss, d_steps=d_steps,
            label_smoothing=label_smoothing, gradient_penalty=gradient_penalty,
            r1_gamma=r1_gamma, r1_interval=r1_interval, ema_half_life=ema_half_life,
            ema_rampup=ema_rampup, reuse_fake=reuse_fake,
        )  # fmt: skip
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim, self.num_classes = _signature(generator, discriminator, latent_dim)
        self.sample_shape = tuple(generator.output_shape[1:])
        self.d_steps = d_steps
        self.loss_name = loss
        self.seed = seed
        self.label_smoothing = float(label_smoothing)
        self.gradient_penalty = float(gradient_penalty)
        self.r1_gamma = float(r1_gamma)
        self.r1_interval = r1_interval
        self.ema_half_life = None if ema_half_life is None else float(ema_half_life)
        self.ema_rampup = None if ema_rampup is None else float(ema_rampup)
        self.reuse_fake = bool(reuse_fake)
        self.augment = _augmentation(augment, self.sample_shape)
        # The discriminator's loss, bound once to its label smoothing.
        self._discriminator_loss = self.loss_fns.discriminator
        if self.loss_fns.supports_label_smoothing:
            self._discriminator_loss = functools.partial(
                self.loss_fns.discriminator, label_smoothing=self.label_smoothing
            )

        self.seed_generator = keras.random.SeedGenerator(seed, name="train_seed")
        self.eval_seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="eval_seed"
        )
        self.trackers = {name: keras.metrics.Mean(name=name) for name in _TRACKED}
        if self.gradient_penalty:
            self.trackers["gp"] = keras.metrics.Mean(name="gp")
        if self.r1_gamma:
            self.trackers["r1"] = keras.metrics.Mean(name="r1")

        self.ema = None
        self.ema_generator = None  # tracked here, so the .keras file keeps its weights' path
        if self.ema_half_life is not None:
            self.ema = GeneratorEMA(generator, self.ema_half_life, self.ema_rampup)
            self.ema_generator = self.ema.model

        self.d_optimizer = None
        self.g_optimizer = None
        # Both networks are functional models built from their inputs, so the
        # GAN is built: without this, Keras would build it by calling
        # `call()` on a batch of *images* under tf.distribute.
        self.built = True

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | str = "adam",
        g_optimizer: keras.optimizers.Optimizer | str = "adam",
        *,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
        run_eagerly: bool = False,
    ) -> None:
        """Sets the two optimizers and builds them.

        Args:
            d_optimizer: the discriminator's optimizer (instance or name).
            g_optimizer: the generator's optimizer (instance or name).
            jit_compile: XLA for the training step; "auto" lets Keras choose
                (on for GPUs, off on CPU and under tf.distribute). On CPU,
                `True` gives the same numbers as the plain step, but slower.
            steps_per_execution: batches run per `tf.function` call (fewer
                trips through Python; metrics and callbacks see every
                `steps_per_execution`-th batch).
            run_eagerly: for debugging.

        Under a `mixed_float16` policy both optimizers are wrapped in
        `keras.optimizers.LossScaleOptimizer` (dynamic loss scaling);
        `mixed_bfloat16` needs none.
        """
        d_optimizer = keras.optimizers.get(d_optimizer)
        g_optimizer = keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different instances.")
        if keras.mixed_precision.dtype_policy().name == "mixed_float16":
            wrap = keras.optimizers.LossScaleOptimizer
            d_optimizer = d_optimizer if isinstance(d_optimizer, wrap) else wrap(d_optimizer)
            g_optimizer = g_optimizer if isinstance(g_optimizer, wrap) else wrap(g_optimizer)
        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
        )
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Built now so that tf.distribute never meets an unbuilt optimizer
        # inside a replica context.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self._gan_compile_config = {
            "d_optimizer": keras.optimizers.serialize(d_optimizer),
            "g_optimizer": keras.optimizers.serialize(g_optimizer),
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }

    def get_compile_config(self) -> dict[str, Any] | None:
        return getattr(self, "_gan_compile_config", None)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        config = dict(config)
        config["d_optimizer"] = keras.optimizers.deserialize(config["d_optimizer"])
        config["g_optimizer"] = keras.optimizers.deserialize(config["g_optimizer"])
        self.compile(**config)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    @property
    def inference_generator(self) -> keras.Model:
        """The generator used for sampling and export: the EMA one when enabled."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            d_steps=self.d_steps,
            loss=self.loss_name,
            seed=self.seed,
            label_smoothing=self.label_smoothing,
            gradient_penalty=self.gradient_penalty,
            r1_gamma=self.r1_gamma,
            r1_interval=self.r1_interval,
            ema_half_life=self.ema_half_life,
            ema_rampup=self.ema_rampup,
            reuse_fake=self.reuse_fake,
            augment=None if self.augment is None else self.augment.policy,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects=None) -> GAN:
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(
            config.pop("generator"), custom_objects=custom_objects
        )
        discriminator = keras.saving.deserialize_keras_object(
            config.pop("discriminator"), custom_objects=custom_objects
        )
        return cls(generator, discriminator, **config)

    def _all_seed_generators(self) -> list[keras.random.SeedGenerator]:
        """Every RNG state of the model: the GAN's own and its layers' (dropout, ...)."""
        found = [self.seed_generator, self.eval_seed_generator]
        for layer in _keras_compat.sublayers(self):
            found.extend(_keras_compat.seed_generators(layer))
        unique, seen = [], set()
        for generator in found:
            if id(generator) not in seen:
                seen.add(id(generator))
                unique.append(generator)
        return unique

    def save_own_variables(self, store) -> None:
        """Saves the RNG states too, so a reloaded GAN draws the noise it would have drawn."""
        super().save_own_variables(store)
        for i, generator in enumerate(self._all_seed_generators()):
            store[f"rng_{i}"] = generator.state

    def load_own_variables(self, store) -> None:
        keys = list(store.keys())
        own = {key: store[key] for key in keys if not key.startswith("rng_")}
        super().load_own_variables(own)
        for i, generator in enumerate(self._all_seed_generators()):
            if f"rng_{i}" in keys:
                generator.state.assign(store[f"rng_{i}"])

    # -------------------------------------------------------------- sampling

    def call(self, inputs, training: bool = False):
        """Generates samples from latents `z` (or `[z, labels]` when conditional)."""
        network = self.generator if training else self.inference_generator
        return network(inputs, training=training)

    def generate(
        self,
        n: int,
        seed: int | None = None,
        *,
        labels: np.ndarray | list[int] | int | None = None,
        batch_size: int = 256,
    ) -> np.ndarray:
        """Returns `n` samples of the inference generator as a NumPy array.

        Latents come from `kgan.sample_latents(n, latent_dim, seed)` (NumPy),
        so `kgan_runtime.OnnxGenerator.sample(n, seed=seed)` reproduces them
        (see `kgan.core.sampling`).

        Args:
            n: number of samples.
            seed: seed of the latents; None draws fresh ones.
            labels: class of each sample for a conditional GAN, or one class
                for all; defaults to `arange(n) % num_classes`. The rule is
                kgan-runtime's (`kgan_runtime.latents.check_labels`): bad labels
                raise its `InvalidInputError`, a `ValueError`.
            batch_size: samples generated per forward pass.

        Example:
            >>> gan.generate(4, seed=0).shape  # doctest: +SKIP
            (4, 28, 28, 1)
        """
        return sampling.generate(
            self.inference_generator, n, latent_dim=self.latent_dim,
            num_classes=self.num_classes, seed=seed, labels=labels, batch_size=batch_size,
        )  # fmt: skip

    # ------------------------------------------------------------- training

    def fit(
        self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=None, **kwargs,
    ):  # fmt: skip
        """`keras.Model.fit`, with `shuffle` defaulting to what the data needs.

        Arrays are shuffled every epoch (`shuffle=True`, Keras's default); a
        `tf.data.Dataset` orders itself (`kgan.data` pipelines shuffle with
        their seed), so for one the default is `False` and Keras 3 does not
        warn that it ignores `shuffle=True` on every call.

        Example:
            >>> gan.fit(kgan.data.load("digits", batch_size=64), epochs=5)  # doctest: +SKIP
        """
        if shuffle is None:
            shuffle = not isinstance(x, (tf.data.Dataset, tf.distribute.DistributedDataset))
        return super().fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data,
            shuffle=shuffle, **kwargs,
        )  # fmt: skip

    def _unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes is None:
            return x, None
        if y is None:
            raise ValueError(
                "This GAN is conditional: the dataset must yield (samples, labels) pairs."
            )
        return x, ops.cast(y, "int32")

    def _d_inputs(self, samples, labels):
        return samples if labels is None else [samples, labels]

    def _g_inputs(self, z, labels):
        return z if labels is None else [z, labels]

    def _critic(self, inputs, training: bool = True):
        """The discriminator as training sees it: behind DiffAugment when `augment` is set.

        Takes what the discriminator takes (samples, or `[samples, labels]`);
        each call draws a fresh augmentation from `seed_generator`.
        """
        if self.augment is None:
            return self.discriminator(inputs, training=training)
        if isinstance(inputs, (list, tuple)):
            samples, labels = inputs
            augmented = self.augment(samples, self.seed_generator)
            return self.discriminator([augmented, labels], training=training)
        return self.discriminator(self.augment(inputs, self.seed_generator), training=training)

    def _draw_latents(self, local_size: int, seed_generator) -> Any:
        global_size = local_size * num_replicas()
        z = rng.normal((global_size, self.latent_dim), seed_generator)
        return replica_slice(z, local_size)

    def _batch_split(self, real) -> int:
        batch = real.shape[0]
        if batch is not None and batch % self.d_steps:
            raise ValueError(
                f"The batch size ({batch} per replica) must be divisible by d_steps="
                f"{self.d_steps}: each batch is split into d_steps discriminator minibatches."
            )
        return batch // self.d_steps if batch is not None else ops.shape(real)[0] // self.d_steps

    def _minibatch(self, real, labels, i: int):
        """Discriminator minibatch `i` of a batch: the strided slice `[i::d_steps]`."""
        if self.d_steps == 1:
            return real, labels
        return real[i :: self.d_steps], None if labels is None else labels[i :: self.d_steps]

    def _record(self, real_logits=None, fake_logits=None, **values) -> None:
        """Updates the metrics: losses and penalties as given, `D(x)` from the logits."""
        if real_logits is not None:
            values["d_real"] = ops.sigmoid(ops.cast(real_logits, "float32"))
        if fake_logits is not None:
            values["d_fake"] = ops.sigmoid(ops.cast(fake_logits, "float32"))
        for name, value in values.items():
            self.trackers[name].update_state(value)

    def _apply(self, optimizer, network: keras.Model, tape, scaled_loss) -> None:
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(scaled_loss, variables), variables))

    def _discriminator_loss_and_penalties(self, real, fake, labels, real_logits, fake_logits):
        """(the discriminator's loss with its penalties, {penalty name: value})."""
        loss = self._discriminator_loss(real_logits, fake_logits)
        extras = {}
        if self.gradient_penalty:
            gp = penalties.gradient_penalty(
                self._critic, real, fake, labels, seed=self.seed_generator
            )
            extras["gp"] = gp
            loss = loss + self.gradient_penalty * gp
        if self.r1_gamma:
            r1 = penalties.r1_penalty(self._critic, real, labels, gamma=self.r1_gamma)
            if self.r1_interval > 1:
                due = ops.equal(self.d_optimizer.iterations % self.r1_interval, 0)
                r1 = ops.where(due, r1 * self.r1_interval, ops.zeros_like(r1))
            extras["r1"] = r1
            loss = loss + r1
        return loss, extras

    def _discriminator_phase(self, real, labels, fake) -> None:
        """One discriminator update on real samples and (detached) fake ones."""
        with tf.GradientTape() as tape:
            real_logits = self._critic(self._d_inputs(real, labels), training=True)
            fake_logits = self._critic(self._d_inputs(fake, labels), training=True)
            d_loss, extras = self._discriminator_loss_and_penalties(
                real, fake, labels, real_logits, fake_logits
            )
            scaled = self.d_optimizer.scale_loss(d_loss / num_replicas())
        self._apply(self.d_optimizer, self.discriminator, tape, scaled)
        self._record(real_logits, fake_logits, d_loss=d_loss, **extras)

    def _discriminator_step(self, real, labels, z):
        """The discriminator phase on fakes made from fresh latents `z`."""
        fake = self.generator(self._g_inputs(z, labels), training=True)
        self._discriminator_phase(real, labels, ops.stop_gradient(fake))

    def _generator_step(self, z, labels, real, *, discriminator_first: bool = False):
        """One generator update on latents `z` (`real`: for losses that compare with real data).

        With `discriminator_first`, the discriminator phase runs first on these
        same fakes (detached): the reused-fake variant, one generator forward
        pass for both phases.
        """
        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(z, labels), training=True)
            if discriminator_first:
                self._discriminator_phase(real, labels, ops.stop_gradient(fake))
            fake_logits = self._critic(self._d_inputs(fake, labels), training=True)
            real_logits = None
            if self.loss_fns.generator_needs_real:
                real_logits = self._critic(self._d_inputs(real, labels), training=True)
            g_loss = self.loss_fns.generator(fake_logits, real_logits)
            scaled = self.g_optimizer.scale_loss(g_loss / num_replicas())
        self._apply(self.g_optimizer, self.generator, tape, scaled)
        self._record(g_loss=g_loss)

    def _reuse_fake_step(self, real, labels, z):
        """D then G on one fake batch: G's forward pass is shared by both phases."""
        self._generator_step(z, labels, real, discriminator_first=True)

    def train_step(self, data):
        if self.d_optimizer is None:
            raise RuntimeError("Call gan.compile(d_optimizer, g_optimizer) before fit().")
        real, labels = self._unpack(data)
        m = self._batch_split(real)
        if self.reuse_fake:
            self._reuse_fake_step(real, labels, self._draw_latents(m, self.seed_generator))
        else:
            for i in range(self.d_steps):
                d_real, d_labels = self._minibatch(real, labels, i)
                z = self._draw_latents(m, self.seed_generator)
                self._discriminator_step(d_real, d_labels, z)
            # The generator's minibatch is the last discriminator minibatch: its labels
            # condition the fakes, its samples feed losses that compare with real data.
            g_real, g_labels = self._minibatch(real, labels, self.d_steps - 1)
            self._generator_step(self._draw_latents(m, self.seed_generator), g_labels, g_real)
        if self.ema is not None:
            self.ema.update(self.generator, m * num_replicas(), self.g_optimizer.iterations)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data):
        """Reports the training metrics on `data` without changing any weight."""
        real, labels = self._unpack(data)
        batch = real.shape[0] if real.shape[0] is not None else ops.shape(real)[0]
        z = self._draw_latents(batch, self.eval_seed_generator)
        fake = self.generator(self._g_inputs(z, labels), training=False)
        real_logits = self.discriminator(self._d_inputs(real, labels), training=False)
        fake_logits = self.discriminator(self._d_inputs(fake, labels), training=False)
        self._record(
            real_logits,
            fake_logits,
            d_loss=self._discriminator_loss(real_logits, fake_logits),
            g_loss=self.loss_fns.generator(fake_logits, real_logits),
        )
        return {name: self.trackers[name].result() for name in _TRACKED}

    def summary(self, *args, **kwargs):  # pragma: no cover - printing only
        self.generator.summary(*args, **kwargs)
        self.discriminator.summary(*args, **kwargs)


def _check_arguments(
    generator: Any, discriminator: Any, loss_fns: losses_lib.GANLoss, loss: str, **values: Any
) -> None:
    """Checks `GAN`'s arguments against `kgan.rules`, the ranges `TrainConfig` uses too."""
    if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
        raise TypeError(
            "generator and discriminator must be keras.Model instances; got "
            f"{type(generator).__name__} and {type(discriminator).__name__}."
        )
    rules.POSITIVE_INT.check("d_steps", values["d_steps"])
    if values["label_smoothing"] and not loss_fns.supports_label_smoothing:
        raise ValueError(f"label_smoothing applies to the logistic losses, not loss={loss!r}.")
    rules.LABEL_SMOOTHING.check("label_smoothing", values["label_smoothing"])
    rules.PENALTY_WEIGHT.check("gradient_penalty", values["gradient_penalty"])
    rules.PENALTY_WEIGHT.check("r1_gamma", values["r1_gamma"])
    rules.POSITIVE_INT.check("r1_interval", values["r1_interval"])
    rules.EMA_HALF_LIFE.check("ema_half_life", values["ema_half_life"], optional=True)
    rules.EMA_RAMPUP.check("ema_rampup", values["ema_rampup"], optional=True)
    if values["reuse_fake"] and values["d_steps"] != 1:
        raise ValueError("reuse_fake=True needs d_steps=1: there is one fake batch to reuse.")


def _signature(
    generator: keras.Model, discriminator: keras.Model, latent_dim: int | None
) -> tuple[int, int | None]:
    """(latent_dim, num_classes) of the pair: read from the generator, checked against D."""
    signature = generator_signature(generator)
    if latent_dim is not None and latent_dim != signature.latent_dim:
        raise ValueError(
            f"latent_dim={latent_dim} does not match the generator's input size "
            f"{signature.latent_dim}."
        )
    d_conditional = isinstance(discriminator.input_shape, list) and (
        len(discriminator.input_shape) == 2
    )
    if d_conditional != (signature.num_classes is not None):
        raise ValueError(
            "Both networks must be conditional (two inputs: samples or z, and labels) or "
            f"neither; got a generator with inputs {generator.input_shape} and a "
            f"discriminator with inputs {discriminator.input_shape}."
        )
    return signature.latent_dim, signature.num_classes


def _augmentation(augment: str | DiffAugment | None, sample_shape: tuple) -> DiffAugment | None:
    if isinstance(augment, str):
        augment = DiffAugment(augment)
    if augment is not None and not isinstance(augment, DiffAugment):
        raise TypeError(
            f"augment must be a policy string or a DiffAugment; got {type(augment).__name__}."
        )
    if augment is not None and len(sample_shape) != 3:
        raise ValueError(
            f"augment needs image samples (height, width, channels); this generator "
            f"makes samples of shape {sample_shape}."
        )
    return augment
