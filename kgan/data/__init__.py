"""Datasets for GAN training as `tf.data.Dataset`s of float32 samples.

Images come out NHWC in [-1, 1]; 2-D points as they are. `load(name)` takes
a built-in set that needs no download (`ring8`, `grid25`, `digits`),
`stacked_mnist` (three MNIST digits per image, from IDX files or TFDS), a path
to a folder of images or to an `.npz` file of arrays, or a TFDS name.

One concept per module:

- `builtin`: the 2-D mixtures (and their geometry, `MIXTURES`) and the digits;
- `stacked`: Stacked MNIST (1,000 modes) from MNIST arrays, IDX files or TFDS;
- `arrays`: sample and label validation, `uint8_to_float`, memory bounds (NumPy only);
- `folder`: folders of images, with their limits; `npz`: `.npz` files;
  `tfds`: TensorFlow Datasets, offline-safe;
- `pipeline`: the `tf.data` pipelines (`from_arrays`, `resumable_batches`,
  `prepare_dataset`);
- `loaders`: datasets by name (`load`, `load_arrays`, `describe`).

Example:
    >>> ds = load("ring8", batch_size=256)
    >>> ds.element_spec.shape
    TensorShape([256, 2])
"""

from kgan.data.arrays import check_labels, sample_shape, to_float_samples, uint8_to_float
from kgan.data.builtin import (
    BUILTIN,
    DIGITS_TRAIN,
    GRID25_STD,
    MIXTURE_EXAMPLES,
    MIXTURES,
    RING8_RADIUS,
    RING8_STD,
    digits_arrays,
    grid25_centers,
    mixture_arrays,
    ring8_centers,
)
from kgan.data.folder import IMAGE_SUFFIXES, MAX_IMAGE_PIXELS, folder_arrays, from_folder
from kgan.data.loaders import DatasetInfo, describe, load, load_arrays
from kgan.data.npz import npz_arrays
from kgan.data.pipeline import from_arrays, prepare_dataset, resumable_batches
from kgan.data.stacked import (
    STACKED_EXAMPLES,
    STACKED_MODES,
    mnist_arrays,
    read_idx,
    stacked_mnist_arrays,
    triple_index,
    triples,
)

__all__ = [
    "BUILTIN",
    "DIGITS_TRAIN",
    "GRID25_STD",
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_PIXELS",
    "MIXTURES",
    "MIXTURE_EXAMPLES",
    "RING8_RADIUS",
    "RING8_STD",
    "STACKED_EXAMPLES",
    "STACKED_MODES",
    "DatasetInfo",
    "check_labels",
    "describe",
    "digits_arrays",
    "folder_arrays",
    "from_arrays",
    "from_folder",
    "grid25_centers",
    "load",
    "load_arrays",
    "mixture_arrays",
    "mnist_arrays",
    "npz_arrays",
    "prepare_dataset",
    "read_idx",
    "resumable_batches",
    "ring8_centers",
    "sample_shape",
    "stacked_mnist_arrays",
    "to_float_samples",
    "triple_index",
    "triples",
    "uint8_to_float",
]
