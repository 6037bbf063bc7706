"""Latent-space tools: interpolation, latent walks and the truncation trick.

Bit-identical to the JavaScript runtime's ``latent_tools.js``: export/CONTRACT.md ("Latent
tools") defines each operation to the last float, and the JS tests compare both on fixtures
written by this module.

- :func:`lerp` / :func:`slerp`: linear and spherical interpolation between two latents;
- :func:`interpolate`: between the latents of two seeds; :func:`walk`: through several seeds;
- :func:`truncate`: the truncation trick by scaling towards the mean (0) by ``psi``;
- :func:`truncated_latents`: the truncation trick by resampling the values beyond a
  threshold from the seed's own stream.

Example:
    >>> from kgan_runtime import interpolate, truncated_latents
    >>> interpolate(0, 1, steps=5, latent_dim=64).shape
    (5, 64)
    >>> bool((abs(truncated_latents(16, 64, seed=0, threshold=1.5)) <= 1.5).all())
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import DEFAULT_MAX_BYTES, check_budget, check_int, check_max_bytes, is_int
from .errors import InvalidInputError
from .latents import sample_latents

__all__ = [
    "METHODS",
    "MIN_THRESHOLD",
    "SLERP_EPSILON",
    "interpolate",
    "lerp",
    "slerp",
    "truncate",
    "truncated_latents",
    "walk",
]

METHODS = ("slerp", "lerp")
"""Interpolation methods."""
SLERP_EPSILON = 1e-7
"""slerp falls back to lerp when sin(angle) is below this (parallel or opposite latents)."""
MIN_THRESHOLD = 0.1
"""Smallest ``threshold`` of :func:`truncated_latents` (8% of draws are kept at 0.1)."""


def _vector(value: Any, name: str) -> np.ndarray:
    """A non-empty 1-D real vector rounded to float32 (latents are float32), all finite."""
    try:
        arr = np.asarray(value)
    except Exception as err:
        raise InvalidInputError(
            f"{name} must be a 1-D array of numbers; cannot convert it."
        ) from err
    if arr.dtype.kind not in "fiu" or arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(
            f"{name} must be a non-empty 1-D array of real numbers; got dtype {arr.dtype} "
            f"and shape {arr.shape}."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        out = arr.astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        raise InvalidInputError(
            f"{name} must be finite after conversion to float32; got {out[bad[0]]} at index "
            f"{int(bad[0])}."
        )
    return out


def _times(t: Any) -> list[float]:
    values = [t] if isinstance(t, (int, float, np.floating, np.integer)) else t
    try:
        ts = [float(x) for x in values if not isinstance(x, (bool, np.bool_))]
        ok = len(ts) == len(values) and len(ts) > 0 and all(math.isfinite(x) for x in ts)
    except (TypeError, ValueError):
        ok = False
    if isinstance(t, (bool, np.bool_)) or not ok:
        raise InvalidInputError(
            f"t must be a finite number or a non-empty sequence of finite numbers; got {t!r}."
        )
    return ts


def _sum(values: np.ndarray) -> float:
    """Left-to-right float64 sum (numpy's sum is pairwise; JS adds in order)."""
    total = 0.0
    for v in values.tolist():
        total += v
    return total


def _slerp_weights(a: np.ndarray, b: np.ndarray, ts: list[float]) -> list[tuple[float, float]]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = math.sqrt(_sum(a64 * a64)), math.sqrt(_sum(b64 * b64))
    if na == 0.0 or nb == 0.0:
        return [(1.0 - t, t) for t in ts]
    cos = min(1.0, max(-1.0, _sum(a64 * b64) / (na * nb)))
    omega = math.acos(cos)
    so = math.sin(omega)
    if so < SLERP_EPSILON:
        return [(1.0 - t, t) for t in ts]
    return [(math.sin((1.0 - t) * omega) / so, math.sin(t * omega) / so) for t in ts]


def _between(a: Any, b: Any, t: Any, method: str) -> np.ndarray:
    va, vb = _vector(a, "a"), _vector(b, "b")
    if va.shape != vb.shape:
        raise InvalidInputError(
            f"a and b must have the same length; got {va.shape[0]} and {vb.shape[0]}."
        )
    ts = _times(t)
    if method == "slerp":
        weights = _slerp_weights(va, vb, ts)
    else:
        weights = [(1.0 - x, x) for x in ts]
    a64, b64 = va.astype(np.float64), vb.astype(np.float64)
    out = np.stack([wa * a64 + wb * b64 for wa, wb in weights]).astype(np.float32)
    scalar = isinstance(t, (int, float, np.floating, np.integer))
    return out[0] if scalar else out


def lerp(a: Any, b: Any, t: float | Sequence[float]) -> np.ndarray:
    """Linear interpolation ``(1 - t) * a + t * b``, in float64, rounded to float32.

    Args:
        a: The latent at ``t = 0``, shape ``(d,)`` (rounded to float32 first).
        b: The latent at ``t = 1``, shape ``(d,)``.
        t: One number (returns shape ``(d,)``) or a sequence (returns ``(len(t), d)``).

    Returns:
        float32 latents.

    Raises:
        InvalidInputError: For vectors that are not 1-D, real, finite and of one length, or a
            bad ``t``.

    Example:
        >>> lerp([0.0, 2.0], [2.0, 0.0], 0.25)
        array([0.5, 1.5], dtype=float32)
    """
    return _between(a, b, t, "lerp")


def slerp(a: Any, b: Any, t: float | Sequence[float]) -> np.ndarray:
    """Spherical interpolation ``sin((1-t) w) / sin w * a + sin(t w) / sin w * b``.

    ``w`` is the angle between ``a`` and ``b`` (Shoemake 1985; White 2016, "Sampling
    Generative Networks", for GAN latents): the path keeps the norm typical of Gaussian latents,
    which linear interpolation shrinks halfway. Falls back to :func:`lerp` for a zero vector or
    when ``sin w < SLERP_EPSILON`` (parallel or opposite latents). Sums are taken left to right
    in float64 and ``sin``/``acos`` come from :mod:`math`, as CONTRACT.md specifies.

    Args:
        a: The latent at ``t = 0``, shape ``(d,)``.
        b: The latent at ``t = 1``, shape ``(d,)``.
        t: One number (returns ``(d,)``) or a sequence (returns ``(len(t), d)``).

    Returns:
        float32 latents.

    Raises:
        InvalidInputError: As :func:`lerp`.

    Example:
        >>> slerp([1.0, 0.0], [0.0, 1.0], 0.5)
        array([0.70710677, 0.70710677], dtype=float32)
    """
    return _between(a, b, t, "slerp")


def _check_method(method: Any) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidInputError(f"method must be one of {list(METHODS)}; got {method!r}.")
    return method


def _check_seed(seed: Any, name: str) -> int:
    if not is_int(seed) or seed < 0:
        raise InvalidInputError(f"{name} must be an integer >= 0; got {seed!r}.")
    return int(seed)


def interpolate(
    seed_a: int,
    seed_b: int,
    steps: int,
    latent_dim: int,
    *,
    method: str = "slerp",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """``steps`` latents from seed A's latent to seed B's, at ``t = i / (steps - 1)``.

    A seed's latent is ``sample_latents(1, latent_dim, seed)[0]``: the first image that
    ``sample(n, seed=seed)`` makes. Rows 0 and ``steps - 1`` are the two seeds' latents exactly.

    Args:
        seed_a: Seed of the first frame (an integer >= 0).
        seed_b: Seed of the last frame.
        steps: Number of frames (>= 2).
        latent_dim: Size of each latent.
        method: ``"slerp"`` (default) or ``"lerp"``.
        max_bytes: Refuse a result over this many bytes (default 4 GiB; ``None``: no limit).

    Returns:
        float32 array of shape ``(steps, latent_dim)``.

    Raises:
        InvalidInputError: For bad seeds, ``steps``, ``latent_dim``, ``method`` or a result over
            ``max_bytes``.

    Example:
        >>> z = interpolate(0, 1, 5, 64)
        >>> bool((z[4] == sample_latents(1, 64, seed=1)[0]).all())
        True
    """
    steps = check_int(steps, "steps", minimum=2)
    return walk([seed_a, seed_b], steps - 1, latent_dim, method=method, max_bytes=max_bytes)


def walk(
    seeds: Sequence[int],
    steps: int,
    latent_dim: int,
    *,
    method: str = "slerp",
    loop: bool = False,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """A latent walk through the latents of ``seeds`` (keyframes).

    Each segment from one keyframe to the next has ``steps`` frames at ``t = j / steps``
    (``j = 0 .. steps - 1``); the last keyframe follows. With ``loop``, a last segment goes back
    to the first seed instead, for an animation that repeats seamlessly.

    Args:
        seeds: At least 2 seeds (integers >= 0).
        steps: Frames per segment (>= 1).
        latent_dim: Size of each latent.
        method: ``"slerp"`` (default) or ``"lerp"``.
        loop: Return to the first seed instead of stopping on the last.
        max_bytes: Refuse a result over this many bytes (default 4 GiB; ``None``: no limit).

    Returns:
        float32 array of shape ``((len(seeds) - 1) * steps + 1, latent_dim)``, or
        ``(len(seeds) * steps, latent_dim)`` with ``loop``.

    Raises:
        InvalidInputError: For bad arguments or a result over ``max_bytes``.

    Example:
        >>> walk([3, 1, 4], 10, 64, loop=True).shape
        (30, 64)
    """
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) < 2:
        raise InvalidInputError(f"seeds must be a sequence of at least 2 seeds; got {seeds!r}.")
    keys_seeds = [_check_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    steps = check_int(steps, "steps")
    latent_dim = check_int(latent_dim, "latent_dim")
    method = _check_method(method)
    if not isinstance(loop, bool):
        raise InvalidInputError(f"loop must be True or False; got {loop!r}.")
    segments = len(keys_seeds) if loop else len(keys_seeds) - 1
    frames = segments * steps + (0 if loop else 1)
    check_budget(
        frames * latent_dim * 4,
        check_max_bytes(max_bytes),
        f"{frames} latents of size {latent_dim}",
    )
    keys = [sample_latents(1, latent_dim, s, max_bytes=None)[0] for s in keys_seeds]
    ts = [j / steps for j in range(steps)]
    out = np.empty((frames, latent_dim), np.float32)
    for k in range(segments):
        out[k * steps : (k + 1) * steps] = _between(keys[k], keys[(k + 1) % len(keys)], ts, method)
    if not loop:
        out[-1] = keys[-1]
    return out


def truncate(z: Any, psi: float) -> np.ndarray:
    """The truncation trick by scaling: ``psi * z`` in float64, rounded to float32.

    The latent prior N(0, I) has mean 0, so this pulls every latent towards the mean: ``psi``
    below 1 trades variety for typical, cleaner samples (Brock et al. 2019; Karras et al. 2019
    scale towards the mean in the same way). ``psi = 1`` returns ``z`` unchanged.

    Args:
        z: Latents of any shape (e.g. ``(n, latent_dim)``), real and finite after rounding to
            float32.
        psi: A finite number, usually in ``[0, 1]``.

    Returns:
        float32 array of ``z``'s shape.

    Raises:
        InvalidInputError: For a bad ``z`` or ``psi``.

    Example:
        >>> truncate([1.0, -2.0], 0.5)
        array([ 0.5, -1. ], dtype=float32)
    """
    if isinstance(psi, (bool, np.bool_)) or not isinstance(psi, (int, float, np.floating)):
        raise InvalidInputError(f"psi must be a finite number; got {psi!r}.")
    if not math.isfinite(psi):
        raise InvalidInputError(f"psi must be a finite number; got {psi!r}.")
    arr = np.asarray(z)
    flat = _vector(arr.reshape(-1) if arr.ndim else arr.reshape(1), "z")
    return (float(psi) * flat.astype(np.float64)).astype(np.float32).reshape(arr.shape)


def truncated_latents(
    n: int,
    latent_dim: int,
    seed: int,
    threshold: float,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """The truncation trick by resampling: latents with every value in ``[-threshold, threshold]``.

    ``sample_latents(n, latent_dim, seed)`` first; then each value whose magnitude exceeds
    ``threshold`` (compared in float64 after the float32 rounding) is replaced, in row-major
    order, by the next value of the same ``default_rng(seed)`` stream (a standard normal rounded
    to float32) whose magnitude does not. Values within the threshold are the same as
    ``sample_latents``'.

    Args:
        n: Number of latents (>= 1).
        latent_dim: Size of each latent (>= 1).
        seed: An integer >= 0 (required: the replacements come from its stream).
        threshold: A finite number >= ``MIN_THRESHOLD`` (0.1), e.g. 1.0 or 2.0.
        max_bytes: Refuse a result over this many bytes (default 4 GiB; ``None``: no limit).

    Returns:
        float32 array of shape ``(n, latent_dim)``.

    Raises:
        InvalidInputError: For bad arguments or a result over ``max_bytes``.

    Example:
        >>> z = truncated_latents(16, 64, seed=0, threshold=1.5)
        >>> float(abs(z).max()) <= 1.5
        True
    """
    n = check_int(n, "n")
    latent_dim = check_int(latent_dim, "latent_dim")
    seed = _check_seed(seed, "seed")
    if (
        isinstance(threshold, (bool, np.bool_))
        or not isinstance(threshold, (int, float, np.floating))
        or not math.isfinite(threshold)
        or threshold < MIN_THRESHOLD
    ):
        raise InvalidInputError(
            f"threshold must be a finite number >= {MIN_THRESHOLD}; got {threshold!r}."
        )
    limit = float(threshold)
    check_budget(
        n * latent_dim * 4, check_max_bytes(max_bytes), f"{n} latents of size {latent_dim}"
    )
    rng = np.random.default_rng(seed)
    out = rng.standard_normal((n, latent_dim)).astype(np.float32)
    flat = out.reshape(-1)
    bad = np.flatnonzero(np.abs(flat.astype(np.float64)) > limit)
    replacements: list[np.ndarray] = []
    found = 0
    while found < bad.size:
        # The stream is consumed in order, so drawing candidates in chunks and keeping the first
        # acceptable ones gives the same values as drawing them one at a time.
        chunk = rng.standard_normal(max(2 * (bad.size - found), 64)).astype(np.float32)
        keep = chunk[np.abs(chunk.astype(np.float64)) <= limit]
        replacements.append(keep)
        found += keep.size
    if bad.size:
        flat[bad] = np.concatenate(replacements)[: bad.size]
    return out
