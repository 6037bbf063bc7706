"""Layers used by the networks.

- `Maxout`: the discriminator units of Goodfellow et al. (2014).
- `BatchNormalization`, `Conv2D`, `Conv2DTranspose`: Keras's layers, with the
  same arguments, weights, results and saved format, that train faster with
  TensorFlow (a fused batch-norm kernel; a faster kernel gradient in bfloat16
  on CPU). `kgan.networks` builds with them; inference runs Keras's own code.
"""

from __future__ import annotations

import keras
from keras import ops

from kgan.networks import phases


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


_FUSED_DTYPES = ("float16", "bfloat16", "float32")
_FUSED_MIN_EPSILON = 1.001e-5  # FusedBatchNormV3 raises smaller epsilons to this


@keras.saving.register_keras_serializable(package="kgan")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` that trains with TensorFlow's fused kernel.

    Same arguments, weights, results and saved format as the Keras layer. In
    training mode on the TensorFlow backend it normalizes with one
    `FusedBatchNormV3` op (oneDNN on CPU, cuDNN on GPU; its gradient is one op
    too) instead of Keras's composite of moments, casts and elementwise ops.
    The fused op takes bfloat16/float16 inputs as they are and computes the
    statistics in float32, so under mixed precision the activations are not
    cast to float32 and back. The moving statistics are updated with the same
    formula as Keras's (biased batch variance). Inference mode, and whatever
    the fused op does not cover (renorm, `synchronized`, masks, an axis other
    than the last, float64, epsilon < 1.001e-5), run Keras's own code.

    Forward and backward of the 28x28 DCGAN generator's two batch norms (batch
    128, 2 CPU cores): 4.9 -> 2.5 ms in float32, 6.5 -> 3.4 ms in bfloat16
    (`scripts/bench_layers.py`).

    Example:
        >>> import numpy as np
        >>> bn = BatchNormalization()
        >>> y = bn(np.arange(8, dtype="float32").reshape(4, 2), training=True)
        >>> [round(float(v), 2) for v in np.asarray(y)[:, 0]]
        [-1.34, -0.45, 0.45, 1.34]
    """

    def _fusable(self, inputs, training, mask) -> bool:
        rank = len(inputs.shape)
        return (
            bool(training)
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and rank >= 2
            and self.axis % rank == rank - 1
            and keras.backend.standardize_dtype(inputs.dtype) in _FUSED_DTYPES
            and self.epsilon >= _FUSED_MIN_EPSILON
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        channels = inputs.shape[-1]
        x = tf.reshape(inputs, [-1, 1, 1, channels])  # every position of a channel: one "image"
        gamma = self.gamma if self.scale else tf.ones([channels], "float32")
        beta = self.beta if self.center else tf.zeros([channels], "float32")
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x,
            tf.cast(gamma, "float32"),
            tf.cast(beta, "float32"),
            epsilon=self.epsilon,
            is_training=True,
        )
        # The op returns the unbiased (n / (n - 1)) variance; Keras tracks the biased one.
        count = tf.cast(tf.shape(x)[0], "float32")
        variance = variance * (tf.maximum(count - 1.0, 1.0) / count)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        return tf.cast(tf.reshape(y, tf.shape(inputs)), self.compute_dtype)


# ----------------------------------------------------------------- convolutions
#
# oneDNN's weight-gradient kernel for strided convolutions is its slowest in
# bfloat16 on CPUs without AMX (avx512_core_bf16): for the 28x28 DCGAN's
# 64 <-> 128-channel layers it runs at less than half the speed of the forward
# kernel on the same shapes, and the step has three of them. The same gradient
# is a forward convolution in disguise: with batch and channels swapped,
#
#     dW[kh, kw, ci, co] = sum_{n,i,j} x[n, s*i + kh, s*j + kw, ci] * dy[n, i, j, co]
#
# is a stride-1 convolution of x^T (C, H, W, N) with dy^T (Ho, Wo, N, O) dilated
# by s, which oneDNN's forward kernel computes faster: a training call of the
# 64 -> 128 layer takes 7.2 ms instead of 9.8 (scripts/bench_layers.py). Only
# that case (training in bfloat16, no GPU or TPU, channels_last, no dilation)
# takes this path; in float32 the native kernel was the faster one (an ad-hoc
# timing of the gradient alone: 4.2 vs 7.2 ms) and is kept.
#
# The forward form loses on large maps: at 64x64 (PyTorch's DCGAN, issue 16)
# the 128 -> 64 transposed layer from 16x16 to 32x32 took 94.9 ms instead of
# 84.4, the 64 -> 128 convolution from 32x32 77.9 instead of 84.8, and the
# image layers at 64x64 (3 channels) lost 5-15%; from 8x8 to 16x16 it still
# wins by 20-25%, and layers with at most 4 channels on one side (the image
# layers, where oneDNN's native kernels are weakest) still win at 32x32
# (6.7 vs 8.7 ms, 7.6 vs 8.0). So it is used where the larger feature map of
# the layer has at most 16x16 pixels, or 32x32 with at most 4 channels on one
# side (ad-hoc timings of one bfloat16 training call, batch 128;
# `scripts/bench_layers.py --model dcgan64` shows the result per layer).
_FAST_GRAD_MAX_PIXELS = 16 * 16
_FAST_GRAD_MAX_PIXELS_FEW_CHANNELS = 32 * 32


def _pad_before(size: int, out: int, kernel: int, stride: int, padding: str) -> int:
    """The padding before one spatial axis, as TensorFlow pads it."""
    if padding == "valid":
        return 0
    return max((out - 1) * stride + kernel - size, 0) // 2


def _filter_grad(x, dy, kernel_size, strides, padding: str):
    """dW of `conv2d(x, W, strides, padding)` as a forward convolution (see above)."""
    import tensorflow as tf

    pads = []
    for axis in (1, 2):
        size, out = x.shape[axis], dy.shape[axis]
        k, s = kernel_size[axis - 1], strides[axis - 1]
        before = _pad_before(size, out, k, s, padding)
        # Pad the end (or crop it, through the slice below) so that the result is k wide.
        after = k + s * (out - 1) - size - before
        pads.append((before, max(after, 0)))
    xt = tf.transpose(x, [3, 1, 2, 0])  # (C, H, W, N): the batch becomes the channels
    ft = tf.transpose(dy, [1, 2, 0, 3])  # (Ho, Wo, N, O)
    grad = tf.nn.conv2d(
        xt,
        ft,
        strides=1,
        padding=[[0, 0], list(pads[0]), list(pads[1]), [0, 0]],
        dilations=list(strides),
    )
    grad = grad[:, : kernel_size[0], : kernel_size[1], :]
    return tf.transpose(grad, [1, 2, 0, 3])  # (kh, kw, C, O)


def _fast_filter_grad_applies(layer, inputs) -> bool:
    import tensorflow as tf

    static = all(d is not None for d in inputs.shape[1:])
    return (
        keras.backend.standardize_dtype(inputs.dtype) == "bfloat16"
        and layer.data_format == "channels_last"
        and tuple(layer.dilation_rate) == (1, 1)
        and getattr(layer, "groups", 1) == 1
        and static
        and _fast_filter_grad_pays(layer, inputs.shape)
        and not tf.config.list_logical_devices("GPU")
        and not tf.config.list_logical_devices("TPU")
    )


def _fast_filter_grad_pays(layer, shape) -> bool:
    """Whether the layer's maps are small enough for the forward form to win (see above)."""
    out = layer.compute_output_shape(tuple(shape))
    pixels = max(shape[1] * shape[2], out[1] * out[2])
    few = min(shape[3], out[3]) <= _PHASE_MAX_CHANNELS
    limit = _FAST_GRAD_MAX_PIXELS_FEW_CHANNELS if few else _FAST_GRAD_MAX_PIXELS
    return pixels <= limit


# Where a transposed convolution has few output channels (the generator's image
# layer: 64 -> 1), oneDNN's kernel for it (a data-gradient kernel, vectorized
# over those channels) is slow too. With a 4x4 kernel and stride 2 ("same"),
# each of the 2x2 output phases is a 2x2 convolution of the input, so the whole
# layer is one 3x3 convolution to 4 * channels (the taps a phase does not use
# are zero) and a depth_to_space. The same form serves the input gradient of a
# convolution with few input channels (the discriminator's first layer). With
# the kernel gradient above, a bfloat16 training call of the 64 -> 1 layer takes
# 2.3 ms instead of 2.9, of the 1 -> 64 layer 2.5 instead of 3.2
# (scripts/bench_layers.py).
_PHASE_MAX_CHANNELS = 4


def _phase_taps() -> tuple[tuple[int, ...], ...]:
    """[a][d]: the kernel row (or column) that output phase a takes from input offset d - 1,
    or 4 for none (a zero appended to the kernel): ((3, 1, 4), (4, 2, 0)).

    Read from `kgan.networks.phases`, the algebra the ONNX rewrite uses too: phase a is a
    valid correlation of the input padded by `before` with its taps, so tap j reads input
    offset `j - before`.
    """
    axis = phases.Axis.of(n=1, k=4, s=2, padding="same")
    table = []
    for a in range(2):
        taps, before, _ = axis.phase(a)
        row = [4, 4, 4]
        for j, tap in enumerate(taps):
            row[j - before + 1] = tap
        table.append(tuple(row))
    return tuple(table)


_PHASE_TAPS = _phase_taps()


def _phase_form_applies(x, kernel, output_shape, strides, padding: str) -> bool:
    return (
        tuple(kernel.shape[:2]) == (4, 4)
        and tuple(strides) == (2, 2)
        and padding == "same"
        and kernel.shape[2] <= _PHASE_MAX_CHANNELS
        and all(d is not None for d in x.shape[1:])
        and tuple(output_shape[1:3]) == (2 * x.shape[1], 2 * x.shape[2])
    )


def _transposed(x, kernel, output_shape, strides, padding: str):
    """`conv2d_transpose(x, kernel)`, in the phase form (above) where that applies."""
    import numpy as np
    import tensorflow as tf

    if not _phase_form_applies(x, kernel, output_shape, strides, padding):
        shape = tf.stack([tf.shape(x)[0], *output_shape[1:]])
        return tf.nn.conv2d_transpose(x, kernel, shape, list(strides), padding.upper())
    channels_in, channels_out = kernel.shape[3], kernel.shape[2]
    padded = tf.pad(kernel, [[0, 1], [0, 1], [0, 0], [0, 0]])  # row and column 4: zeros
    rows = np.array([[_PHASE_TAPS[a][d] for d in range(3)] for a in range(2)])  # (a, d)
    # phase_kernel[dy, dx, a, b] = padded[rows[a, dy], rows[b, dx]]
    taps_y = rows.T[:, None, :, None] * np.ones((1, 3, 1, 2), int)
    taps_x = rows.T[None, :, None, :] * np.ones((3, 1, 2, 1), int)
    taps = tf.gather_nd(padded, np.stack([taps_y, taps_x], axis=-1))  # (3, 3, 2, 2, out, in)
    taps = tf.transpose(taps, [0, 1, 5, 2, 3, 4])  # (3, 3, in, a, b, out)
    phase_kernel = tf.reshape(taps, [3, 3, channels_in, 4 * channels_out])
    phases = tf.nn.conv2d(x, phase_kernel, strides=1, padding="SAME")
    return tf.nn.depth_to_space(phases, 2)  # channel (a * 2 + b) * out + c -> pixel (a, b)


def _conv2d(x, kernel, strides, padding: str):
    """`conv2d` whose kernel gradient is `_filter_grad`; the rest as TensorFlow's."""
    import tensorflow as tf

    tf_padding = padding.upper()

    @tf.custom_gradient
    def conv(x, kernel):
        y = tf.nn.conv2d(x, kernel, strides=list(strides), padding=tf_padding)

        def grad(dy):
            dx = _transposed(dy, kernel, x.shape, strides, padding)
            return dx, _filter_grad(x, dy, kernel.shape[:2], strides, padding)

        return y, grad

    return conv(x, tf.convert_to_tensor(kernel))  # a tensor: variables are read outside


def _conv2d_transpose(x, kernel, output_shape, strides, padding: str):
    """`conv2d_transpose` whose kernel gradient is `_filter_grad`.

    A transposed convolution is the input-gradient of the convolution `y -> x`
    with the same kernel, so its kernel gradient is that convolution's with the
    roles swapped: `_filter_grad(dy, x)`.
    """
    import tensorflow as tf

    tf_padding = padding.upper()

    @tf.custom_gradient
    def conv_transpose(x, kernel):
        y = _transposed(x, kernel, output_shape, strides, padding)

        def grad(dy):
            dx = tf.nn.conv2d(dy, kernel, strides=list(strides), padding=tf_padding)
            return dx, _filter_grad(dy, x, kernel.shape[:2], strides, padding)

        return y, grad

    return conv_transpose(x, tf.convert_to_tensor(kernel))


def _finish(layer, outputs):
    """Bias and activation, as Keras's convolution layers apply them."""
    if layer.use_bias:
        outputs = outputs + layer.bias
    return outputs if layer.activation is None else layer.activation(outputs)


@keras.saving.register_keras_serializable(package="kgan")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` with a faster kernel gradient in bfloat16 on CPU.

    Same arguments, weights, results and saved format as the Keras layer; only
    how TensorFlow computes the kernel's gradient in training under
    `mixed_bfloat16` on a CPU-only machine differs (a forward convolution with
    batch and channels swapped, which oneDNN runs faster than its
    weight-gradient kernel). Inference runs Keras's own code.

    Example:
        >>> import numpy as np
        >>> Conv2D(8, 4, strides=2, padding="same")(np.zeros((1, 8, 8, 3), "float32")).shape
        TensorShape([1, 4, 4, 8])
    """

    def call(self, inputs, training=None):
        if not (training and _fast_filter_grad_applies(self, inputs)):
            return super().call(inputs)
        return _finish(self, _conv2d(inputs, self.kernel, self.strides, self.padding))


@keras.saving.register_keras_serializable(package="kgan")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` with a faster kernel gradient in bfloat16 on CPU.

    Same arguments, weights, results and saved format as the Keras layer (see
    `Conv2D`).

    Example:
        >>> import numpy as np
        >>> layer = Conv2DTranspose(8, 4, strides=2, padding="same")
        >>> layer(np.zeros((1, 4, 4, 3), "float32")).shape
        TensorShape([1, 8, 8, 8])
    """

    def call(self, inputs, training=None):
        fast = training and self.output_padding is None
        if not (fast and _fast_filter_grad_applies(self, inputs)):
            return super().call(inputs)

        output_shape = self.compute_output_shape(inputs.shape)
        outputs = _conv2d_transpose(inputs, self.kernel, output_shape, self.strides, self.padding)
        return _finish(self, outputs)
