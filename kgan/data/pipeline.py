"""The `tf.data` pipelines: in-memory arrays, resumable batches, and the options they share.

uint8 images become float32 in [-1, 1] through `kgan.data.arrays.uint8_to_float`
before they enter a pipeline (in memory, so that a training step pays nothing
for it; the conversion is checked against `max_bytes` first). Every pipeline
batches with `drop_remainder=True` (so every step sees a full batch, which
`GAN`'s split into `d_steps` minibatches relies on) and prefetches.

Example:
    >>> ds = from_arrays(np.zeros((64, 8, 8), "uint8"), batch_size=32)
    >>> ds.element_spec.shape
    TensorShape([32, 8, 8, 1])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from kgan.data.arrays import check_batch_size, check_integer, check_labels, to_float_samples


def prepare_dataset(dataset: tf.data.Dataset, *, autotune: bool = False) -> tf.data.Dataset:
    """Sets the input options that make `fit` match one device and not stall between epochs.

    - Shards by *data* (every worker runs the same seeded pipeline and keeps
      its share of each global batch) rather than by file: the split of every
      batch over the replicas is then the one `fit` makes on one machine,
      whatever the number of input files. (`kgan.data` builds its datasets
      from in-memory arrays, which TensorFlow would shard by data anyway.)
    - Turns tf.data's autotuning off unless `autotune=True`. Keras makes a new
      iterator every epoch; destroying one whose autotuner runs waits, in
      about half of the epochs here, for the autotuner's next wake-up, and
      those come at 1.27, 2.55, 5.11, ... s (10 ms periods that double): with
      epochs of 1.4 s, `fit` measured 1,006 img/s instead of ~1,900 in those
      epochs (TF 2.21, 2 CPU cores). A cached, batched, prefetched pipeline
      has nothing to tune; keep `autotune=True` for pipelines that decode or
      augment with `num_parallel_calls=tf.data.AUTOTUNE`. The in-memory
      pipelines of `kgan.data` come with these options already.

    Args:
        dataset: a batched dataset whose batch size is the global batch size.
        autotune: leave tf.data's autotuning on.

    Returns:
        The dataset with its options set.

    Example:
        >>> ds = prepare_dataset(tf.data.Dataset.range(8).batch(4))
        >>> ds.options().autotune.enabled
        False
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    options.autotune.enabled = autotune
    return dataset.with_options(options)


def _check_fits(batch_size: int, n: int) -> None:
    check_batch_size(batch_size)
    if batch_size > n:
        raise ValueError(
            f"batch_size={batch_size} is larger than the dataset ({n} examples): "
            "with drop_remainder there would be no batch at all."
        )


def shuffled_batches(
    elements: tf.data.Dataset,
    n: int,
    *,
    batch_size: int,
    seed: int,
    shuffle: bool,
    fetch: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tf.data.Dataset:
    """Caches `n` elements, shuffles and batches them, fetches, prefetches.

    The common tail of `from_arrays` (elements: float samples or `(samples,
    labels)`) and `kgan.data.from_folder` (elements: indices, and `fetch`
    turns each batch of indices into a batch of float images). The order
    depends on `seed`, `n` and TensorFlow's global seed, not on what the
    elements are, so both give the same batches from the same images.
    """
    _check_fits(batch_size, n)
    ds = elements.cache()
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    if fetch is not None:
        ds = ds.map(fetch)
    return prepare_dataset(ds.prefetch(tf.data.AUTOTUNE))


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

    Returns:
        A dataset of float32 batches (images NHWC in [-1, 1]), with int32
        labels when `labels` is given.

    Raises:
        ValueError: for an empty array, a wrong rank or dtype, NaN/Inf, float
            images outside [-1, 1], bad labels or a bad batch size.

    Example:
        >>> ds = from_arrays(np.zeros((64, 8, 8), "uint8"), batch_size=32)
        >>> ds.element_spec.shape
        TensorShape([32, 8, 8, 1])
    """
    x = to_float_samples(x)
    if labels is not None:
        labels = check_labels(labels, len(x))
    _check_fits(batch_size, len(x))
    elements = tf.data.Dataset.from_tensor_slices(x if labels is None else (x, labels))
    return shuffled_batches(elements, len(x), batch_size=batch_size, seed=seed, shuffle=shuffle)


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

    Returns:
        The endless dataset of float32 batches (and int32 labels).

    Raises:
        ValueError: as `from_arrays`, and for a negative `start_step`.

    Example:
        >>> ds = resumable_batches(np.zeros((10, 2), "float32"), batch_size=3, start_step=4)
        >>> next(iter(ds)).shape
        TensorShape([3, 2])
    """
    x = to_float_samples(x)
    if labels is not None:
        labels = check_labels(labels, len(x))
    n = len(x)
    _check_fits(batch_size, n)
    check_integer(start_step, "start_step", minimum=0)
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
