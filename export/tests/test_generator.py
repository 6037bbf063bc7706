"""Sampling from valid models: shapes, dtypes, determinism, numerics, properties."""

from __future__ import annotations

import numpy as np
import pytest

from kgan_runtime import OnnxGenerator, default_labels, sample_latents


@pytest.mark.parametrize(
    ("name", "shape", "dtype"),
    [
        ("image", (4, 4, 1), np.float32),
        ("rgb", (3, 5, 3), np.float32),
        ("uint8", (4, 4, 1), np.uint8),
        ("conditional", (4, 4, 1), np.float32),
        ("points", (2,), np.float32),
    ],
)
def test_sample_shape_and_dtype(models, name, shape, dtype):
    gen = OnnxGenerator(models[name].path)
    out = gen.sample(7, seed=0)
    assert out.shape == (7, *shape)
    assert out.dtype == dtype
    assert gen.output_shape == (None, *shape)
    assert gen.output_dtype == np.dtype(dtype)


def test_properties(models):
    gen = OnnxGenerator(models["conditional"].path)
    assert gen.latent_dim == 8
    assert gen.num_classes == 3
    assert gen.layout == "NHWC"
    assert gen.value_range == (-1.0, 1.0)
    assert gen.input_names == ("z", "labels")
    assert gen.path == models["conditional"].path
    assert gen.contract == models["conditional"].contract
    assert "latent_dim=8" in repr(gen)

    points = OnnxGenerator(str(models["points"].path))
    assert (points.layout, points.num_classes, points.input_names) == ("NF", None, ("z",))
    assert OnnxGenerator(models["uint8"].path).value_range == (0.0, 255.0)


def test_contract_property_is_a_copy(models):
    gen = OnnxGenerator(models["image"].path)
    gen.contract["latent_dim"] = 999
    gen.contract["inputs"]["z"]["shape"][1] = 999
    assert gen.contract["latent_dim"] == 8
    assert gen.latent_dim == 8
    assert gen.contract["inputs"]["z"]["shape"] == [None, 8]


def test_same_seed_same_samples_and_different_seed_differs(models):
    gen = OnnxGenerator(models["image"].path)
    a = gen.sample(5, seed=123)
    np.testing.assert_array_equal(a, gen.sample(5, seed=123))
    np.testing.assert_array_equal(a, OnnxGenerator(models["image"].path).sample(5, seed=123))
    assert not np.array_equal(a, gen.sample(5, seed=124))


def test_seed_none_is_random(models):
    gen = OnnxGenerator(models["image"].path)
    assert not np.array_equal(gen.sample(4), gen.sample(4))


@pytest.mark.parametrize("name", ["image", "uint8", "conditional", "points"])
@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 10, 11, 256])
def test_result_does_not_depend_on_batch_size(models, name, batch_size):
    gen = OnnxGenerator(models[name].path)
    whole = gen.sample(10, seed=7, batch_size=10)
    np.testing.assert_array_equal(gen.sample(10, seed=7, batch_size=batch_size), whole)


def test_sample_equals_call_on_sample_latents(models):
    gen = OnnxGenerator(models["image"].path)
    z = sample_latents(6, gen.latent_dim, seed=3)
    np.testing.assert_array_equal(gen.sample(6, seed=3), gen(z))


@pytest.mark.parametrize("name", ["image", "rgb", "points"])
def test_matches_numpy_reference(models, name):
    model = models[name]
    gen = OnnxGenerator(model.path)
    out = gen.sample(9, seed=11, batch_size=4)
    z = np.random.default_rng(11).standard_normal((9, model.latent_dim)).astype(np.float32)
    np.testing.assert_allclose(out, model.reference(z), atol=1e-5, rtol=0)


def test_uint8_matches_numpy_reference(models):
    model = models["uint8"]
    out = OnnxGenerator(model.path).sample(20, seed=5)
    z = sample_latents(20, model.latent_dim, seed=5)
    expected = model.reference(z)
    # onnxruntime's Cast truncates; float rounding may move a value across an integer.
    assert np.abs(out.astype(np.float64) - np.floor(expected)).max() <= 1


def test_conditional_default_labels(models):
    model = models["conditional"]
    gen = OnnxGenerator(model.path)
    z = sample_latents(8, 8, seed=1)
    expected = model.reference(z, default_labels(8, 3))
    np.testing.assert_allclose(gen.sample(8, seed=1), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(gen(z), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "labels",
    [
        [2, 2, 1, 0, 1],
        np.array([0, 1, 2, 2, 0], dtype=np.uint8),
        np.array([1, 0, 0, 2, 2], dtype=np.int64),
        (0, 0, 0, 0, 0),
    ],
)
def test_conditional_explicit_labels(models, labels):
    model = models["conditional"]
    gen = OnnxGenerator(model.path)
    z = sample_latents(5, 8, seed=2)
    expected = model.reference(z, np.asarray(labels))
    np.testing.assert_allclose(
        gen.sample(5, seed=2, labels=labels, batch_size=2), expected, atol=1e-5, rtol=0
    )
    np.testing.assert_allclose(gen(z, labels), expected, atol=1e-5, rtol=0)


def test_conditional_scalar_label_is_broadcast(models):
    gen = OnnxGenerator(models["conditional"].path)
    np.testing.assert_array_equal(
        gen.sample(4, seed=0, labels=2), gen.sample(4, seed=0, labels=[2, 2, 2, 2])
    )
    np.testing.assert_array_equal(
        gen.sample(4, seed=0, labels=np.int32(1)), gen.sample(4, seed=0, labels=[1] * 4)
    )


def test_labels_change_the_output(models):
    gen = OnnxGenerator(models["conditional"].path)
    assert not np.array_equal(gen.sample(3, seed=0, labels=0), gen.sample(3, seed=0, labels=1))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_call_accepts_real_floating_dtypes(models, dtype):
    model = models["image"]
    gen = OnnxGenerator(model.path)
    z = sample_latents(3, 8, seed=0).astype(dtype)
    out = gen(z)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, model.reference(z.astype(np.float32)), atol=1e-5, rtol=0)


def test_call_accepts_lists_and_non_contiguous_arrays(models):
    gen = OnnxGenerator(models["image"].path)
    z = sample_latents(4, 16, seed=0)[:, ::2]  # Strided view, shape (4, 8).
    assert not z.flags.c_contiguous
    np.testing.assert_array_equal(gen(z), gen(np.ascontiguousarray(z)))
    np.testing.assert_allclose(gen(z.tolist()), gen(z), atol=1e-6)


def test_call_batch_size(models):
    gen = OnnxGenerator(models["image"].path)
    z = sample_latents(5, 8, seed=0)
    np.testing.assert_array_equal(gen(z, batch_size=2), gen(z))


def test_threads_and_providers(models):
    gen = OnnxGenerator(models["image"].path, threads=1, providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(
        gen.sample(3, seed=0), OnnxGenerator(models["image"].path).sample(3, seed=0)
    )
    OnnxGenerator(models["image"].path, providers=[("CPUExecutionProvider", {})])


def test_large_n_single_and_chunked(models):
    gen = OnnxGenerator(models["points"].path)
    a = gen.sample(1000, seed=0, batch_size=64)
    assert a.shape == (1000, 2)
    np.testing.assert_array_equal(a, gen.sample(1000, seed=0, batch_size=1000))
    assert np.abs(a).max() <= 1.0
