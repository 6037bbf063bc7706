"""Datasets for GAN training as `tf.data.Dataset`s of float32 samples.

Images come out NHWC in [-1, 1]; 2-D points as they are. Every loader caches,
shuffles with a seed, batches with `drop_remainder=True` (so every step sees
a full batch, which `GAN`'s split into `d_steps` minibatches relies on) and
prefetches.

Built-in sets that need no download:

- `ring8`: 8 Gaussians on a circle of radius 1, std 0.01 (VEEGAN, PacGAN);
- `grid25`: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN, PacGAN);
- `digits`: the 1,797 8x8 handwritten digits shipped with scikit-learn.

Any other name goes to `tfds.load`.

Example:
    >>> ds = load("ring8", batch_size=256)
    >>> ds.element_spec.shape
    TensorShape([256, 2])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from kgan import rules
from kgan.data.pipeline import prepare_dataset

RING8_RADIUS = 1.0
RING8_STD = 0.01
GRID25_STD = 0.05
MIXTURE_EXAMPLES = 20_000
DIGITS_TRAIN = 1_500  # the first 1,500 of scikit-learn's 1,797 digits; the rest is "test"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def ring8_centers() -> np.ndarray:
    """The 8 mode centres of `ring8`, at angles 2*pi*i/8 on the unit circle."""
    angles = 2 * np.pi * np.arange(8) / 8
    return RING8_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_centers() -> np.ndarray:
    """The 25 mode centres of `grid25`, {-4, -2, 0, 2, 4}^2."""
    ticks = np.arange(-4.0, 5.0, 2.0)
    return np.array([(x, y) for x in ticks for y in ticks])


def _mixture(centers: np.ndarray, std: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(centers), size=n)
    points = centers[labels] + std * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int32)


def _split_seed(split: str, seed: int) -> int:
    # Distinct, reproducible draws per split.
    return {"train": seed, "test": seed + 1_000_003, "validation": seed + 2_000_003}[split]


def mixture_arrays(
    name: str, split: str = "train", *, num_examples: int = MIXTURE_EXAMPLES, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The points and mode labels of `ring8` or `grid25` as NumPy arrays."""
    if split not in ("train", "test", "validation"):
        raise ValueError(
            f"Unknown split={split!r} for {name!r}. Expected one of "
            "['test', 'train', 'validation']."
        )
    centers, std = (
        (ring8_centers(), RING8_STD) if name == "ring8" else (grid25_centers(), GRID25_STD)
    )
    return _mixture(centers, std, num_examples, _split_seed(split, seed))


def digits_arrays(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits as uint8 images (N, 8, 8, 1) in [0, 255] and labels.

    Splits: "train" (the first 1,500), "test" (the other 297) and "all".
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The built-in 'digits' set needs scikit-learn: pip install 'kgan[digits]'."
        ) from err
    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int32)
    slices = {
        "train": slice(0, DIGITS_TRAIN),
        "test": slice(DIGITS_TRAIN, None),
        "all": slice(None),
    }
    if split not in slices:
        raise ValueError(f"Unknown split={split!r} for 'digits'. Expected one of {sorted(slices)}.")
    return images[slices[split]], labels[slices[split]]


BUILTIN = rules.DATASETS  # the names are kgan.rules's (TensorFlow-free, for --help)


def _check_batch_size(batch_size: int) -> None:
    if (
        not isinstance(batch_size, (int, np.integer))
        or isinstance(batch_size, bool)
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer; got batch_size={batch_size!r}.")


def _to_float_samples(x: np.ndarray, what: str = "x") -> np.ndarray:
    """Validates samples and maps uint8 images to float32 [-1, 1]."""
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{what} must be a numeric array; got dtype {x.dtype}.")
    if x.dtype == bool or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"{what} must be uint8 or floating point; got dtype {x.dtype}.")
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"{what} must have rank 2 (N, features), 3 (N, H, W) or 4 (N, H, W, C); "
            f"got shape {x.shape}."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{what} is empty: got shape {x.shape}.")
    if x.ndim == 3:
        x = x[..., None]
    if x.dtype == np.uint8:
        return (x.astype(np.float32) / 127.5 - 1.0).astype(np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"{what} must be uint8 in [0, 255] or float; got dtype {x.dtype}. "
            "Convert integer images with x.astype('uint8')."
        )
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{what} has {bad} NaN or infinite values.")
    if x.ndim == 4 and (x.min() < -1.0 - 1e-6 or x.max() > 1.0 + 1e-6):
        raise ValueError(
            f"Float images must lie in [-1, 1]; got values in [{x.min():.4g}, {x.max():.4g}]. "
            "Pass uint8 images in [0, 255], or rescale with x / 127.5 - 1."
        )
    return x


