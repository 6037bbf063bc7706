"""kgan.export_optimize: the rewritten generator computes the same numbers without ConvTranspose."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import kgan
from kgan.export.onnx_rewrite import conv_transpose_macs, subpixel_generator

TOLERANCE = 1e-5
VARIANTS = {
    "default": {},
    "single_conv": {"split_phases": False},
    "no_polyphase": {"polyphase_max_filters": 0},
    "no_folding": {"fold_batchnorm": False},
}


def _trained_like(model: keras.Model, seed: int = 0) -> keras.Model:
    """Gives batch norms non-trivial statistics and biases non-zero values, as training would."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, c))
            layer.beta.assign(rng.normal(0.0, 0.3, c))
            layer.moving_mean.assign(rng.normal(0.0, 0.5, c))
            layer.moving_variance.assign(rng.uniform(0.2, 2.0, c))
        for weight in getattr(layer, "trainable_weights", []):
            if weight.path.endswith("bias"):
                weight.assign(rng.normal(0.0, 0.1, weight.shape))
    return model


def _transpose_layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2DTranspose)]


def _assert_same(original, rewritten, inputs):
    expected = np.asarray(original(inputs, training=False))
    got = np.asarray(rewritten(inputs, training=False))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize(
    "image_shape,num_classes", [((28, 28, 1), None), ((32, 32, 3), 4), ((64, 64, 1), None)]
)
def test_dcgan_generators_match(variant, image_shape, num_classes):
    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(16, image_shape, width=8, num_classes=num_classes)
    generator = _trained_like(generator)
    weights = [np.array(w) for w in generator.get_weights()]
    fast = subpixel_generator(generator, **VARIANTS[variant])
    assert _transpose_layers(generator) and not _transpose_layers(fast)
    assert [t.name for t in fast.inputs] == [t.name for t in generator.inputs]
    z = kgan.sample_latents(7, 16, seed=1)
    inputs = z if num_classes is None else [z, np.arange(7, dtype=np.int32) % num_classes]
    _assert_same(generator, fast, inputs)
    # The original is untouched.
    for before, after in zip(weights, generator.get_weights()):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("image_shape", [(28, 28, 1), (64, 64, 3)])
def test_refined_dcgan_generators_match(variant, image_shape):
    """`dcgan(refine=True)`: the last transposed convolution feeds a hidden map, not the image."""
    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(16, image_shape, width=8, refine=True)
    generator = _trained_like(generator)
    fast = subpixel_generator(generator, **VARIANTS[variant])
    assert _transpose_layers(generator) and not _transpose_layers(fast)
    _assert_same(generator, fast, kgan.sample_latents(7, 16, seed=1))


def test_batch_norm_is_folded_and_the_image_layer_takes_the_phases():
    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(16, (28, 28, 1), width=8)
    kinds = [type(layer).__name__ for layer in subpixel_generator(generator).layers]
    assert "BatchNormalization" not in kinds
    # 4 phase convs for up_0, one polyphase conv for up_1; one depth_to_space at the end.
    assert kinds.count("Conv2D") == 5 and kinds.count("SubpixelShuffle") == 1
    # The projection emits (C, H, W) units, so tf2onnx needs no NHWC->NCHW transpose.
    assert kinds.count("Permute") == 1
    kinds = [
        type(layer).__name__
        for layer in subpixel_generator(generator, **VARIANTS["no_polyphase"]).layers
    ]
    assert kinds.count("Conv2D") == 8 and kinds.count("SubpixelShuffle") == 2


