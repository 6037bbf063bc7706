"""TensorFlow Datasets (`mnist`, `fashion_mnist`, `cifar10`, ...) as arrays, offline-safe.

A dataset that is on disk (prepared in `data_dir`, default
`~/tensorflow_datasets`) loads without touching the network. One that is not
is downloaded only when `download=True` and the network answers: a probe
(`network_problem`, a few seconds at most) runs first, because TFDS itself
retries an unreachable host for minutes (10 urllib3 retries with exponential
backoff per file). Both refusals are one-line `ValueError`s that say how to
provide the data (`data_dir`/`--data_dir`, `download`/`--download`).

`tfds_info` describes a dataset from its code and metadata and never
downloads: what a dry run needs.

Example:
    >>> x, y = tfds_arrays("mnist", "train", data_dir=None, download=False, with_labels=True)
    ... # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
import urllib.request
from typing import Any

import numpy as np

from kgan.data.arrays import check_memory

PROBE_ADDRESS = ("storage.googleapis.com", 443)
"""Where the network probe connects: TFDS's own bucket, which it tries first for every dataset."""

PROBE_TIMEOUT = 3.0
"""Seconds the probe waits for name resolution and a connection together."""


def network_problem(timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why a download cannot start now, or None when the network answers.

    Connects to `PROBE_ADDRESS` (or to the HTTPS proxy the environment names)
    within `timeout` seconds, name resolution included.

    Example:
        >>> network_problem() is None or isinstance(network_problem(), str)  # doctest: +SKIP
        True
    """
    proxy = urllib.request.getproxies().get("https")
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        address = (parsed.hostname or "", parsed.port or 80)
    else:
        address = PROBE_ADDRESS
    outcome: list[str | None] = []

    def connect() -> None:
        try:
            socket.create_connection(address, timeout=timeout).close()
            outcome.append(None)
        except OSError as err:
            outcome.append(f"cannot reach {address[0]}:{address[1]}: {err}")

    probe = threading.Thread(target=connect, name="kgan-network-probe", daemon=True)
    probe.start()
    probe.join(timeout)
    if not outcome:
        return f"no answer from {address[0]}:{address[1]} within {timeout:g} s"
    return outcome[0]


def _builder(name: str, data_dir: str | None, builtin: tuple[str, ...]) -> Any:
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except Exception as err:  # DatasetNotFoundError and friends
        hint = ""
        if os.path.isdir(name):
            hint = f" (to read the folder {name!r}, give it as a path: {os.path.join('.', name)!r})"
        raise ValueError(
            f"Unknown dataset={name!r}: not one of the built-in sets {list(builtin)}, a folder "
            f"of images or an .npz file, and tensorflow-datasets says: "
            f"{str(err).splitlines()[0]}{hint}"
        ) from err


def _keys(name: str, builder: Any) -> tuple[str, str | None]:
    """The image feature and the class-label feature (None if none) of a dataset."""
    import tensorflow_datasets as tfds

    features = builder.info.features
    images = [k for k, f in features.items() if isinstance(f, tfds.features.Image)]
    if not images:
        raise ValueError(
            f"Dataset {name!r} has no image feature; its features are {list(features)}."
        )
    labels = [k for k, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
    return (
        "image" if "image" in images else images[0],
        ("label" if "label" in labels else labels[0]) if labels else None,
    )


def _ensure_on_disk(name: str, builder: Any, download: bool) -> None:
    """Downloads and prepares the dataset if allowed and possible; one-line errors otherwise."""
    if builder.is_prepared():
        return
    where = str(builder.data_dir)
    if not download:
        raise ValueError(
            f"Dataset {name!r} is not on disk (no {where}) and download=False: pass the data "
            "folder that holds it (data_dir, --data_dir), or allow the download (download=True, "
            "--download)."
        )
    problem = network_problem()
    if problem is not None:
        raise ValueError(
            f"Dataset {name!r} is not on disk (no {where}) and the network is unreachable "
            f"({problem}): download it where there is a network (kgan-train --dataset={name} "
            "--download --data_dir=DIR, or tfds build), then pass that folder (data_dir, "
            "--data_dir)."
        )
    try:
        builder.download_and_prepare()
    except Exception as err:  # downloads and preparation fail in many ways
        raise ValueError(
            f"Downloading dataset {name!r} into {where} failed: {_first_line(err)}"
        ) from err


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def _split_size(name: str, builder: Any, split: str) -> int:
    """The examples in a split (slicing syntax included) of a prepared dataset."""
    try:
        return int(builder.info.splits[split].num_examples)
    except (KeyError, ValueError, TypeError, AssertionError) as err:
        raise _unknown_split(name, builder, split, err) from err


def _unknown_split(name: str, builder: Any, split: str, err: BaseException) -> ValueError:
    return ValueError(
        f"Unknown split={split!r} for {name!r} (its splits are {sorted(builder.info.splits)}): "
        f"{_first_line(err)}"
    )


def tfds_arrays(
    name: str,
    split: str,
    *,
    data_dir: str | None,
    download: bool,
    with_labels: bool,
    builtin: tuple[str, ...] = (),
    max_bytes: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The images (uint8 NHWC) and, with `with_labels`, the labels of a TFDS dataset split.

    Args:
        name: the TFDS name ("mnist", "cifar10", "name/config:version", ...).
        split: the split, TFDS slicing syntax included ("train[:10%]").
        data_dir: the TFDS data folder (None: TFDS's default).
        download: download and prepare it if it is not on disk.
        with_labels: also return the ClassLabel feature.
        builtin: the built-in names, for the unknown-name message.
        max_bytes: the most memory the split may take (None: half the available memory).

    Returns:
        `(images, labels)`; labels is None without `with_labels`.

    Raises:
        ValueError: an unknown name, no image (or label) feature, not on disk
            without download or network, a failed download, a bad split, an
            empty split, or a split too large for memory.
    """
    builder = _builder(name, data_dir, builtin)
    image_key, label_key = _keys(name, builder)
    if with_labels and label_key is None:
        raise ValueError(f"Dataset {name!r} has no ClassLabel feature for with_labels=True.")
    _ensure_on_disk(name, builder, download)
    shape = builder.info.features[image_key].shape
    if builder.info.splits and None not in shape:  # sizes are known: check them first
        count = _split_size(name, builder, split)
        check_memory(count * int(np.prod(shape)), f"Split {split!r} of {name!r}", max_bytes)
    try:
        ds = builder.as_dataset(split=split)
    except (KeyError, ValueError, TypeError, AssertionError) as err:
        raise _unknown_split(name, builder, split, err) from err
    images, labels = [], []
    for batch in ds.batch(4096).as_numpy_iterator():
        images.append(batch[image_key])
        if with_labels:
            labels.append(batch[label_key])
    if not images:
        raise ValueError(f"Dataset {name!r} split {split!r} is empty.")
    return np.concatenate(images), (np.concatenate(labels) if with_labels else None)


def tfds_info(
    name: str, split: str, *, data_dir: str | None, builtin: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What a TFDS dataset holds, from its code and metadata only: never downloads.

    Returns:
        `{"sample_shape", "num_classes", "num_examples", "on_disk"}`:
        num_examples is None when the dataset is not on disk (TFDS knows split
        sizes only once prepared); num_classes is None without a ClassLabel.
    """
    builder = _builder(name, data_dir, builtin)
    image_key, label_key = _keys(name, builder)
    features = builder.info.features
    on_disk = bool(builder.is_prepared())
    return {
        "sample_shape": tuple(features[image_key].shape),
        "num_classes": None if label_key is None else int(features[label_key].num_classes),
        "num_examples": _split_size(name, builder, split) if on_disk else None,
        "on_disk": on_disk,
    }
