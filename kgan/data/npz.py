"""`.npz` files of arrays as datasets: `x` (the samples) and, optionally, `y` (int labels).

`x` takes what `from_arrays` takes (uint8 images in [0, 255], float images in
[-1, 1], float feature vectors) and gets the same checks; `y` holds one
non-negative integer label per sample. Headers are read first: the arrays
must fit in `max_bytes` before anything is decompressed, and pickled objects
are refused. NumPy only.

Example:
    >>> np.savez("mine.npz", x=images, y=labels)  # doctest: +SKIP
    >>> x, y = npz_arrays("mine.npz", with_labels=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from kgan.data.arrays import check_labels, check_memory, check_sample_layout, check_samples

SAMPLES_KEY = "x"
LABELS_KEY = "y"


def npz_headers(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shape and dtype of every array of an `.npz` file, from its headers only.

    Raises:
        ValueError: if the file is missing, not a regular file, or not an `.npz` file.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise ValueError(f"Cannot read dataset file {str(path)!r}: {err}") from err
    if not stat.S_ISREG(mode):
        raise ValueError(f"Dataset file {str(path)!r} is not a regular file.")
    headers = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as file:
                    version = np.lib.format.read_magic(file)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read(file)
                headers[member[: -len(".npy")]] = (tuple(shape), dtype)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a readable .npz file: {err}") from err
    return headers


def _checked_headers(
    path: str | os.PathLike, with_labels: bool
) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    headers = npz_headers(path)
    name = str(path)
    if SAMPLES_KEY not in headers:
        raise ValueError(
            f"{name!r} must hold an array named {SAMPLES_KEY!r} (the samples) and optionally "
            f"{LABELS_KEY!r} (int labels); it holds {sorted(headers)}."
        )
    if with_labels and LABELS_KEY not in headers:
        raise ValueError(
            f"{name!r} has no {LABELS_KEY!r} array of labels, which with_labels=True "
            "(--conditional) needs."
        )
    shape, dtype = headers[SAMPLES_KEY]
    check_sample_layout(shape, dtype, what=f"{name}[{SAMPLES_KEY!r}]")
    if LABELS_KEY in headers and headers[LABELS_KEY][1].hasobject:
        raise ValueError(f"{name}[{LABELS_KEY!r}] holds Python objects; labels are integers.")
    return headers


def npz_info(path: str | os.PathLike, *, max_bytes: int | None = None) -> dict:
    """What an `.npz` dataset holds, from its headers (and its labels, if any).

    Returns:
        `{"sample_shape", "num_examples", "num_classes"}` (num_classes: None
        without `y`), as `kgan.data.describe` reports them.

    Raises:
        ValueError: as `npz_arrays`, for what the headers and labels show.
    """
    headers = _checked_headers(path, with_labels=False)
    shape, _ = headers[SAMPLES_KEY]
    num_classes = None
    if LABELS_KEY in headers:
        labels_shape, labels_dtype = headers[LABELS_KEY]
        nbytes = int(np.prod(labels_shape, dtype=np.int64)) * labels_dtype.itemsize
        check_memory(nbytes, f"The labels of {str(path)!r}", max_bytes)
        with np.load(path, allow_pickle=False) as archive:
            labels = check_labels(archive[LABELS_KEY], shape[0], name=f"{path}[{LABELS_KEY!r}]")
        num_classes = int(labels.max()) + 1
    sample = tuple(int(d) for d in shape[1:]) + ((1,) if len(shape) == 3 else ())
    return {"sample_shape": sample, "num_examples": int(shape[0]), "num_classes": num_classes}


def npz_arrays(
    path: str | os.PathLike, *, with_labels: bool = False, max_bytes: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The samples `x` and labels `y` of an `.npz` file, checked as `from_arrays` checks them.

    Args:
        path: the file.
        with_labels: also return `y` (an error if the file has none).
        max_bytes: the most memory `x` and `y` may take (None: half the
            available memory).

    Returns:
        `x` as `check_samples` returns it (uint8 kept, floats as float32,
        (N, H, W) images with a channel axis) and int32 labels, or None when
        `with_labels` is False.

    Raises:
        ValueError: for a missing or malformed file, no `x`, object arrays,
            arrays too large, bad samples or labels.

    Example:
        >>> x, _ = npz_arrays("points.npz")  # doctest: +SKIP
    """
    headers = _checked_headers(path, with_labels)
    name = str(path)
    keys = [SAMPLES_KEY] + ([LABELS_KEY] if with_labels else [])
    nbytes = sum(int(np.prod(headers[k][0], dtype=np.int64)) * headers[k][1].itemsize for k in keys)
    check_memory(nbytes, f"The arrays of {name!r}", max_bytes)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in keys}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{name!r} is not a readable .npz file: {err}") from err
    x = check_samples(arrays[SAMPLES_KEY], what=f"{name}[{SAMPLES_KEY!r}]")
    if not with_labels:
        return x, None
    return x, check_labels(arrays[LABELS_KEY], len(x), name=f"{name}[{LABELS_KEY!r}]")
