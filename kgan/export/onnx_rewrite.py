"""Export-time rewrites that make a generator fast in ONNX Runtime without changing its numbers.

`subpixel_generator(generator)` returns a new functional `keras.Model` that
computes the same function as `generator` (to float32 rounding, ~1e-6) with
every transposed convolution replaced by ordinary convolutions, which ONNX
Runtime runs much faster on CPU than its `ConvTranspose`:

- **Sub-pixel form.** A `Conv2DTranspose` with stride `s` is `s*s`
  interleaved convolutions of its input, one per output phase, each with a
  `ceil(k/s)`-tap slice of the kernel. By default (`split_phases=True`) each
  phase is its own small valid convolution (exactly the transposed conv's
  multiply-adds), the phases are concatenated on channels and interleaved by
  `depth_to_space(s)`. With `split_phases=False` one convolution with
  `s*s*filters` outputs computes all phases on a one-pixel-larger grid
  (more multiply-adds, one node), followed by `depth_to_space` and a crop.
- **Polyphase hand-off.** When a rewritten transposed conv feeds (through
  its batch norm and activation) another one with few filters (the image
  layer, `filters <= polyphase_max_filters`), the second runs directly on the
  first one's stacked phases at the coarse resolution, and a single
  `depth_to_space(s1*s2)` of its few channels makes the image. This skips the
  interleave of the wide feature map, which costs ONNX Runtime more than the
  extra multiply-adds of the small layer.
- **Batch-norm folding.** An inference-mode `BatchNormalization` right after
  a Dense, Conv2D or rewritten transposed conv is folded into its kernel and
  bias; an elementwise activation after a rewritten transposed conv is applied
  to each phase, so that ONNX Runtime fuses it into the convolution.
- **Channels-first projection.** A Dense whose units are reshaped to an
  (H, W, C) map feeding convolutions emits them in (C, H, W) order instead
  (Reshape + Permute in Keras), so the transpose tf2onnx puts before the NCHW
  convolutions cancels out.
- Layers computing in float16 (mixed precision) are left as they are.

The model is for export only (`kgan.export` converts it with tf2onnx): it
reuses the original's weightless and untouched layers and copies the weights
it changes, so the original generator is never modified.

The phase algebra (which kernel taps and pads each output phase takes) is
`kgan.networks.phases`, shared with the training-time phase form of
`kgan.networks.layers.Conv2DTranspose`.

Example:
    >>> import keras
    >>> import kgan
    >>> from kgan.export_optimize import subpixel_generator
    >>> g, _ = kgan.networks.dcgan(16, (8, 8, 1), width=8)
    >>> fast = subpixel_generator(g)
    >>> any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in fast.layers)
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from kgan import _keras_compat
from kgan.networks import layers as kgan_layers
from kgan.networks.phases import Axis, coarse_kernel, slot_kernel

__all__ = ["SubpixelShuffle", "conv_transpose_macs", "subpixel_generator"]

POLYPHASE_MAX_FILTERS = 4
"""Default `polyphase_max_filters`: image layers (1 or 3 channels) take the hand-off."""

# Activations that act elementwise, so they commute with depth_to_space and crops.
_ELEMENTWISE = frozenset(
    {
        "linear",
        "relu",
        "relu6",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "swish",
        "tanh",
        "sigmoid",
        "hard_sigmoid",
        "hard_silu",
        "hard_swish",
        "softplus",
        "softsign",
        "mish",
        "exponential",
    }
)
_ELEMENTWISE_LAYERS = (keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU)
# The layers rewritten or folded, exactly these classes (kgan's differ from Keras's only
# in how they train): a user's subclass may compute something else and is left alone.
_CONV = (keras.layers.Conv2D, kgan_layers.Conv2D)
_CONV_TRANSPOSE = (keras.layers.Conv2DTranspose, kgan_layers.Conv2DTranspose)
_BATCHNORM = (keras.layers.BatchNormalization, kgan_layers.BatchNormalization)


@keras.saving.register_keras_serializable(package="kgan")
class SubpixelShuffle(keras.layers.Layer):
    """`depth_to_space(block)` (channels_last, DCR order), then a spatial crop.

    Args:
        block: the upsampling factor (1: crop only).
        crop: `(top, left)`: rows and columns dropped from the upsampled map.
        size: `(height, width)` kept after the crop.
    """

    def __init__(self, block: int, crop: tuple[int, int], size: tuple[int, int], **kwargs):
        super().__init__(**kwargs)
        self.block = int(block)
        self.crop = tuple(int(c) for c in crop)
        self.size = tuple(int(s) for s in size)

    def call(self, inputs):
        x = inputs if self.block == 1 else keras.ops.depth_to_space(inputs, self.block)
        (top, left), (h, w) = self.crop, self.size
        if (top, left) == (0, 0) and tuple(x.shape[1:3]) == (h, w):
            return x
        return x[:, top : top + h, left : left + w, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.size, input_shape[-1] // self.block**2)

    def get_config(self):
        config = super().get_config()
        config.update(block=self.block, crop=self.crop, size=self.size)
        return config


def _rewritable(layer: Any, input_shape: tuple) -> bool:
    if type(layer) not in _CONV_TRANSPOSE:
        return False
    return (
        layer.data_format == "channels_last"
        and layer.strides[0] == layer.strides[1]
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.output_padding is None
        and layer.padding in ("same", "valid")
        and len(input_shape) == 4
        and input_shape[1] is not None
        and input_shape[2] is not None
    )


def _axes(layer: Any, input_shape: tuple) -> tuple[Axis, Axis]:
    (kh, kw), s = layer.kernel_size, layer.strides[0]
    return (
        Axis.of(int(input_shape[1]), kh, s, layer.padding),
        Axis.of(int(input_shape[2]), kw, s, layer.padding),
    )


def conv_transpose_macs(layer: Any, input_shape: tuple) -> dict[str, int]:
    """Multiply-adds per sample of a Conv2DTranspose and of its sub-pixel forms.

    Returns `{"transpose": ..., "split_phases": ..., "single_conv": ...}`; the
    transposed conv's count is that of its direct algorithm (`h*w*kh*kw*cin*cout`).
    """
    rows, cols = _axes(layer, input_shape)
    c_in, c_out, s = int(input_shape[3]), layer.filters, rows.s
    split = 0
    for ry in range(s):
        taps_y = len(rows.phase(ry)[0])
        for rx in range(s):
            split += taps_y * len(cols.phase(rx)[0])
    split *= rows.phases_len * cols.phases_len * c_in * c_out
    single = rows.conv_len * cols.conv_len * rows.taps * cols.taps * c_in * s * s * c_out
    direct = rows.n * cols.n * rows.k * cols.k * c_in * c_out
    return {"transpose": direct, "split_phases": split, "single_conv": single}


def _activation_name(fn: Any) -> str | None:
    name = getattr(fn, "__name__", None)
    return name if name in _ELEMENTWISE else None


def _is_elementwise_layer(layer: Any) -> bool:
    if isinstance(layer, _ELEMENTWISE_LAYERS):
        return True
    return type(layer) is keras.layers.Activation and _activation_name(layer.activation) is not None


def _foldable_batchnorm(node: Any) -> bool:
    layer = node.operation
    if type(layer) not in _BATCHNORM:
        return False
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    rank = len(node.outputs[0].shape)
    return (
        [a % rank for a in axis] == [rank - 1]
        and node.arguments.kwargs.get("training") is not True
        and layer.compute_dtype == "float32"
    )


def _batchnorm_affine(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) with `bn(x) = x * scale + shift` in inference mode (float64)."""
    mean = np.asarray(layer.moving_mean, np.float64)
    var = np.asarray(layer.moving_variance, np.float64)
    gamma = np.asarray(layer.gamma, np.float64) if layer.scale else np.ones_like(mean)
    beta = np.asarray(layer.beta, np.float64) if layer.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + layer.epsilon)
    return scale, beta - mean * scale


