"""kgan_runtime.latent_tools: definitions (export/CONTRACT.md section 7) and argument checks.

The JS runtime is compared with these functions bit for bit by export/js/tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgan_runtime import (
    InvalidInputError,
    interpolate,
    lerp,
    sample_latents,
    slerp,
    truncate,
    truncated_latents,
    walk,
)


def test_lerp_and_slerp_by_hand() -> None:
    np.testing.assert_array_equal(lerp([0.0, 2.0], [2.0, 0.0], [0.0, 0.25, 1.0]),
                                  np.float32([[0, 2], [0.5, 1.5], [2, 0]]))  # fmt: skip
    half = slerp([1.0, 0.0], [0.0, 1.0], 0.5)
    np.testing.assert_array_equal(half, np.float32([math.sqrt(0.5)] * 2))
    # Equal norms: slerp stays on the sphere, lerp cuts inside it.
    a, b = sample_latents(2, 64, seed=5)
    b = b * (np.linalg.norm(a) / np.linalg.norm(b))
    ts = np.linspace(0, 1, 9).tolist()
    norms = np.linalg.norm(slerp(a, b, ts), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(a), rtol=1e-5)
    assert np.linalg.norm(lerp(a, b, 0.5)) < 0.9 * np.linalg.norm(a)


def test_slerp_falls_back_to_lerp_for_parallel_and_zero_vectors() -> None:
    a = np.float32([1.0, 2.0, 3.0])
    for b in (2 * a, -a, np.zeros(3, np.float32)):
        np.testing.assert_array_equal(slerp(a, b, [0.3, 0.7]), lerp(a, b, [0.3, 0.7]))


def test_interpolate_and_walk_frames() -> None:
    z = interpolate(3, 2**64, 5, 16)
    assert z.shape == (5, 16) and z.dtype == np.float32
    np.testing.assert_array_equal(z[0], sample_latents(1, 16, 3)[0])
    np.testing.assert_array_equal(z[-1], sample_latents(1, 16, 2**64)[0])
    keys = [sample_latents(1, 8, s)[0] for s in (1, 2, 3)]
    w = walk([1, 2, 3], 4, 8, method="lerp")
    assert w.shape == (9, 8)
    np.testing.assert_array_equal(w[4], keys[1])
    np.testing.assert_array_equal(w[1], lerp(keys[0], keys[1], 0.25))
    looped = walk([1, 2, 3], 4, 8, loop=True)
    assert looped.shape == (12, 8)
    np.testing.assert_array_equal(looped[11], slerp(keys[2], keys[0], 0.75))


def test_truncate_scales_towards_zero() -> None:
    z = sample_latents(4, 8, seed=0)
    np.testing.assert_array_equal(truncate(z, 1.0), z)
    np.testing.assert_array_equal(truncate(z, 0.5), (0.5 * z.astype(np.float64)).astype(np.float32))
    assert not truncate(z, 0.0).any() and truncate([1.0], 2).dtype == np.float32


def _truncated_one_at_a_time(n: int, d: int, seed: int, threshold: float) -> np.ndarray:
    """The definition, literally: replace each value beyond the threshold, in order."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, d)).astype(np.float32).reshape(-1)
    for i in range(z.size):
        while abs(float(z[i])) > threshold:
            z[i] = np.float32(rng.standard_normal())
    return z.reshape(n, d)


@pytest.mark.parametrize("seed, threshold", [(0, 0.1), (1, 0.5), (2**64, 1.0), (7, 2.0)])
def test_truncated_latents_follow_the_definition(seed, threshold) -> None:
    got = truncated_latents(32, 16, seed, threshold)
    np.testing.assert_array_equal(got, _truncated_one_at_a_time(32, 16, seed, threshold))
    assert np.abs(got).max() <= threshold
    plain = sample_latents(32, 16, seed)
    keep = np.abs(plain.astype(np.float64)) <= threshold
    np.testing.assert_array_equal(got[keep], plain[keep])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: lerp([1, 2], [1], 0.5), r"^a and b must have the same length; got 2 and 1\.$"),
        (lambda: lerp([], [], 0.5), r"^a must be a non-empty 1-D array"),
        (lambda: slerp([[1.0]], [[1.0]], 0.5), r"^a must be a non-empty 1-D array"),
        (lambda: slerp(["a"], ["b"], 0.5), r"^a must be a non-empty 1-D array of real numbers"),
        (lambda: slerp([1.0, np.nan], [1.0, 2.0], 0.5), r"^a must be finite .* at index 1\.$"),
        (lambda: slerp([1e39, 0.0], [1.0, 2.0], 0.5), r"^a must be finite after conversion"),
        (lambda: lerp([1.0], [2.0], float("nan")), r"^t must be a finite number"),
        (lambda: lerp([1.0], [2.0], []), r"^t must be a finite number"),
        (lambda: lerp([1.0], [2.0], True), r"^t must be a finite number"),
        (lambda: interpolate(0, 1, 1, 8), r"^steps must be an integer >= 2; got 1\.$"),
        (lambda: interpolate(0, -1, 3, 8), r"^seeds\[1\] must be an integer >= 0; got -1\.$"),
        (lambda: interpolate(0, 1.0, 3, 8), r"^seeds\[1\] must be an integer >= 0; got 1\.0\.$"),
        (lambda: interpolate(0, 1, 3, 8, method="cubic"), r"^method must be one of"),
        (lambda: walk([1], 3, 8), r"^seeds must be a sequence of at least 2 seeds"),
        (lambda: walk([1, 2], 0, 8), r"^steps must be an integer >= 1; got 0\.$"),
        (lambda: walk([1, 2], 2, 8, loop="yes"), r"^loop must be True or False"),
        (lambda: walk([1, 2], 2**20, 2**12), r"latents of size 4096 needs about"),
        (lambda: truncate([1.0, 2.0], float("inf")), r"^psi must be a finite number"),
        (lambda: truncate([1.0], True), r"^psi must be a finite number"),
        (lambda: truncated_latents(4, 4, 0, 0.05), r"^threshold must be a finite number >= 0\.1"),
        (lambda: truncated_latents(4, 4, None, 1.0), r"^seed must be an integer >= 0; got None\.$"),
        (lambda: truncated_latents(0, 4, 0, 1.0), r"^n must be an integer >= 1; got 0\.$"),
    ],
)
def test_bad_arguments(call, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call()
