"""kgan's BatchNormalization, Conv2D and Conv2DTranspose: Keras's layers, trained faster.

Each must give what the Keras layer gives (outputs, gradients, moving statistics,
saved files), and must take its fast path exactly where it is meant to.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgan import networks
from kgan.networks import layers as kl


def _f32(x) -> np.ndarray:
    return np.asarray(tf.cast(x, tf.float32))


def _train_call(layer, x: np.ndarray, weights: np.ndarray):
    """(ops in the traced graph, [output, d/dx, d/d each trainable weight]) of one training call."""

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * weights)
        return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]

    x = tf.constant(x)
    graph = step.get_concrete_function(x).graph.as_graph_def()
    ops = [node.op for node in graph.node]
    for function in graph.library.function:
        ops += [node.op for node in function.node_def]
    return ops, [_f32(v) for v in step(x)]


def _pair(keras_layer, kgan_layer, shape):
    for layer in (keras_layer, kgan_layer):
        if not layer.built:
            layer.build(shape)
    kgan_layer.set_weights(keras_layer.get_weights())


# --------------------------------------------------------------- batch norm


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize("shape", [(16, 5), (8, 6, 6, 3)])
def test_batchnorm_trains_like_keras_with_one_fused_op(policy, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=shape).astype("float32")
    weights = rng.normal(size=shape).astype("float32")
    reference = keras.layers.BatchNormalization(momentum=0.9, dtype=policy)
    fused = kl.BatchNormalization(momentum=0.9, dtype=policy)
    _pair(reference, fused, shape)
    ops_ref, ref = _train_call(reference, x, weights)
    ops_fused, out = _train_call(fused, x, weights)
    assert "FusedBatchNormV3" in ops_fused and "FusedBatchNormV3" not in ops_ref
    assert "FusedBatchNormGradV3" in ops_fused
    tol = 1e-5 if policy == "float32" else 1e-2
    for name, a, b in zip(["y", "dx", "dgamma", "dbeta"], ref, out):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * np.abs(a).max(), err_msg=name)
    # The moving statistics move by the same (biased-variance) rule.
    for a, b in zip(reference.non_trainable_weights, fused.non_trainable_weights):
        np.testing.assert_allclose(_f32(b), _f32(a), rtol=1e-5, atol=1e-6)
    assert not np.allclose(_f32(fused.moving_variance), 1.0)  # they did move
    # Inference is Keras's own code, on the moved statistics.
    np.testing.assert_allclose(_f32(fused(x)), _f32(reference(x)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, fused",
    [
        ({"axis": 1}, False),
        ({"renorm": True}, False),
        ({"epsilon": 1e-6}, False),  # below what the fused op accepts
        ({"center": False, "scale": False}, True),
    ],
    ids=["axis1", "renorm", "tiny_epsilon", "no_affine"],
)
def test_batchnorm_options_give_keras_results(kwargs, fused):
    shape = (8, 4, 5, 3)
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype("float32")
    weights = rng.normal(size=shape).astype("float32")
    reference = keras.layers.BatchNormalization(**kwargs)
    ours = kl.BatchNormalization(**kwargs)
    _pair(reference, ours, shape)
    ops, out = _train_call(ours, x, weights)
    _, ref = _train_call(reference, x, weights)
    assert ("FusedBatchNormV3" in ops) == fused
    for a, b in zip(ref, out):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def test_batchnorm_of_a_frozen_layer_uses_the_moving_statistics():
    layer = kl.BatchNormalization()
    layer.build((4, 3))
    layer.trainable = False
    x = np.arange(12, dtype="float32").reshape(4, 3)
    before = [w.copy() for w in layer.get_weights()]
    np.testing.assert_allclose(_f32(layer(x, training=True)), x / np.sqrt(1 + 1e-3), rtol=1e-6)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------- convolutions

C, T = (kl.Conv2D, keras.layers.Conv2D), (kl.Conv2DTranspose, keras.layers.Conv2DTranspose)
# (classes, input shape, arguments, whether the 64 -> 1 "phase form" computes the transposed
# convolution: the forward pass of a transposed one, the input gradient of a plain one)
CONVS = [
    (C, (4, 14, 14, 8), dict(kernel_size=4, strides=2), False),
    (C, (4, 13, 11, 8), dict(kernel_size=4, strides=2), False),
    (C, (4, 13, 13, 8), dict(kernel_size=3, strides=2, padding="valid"), False),
    (C, (4, 12, 12, 3), dict(kernel_size=3, strides=1), False),
    (C, (4, 12, 12, 3), dict(kernel_size=(3, 2), strides=(1, 2)), False),
    (C, (4, 14, 14, 1), dict(kernel_size=4, strides=2), True),
    (C, (4, 12, 10, 3), dict(kernel_size=4, strides=2), True),
    (C, (4, 13, 13, 1), dict(kernel_size=4, strides=2), False),  # odd: 7 -> 14 != 13
    (T, (4, 7, 7, 8), dict(kernel_size=4, strides=2), False),
    (T, (4, 7, 6, 8), dict(kernel_size=3, strides=2, padding="valid"), False),
    (T, (4, 7, 7, 8), dict(kernel_size=4, strides=2, filters=1), True),
    (T, (4, 6, 5, 8), dict(kernel_size=4, strides=2, filters=4), True),
    (T, (4, 6, 5, 8), dict(kernel_size=4, strides=2, filters=1, padding="valid"), False),
]


def _bf16_train_call_ops(classes, shape, kwargs) -> list[str]:
    """The ops of kgan's bfloat16 training call, after checking its results against Keras's."""
    cls, keras_cls = classes
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape).astype("float32")
    exact = keras_cls(**kwargs)  # float32: the reference
    exact.build(shape)
    out_shape = (shape[0], *exact.compute_output_shape(shape)[1:])
    weights = rng.normal(size=out_shape).astype("float32")
    keras_bf16 = keras_cls(**kwargs, dtype="mixed_bfloat16")
    ours = cls(**kwargs, dtype="mixed_bfloat16")
    _pair(exact, keras_bf16, shape)
    _pair(exact, ours, shape)
    _, want = _train_call(exact, x, weights)
    _, theirs = _train_call(keras_bf16, x, weights)
    ops, got = _train_call(ours, x, weights)
    for name, w, k, g in zip(["y", "dx", "dkernel", "dbias"], want, theirs, got):
        scale = np.abs(w).max()
        keras_error = np.abs(k - w).max() / scale
        our_error = np.abs(g - w).max() / scale
        assert our_error <= max(2 * keras_error, 1e-2), (name, our_error, keras_error)
    return ops


@pytest.mark.parametrize("classes, shape, kwargs, phase_form", CONVS)
def test_conv_in_bfloat16_is_as_accurate_as_keras(classes, shape, kwargs, phase_form):
    ops = _bf16_train_call_ops(classes, shape, {"filters": 6, "padding": "same", **kwargs})
    # The kernel gradient is a forward convolution: no weight-gradient op in the graph.
    assert "Conv2DBackpropFilter" not in ops
    assert ("Conv2DBackpropInput" not in ops) == phase_form
    assert ("DepthToSpace" in ops) == phase_form


# (classes, input shape, filters, whether the kernel gradient takes the forward form): it pays
# where the larger map has at most 16x16 pixels, or 32x32 with at most 4 channels on one side.
SIZE_RULE = [
    (C, (2, 32, 32, 8), 8, False),  # 32x32 -> 16x16, 8 -> 8 channels
    (C, (2, 32, 32, 3), 8, True),  # the image layer of a 32x32 discriminator
    (C, (2, 64, 64, 3), 8, False),  # ... of a 64x64 one
    (C, (2, 16, 16, 8), 8, True),
    (T, (2, 16, 16, 8), 8, False),  # 16x16 -> 32x32
    (T, (2, 8, 8, 8), 8, True),
    (T, (2, 16, 16, 8), 3, True),  # the image layer of a 32x32 generator
    (T, (2, 32, 32, 8), 3, False),  # ... of a 64x64 one
]


@pytest.mark.parametrize("classes, shape, filters, fast", SIZE_RULE)
def test_conv_takes_the_forward_kernel_gradient_only_on_small_maps(classes, shape, filters, fast):
    kwargs = dict(filters=filters, kernel_size=4, strides=2, padding="same")
    ops = _bf16_train_call_ops(classes, shape, kwargs)
    assert ("Conv2DBackpropFilter" not in ops) == fast


@pytest.mark.parametrize("cls", [kl.Conv2D, kl.Conv2DTranspose])
def test_conv_keeps_keras_kernels_in_float32_and_inference(cls):
    layer = cls(4, 3, strides=2, padding="same")
    layer.build((2, 8, 8, 3))
    x = np.random.default_rng(3).normal(size=(2, 8, 8, 3)).astype("float32")
    ops, _ = _train_call(layer, x, np.ones((2, *layer.compute_output_shape((2, 8, 8, 3))[1:])))
    assert "Conv2DBackpropFilter" in ops  # float32: TensorFlow's own kernel gradient

    bf16 = cls(4, 3, strides=2, padding="same", dtype="mixed_bfloat16")
    bf16.build((2, 8, 8, 3))
    graph = tf.function(lambda x: bf16(x, training=False)).get_concrete_function(
        tf.TensorSpec((2, 8, 8, 3))
    )
    assert "IdentityN" not in [node.op for node in graph.graph.as_graph_def().node]


def test_networks_use_the_fast_layers_and_save_as_keras_files(tmp_path):
    generator, discriminator = networks.dcgan(8, (16, 16, 1), width=8)
    kinds = {type(layer) for model in (generator, discriminator) for layer in model.layers}
    assert {kl.BatchNormalization, kl.Conv2D, kl.Conv2DTranspose} <= kinds
    z = np.random.default_rng(4).normal(size=(3, 8)).astype("float32")
    path = tmp_path / "g.keras"
    generator.save(path)
    loaded = keras.saving.load_model(path)
    assert {type(layer) for layer in loaded.layers} == {type(layer) for layer in generator.layers}
    np.testing.assert_allclose(np.asarray(loaded(z)), np.asarray(generator(z)), atol=1e-6)