@dataclass
class _Chain:
    """A producer node with the batch-norm and activation nodes absorbed into it."""

    kind: str  # "conv_transpose" | "dense" | "conv" | "reshape"
    batchnorm: Any = None  # the BatchNormalization layer folded in
    activation: Any = None  # the elementwise layer applied before depth_to_space
    absorbed: list = field(default_factory=list)  # ids of the nodes absorbed
    output: Any = None  # the old tensor the chain stands for
    hand_off: bool = False  # emit the phase stack for a polyphase consumer
    channels_first: tuple | None = None  # (H, W, C): dense units reordered to C, H, W


def _nodes(model: keras.Model) -> list:
    """The model's layer calls in execution order (deepest first)."""
    by_depth = _keras_compat.nodes_by_depth(model)
    nodes = [n for depth in sorted(by_depth, reverse=True) for n in by_depth[depth]]
    return [n for n in nodes if n.operation is not None and not n.is_input]


def _plan(
    model: keras.Model, fold_batchnorm: bool, split_phases: bool, polyphase_max_filters: int
) -> dict[int, _Chain]:
    nodes = _nodes(model)
    consumers: dict[int, list] = {}
    for node in nodes:
        for tensor in node.arguments.keras_tensors:
            consumers.setdefault(id(tensor), []).append(node)
    outputs = {id(t) for t in model.outputs}

    def single_consumer(tensor):
        users = consumers.get(id(tensor), [])
        return users[0] if len(users) == 1 and id(tensor) not in outputs else None

    chains: dict[int, _Chain] = {}
    absorbed: set[int] = set()
    for node in nodes:
        layer = node.operation
        if id(node) in absorbed or len(node.outputs) != 1 or len(node.arguments.keras_tensors) != 1:
            continue
        if getattr(layer, "compute_dtype", None) != "float32":
            continue  # Reordered float16 sums would differ from the original by ~1e-3.
        input_shape = tuple(node.arguments.keras_tensors[0].shape)
        linear = _activation_name(getattr(layer, "activation", None)) == "linear"
        if _rewritable(layer, input_shape):
            chain = _Chain("conv_transpose")
        elif type(layer) is keras.layers.Dense and len(input_shape) == 2:
            chain = _Chain("dense")
        elif type(layer) in _CONV and layer.data_format == "channels_last" and layer.groups == 1:
            chain = _Chain("conv")
        else:
            continue
        tail = node
        nxt = single_consumer(tail.outputs[0])
        if fold_batchnorm and linear and nxt is not None and _foldable_batchnorm(nxt):
            chain.batchnorm = nxt.operation
            chain.absorbed.append(id(nxt))
            tail = nxt
            nxt = single_consumer(tail.outputs[0])
        if chain.kind == "dense" and _activation_name(layer.activation) is not None:
            reshape = _channels_first_reshape(tail, single_consumer, consumers)
            if reshape is not None:
                chain.channels_first = tuple(int(d) for d in reshape.outputs[0].shape[1:])
                chains[id(reshape)] = _Chain("reshape", output=reshape.outputs[0])
        if chain.kind != "conv_transpose":
            if chain.batchnorm is None and chain.channels_first is None:
                continue
        elif (
            nxt is not None
            and len(nxt.arguments.keras_tensors) == 1
            and _is_elementwise_layer(nxt.operation)
        ):
            chain.activation = nxt.operation
            chain.absorbed.append(id(nxt))
            tail = nxt
            nxt = single_consumer(tail.outputs[0])
        chain.output = tail.outputs[0]
        if chain.kind == "conv_transpose" and split_phases and nxt is not None:
            rows, cols = _axes(layer, input_shape)
            nxt_shape = tuple(nxt.arguments.keras_tensors[0].shape)
            chain.hand_off = (
                rows.splittable
                and cols.splittable
                and rows.exact
                and cols.exact
                and len(nxt.arguments.keras_tensors) == 1
                and _rewritable(nxt.operation, nxt_shape)
                and nxt.operation.filters <= polyphase_max_filters
            )
        chains[id(node)] = chain
        absorbed.update(chain.absorbed)
    return chains


