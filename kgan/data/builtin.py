"""The built-in sets, which need no download: `ring8`, `grid25` and `digits`.

- `ring8`: 8 Gaussians on a circle of radius 1, std 0.01 (VEEGAN, PacGAN);
- `grid25`: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN, PacGAN);
- `digits`: the 1,797 8x8 handwritten digits of the UCI repository, as
  scikit-learn distributes them, shipped with kgan (`_resources/digits.npz`,
  licence in `_resources/DIGITS_LICENSE.txt`), so they load on a plain install.

This module owns the mixtures' geometry (`MIXTURES`): the mode-coverage
metric and the pictures read it from here. NumPy only.

Example:
    >>> x, modes = mixture_arrays("ring8", num_examples=4)
    >>> x.shape, modes.dtype
    ((4, 2), dtype('int32'))
"""

from __future__ import annotations

from importlib import resources
from types import MappingProxyType

import numpy as np

from kgan import rules
from kgan.data.arrays import check_integer, check_memory

RING8_RADIUS = 1.0
RING8_STD = 0.01
GRID25_STD = 0.05
MIXTURE_EXAMPLES = 20_000
DIGITS_TRAIN = 1_500  # the first 1,500 of the 1,797 digits; the rest is "test"
DIGITS_CLASSES = 10
BUILTIN = rules.DATASETS  # the names are kgan.rules's (TensorFlow-free, for --help)
SPLITS = ("test", "train", "validation")
"""The splits of `ring8` and `grid25` (independent draws); `digits` has "train", "test", "all"."""


def ring8_centers() -> np.ndarray:
    """The 8 mode centres of `ring8`, at angles 2*pi*i/8 on the unit circle."""
    angles = 2 * np.pi * np.arange(8) / 8
    return RING8_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_centers() -> np.ndarray:
    """The 25 mode centres of `grid25`, {-4, -2, 0, 2, 4}^2."""
    ticks = np.arange(-4.0, 5.0, 2.0)
    return np.array([(x, y) for x in ticks for y in ticks])


def _frozen(x: np.ndarray) -> np.ndarray:
    x.setflags(write=False)
    return x


MIXTURES = MappingProxyType(
    {
        "ring8": (_frozen(ring8_centers()), RING8_STD),
        "grid25": (_frozen(grid25_centers()), GRID25_STD),
    }
)
assert tuple(MIXTURES) == rules.MIXTURES, "kgan.rules.MIXTURES names the mixtures defined here"
"""The 2-D Gaussian mixtures: name -> (read-only centres (num_modes, 2), per-axis std)."""


def _check_mixture(name: str, split: str) -> None:
    if name not in MIXTURES:
        raise ValueError(f"Unknown mixture {name!r}. Expected one of {sorted(MIXTURES)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split={split!r} for {name!r}. Expected one of {list(SPLITS)}.")


def _split_seed(split: str, seed: int) -> int:
    # Distinct, reproducible draws per split.
    return {"train": seed, "test": seed + 1_000_003, "validation": seed + 2_000_003}[split]


def mixture_arrays(
    name: str,
    split: str = "train",
    *,
    num_examples: int = MIXTURE_EXAMPLES,
    seed: int = 0,
    max_bytes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The points and mode labels of `ring8` or `grid25` as NumPy arrays.

    Args:
        name: "ring8" or "grid25".
        split: "train", "test" or "validation" (independent draws).
        num_examples: points to draw.
        seed: the draw's seed.
        max_bytes: memory bound (see `kgan.data.arrays.check_memory`).

    Returns:
        float32 points (num_examples, 2) and int32 mode indices (num_examples,).

    Raises:
        ValueError: for another name, split or a bad num_examples.

    Example:
        >>> mixture_arrays("grid25", "test", num_examples=3)[0].shape
        (3, 2)
    """
    _check_mixture(name, split)
    check_integer(num_examples, "num_examples")
    # float64 draws (2 x 8 bytes), float32 points and int64 -> int32 labels.
    check_memory(int(num_examples) * 40, f"{num_examples} points of {name}", max_bytes)
    centers, std = MIXTURES[name]
    rng = np.random.default_rng(_split_seed(split, seed))
    labels = rng.integers(0, len(centers), size=num_examples)
    points = centers[labels] + std * rng.standard_normal((num_examples, 2))
    return points.astype(np.float32), labels.astype(np.int32)


def builtin_info(name: str, split: str, num_examples: int | None = None) -> dict:
    """What a built-in set holds: `{"sample_shape", "num_examples", "num_classes"}`.

    Example:
        >>> builtin_info("ring8", "train")["num_classes"]
        8
    """
    if name == "digits":
        x, _ = digits_arrays(split)
        return {"sample_shape": x.shape[1:], "num_examples": len(x), "num_classes": DIGITS_CLASSES}
    _check_mixture(name, split)
    count = MIXTURE_EXAMPLES if num_examples is None else int(num_examples)
    return {"sample_shape": (2,), "num_examples": count, "num_classes": len(MIXTURES[name][0])}


def digits_arrays(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits as uint8 images (N, 8, 8, 1) in [0, 255] and int32 labels.

    The published pixels are counts 0..16; they are scaled by 255/16 and
    rounded. Splits: "train" (the first 1,500), "test" (the other 297) and "all".

    Example:
        >>> x, y = digits_arrays("test")
        >>> x.shape, x.dtype, int(y.max())
        ((297, 8, 8, 1), dtype('uint8'), 9)
    """
    slices = {
        "train": slice(0, DIGITS_TRAIN),
        "test": slice(DIGITS_TRAIN, None),
        "all": slice(None),
    }
    if split not in slices:
        raise ValueError(f"Unknown split={split!r} for 'digits'. Expected one of {sorted(slices)}.")
    with resources.files("kgan.data").joinpath("_resources", "digits.npz").open("rb") as file:
        with np.load(file, allow_pickle=False) as archive:
            counts, labels = archive["images"], archive["labels"]
    images = np.round(counts.astype(np.float64) * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return images[slices[split]], labels.astype(np.int32)[slices[split]]