def _pipeline(
    x: np.ndarray,
    labels: np.ndarray | None,
    *,
    batch_size: int,
    seed: int,
    shuffle: bool,
) -> tf.data.Dataset:
    _check_batch_size(batch_size)
    if batch_size > len(x):
        raise ValueError(
            f"batch_size={batch_size} is larger than the dataset ({len(x)} examples): "
            "with drop_remainder there would be no batch at all."
        )
    elements = x if labels is None else (x, labels)
    ds = tf.data.Dataset.from_tensor_slices(elements).cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return prepare_dataset(ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))


def resumable_batches(
    x: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    batch_size: int,
    seed: int = 0,
    start_step: int = 0,
) -> tf.data.Dataset:
    """An endless stream of batches whose position is a single number: the step.

    Epoch `e` visits the samples in the order
    `tf.random.experimental.stateless_shuffle(range(N), seed=[seed, e])`, in
    `N // batch_size` full batches, so batch `k` of the stream is always the
    same batch, and starting at `start_step` resumes a killed run exactly
    where it stopped. Use it with `fit(..., steps_per_epoch=N // batch_size)`.

    Args:
        x: samples as `from_arrays` takes them (validated and scaled the same way).
        labels: optional int labels; the stream then yields `(x, labels)`.
        batch_size: samples per batch.
        seed: the shuffling seed.
        start_step: the number of batches to skip.

    Example:
        >>> ds = resumable_batches(np.zeros((10, 2), "float32"), batch_size=3, start_step=4)
        >>> next(iter(ds)).shape
        TensorShape([3, 2])
    """
    x = _to_float_samples(x)
    if labels is not None:
        labels = _check_labels(labels, len(x))
    _check_batch_size(batch_size)
    n = len(x)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the dataset ({n} examples).")
    if not isinstance(start_step, (int, np.integer)) or start_step < 0:
        raise ValueError(f"start_step must be a non-negative integer; got {start_step!r}.")
    used = (n // batch_size) * batch_size
    samples = tf.constant(x)
    label_tensor = None if labels is None else tf.constant(labels)

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(order[:used]).batch(batch_size)

    def gather(indices):
        if label_tensor is None:
            return tf.gather(samples, indices)
        return tf.gather(samples, indices), tf.gather(label_tensor, indices)

    steps_per_epoch = n // batch_size
    first_epoch = int(start_step) // steps_per_epoch
    ds = tf.data.Dataset.range(first_epoch, 2**62).flat_map(epoch_order)
    ds = ds.skip(int(start_step) - first_epoch * steps_per_epoch)
    return prepare_dataset(
        ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    )


def _check_labels(
    labels, n: int, name: str = "labels", what: str = "integers, one per sample"
) -> np.ndarray:
    """`n` non-negative integer class labels as int32; ValueError naming `name` otherwise."""
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} must be {n} {what}; got shape {labels.shape} dtype {labels.dtype}."
        )
    if labels.min() < 0:
        raise ValueError(f"{name} must be >= 0; got a minimum of {labels.min()}.")
    return labels.astype(np.int32)