def _channels_first_reshape(tail, single_consumer, consumers):
    """The Reshape to (H, W, C) after a Dense chain (through elementwise layers), when every
    consumer of its output is a convolution; else None.

    The Dense can then emit its units in (C, H, W) order: reshaped to (C, H, W) and
    permuted to (H, W, C) in the Keras graph, the map reaches the convolutions with a
    transpose that tf2onnx cancels against the one it puts before each NCHW Conv.
    """
    nxt = single_consumer(tail.outputs[0])
    while nxt is not None and _is_elementwise_layer(nxt.operation):
        if len(nxt.arguments.keras_tensors) != 1:
            return None
        nxt = single_consumer(nxt.outputs[0])
    if nxt is None or type(nxt.operation) is not keras.layers.Reshape:
        return None
    shape = tuple(nxt.outputs[0].shape)
    if len(shape) != 4 or any(d is None for d in shape[1:]):
        return None
    users = consumers.get(id(nxt.outputs[0]), [])
    for user in users:
        layer, (source, *rest) = user.operation, user.arguments.keras_tensors
        conv = type(layer) in _CONV and layer.data_format == "channels_last"
        if rest or not (conv or _rewritable(layer, tuple(source.shape))):
            return None
    return nxt if users else None


def _pad(x, rows: tuple[int, int], cols: tuple[int, int], policy, name: str):
    """Zero-pads (positive) or crops (negative) the spatial axes of an NHWC tensor."""
    crop = tuple((max(-a, 0), max(-b, 0)) for a, b in (rows, cols))
    pad = tuple((max(a, 0), max(b, 0)) for a, b in (rows, cols))
    if any(any(c) for c in crop):
        x = keras.layers.Cropping2D(crop, dtype=policy, name=f"{name}_crop")(x)
    if any(any(p) for p in pad):
        x = keras.layers.ZeroPadding2D(pad, dtype=policy, name=f"{name}_pad")(x)
    return x


