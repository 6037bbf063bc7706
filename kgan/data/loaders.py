"""Datasets by name: `load`, `load_arrays` and `describe`.

A name is, in this order:

1. a set kgan builds: "ring8", "grid25", "digits" (`kgan.data.builtin`,
   no download) and "stacked_mnist" (`kgan.data.stacked`: three MNIST digits
   per image, read from the IDX files in `data_dir`, else TFDS's mnist);
2. a name ending in `.npz`: a file of arrays `x` and optional `y` (`kgan.data.npz`);
3. a path to a folder of images (`kgan.data.folder`). A path is a name that
   contains a path separator or starts with "." or "~": a bare name is never
   a folder (so `mnist` stays TFDS's even beside a folder called mnist;
   write `./faces` for the folder faces);
4. anything else is a TensorFlow Datasets name (`kgan.data.tfds`).

An `.npz` file or a folder is one set of samples: its only splits are
"train" and "all" (the same samples).

Example:
    >>> ds = load("ring8", batch_size=256)
    >>> ds.element_spec.shape
    TensorShape([256, 2])
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from kgan import rules
from kgan.data import builtin, folder, npz, stacked
from kgan.data import tfds as tfds_lib
from kgan.data.arrays import check_batch_size, check_labels, sample_shape
from kgan.data.builtin import BUILTIN, MIXTURE_EXAMPLES
from kgan.data.pipeline import from_arrays, resumable_batches

# Re-exported for the callers that import this module (kgan.train.run; kgan.eval.classifier
# uses `_check_labels`): new code imports them from kgan.data.
__all__ = ["DatasetInfo", "describe", "load", "load_arrays", "resumable_batches", "sample_shape"]
_check_labels = check_labels

_SINGLE_SET_SPLITS = ("all", "train")


def _is_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.startswith((".", "~"))


def source(name: str) -> str:
    """Which kind of dataset `name` names: "builtin", "npz", "folder" or "tfds".

    Raises:
        ValueError: for a path to something that is neither a folder nor an `.npz` file.

    Example:
        >>> source("ring8"), source("./faces.npz"), source("mnist")
        ('builtin', 'npz', 'tfds')
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a dataset name; got {name!r}.")
    if name in BUILTIN:
        return "builtin"
    if name.lower().endswith(".npz"):
        return "npz"
    if _is_path(name):
        path = Path(name).expanduser()
        if path.is_dir():
            return "folder"
        if path.exists():
            raise ValueError(
                f"Dataset path {name!r} is neither a folder of images nor an .npz file."
            )
    return "tfds"


