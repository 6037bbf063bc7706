"""Stacked MNIST: three MNIST digits as the R, G and B channels of one image (1,000 modes).

The mode-collapse benchmark on images of Metz et al., 2017 (Unrolled GAN),
Srivastava et al., 2017 (VEEGAN) and Lin et al., 2018 (PacGAN): each stacked
image takes three digits drawn uniformly with replacement from an MNIST
source, so the label triples (r, g, b) are uniform over 10^3 = 1,000 modes.
The label of a stacked image is the mode index `100 * r + 10 * g + b`
(`triple_index`, `triples` go back and forth).

The MNIST source is any of:

- arrays: `stacked_mnist_arrays(digits, labels, ...)`;
- a folder of IDX files (`train-images-idx3-ubyte[.gz]`,
  `t10k-images-idx3-ubyte[.gz]` and their `-labels-idx1-ubyte` files), given
  as `data_dir`: split "train" reads the train files, or the t10k files when
  the folder holds only those (the 10,000-image test set); "test" reads t10k;
- TensorFlow Datasets' `mnist` (in `data_dir` when it holds no IDX files).

`kgan.data.load("stacked_mnist", data_dir=..., num_examples=...)` and
`kgan-train --dataset=stacked_mnist --data_dir=DIR` build it the same way.
NumPy only (TFDS is imported only for the TFDS source).

Example:
    >>> rng = np.random.default_rng(0)
    >>> digits, labels = rng.integers(0, 256, (20, 28, 28), np.uint8), np.arange(20) % 10
    >>> x, y = stacked_mnist_arrays(digits, labels, num_examples=5, seed=0)
    >>> x.shape, x.dtype, y.shape, bool(y.max() < 1000)
    ((5, 28, 28, 3), dtype('uint8'), (5,), True)
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from kgan.data.arrays import check_integer, check_labels, check_memory

__all__ = [
    "STACKED_CHANNELS",
    "STACKED_EXAMPLES",
    "STACKED_MODES",
    "idx_files",
    "mnist_arrays",
    "read_idx",
    "stacked_mnist",
    "stacked_mnist_arrays",
    "stacked_mnist_info",
    "triple_index",
    "triples",
]

STACKED_CHANNELS = 3
STACKED_MODES = 10**STACKED_CHANNELS
STACKED_EXAMPLES = 128_000
"""The training-set size of VEEGAN's setting (PacGAN's `num_training_sample`)."""
SPLITS = ("train", "test")
_IDX_PREFIX = {"train": "train", "test": "t10k"}


def triple_index(triple: ArrayLike) -> np.ndarray:
    """Digit triples (n, 3) -> mode indices `100 r + 10 g + b` in [0, 1000).

    Example:
        >>> triple_index([[1, 2, 3], [9, 9, 9]]).tolist()
        [123, 999]
    """
    t = np.asarray(triple, dtype=np.int64)
    bad = t.ndim != 2 or t.shape[1] != STACKED_CHANNELS
    if bad or t.min(initial=0) < 0 or t.max(initial=0) > 9:
        raise ValueError(f"triples must be digits 0-9 of shape (n, 3); got shape {t.shape}.")
    return (t @ np.array([100, 10, 1])).astype(np.int32)


def triples(index: ArrayLike) -> np.ndarray:
    """Mode indices in [0, 1000) -> digit triples (n, 3): the inverse of `triple_index`.

    Example:
        >>> triples([123, 7]).tolist()
        [[1, 2, 3], [0, 0, 7]]
    """
    i = np.asarray(index, dtype=np.int64)
    if i.ndim != 1 or i.min(initial=0) < 0 or i.max(initial=0) >= STACKED_MODES:
        raise ValueError(f"mode indices must be integers in [0, 1000) of shape (n,); got {i!r}.")
    return np.stack([i // 100, i // 10 % 10, i % 10], axis=1).astype(np.int32)


def stacked_mnist_arrays(
    digits: ArrayLike,
    labels: ArrayLike,
    *,
    num_examples: int = STACKED_EXAMPLES,
    seed: int = 0,
    max_bytes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stacks three random digits per image: (N, H, W, 3) uint8 and int32 mode labels.

    Each image's channels are three digits drawn uniformly with replacement
    (as PacGAN's `generate_stacked_mnist`), seeded.

    Args:
        digits: grayscale uint8 images (n, H, W) or (n, H, W, 1).
        labels: their digit labels 0-9 (n,).
        num_examples: stacked images to make.
        seed: the draw's seed.
        max_bytes: memory bound (see `kgan.data.arrays.check_memory`).

    Returns:
        `(images, modes)`: uint8 (num_examples, H, W, 3) and int32 labels
        `100 * r + 10 * g + b`.

    Raises:
        ValueError: for images that are not grayscale uint8, labels outside
            0-9 or of another length, or a bad `num_examples`.

    Example:
        >>> d = np.zeros((10, 4, 4), np.uint8); d[:, 0, 0] = np.arange(10)
        >>> x, y = stacked_mnist_arrays(d, np.arange(10), num_examples=2, seed=1)
        >>> bool((x[:, 0, 0, :] == triples(y)).all())
        True
    """
    x = np.asarray(digits)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.dtype != np.uint8 or x.shape[0] == 0:
        raise ValueError(
            "digits must be grayscale uint8 images (n, H, W) or (n, H, W, 1); got "
            f"shape {np.shape(digits)} and dtype {np.asarray(digits).dtype}."
        )
    y = check_labels(labels, x.shape[0], "labels", what="digit labels 0-9, one per image")
    if y.min() < 0 or y.max() > 9:
        raise ValueError(f"labels must be digits 0-9; got values in [{y.min()}, {y.max()}].")
    check_integer(num_examples, "num_examples")
    size = int(num_examples) * x.shape[1] * x.shape[2] * STACKED_CHANNELS
    check_memory(size, f"{num_examples} stacked images", max_bytes)
    ids = np.random.default_rng(seed).integers(0, x.shape[0], size=(num_examples, 3))
    images = np.stack([x[ids[:, c]] for c in range(STACKED_CHANNELS)], axis=-1)
    return images, triple_index(y[ids])