def from_arrays(
    x: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    batch_size: int,
    seed: int = 0,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """A training dataset from NumPy arrays.

    Args:
        x: uint8 images in [0, 255] (N, H, W[, C]), float images in [-1, 1],
            or float feature vectors (N, F).
        labels: optional int class labels (N,); the dataset then yields
            `(samples, labels)` pairs, as a conditional GAN needs.
        batch_size: samples per batch; the last incomplete batch is dropped.
        seed: shuffling seed. As with any `tf.data` shuffle, the order also
            depends on TensorFlow's global seed when the dataset is built: call
            `keras.utils.set_random_seed` first for an order that does not
            depend on what ran before. (`kgan-train` uses `resumable_batches`,
            whose order depends on `seed` alone.)
        shuffle: reshuffle every epoch.

    Raises:
        ValueError: for an empty array, a wrong rank or dtype, NaN/Inf, or
            float images outside [-1, 1].

    Example:
        >>> ds = from_arrays(np.zeros((64, 8, 8), "uint8"), batch_size=32)
        >>> ds.element_spec.shape
        TensorShape([32, 8, 8, 1])
    """
    x = _to_float_samples(x)
    if labels is not None:
        labels = _check_labels(labels, len(x))
    return _pipeline(x, labels, batch_size=batch_size, seed=seed, shuffle=shuffle)


def folder_arrays(
    path: str | os.PathLike,
    *,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
) -> np.ndarray:
    """Reads every image of a folder (recursively) as uint8 (N, H, W, C).

    Args:
        path: the folder.
        image_size: resize every image to this (H, W), or H = W; needed when
            the images differ in size.
        channels: 1 (grayscale) or 3 (RGB); defaults to the first image's.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"Image folder {str(root)!r} does not exist or is not a folder.")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(
            f"Image folder {str(root)!r} holds no images (looked for {', '.join(IMAGE_SUFFIXES)})."
        )
    if channels not in (None, 1, 3):
        raise ValueError(f"channels must be 1, 3 or None; got {channels!r}.")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    images = []
    for file in files:
        try:
            with Image.open(file) as img:
                img.load()
                if channels is None:
                    channels = 1 if img.mode in ("L", "1", "I", "I;16", "F") else 3
                img = img.convert("L" if channels == 1 else "RGB")
                if image_size is not None:
                    img = img.resize((image_size[1], image_size[0]), Image.Resampling.BILINEAR)
                array = np.asarray(img, dtype=np.uint8)
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f"Cannot read image {str(file)!r}: {err}") from err
        if images and array.shape[:2] != images[0].shape[:2]:
            raise ValueError(
                f"Image {str(file)!r} is {array.shape[:2]}, but {str(files[0])!r} is "
                f"{images[0].shape[:2]}; pass image_size to resize them all."
            )
        images.append(array.reshape(array.shape[0], array.shape[1], channels))
    return np.stack(images)


def from_folder(
    path: str | os.PathLike,
    *,
    batch_size: int,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
    seed: int = 0,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """A training dataset from a folder of images (PNG, JPEG, ...).

    Example:
        >>> ds = from_folder("faces/", batch_size=64, image_size=32)  # doctest: +SKIP
    """
    images = folder_arrays(path, image_size=image_size, channels=channels)
    return from_arrays(images, batch_size=batch_size, seed=seed, shuffle=shuffle)


def _tfds_arrays(
    name: str, split: str, data_dir: str | None, download: bool, with_labels: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:  # DatasetNotFoundError and friends
        raise ValueError(
            f"Unknown dataset={name!r}: not one of the built-in sets {list(BUILTIN)} and "
            f"tensorflow-datasets says: {str(err).splitlines()[0]}"
        ) from err
    info = builder.info
    image_keys = [k for k, f in info.features.items() if isinstance(f, tfds.features.Image)]
    if not image_keys:
        raise ValueError(
            f"Dataset {name!r} has no image feature; its features are {list(info.features)}."
        )
    image_key = "image" if "image" in image_keys else image_keys[0]
    label_keys = [k for k, f in info.features.items() if isinstance(f, tfds.features.ClassLabel)]
    if with_labels and not label_keys:
        raise ValueError(f"Dataset {name!r} has no ClassLabel feature for with_labels=True.")
    label_key = ("label" if "label" in label_keys else label_keys[0]) if with_labels else None
    if download:
        builder.download_and_prepare()
    ds = builder.as_dataset(split=split)
    images, labels = [], []
    for batch in ds.batch(4096).as_numpy_iterator():
        images.append(batch[image_key])
        if label_key:
            labels.append(batch[label_key])
    if not images:
        raise ValueError(f"Dataset {name!r} split {split!r} is empty.")
    return np.concatenate(images), (np.concatenate(labels) if label_key else None)


def load_arrays(
    name: str,
    *,
    split: str = "train",
    data_dir: str | None = None,
    download: bool = True,
    seed: int = 0,
    with_labels: bool = False,
    num_examples: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The raw samples (uint8 images or float points) and labels of a named dataset.

    `num_examples` sets how many points `ring8` and `grid25` draw (default
    `MIXTURE_EXAMPLES`); other datasets have a fixed size and refuse it.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a dataset name; got {name!r}.")
    if num_examples is not None and name not in rules.MIXTURES:
        raise ValueError(f"num_examples applies to ring8 and grid25, not {name!r}.")
    if name in rules.MIXTURES:
        x, y = mixture_arrays(name, split, seed=seed, num_examples=num_examples or MIXTURE_EXAMPLES)
    elif name == "digits":
        x, y = digits_arrays(split)
    else:
        x, y = _tfds_arrays(name, split, data_dir, download, with_labels)
    return x, (y if with_labels else None)


def load(
    name: str,
    *,
    split: str = "train",
    batch_size: int,
    data_dir: str | None = None,
    download: bool = True,
    seed: int = 0,
    with_labels: bool = False,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """Loads a dataset by name as a batched `tf.data.Dataset` ready for `GAN.fit`.

    Args:
        name: a built-in set ("ring8", "grid25", "digits") or a TFDS name
            ("mnist", "fashion_mnist", "cifar10", ...).
        split: the split ("train", "test", ...; TFDS slicing syntax works).
        batch_size: samples per batch (the last incomplete batch is dropped).
        data_dir: TFDS data folder.
        download: let TFDS download and prepare the data if needed.
        seed: the seed of the shuffle (and of the 2-D sets' draw).
        with_labels: yield `(samples, int32 labels)` for a conditional GAN.
        shuffle: reshuffle every epoch.

    Returns:
        A dataset of float32 batches (and labels when `with_labels`).

    Raises:
        ValueError: for an unknown name, a dataset without an image feature,
            a bad split, an empty dataset, or a bad batch size.

    Example:
        >>> ds = load("digits", batch_size=64)
        >>> ds.element_spec.shape
        TensorShape([64, 8, 8, 1])
    """
    _check_batch_size(batch_size)
    x, labels = load_arrays(
        name, split=split, data_dir=data_dir, download=download, seed=seed, with_labels=with_labels
    )
    return from_arrays(x, labels, batch_size=batch_size, seed=seed, shuffle=shuffle)
