"""Sample sources: where the samples an evaluation reads come from, batch by batch.

A *source* is a callable `(n) -> batch of n samples` (such as
`sampler(gan, seed)`), an array of samples, or an iterable of batches (a
`tf.data.Dataset`, a generator); `iterate_batches` reads any of them as NumPy
batches of bounded size, so 50,000 samples never sit in memory at once.

Example:
    >>> [b.shape[0] for b in iterate_batches(np.zeros((5, 2)), batch_size=2)]
    [2, 2, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kgan.data.arrays import uint8_to_float

__all__ = ["Source", "iterate_batches", "sampler", "to_float_samples"]

Source = Callable[[int], ArrayLike] | Iterable[Any] | np.ndarray
"""A callable `(n) -> batch of n samples`, an array of samples, or an iterable of batches."""


def to_float_samples(batch: np.ndarray) -> np.ndarray:
    """uint8 images in [0, 255] -> float32 NHWC in [-1, 1]; anything else unchanged."""
    if batch.dtype == np.uint8:
        batch = uint8_to_float(batch)
        if batch.ndim == 3:
            batch = batch[..., None]
    return batch


def check_positive(value: Any, name: str, *, allow_none: bool = False) -> int | None:
    """`value` as an int >= 1 (or None when allowed); a ValueError naming `name` otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")
    return int(value)


def _first_element(element: Any) -> Any:
    """The samples of a dataset element: `x` of `(x, y)` pairs and `{"image": x}` dicts."""
    if isinstance(element, Mapping):
        for key in ("image", "images", "x", "samples"):
            if key in element:
                return element[key]
        raise ValueError(
            f"A source yielded a dict with keys {sorted(element)}; expected an 'image' key."
        )
    if isinstance(element, (tuple, list)) and element and not np.isscalar(element[0]):
        return element[0]
    return element


def iterate_batches(
    source: Source, *, num_samples: int | None = None, batch_size: int = 250
) -> Iterator[np.ndarray]:
    """Yields NumPy batches of at most `batch_size` samples from a source.

    Args:
        source: a callable `(n) -> n samples` (e.g. `sampler(gan)`: then
            `num_samples` is required), an array of samples (a list or tuple
            is read as one array, like `np.asarray`), or an iterable of
            batches (a `tf.data.Dataset`, a generator, `iter(list_of_batches)`;
            `(x, y)` pairs and `{"image": x}` dicts yield `x`).
        num_samples: stop after this many samples; None takes the whole array
            or iterable.
        batch_size: the largest batch yielded; bigger batches are split.

    Yields:
        NumPy arrays of shape (b, ...) with 1 <= b <= batch_size.

    Raises:
        ValueError: for a callable without `num_samples`, a callable that
            returns the wrong number of samples, or an array/iterable with
            fewer than `num_samples` samples.

    Example:
        >>> [b.shape[0] for b in iterate_batches(np.zeros((5, 2)), batch_size=2)]
        [2, 2, 1]
    """
    num_samples = check_positive(num_samples, "num_samples", allow_none=True)
    batch_size = check_positive(batch_size, "batch_size")
    if callable(source) and not isinstance(source, np.ndarray) and not hasattr(source, "__iter__"):
        if num_samples is None:
            raise ValueError("A callable source needs num_samples: how many samples to draw.")
        done = 0
        while done < num_samples:
            want = min(batch_size, num_samples - done)
            batch = np.asarray(source(want))
            if batch.ndim < 1 or batch.shape[0] != want:
                raise ValueError(
                    f"The source was asked for {want} samples and returned shape {batch.shape}."
                )
            done += want
            yield batch
        return

    if isinstance(source, (np.ndarray, list, tuple)) or (
        not hasattr(source, "__iter__") and hasattr(source, "__array__")
    ):
        iterable: Iterable[Any] = [np.asarray(source)]
    elif isinstance(source, (str, bytes)) or not hasattr(source, "__iter__"):
        raise ValueError(
            "source must be a callable (n) -> samples, an array, or an iterable of batches; "
            f"got {type(source).__name__}."
        )
    else:
        iterable = source
    done = 0
    for element in iterable:
        batch = np.asarray(_first_element(element))
        if batch.ndim < 1:
            raise ValueError(f"A source batch must have a batch dimension; got {batch.shape}.")
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size]
            if num_samples is not None:
                chunk = chunk[: num_samples - done]
            if chunk.shape[0] == 0:
                break
            done += chunk.shape[0]
            yield chunk
            if num_samples is not None and done >= num_samples:
                return
    if num_samples is not None and done < num_samples:
        raise ValueError(f"The source ran out after {done} samples; num_samples={num_samples}.")


def sampler(model: Any, seed: int | None = 0, *, labels: Any = None) -> Callable[[int], np.ndarray]:
    """A source `(n) -> n samples` drawing from a generator, batch after batch.

    Call k uses the seed `SeedSequence([seed, k])`, so a fixed `seed` gives
    the same stream of samples every time a new sampler is made.

    Args:
        model: a `kgan.GAN` (its `generate`), a `kgan_runtime.OnnxGenerator`
            (its `sample`), a generator `keras.Model` mapping `z` (and labels)
            to samples, or any object with `generate(n, seed=...)`.
        seed: base seed; None draws fresh latents every call.
        labels: for conditional generators: an int class for all samples, or
            None for `arange(n) % num_classes`.

    Returns:
        A callable `(n) -> np.ndarray` of n samples.

    Example:
        >>> source = sampler(gan, seed=0)  # doctest: +SKIP
        >>> stats = extract_features(source, RawFeatures(), num_samples=10_000).stats
        ... # doctest: +SKIP
    """
    calls = [0]

    def next_seed() -> int | None:
        if seed is None:
            return None
        state = np.random.SeedSequence([int(seed), calls[0]]).generate_state(1)[0]
        calls[0] += 1
        return int(state)

    if hasattr(model, "generate") and callable(model.generate):

        def draw(n: int) -> np.ndarray:
            kwargs = {}
            if labels is not None:
                kwargs["labels"] = np.full(n, int(labels), np.int32)
            return np.asarray(model.generate(n, seed=next_seed(), **kwargs))

        return draw
    if hasattr(model, "sample") and callable(model.sample) and hasattr(model, "latent_dim"):

        def draw_onnx(n: int) -> np.ndarray:
            return np.asarray(model.sample(n, seed=next_seed(), labels=labels))

        return draw_onnx
    import keras

    if isinstance(model, keras.Model):
        return _keras_sampler(model, labels, next_seed)
    raise ValueError(
        "model must be a kgan.GAN, a kgan_runtime.OnnxGenerator, a generator keras.Model, or "
        f"have generate(n, seed=...); got {type(model).__name__}."
    )


def _keras_sampler(
    model: Any, labels: Any, next_seed: Callable[[], int | None]
) -> Callable[[int], np.ndarray]:
    from kgan.core.signature import generator_signature
    from kgan.eval.extractors import compiled_forward
    from kgan_runtime.latents import default_labels, sample_latents

    latent_dim, num_classes = generator_signature(model)
    forward = compiled_forward(model)

    def draw_keras(n: int) -> np.ndarray:
        z = sample_latents(n, latent_dim, next_seed())
        if num_classes is None:
            return np.asarray(forward(z))
        y = default_labels(n, num_classes) if labels is None else np.full(n, int(labels), np.int32)
        return np.asarray(forward([z, y]))

    return draw_keras