def _conv(x, kernel: np.ndarray, bias: np.ndarray | None, activation, policy, name: str):
    conv = keras.layers.Conv2D(
        kernel.shape[-1],
        kernel.shape[:2],
        padding="valid",
        use_bias=bias is not None,
        activation=activation,
        dtype=policy,
        name=name,
    )
    y = conv(x)
    conv.kernel.assign(kernel.astype(conv.kernel.dtype))
    if bias is not None:
        conv.bias.assign(np.asarray(bias).astype(conv.bias.dtype))
    return y


def _affine(layer: Any, chain: _Chain) -> tuple[np.ndarray, np.ndarray | None]:
    """(per-filter scale, per-filter bias or None) of the layer's bias and folded batch norm."""
    bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else None
    if chain.batchnorm is None:
        return np.ones(layer.filters if hasattr(layer, "filters") else layer.units), bias
    scale, shift = _batchnorm_affine(chain.batchnorm)
    return scale, shift + (0.0 if bias is None else bias * scale)


@dataclass
class _Phased:
    """A phase stack standing for an interleaved tensor: `x = depth_to_space(stack, block)`."""

    stack: Any
    block: int


def _call_conv_transpose(layer: Any, chain: _Chain, x, input_shape, split: bool, name: str):
    """The rewritten transposed conv: an NHWC tensor, or a `_Phased` when handing off."""
    rows, cols = _axes(layer, input_shape)
    s, policy = rows.s, layer.dtype_policy
    kernel = np.asarray(layer.kernel.numpy(), np.float64)
    scale, bias = _affine(layer, chain)
    activation = layer.activation

    def finish(y):
        return y if chain.activation is None else chain.activation(y)

    out_policy = chain.activation.dtype_policy if chain.activation is not None else policy
    if isinstance(x, _Phased):  # polyphase consumer of the previous layer's phases
        slot = slot_kernel(kernel, rows, cols) * np.tile(scale, s * s)
        coarse, pad_y, pad_x = coarse_kernel(slot, rows, cols, x.block, int(input_shape[3]))
        big = x.block * s
        coarse_bias = None if bias is None else np.tile(bias, big * big)
        y = _pad(x.stack, pad_y, pad_x, policy, name)
        y = finish(_conv(y, coarse, coarse_bias, activation, policy, f"{name}_polyphase"))
        return SubpixelShuffle(
            big, (rows.crop, cols.crop), (rows.out_len, cols.out_len), dtype=out_policy, name=name
        )(y)
    if not (split and rows.splittable and cols.splittable):
        slot = slot_kernel(kernel, rows, cols) * np.tile(scale, s * s)
        y = _pad(
            x, (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after), policy, name
        )
        tiled_bias = None if bias is None else np.tile(bias, s * s)
        y = finish(_conv(y, slot, tiled_bias, activation, policy, f"{name}_subpixel"))
        return SubpixelShuffle(
            s, (rows.crop, cols.crop), (rows.out_len, cols.out_len), dtype=out_policy, name=name
        )(y)
    phases = []
    for ry in range(s):
        taps_y, *pad_y = rows.phase(ry)
        for rx in range(s):
            taps_x, *pad_x = cols.phase(rx)
            # (kh, kw, out, in) -> (taps_y, taps_x, in, out), scaled by the folded batch norm.
            sub = kernel[np.ix_(taps_y, taps_x)].transpose(0, 1, 3, 2) * scale
            y = _pad(x, tuple(pad_y), tuple(pad_x), policy, f"{name}_phase{ry}{rx}")
            y = _conv(y, sub, bias, activation, policy, f"{name}_phase{ry}{rx}")
            phases.append(finish(y))
    stack = keras.layers.Concatenate(dtype=out_policy, name=f"{name}_phases")(phases)
    if chain.hand_off:
        return _Phased(stack, s)
    return SubpixelShuffle(s, (0, 0), (rows.out_len, cols.out_len), dtype=out_policy, name=name)(
        stack
    )


