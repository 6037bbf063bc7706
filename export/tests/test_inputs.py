"""Bad arguments raise InvalidInputError; onnxruntime failures at run time raise InferenceError."""

from __future__ import annotations

import numpy as np
import pytest

from kgan_runtime import (
    InferenceError,
    InvalidInputError,
    KganRuntimeError,
    OnnxGenerator,
    sample_latents,
)


@pytest.fixture(scope="module")
def image_gen(models):
    return OnnxGenerator(models["image"].path)


@pytest.fixture(scope="module")
def cond_gen(models):
    return OnnxGenerator(models["conditional"].path)


def assert_one_line(err: BaseException) -> None:
    assert "\n" not in str(err)
    assert str(err)


@pytest.mark.parametrize(
    ("n", "match"),
    [
        (0, r"n must be an integer >= 1; got 0\."),
        (-3, "got -3"),
        (2.0, "got 2.0 of type float"),
        (True, "of type bool"),
        ("4", "of type str"),
        (None, "of type NoneType"),
    ],
)
def test_bad_n(image_gen, n, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        image_gen.sample(n, seed=0)
    assert_one_line(info.value)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, None, False])
def test_bad_batch_size(image_gen, batch_size):
    with pytest.raises(InvalidInputError, match="batch_size"):
        image_gen.sample(4, seed=0, batch_size=batch_size)
    with pytest.raises(InvalidInputError, match="batch_size"):
        image_gen(sample_latents(2, 8, 0), batch_size=batch_size if batch_size is not None else 0)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", [1, 2], True])
def test_bad_seed(image_gen, seed):
    with pytest.raises(InvalidInputError, match="seed"):
        image_gen.sample(2, seed=seed)


def test_invalid_input_error_is_a_value_error(image_gen):
    with pytest.raises(ValueError):
        image_gen.sample(0)


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (
            np.zeros((3, 7), np.float32),
            r"z must have shape \(batch, 8\) with batch >= 1; got \(3, 7\)",
        ),
        (np.zeros((3, 9), np.float32), r"got \(3, 9\)"),
        (np.zeros(8, np.float32), r"got \(8,\)"),
        (np.zeros((1, 3, 8), np.float32), r"got \(1, 3, 8\)"),
        (np.zeros((0, 8), np.float32), r"got \(0, 8\)"),
        (np.float32(0.0), r"got \(\)"),
        (np.zeros((2, 8), np.int32), "got dtype int32"),
        (np.zeros((2, 8), np.int64), "got dtype int64"),
        (np.zeros((2, 8), np.uint8), "got dtype uint8"),
        (np.zeros((2, 8), bool), "got dtype bool"),
        (np.zeros((2, 8), np.complex64), "got dtype complex64"),
        (np.zeros((2, 8), object), "got dtype object"),
        (np.zeros((2, 8), "U1"), "got dtype <U1"),
        ([[0] * 8, [1] * 8], "got dtype int64"),
        ([[0.0] * 8, [1.0] * 7], "cannot convert"),
        ("zzzzzzzz", "got dtype <U8"),
    ],
)
def test_bad_latents(image_gen, z, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        image_gen(z)
    assert_one_line(info.value)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (np.nan, np.float32),
        (np.inf, np.float32),
        (-np.inf, np.float64),
        (np.nan, np.float16),
        (1e300, np.float64),  # Finite in float64, Inf after the cast to float32.
    ],
)
def test_non_finite_latents(image_gen, value, dtype):
    z = sample_latents(4, 8, seed=0).astype(dtype)
    z[2, 5] = value
    with pytest.raises(InvalidInputError, match=r"1 NaN/Inf value\(s\).*index \(2, 5\)") as info:
        image_gen(z)
    assert_one_line(info.value)


def test_labels_given_to_unconditional_model(image_gen):
    with pytest.raises(InvalidInputError, match="unconditional"):
        image_gen.sample(3, seed=0, labels=[0, 1, 2])
    with pytest.raises(InvalidInputError, match="unconditional"):
        image_gen(sample_latents(3, 8, 0), labels=0)


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (
            [0, 1, 3],
            r"labels must lie in \[0, 3\); got 1 value\(s\) out of range, first 3 at index 2",
        ),
        ([-1, 0, 0], r"first -1 at index 0"),
        (np.array([5, 7, 9], np.uint16), r"3 value\(s\) out of range"),
        (3, r"\[0, 3\)"),
        (-1, r"\[0, 3\)"),
        (
            [0, 1],
            r"labels must have shape \(3,\) to match 3 samples, or be one integer; "
            r"got shape \(2,\)",
        ),
        ([0, 1, 2, 0], r"got shape \(4,\)"),
        ([[0, 1, 2]], r"got shape \(1, 3\)"),
        ([0.0, 1.0, 2.0], "got dtype float64"),
        ([True, False, True], "got dtype bool"),
        (["0", "1", "2"], "got dtype <U1"),
        ([0, 1, 2**70], "got dtype object"),
        ([[0, 1], [2]], "cannot convert"),
    ],
)
def test_bad_labels(cond_gen, labels, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        cond_gen.sample(3, seed=0, labels=labels)
    assert_one_line(info.value)
    with pytest.raises(InvalidInputError):
        cond_gen(sample_latents(3, 8, 0), labels=labels)


def test_labels_are_checked_before_any_work(cond_gen, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("onnxruntime should not run")

    monkeypatch.setattr(cond_gen, "_run", fail)
    with pytest.raises(InvalidInputError):
        cond_gen.sample(3, seed=0, labels=[0, 1, 9])


def test_runtime_failure_is_wrapped(make_model):
    # Loads fine; reshaping (batch*16) values to (3, -1) fails unless batch % 3 == 0.
    model = make_model(fail_unless_batch_multiple_of=3)
    gen = OnnxGenerator(model.path)
    assert gen.sample(6, seed=0, batch_size=3).shape == (6, 4, 4, 1)
    with pytest.raises(InferenceError, match="onnxruntime failed on a batch of 1") as info:
        gen.sample(4, seed=0, batch_size=3)
    assert info.value.__cause__ is not None
    assert not isinstance(info.value.__cause__, KganRuntimeError)
    assert_one_line(info.value)
    with pytest.raises(InferenceError, match="batch of 2"):
        gen(sample_latents(2, 8, 0))


class _FakeSession:
    def __init__(self, result):
        self.result = result

    def run(self, output_names, feeds):
        return [self.result]


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (np.zeros((2, 2, 8, 1), np.float32), r"returned shape \(2, 2, 8, 1\).*\(2, 4, 4, 1\)"),
        (np.zeros((3, 4, 4, 1), np.float32), r"returned shape \(3, 4, 4, 1\)"),
        (np.zeros((2, 4, 4, 1), np.float64), "returned dtype float64"),
        ([1, 2], "returned shape list"),
    ],
)
def test_output_that_breaks_the_contract_at_run_time(models, monkeypatch, result, match):
    gen = OnnxGenerator(models["image"].path)
    monkeypatch.setattr(gen, "_session", _FakeSession(result))
    with pytest.raises(InferenceError, match=match):
        gen.sample(2, seed=0)