@pytest.mark.parametrize(
    "kernel,strides,padding,use_bias",
    [
        (k, s, p, b)
        for k, s, p, b in itertools.product((1, 2, 3, 4, 5), (1, 2, 3), ("same", "valid"), (True,))
    ]
    + [((4, 3), 2, "same", False), ((3, 5), 3, "valid", False)],
)
def test_any_conv_transpose_matches(kernel, strides, padding, use_bias):
    """Two stacked transposed convs (the second takes the polyphase hand-off), all variants."""
    keras.utils.set_random_seed(1)
    x = keras.Input((5, 4, 3))
    h = keras.layers.Conv2DTranspose(
        6,
        kernel,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        bias_initializer="random_normal",
    )(x)
    h = keras.layers.LeakyReLU(0.2)(h)
    y = keras.layers.Conv2DTranspose(
        2, kernel, strides=strides, padding=padding, bias_initializer="random_normal"
    )(h)
    model = keras.Model(x, y)
    inputs = np.random.default_rng(2).standard_normal((3, 5, 4, 3)).astype(np.float32)
    for options in VARIANTS.values():
        fast = subpixel_generator(model, **options)
        assert not _transpose_layers(fast)
        _assert_same(model, fast, inputs)


def test_layers_it_cannot_rewrite_are_kept():
    keras.utils.set_random_seed(0)
    x = keras.Input((4, 4, 3))
    h = keras.layers.Conv2DTranspose(4, 3, strides=(1, 2), padding="same")(x)  # unequal strides
    h = keras.layers.Conv2DTranspose(4, 3, strides=2, dilation_rate=1, output_padding=1)(h)
    y = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(h)
    model = keras.Model(x, y)
    fast = subpixel_generator(model)
    assert len(_transpose_layers(fast)) == 2
    inputs = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype(np.float32)
    _assert_same(model, fast, inputs)


def test_mlp_and_sequential_generators():
    keras.utils.set_random_seed(0)
    mlp, _ = kgan.networks.mlp(4, (8, 8, 1), generator_units=(16,))
    z = kgan.sample_latents(5, 4, seed=0)
    _assert_same(mlp, subpixel_generator(mlp), z)
    sequential = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(4 * 4 * 8, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Reshape((4, 4, 8)),
            keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh"),
        ]
    )
    _trained_like(sequential)
    fast = subpixel_generator(sequential)
    assert not _transpose_layers(fast)
    _assert_same(sequential, fast, z)
    with pytest.raises(TypeError, match="functional keras.Model"):
        subpixel_generator(keras.Sequential([keras.layers.Dense(2)]))


def test_multiply_adds_of_the_dcgan_layer():
    layer = keras.layers.Conv2DTranspose(64, 4, strides=2, padding="same")
    macs = conv_transpose_macs(layer, (None, 7, 7, 128))
    assert macs["transpose"] == macs["split_phases"] == 7 * 7 * 16 * 128 * 64
    assert macs["single_conv"] == 8 * 8 * 16 * 128 * 64  # one extra row and column


def test_mixed_precision_layers_are_left_alone():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        generator, _ = kgan.networks.dcgan(8, (8, 8, 1), width=4)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    fast = subpixel_generator(generator)
    assert len(_transpose_layers(fast)) == len(_transpose_layers(generator)) == 2
    z = kgan.sample_latents(3, 8, seed=0)
    np.testing.assert_array_equal(
        np.asarray(fast(z, training=False)), np.asarray(generator(z, training=False))
    )


@pytest.mark.parametrize("optimize,refine", [(True, False), (False, False), (True, True)])
def test_export_converts_the_optimized_graph_and_checks_it_against_the_original(
    tmp_path, optimize, refine
):
    import onnx
    import onnxruntime as ort

    from kgan.export import export_generator

    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(8, (8, 8, 1), width=4, num_classes=3, refine=refine)
    generator = _trained_like(generator)
    manifest = export_generator(
        generator, tmp_path / "x", formats=("onnx",), onnx_optimize=optimize
    )
    assert manifest["onnx_graph"] == ("optimized" if optimize else "plain")
    assert manifest["parity"]["onnx"]["max_abs_diff"] <= 1e-5
    path = str(tmp_path / "x" / "generator.onnx")
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert ("ConvTranspose" in ops) is not optimize
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    z, labels = kgan.sample_latents(5, 8, seed=4), np.array([0, 1, 2, 0, 1], np.int32)
    (got,) = session.run(["samples"], {"z": z, "labels": labels})
    expected = np.asarray(generator([z, labels], training=False))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