def _call_folded(layer: Any, chain: _Chain, x, name: str):
    """A Dense or Conv2D with the batch norm folded in (and Dense units maybe reordered)."""
    kernel = np.asarray(layer.kernel.numpy(), np.float64)
    scale, bias = _affine(layer, chain)
    kernel = kernel * scale
    bias = np.zeros(kernel.shape[-1]) if bias is None else bias
    if chain.kind == "dense":
        if chain.channels_first is not None:  # units in (h, w, c) order -> (c, h, w)
            order = np.arange(layer.units).reshape(chain.channels_first).transpose(2, 0, 1)
            kernel, bias = kernel[:, order.ravel()], bias[order.ravel()]
        new = keras.layers.Dense(
            layer.units, activation=layer.activation, dtype=layer.dtype_policy, name=name
        )
    else:
        new = keras.layers.Conv2D(
            layer.filters,
            layer.kernel_size,
            strides=layer.strides,
            padding=layer.padding,
            dilation_rate=layer.dilation_rate,
            dtype=layer.dtype_policy,
            name=name,
        )
    y = new(x)
    new.kernel.assign(kernel.astype(new.kernel.dtype))
    new.bias.assign(bias.astype(new.bias.dtype))
    return y


def _call_channels_first_reshape(layer: Any, x, shape: tuple, name: str):
    """Reshape of (c, h, w)-ordered units to the (H, W, C) map `shape` that `layer` gives."""
    h, w, c = (int(d) for d in shape)
    policy = layer.dtype_policy
    y = keras.layers.Reshape((c, h, w), dtype=policy, name=f"{name}_chw")(x)
    return keras.layers.Permute((2, 3, 1), dtype=policy, name=name)(y)


def subpixel_generator(
    generator: keras.Model,
    *,
    fold_batchnorm: bool = True,
    split_phases: bool = True,
    polyphase_max_filters: int = POLYPHASE_MAX_FILTERS,
) -> keras.Model:
    """A functional model equal to `generator` without transposed convolutions.

    See the module docstring for the rewrites. Layers it cannot rewrite (a
    channels_first or dilated transposed conv, unequal strides, an
    `output_padding`, a layer computing in float16 under mixed precision,
    ...) are kept as they are, so any functional model is accepted, and one
    without such layers comes back as an equivalent copy.

    Args:
        generator: a functional `keras.Model`, e.g. from `kgan.networks`.
        fold_batchnorm: fold inference-mode batch norms into the layer before.
        split_phases: one exact convolution per output phase (True), or one
            convolution for all phases on a slightly larger grid (False).
        polyphase_max_filters: a rewritten transposed conv with at most this
            many filters, fed by another rewritten one, runs on its phases
            (needs `split_phases`); 0 disables the hand-off.

    Returns:
        A new `keras.Model` with the same inputs (names, shapes, dtypes) and
        outputs, to be called in inference mode; `generator` is not modified.

    Raises:
        TypeError: `generator` is not a functional model.
    """
    name = generator.name
    generator = _keras_compat.functional_graph(generator)
    if generator is None or not generator.inputs:
        raise TypeError(
            "subpixel_generator needs a functional keras.Model (or a built Sequential); "
            f"got {type(generator).__name__}."
        )
    chains = _plan(generator, fold_batchnorm, split_phases, polyphase_max_filters)
    absorbed = {i for chain in chains.values() for i in chain.absorbed}
    new_inputs = [
        keras.Input(shape=tuple(t.shape[1:]), dtype=t.dtype, name=t.name) for t in generator.inputs
    ]
    tensors = {id(old): new for old, new in zip(generator.inputs, new_inputs)}

    for index, node in enumerate(_nodes(generator)):
        if id(node) in absorbed:
            continue  # Its output is the chain's output, mapped when the chain was built.
        if any(id(t) not in tensors for t in node.arguments.keras_tensors):
            raise ValueError(f"Cannot rebuild {name!r}: a layer's input is unreachable.")
        layer, chain = node.operation, chains.get(id(node))
        if chain is None:
            args, kwargs = node.arguments.fill_in(tensors)
            if "training" in kwargs:
                kwargs["training"] = False
            outputs = layer(*args, **kwargs)
            for old, new in zip(node.outputs, keras.tree.flatten(outputs)):
                tensors[id(old)] = new
            continue
        (source,) = node.arguments.keras_tensors
        x, prefix = tensors[id(source)], f"{layer.name}_{index}"
        if chain.kind == "conv_transpose":
            out = _call_conv_transpose(layer, chain, x, tuple(source.shape), split_phases, prefix)
        elif chain.kind == "reshape":
            out = _call_channels_first_reshape(layer, x, chain.output.shape[1:], prefix)
        else:
            out = _call_folded(layer, chain, x, prefix)
        tensors[id(chain.output)] = out

    new_outputs = [tensors[id(t)] for t in generator.outputs]
    return keras.Model(
        new_inputs[0] if len(new_inputs) == 1 else new_inputs,
        new_outputs[0] if len(new_outputs) == 1 else new_outputs,
        name=f"{name}_subpixel",
    )
