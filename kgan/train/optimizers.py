"""Optimizers: Keras's, with TensorFlow's fused update kernels.

`keras.optimizers.Adam` updates each variable with about ten small ops (Keras 3
is written once for every backend); TensorFlow has had one fused kernel for the
whole Adam update, `ResourceApplyAdam`, since tf.keras used it. kgan's `Adam`
is Keras's Adam (same arguments, slots, results, saved config) that calls that
kernel on the TensorFlow backend: one `apply_gradients` on the DCGAN pair's
variables takes 0.63 ms instead of 1.10, on the MLP pair's 0.68 instead of 1.39
(`scripts/bench_layers.py`, fp32, 2 CPU cores).

Example:
    >>> import keras
    >>> from kgan.optimizers import Adam
    >>> w = keras.Variable([1.0, 2.0])
    >>> opt = Adam(0.1)
    >>> _ = opt.apply_gradients([(keras.ops.convert_to_tensor([1.0, -1.0]), w)])
    >>> [round(float(v), 3) for v in w.numpy()]
    [0.9, 2.1]
"""

from __future__ import annotations

import keras

from kgan import _keras_compat

__all__ = ["Adam"]


@keras.saving.register_keras_serializable(package="kgan")
class Adam(keras.optimizers.Adam):
    """`keras.optimizers.Adam`, applied by TensorFlow's fused `ResourceApplyAdam`.

    Same update as Keras's (`epsilon` added to `sqrt(v)`, bias correction folded
    into the learning rate), weight decay, gradient clipping, EMA, loss scaling
    and `tf.distribute` strategies included: only `update_step` differs. With
    `amsgrad=True`, and for sparse gradients (`tf.IndexedSlices`, from
    embeddings), it is Keras's own code.
    """

    def update_step(self, gradient, variable, learning_rate):
        import tensorflow as tf

        if self.amsgrad or isinstance(gradient, tf.IndexedSlices):
            # Keras's sparse update squares each slice before duplicates are summed;
            # the fused kernel would need them summed first. Keras's results win.
            return super().update_step(gradient, variable, learning_rate)

        dtype = variable.dtype
        momentum, velocity = _keras_compat.adam_slots(self, variable)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)

        def handle(v):
            # A Keras variable wraps a tf.Variable; under a strategy, inside its update
            # call, a distributed variable's handle is this device's copy.
            return (v.value if isinstance(v, keras.Variable) else v).handle

        tf.raw_ops.ResourceApplyAdam(
            var=handle(variable),
            m=handle(momentum),
            v=handle(velocity),
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )
