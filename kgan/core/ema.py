"""An exponential moving average of a generator's weights (Karras et al., 2020).

Example:
    >>> import kgan
    >>> generator, _ = kgan.networks.mlp(latent_dim=4, sample_shape=(2,))
    >>> ema = GeneratorEMA(generator, half_life=10_000.0, rampup=0.05)
    >>> ema.model is not generator, ema.model.trainable
    (True, False)
"""

from __future__ import annotations

import keras
from keras import ops


class GeneratorEMA:
    """A copy of a generator whose weights trail the generator's by a half-life in images.

    After each training step, `update` moves every trainable weight of the
    copy towards the generator's by `beta = 0.5 ** (images / half_life)`, and
    copies the other weights (batch-normalization statistics) as they are.
    During early training the half-life is capped at `rampup * images_seen`
    (StyleGAN2's ramp-up), so the average forgets the random initialisation.

    Args:
        generator: the generator to follow; copied (architecture and weights).
        half_life: half-life of the average, in images (> 0).
        rampup: the ramp-up factor, or None for a fixed half-life.

    Attributes:
        model: the averaged generator (not trainable); the owner tracks it as
            a Keras attribute, so its weights are saved with the owner.
    """

    def __init__(self, generator: keras.Model, half_life: float, rampup: float | None):
        self.half_life = float(half_life)
        self.rampup = None if rampup is None else float(rampup)
        self.model = keras.models.clone_model(generator)
        self.model.set_weights(generator.get_weights())
        self.model.trainable = False

    def update(self, generator: keras.Model, images_per_step, steps_done) -> None:
        """Moves the average towards `generator` after a step.

        Args:
            generator: the generator being trained (the one copied at first).
            images_per_step: images the step showed, over all replicas.
            steps_done: generator updates so far, this one included (a tensor).
        """
        batch = ops.cast(images_per_step, "float32")
        half_life = ops.convert_to_tensor(self.half_life, "float32")
        if self.rampup is not None:
            seen = ops.cast(steps_done, "float32") * batch
            half_life = ops.minimum(half_life, seen * self.rampup)
        beta = ops.power(0.5, batch / ops.maximum(half_life, 1e-8))
        trainable = {id(w) for w in generator.trainable_weights}
        for w, ema_w in zip(generator.weights, self.model.weights):
            if id(w) in trainable:
                ema_w.assign(w + (ema_w - w) * ops.cast(beta, ema_w.dtype))
            else:  # batch-norm statistics and other buffers are copied
                ema_w.assign(w)
