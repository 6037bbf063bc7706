"""Datasets for GAN training as `tf.data.Dataset`s of float32 samples.

Images come out NHWC in [-1, 1]; 2-D points as they are. Built-in sets need
no download (`ring8`, `grid25`, `digits`); any other name goes to `tfds.load`.

Example:
    >>> ds = load("ring8", batch_size=256)
    >>> ds.element_spec.shape
    TensorShape([256, 2])
"""

from kgan.data.loaders import (
    BUILTIN,
    DIGITS_TRAIN,
    GRID25_STD,
    IMAGE_SUFFIXES,
    MIXTURE_EXAMPLES,
    RING8_RADIUS,
    RING8_STD,
    digits_arrays,
    folder_arrays,
    from_arrays,
    from_folder,
    grid25_centers,
    load,
    load_arrays,
    mixture_arrays,
    resumable_batches,
    ring8_centers,
)
from kgan.data.pipeline import prepare_dataset

__all__ = [
    "BUILTIN",
    "DIGITS_TRAIN",
    "GRID25_STD",
    "IMAGE_SUFFIXES",
    "MIXTURE_EXAMPLES",
    "RING8_RADIUS",
    "RING8_STD",
    "digits_arrays",
    "folder_arrays",
    "from_arrays",
    "from_folder",
    "grid25_centers",
    "load",
    "load_arrays",
    "mixture_arrays",
    "prepare_dataset",
    "resumable_batches",
    "ring8_centers",
]