def read_idx(path: str | Path) -> np.ndarray:
    """Reads an IDX file (gzipped or not): uint8 images (magic 2051) or int32 labels (2049).

    Returns:
        Images (n, rows, cols, 1) uint8, or labels (n,) int32.

    Raises:
        ValueError: for a file that is not an IDX file of images or labels, or is cut short.

    Example:
        >>> read_idx("t10k-images-idx3-ubyte.gz").shape  # doctest: +SKIP
        (10000, 28, 28, 1)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"Cannot read IDX file {path}: {err}") from err
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 8 else -1
    if magic == 2051 and len(raw) >= 16:
        n, rows, cols = (int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))
        if len(raw) - 16 >= n * rows * cols:
            return np.frombuffer(raw, np.uint8, n * rows * cols, 16).reshape(n, rows, cols, 1)
    elif magic == 2049:
        n = int.from_bytes(raw[4:8], "big")
        if len(raw) - 8 >= n:
            return np.frombuffer(raw, np.uint8, n, 8).astype(np.int32)
    raise ValueError(f"{path} is not a complete IDX file of images or labels (magic {magic}).")


def _idx_header(path: Path) -> tuple[int, ...]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        head = f.read(16)
    if len(head) < 16 or int.from_bytes(head[:4], "big") != 2051:
        raise ValueError(f"{path} is not an IDX file of images (magic 2051).")
    return tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))


def idx_files(folder: str | Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) IDX files of `split` in `folder`, or None when it has none.

    "train" falls back on the t10k files when the folder holds only those.

    Example:
        >>> idx_files("/nowhere", "train") is None
        True
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split={split!r} for 'stacked_mnist'. Expected one of {SPLITS}.")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return None
    prefixes = [_IDX_PREFIX[split]] + (["t10k"] if split == "train" else [])
    for prefix in prefixes:
        for suffix in ("", ".gz"):
            images = folder / f"{prefix}-images-idx3-ubyte{suffix}"
            labels = folder / f"{prefix}-labels-idx1-ubyte{suffix}"
            if images.is_file() and labels.is_file():
                return images, labels
    return None


def mnist_arrays(
    split: str = "train", *, data_dir: str | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits (n, 28, 28, 1) uint8 and labels from IDX files in `data_dir`, else TFDS.

    Raises:
        ValueError: for a bad split or IDX file, or TFDS's one-line refusals
            (not on disk without download or network).

    Example:
        >>> mnist_arrays("test", data_dir="../shared/data/mnist")[0].shape  # doctest: +SKIP
        (10000, 28, 28, 1)
    """
    files = idx_files(data_dir, split) if data_dir is not None else None
    if split not in SPLITS:
        raise ValueError(f"Unknown split={split!r} for 'stacked_mnist'. Expected one of {SPLITS}.")
    if files is not None:
        x, y = read_idx(files[0]), read_idx(files[1])
        if x.ndim != 4 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{files[0]} and {files[1]} are not matching images and labels.")
        return x, y
    from kgan.data import tfds

    x, y = tfds.tfds_arrays("mnist", split, data_dir=data_dir, download=download, with_labels=True)
    return x, np.asarray(y, np.int32)


def _split_seed(split: str, seed: int) -> int:
    return seed + (0 if split == "train" else 1_000_003)


def stacked_mnist(
    split: str = "train",
    *,
    data_dir: str | None = None,
    download: bool = True,
    num_examples: int = STACKED_EXAMPLES,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Stacked MNIST from the MNIST source in `data_dir` (IDX files, else TFDS `mnist`).

    Splits "train" and "test" stack the source's splits with distinct draws.

    Example:
        >>> x, y = stacked_mnist(data_dir="../shared/data/mnist", num_examples=100)
        ... # doctest: +SKIP
    """
    x, y = mnist_arrays(split, data_dir=data_dir, download=download)
    return stacked_mnist_arrays(x, y, num_examples=num_examples, seed=_split_seed(split, seed))


def stacked_mnist_info(
    split: str = "train", *, data_dir: str | None = None, num_examples: int | None = None
) -> dict:
    """What `stacked_mnist` would hold, from file headers or TFDS metadata; never downloads.

    Returns:
        `{"sample_shape", "num_examples", "num_classes", "on_disk"}`.

    Example:
        >>> stacked_mnist_info(data_dir="../shared/data/mnist")["sample_shape"]  # doctest: +SKIP
        (28, 28, 3)
    """
    files = idx_files(data_dir, split) if data_dir is not None else None
    count = STACKED_EXAMPLES if num_examples is None else int(num_examples)
    if files is not None:
        _, rows, cols = _idx_header(files[0])
        shape, on_disk = (rows, cols), True
    else:
        from kgan.data import tfds

        info = tfds.tfds_info("mnist", split, data_dir=data_dir)
        shape, on_disk = info["sample_shape"][:2], info["on_disk"]
    return {
        "sample_shape": (*shape, STACKED_CHANNELS),
        "num_examples": count,
        "num_classes": STACKED_MODES,
        "on_disk": on_disk,
    }