def _check_single_set_split(name: str, split: str) -> None:
    if split not in _SINGLE_SET_SPLITS:
        raise ValueError(
            f"Unknown split={split!r} for {name!r}: a folder or an .npz file is one set of "
            f"samples. Expected one of {list(_SINGLE_SET_SPLITS)}."
        )


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

    Args:
        name: a built-in set, a path to a folder of images or an `.npz` file,
            or a TFDS name (see the module docstring).
        split: the split ("train", "test", ...; TFDS slicing syntax works).
        data_dir: TFDS data folder.
        download: let TFDS download and prepare the data if it is not on disk.
        seed: the seed of the 2-D sets' and stacked_mnist's draw.
        with_labels: also return int labels (an error if the dataset has none).
        num_examples: how many samples `ring8`, `grid25` (default
            `MIXTURE_EXAMPLES`) and `stacked_mnist` (default
            `STACKED_EXAMPLES`) draw; other datasets have a fixed size and refuse it.

    Returns:
        `(samples, labels)`: uint8 images (N, H, W, C) or float32 points
        (N, F); int32 labels, or None without `with_labels`.

    Raises:
        ValueError: with a one-line message for every bad name, split, file,
            limit, or a TFDS dataset that is not on disk and cannot be downloaded.

    Example:
        >>> x, y = load_arrays("digits", split="test", with_labels=True)
        >>> x.shape, y.shape
        ((297, 8, 8, 1), (297,))
    """
    kind = source(name)
    _check_num_examples(name, num_examples)
    if name == "stacked_mnist":
        x, y = stacked.stacked_mnist(
            split, data_dir=data_dir, download=download, seed=seed,
            num_examples=num_examples or stacked.STACKED_EXAMPLES,
        )  # fmt: skip
    elif name in builtin.MIXTURES:
        x, y = builtin.mixture_arrays(
            name, split, seed=seed, num_examples=num_examples or MIXTURE_EXAMPLES
        )
    elif name == "digits":
        x, y = builtin.digits_arrays(split)
    elif kind == "npz":
        _check_single_set_split(name, split)
        x, y = npz.npz_arrays(Path(name).expanduser(), with_labels=with_labels)
    elif kind == "folder":
        _check_single_set_split(name, split)
        if with_labels:
            raise ValueError(_no_labels_in_folder(name))
        x, y = folder.folder_arrays(Path(name).expanduser()), None
    else:
        x, y = tfds_lib.tfds_arrays(
            name, split, data_dir=data_dir, download=download, with_labels=with_labels,
            builtin=BUILTIN,
        )  # fmt: skip
    return x, (y if with_labels else None)


def _check_num_examples(name: str, num_examples: int | None) -> None:
    if num_examples is not None and name not in rules.SIZED:
        raise ValueError(f"num_examples applies to {', '.join(rules.SIZED)}, not {name!r}.")


def _no_labels_in_folder(name: str) -> str:
    return (
        f"{name!r} is a folder of images, which has no labels; a conditional GAN "
        "(with_labels=True, --conditional) needs an .npz file with labels 'y' or a labelled set."
    )


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
    num_examples: int | None = None,
) -> tf.data.Dataset:
    """Loads a dataset by name as a batched `tf.data.Dataset` ready for `GAN.fit`.

    Args:
        name: a set kgan builds ("ring8", "grid25", "digits",
            "stacked_mnist" from the MNIST IDX files in `data_dir`), a path to a
            folder of images ("./faces", streamed by `from_folder`) or to an
            `.npz` file (`x`, optional `y`), or a TFDS name ("mnist",
            "fashion_mnist", "cifar10", ...).
        split: the split ("train", "test", ...; TFDS slicing syntax works).
        batch_size: samples per batch (the last incomplete batch is dropped).
        data_dir: TFDS data folder.
        download: let TFDS download and prepare the data if needed.
        seed: the seed of the shuffle (and of the 2-D sets' draw).
        with_labels: yield `(samples, int32 labels)` for a conditional GAN.
        shuffle: reshuffle every epoch.
        num_examples: samples drawn for `ring8`, `grid25` and `stacked_mnist`
            (see `load_arrays`).

    Returns:
        A dataset of float32 batches (and labels when `with_labels`).

    Raises:
        ValueError: for an unknown name, a dataset without an image feature,
            a bad split, an empty dataset, a bad batch size, or a TFDS
            dataset that is not on disk and cannot be downloaded.

    Example:
        >>> ds = load("digits", batch_size=64)
        >>> ds.element_spec.shape
        TensorShape([64, 8, 8, 1])
    """
    check_batch_size(batch_size)
    if source(name) == "folder":
        _check_single_set_split(name, split)
        if with_labels:
            raise ValueError(_no_labels_in_folder(name))
        return folder.from_folder(
            Path(name).expanduser(), batch_size=batch_size, seed=seed, shuffle=shuffle
        )
    x, labels = load_arrays(
        name, split=split, data_dir=data_dir, download=download, seed=seed,
        with_labels=with_labels, num_examples=num_examples,
    )  # fmt: skip
    return from_arrays(x, labels, batch_size=batch_size, seed=seed, shuffle=shuffle)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a dataset holds, known without loading (or downloading) it.

    Attributes:
        name: the name as given.
        source: "builtin", "npz", "folder" or "tfds".
        sample_shape: one sample as the networks see it ((H, W, C) or (F,)).
        num_examples: samples in the split; None for a TFDS set not on disk.
        num_classes: label classes (max label + 1), or None when the dataset
            has no labels.
        on_disk: False only for a TFDS set that would need a download.
    """

    name: str
    source: str
    sample_shape: tuple[int, ...]
    num_examples: int | None
    num_classes: int | None
    on_disk: bool = True

    @property
    def has_labels(self) -> bool:
        """Whether the dataset has class labels a conditional GAN could use."""
        return self.num_classes is not None

    def check(self, *, batch_size: int, with_labels: bool = False) -> None:
        """The refusals `load` would give for this batch size and labels, without loading.

        Raises:
            ValueError: for a bad batch size, one larger than the dataset, or
                `with_labels` on a dataset without labels.

        Example:
            >>> describe("digits").check(batch_size=2000)
            Traceback (most recent call last):
            ValueError: batch_size=2000 is larger than the dataset (1500 examples).
        """
        check_batch_size(batch_size)
        if self.num_examples is not None and batch_size > self.num_examples:
            raise ValueError(
                f"batch_size={batch_size} is larger than the dataset ({self.num_examples} "
                "examples)."
            )
        if with_labels and not self.has_labels:
            raise ValueError(
                f"Dataset {self.name!r} has no labels, which with_labels=True (--conditional) "
                "needs."
            )

    def summary(self) -> str:
        """One phrase: how many examples of which shape, and whether they are on disk.

        Example:
            >>> describe("ring8").summary()
            '20000 examples of shape (2,)'
        """
        count = "examples" if self.num_examples is None else f"{self.num_examples} examples"
        where = "" if self.on_disk else " (not on disk: their number is known once downloaded)"
        return f"{count} of shape {self.sample_shape}{where}"


def describe(
    name: str,
    *,
    split: str = "train",
    data_dir: str | None = None,
    num_examples: int | None = None,
) -> DatasetInfo:
    """Describes a dataset without loading its samples, and never downloads.

    For a dry run (shapes and sizes to build the networks) and for the
    training run's checks (`has_labels`: an unconditional GAN on a labelled
    set ignores the labels). Folders have their headers read and checked;
    `.npz` files their array headers (and labels); TFDS sets their metadata.

    Args:
        name, split, data_dir, num_examples: as `load_arrays`.

    Returns:
        A `DatasetInfo`.

    Raises:
        ValueError: as `load_arrays`, except that a TFDS set not on disk is
            described (`on_disk=False`, `num_examples=None`) instead of refused.

    Example:
        >>> info = describe("digits")
        >>> info.sample_shape, info.num_examples, info.num_classes
        ((8, 8, 1), 1500, 10)
    """
    kind = source(name)
    _check_num_examples(name, num_examples)
    if name == "stacked_mnist":
        info = stacked.stacked_mnist_info(split, data_dir=data_dir, num_examples=num_examples)
    elif kind == "builtin":
        info = builtin.builtin_info(name, split, num_examples)
    elif kind == "npz":
        _check_single_set_split(name, split)
        info = npz.npz_info(Path(name).expanduser())
    elif kind == "folder":
        _check_single_set_split(name, split)
        layout = folder.scan_folder(Path(name).expanduser())
        info = {
            "sample_shape": layout.shape,
            "num_examples": len(layout.files),
            "num_classes": None,
        }
    else:
        info = tfds_lib.tfds_info(name, split, data_dir=data_dir, builtin=BUILTIN)
    return DatasetInfo(name, kind, **info)
