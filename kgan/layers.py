"""Small layers used by the networks."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgan")
class Maxout(keras.layers.Layer):
    """Maxout units (Goodfellow et al., 2013): the max over `pieces` linear pieces.

    `y_j = max_k (x W_{jk} + b_{jk})`, as in the discriminator of Goodfellow
    et al. (2014).

    Args:
        units: number of output units.
        pieces: number of linear pieces per unit.

    Example:
        >>> import numpy as np
        >>> Maxout(4, pieces=3)(np.zeros((2, 5), "float32")).shape
        TensorShape([2, 4])
    """

    def __init__(
        self,
        units: int,
        pieces: int = 5,
        *,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if units < 1 or pieces < 1:
            raise ValueError(f"units and pieces must be >= 1; got units={units}, pieces={pieces}.")
        self.units = int(units)
        self.pieces = int(pieces)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(in_dim, self.units * self.pieces),
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units * self.pieces,), initializer=self.bias_initializer
        )

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel) + self.bias
        y = ops.reshape(y, (*ops.shape(y)[:-1], self.units, self.pieces))
        return ops.max(y, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            pieces=self.pieces,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
        )
        return config
