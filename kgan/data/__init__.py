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

from kgan import _lazy

_MODULES = ("arrays", "builtin", "folder", "loaders", "npz", "pipeline", "stacked", "tfds")
# Public name -> "module:attribute", imported on first access: `import kgan.data` (and its
# NumPy-only modules, such as `kgan.data.builtin` for the mixtures' geometry) loads no TensorFlow.
_PUBLIC = {
    "check_labels": "kgan.data.arrays:check_labels",
    "sample_shape": "kgan.data.arrays:sample_shape",
    "to_float_samples": "kgan.data.arrays:to_float_samples",
    "uint8_to_float": "kgan.data.arrays:uint8_to_float",
    "BUILTIN": "kgan.data.builtin:BUILTIN",
    "DIGITS_TRAIN": "kgan.data.builtin:DIGITS_TRAIN",
    "GRID25_STD": "kgan.data.builtin:GRID25_STD",
    "MIXTURES": "kgan.data.builtin:MIXTURES",
    "MIXTURE_EXAMPLES": "kgan.data.builtin:MIXTURE_EXAMPLES",
    "RING8_RADIUS": "kgan.data.builtin:RING8_RADIUS",
    "RING8_STD": "kgan.data.builtin:RING8_STD",
    "digits_arrays": "kgan.data.builtin:digits_arrays",
    "grid25_centers": "kgan.data.builtin:grid25_centers",
    "mixture_arrays": "kgan.data.builtin:mixture_arrays",
    "ring8_centers": "kgan.data.builtin:ring8_centers",
    "IMAGE_SUFFIXES": "kgan.data.folder:IMAGE_SUFFIXES",
    "MAX_IMAGE_PIXELS": "kgan.data.folder:MAX_IMAGE_PIXELS",
    "folder_arrays": "kgan.data.folder:folder_arrays",
    "from_folder": "kgan.data.folder:from_folder",
    "DatasetInfo": "kgan.data.loaders:DatasetInfo",
    "describe": "kgan.data.loaders:describe",
    "load": "kgan.data.loaders:load",
    "load_arrays": "kgan.data.loaders:load_arrays",
    "npz_arrays": "kgan.data.npz:npz_arrays",
    "from_arrays": "kgan.data.pipeline:from_arrays",
    "prepare_dataset": "kgan.data.pipeline:prepare_dataset",
    "resumable_batches": "kgan.data.pipeline:resumable_batches",
    "STACKED_EXAMPLES": "kgan.data.stacked:STACKED_EXAMPLES",
    "STACKED_MODES": "kgan.data.stacked:STACKED_MODES",
    "mnist_arrays": "kgan.data.stacked:mnist_arrays",
    "read_idx": "kgan.data.stacked:read_idx",
    "stacked_mnist_arrays": "kgan.data.stacked:stacked_mnist_arrays",
    "triple_index": "kgan.data.stacked:triple_index",
    "triples": "kgan.data.stacked:triples",
}
# The modules themselves, as attributes of the package.
_PUBLIC.update({name: f"kgan.data.{name}" for name in _MODULES})

__getattr__, __dir__ = _lazy.attributes(__name__, _PUBLIC)

__all__ = sorted(n for n in _PUBLIC if n not in _MODULES)
