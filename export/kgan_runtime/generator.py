"""Load an ONNX generator exported by kgan and sample from it, without TensorFlow."""

from __future__ import annotations

import contextlib
import math
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ._validation import DEFAULT_MAX_BYTES, check_budget, check_int, check_max_bytes, one_line
from .contract import LABEL_INPUT, LATENT_INPUT, OUTPUT, Contract
from .errors import InferenceError, InvalidInputError, ModelLoadError
from .latents import check_labels, sample_latents

__all__ = ["MAX_THREADS", "OnnxGenerator"]

MAX_THREADS = 256
"""Largest accepted ``threads``: more intra-op threads than cores only slow onnxruntime
down, and very large counts make it crawl or abort while creating its thread pool."""


def _provider_name(entry: Any) -> str:
    return entry[0] if isinstance(entry, tuple) else entry


def _check_providers(providers: Sequence[Any] | None) -> list[Any]:
    if providers is None:
        return ["CPUExecutionProvider"]
    if isinstance(providers, (str, bytes)) or not isinstance(providers, Sequence):
        raise InvalidInputError(
            f"providers must be a list such as ['CPUExecutionProvider']; got {providers!r}."
        )
    names = []
    for entry in providers:
        if isinstance(entry, str):
            names.append(entry)
        elif (
            isinstance(entry, tuple)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], dict)
        ):
            names.append(entry[0])
        else:
            raise InvalidInputError(
                f"each provider must be a name or a (name, options_dict) tuple; got {entry!r}."
            )
    available = ort.get_available_providers()
    if not any(name in available for name in names):
        raise InvalidInputError(
            f"none of the requested onnxruntime providers {names} is available; "
            f"available: {available}."
        )
    return list(providers)


class OnnxGenerator:
    """A kgan generator loaded from an ONNX file, run with onnxruntime.

    The file must carry kgan's contract in the ONNX ``metadata_props`` under
    ``"kgan.contract"``. The contract is validated on load, including against the
    ONNX graph's real input/output names, dtypes, ranks and fixed dimensions.

    Args:
        path: Path of the ``.onnx`` file.
        providers: onnxruntime execution providers, names or ``(name, options)``
            tuples, in priority order. Default ``["CPUExecutionProvider"]``.
            Unavailable providers are skipped by onnxruntime (with a warning);
            at least one must be available.
        threads: Threads for onnxruntime's intra-op pool (``intra_op_num_threads``),
            1 to ``MAX_THREADS`` (256); ``None`` lets onnxruntime decide.
        max_bytes: Memory budget of one :meth:`sample` or :meth:`__call__`: a call
            whose latents, labels and output together would take more than this many
            bytes is refused with :class:`InvalidInputError` before anything is
            allocated. Default 4 GiB; ``None`` disables the limit.

    Raises:
        ModelLoadError: If the file is missing, unreadable, not a regular file,
            truncated or not ONNX, has no kgan contract, or the contract is invalid
            or does not match the graph.
        InvalidInputError: If ``path``, ``providers``, ``threads`` or ``max_bytes``
            is invalid.

    Example:
        >>> gen = OnnxGenerator("generator.onnx")  # doctest: +SKIP
        >>> images = gen.sample(16, seed=0)  # doctest: +SKIP
        >>> images.shape, images.dtype  # doctest: +SKIP
        ((16, 28, 28, 1), dtype('float32'))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        providers: Sequence[Any] | None = None,
        threads: int | None = None,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
    ) -> None:
        try:
            self._path = Path(os.fspath(path))
        except TypeError as err:
            raise InvalidInputError(
                f"path must be a str or os.PathLike; got {type(path).__name__}."
            ) from err
        provider_list = _check_providers(providers)
        if threads is not None:
            threads = check_int(threads, "threads", maximum=MAX_THREADS)
        self._max_bytes = check_max_bytes(max_bytes)

        where = str(self._path)
        self._check_file()
        options = ort.SessionOptions()
        # ENABLE_ALL includes the NCHWc layout transformer: ~2x faster convolutions on CPU
        # than ENABLE_EXTENDED (scripts/bench_inference.py).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle intra-op threads sleep instead of spinning: batches of 256 run up to ~1.5x
        # faster on a busy machine (spinning workers take the cores from the thread doing
        # the work) and within ~3% on a quiet one; batch 1 costs ~0.03 ms more on a quiet
        # machine (scripts/bench_inference.py compares both).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 4  # Fatal only: failures are raised as exceptions instead.
        if threads is not None:
            options.intra_op_num_threads = threads
        # onnxruntime retries a failed load with its fallback providers, printing to stdout;
        # for a CPU-only list that retry is the same load again, so it is turned off.
        cpu_only = all(_provider_name(p) == "CPUExecutionProvider" for p in provider_list)
        try:
            self._session = ort.InferenceSession(
                where, options, providers=provider_list, enable_fallback=0 if cpu_only else 1
            )
        except Exception as err:  # onnxruntime raises plain Exception subclasses.
            raise ModelLoadError(
                f"{where}: onnxruntime cannot load this file (not ONNX, truncated or "
                f"an invalid graph): {one_line(err)}"
            ) from err
        self._contract = Contract.from_session(self._session, source=where)
        self._contract.check_graph(self._session, source=where)
        self._output_dtype = np.dtype(self._contract.output.dtype)
        # Bytes one sample costs in a call: float32 latents, int32 labels and the output.
        self._bytes_per_sample = (
            4 * self.latent_dim
            + (0 if self.num_classes is None else 4)
            + math.prod(self.output_shape[1:]) * self._output_dtype.itemsize
        )

    def _check_file(self) -> None:
        path = self._path
        try:
            info = path.stat()  # Follows symlinks, like onnxruntime's open().
        except (OSError, ValueError) as err:  # ValueError: embedded NUL byte.
            if isinstance(err, FileNotFoundError):
                raise ModelLoadError(f"model file not found: {path}") from err
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise ModelLoadError(f"cannot read model file {path}: {one_line(reason)}") from err
        if stat.S_ISDIR(info.st_mode):
            raise ModelLoadError(f"{path} is a directory; expected an ONNX model file.")
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device (/dev/zero, /dev/stdin...) could block or never end.
            raise ModelLoadError(
                f"{path} is not a regular file (a pipe, socket or device); "
                f"expected an ONNX model file."
            )
        if info.st_size == 0:
            raise ModelLoadError(f"{path} is empty (0 bytes); expected an ONNX model file.")
        try:
            with path.open("rb") as f:
                f.read(1)
        except OSError as err:
            raise ModelLoadError(f"cannot read model file {path}: {err.strerror or err}") from err

    # -- Properties --------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """Path of the loaded ``.onnx`` file."""
        return self._path

    @property
    def contract(self) -> dict[str, Any]:
        """The parsed ``kgan.contract`` JSON object (a copy; changing it has no effect).

        :attr:`typed_contract` is the same as a :class:`~kgan_runtime.contract.Contract`.
        """
        return self._contract.to_dict()

    @property
    def typed_contract(self) -> Contract:
        """The contract as a frozen :class:`~kgan_runtime.contract.Contract`."""
        return self._contract

    @property
    def latent_dim(self) -> int:
        """Size of one latent vector ``z``."""
        return self._contract.latent_dim

    @property
    def num_classes(self) -> int | None:
        """Number of classes of a conditional generator, ``None`` if unconditional."""
        return self._contract.num_classes

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        """Shape of the output with ``None`` for the batch, e.g. ``(None, 28, 28, 1)``."""
        return self._contract.output.shape

    @property
    def output_dtype(self) -> np.dtype:
        """NumPy dtype of the samples: float32 or uint8."""
        return self._output_dtype

    @property
    def layout(self) -> str:
        """``"NHWC"`` for images or ``"NF"`` for flat feature vectors."""
        return self._contract.layout

    @property
    def value_range(self) -> tuple[float, float]:
        """``(low, high)`` of the sample values, e.g. ``(-1.0, 1.0)`` or ``(0.0, 255.0)``."""
        return self._contract.value_range

    @property
    def max_bytes(self) -> int | None:
        """Memory budget of one call in bytes (``None``: unlimited); see the class doc."""
        return self._max_bytes

    @property
    def input_names(self) -> tuple[str, ...]:
        """ONNX input names: ``("z",)``, or ``("z", "labels")`` if conditional."""
        return self._contract.input_names

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self._path)!r}, latent_dim={self.latent_dim}, "
            f"num_classes={self.num_classes}, output_shape={self.output_shape}, "
            f"output_dtype={self.output_dtype}, layout={self.layout!r})"
        )

    # -- Sampling ----------------------------------------------------------------------------

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        labels: Any = None,
        batch_size: int = 256,
    ) -> np.ndarray:
        """Draw ``n`` latents from ``seed`` and generate ``n`` samples.

        The latents are ``sample_latents(n, latent_dim, seed)``, all drawn before
        the first batch runs, so the result does not depend on ``batch_size`` and
        matches kgan's TensorFlow sampling for the same seed.

        Args:
            n: Number of samples (>= 1).
            seed: Non-negative integer seed; ``None`` for fresh OS entropy.
            labels: Conditional generators only: class ids in ``[0, num_classes)``,
                a length-``n`` integer array-like or a single integer for all
                samples. Default ``numpy.arange(n) % num_classes``. Must be
                ``None`` for unconditional generators.
            batch_size: Maximum number of samples per onnxruntime call (>= 1).

        Returns:
            Array of shape ``(n, *output_shape[1:])`` with dtype ``output_dtype``.

        Raises:
            InvalidInputError: For invalid ``n``, ``seed``, ``labels`` or ``batch_size``,
                or if ``n`` samples would exceed ``max_bytes``.
            InferenceError: If onnxruntime fails or returns an unexpected shape/dtype
                or NaN/Inf values.

        Example:
            >>> gen = OnnxGenerator("generator.onnx")  # doctest: +SKIP
            >>> gen.sample(64, seed=0, batch_size=16).shape  # doctest: +SKIP
            (64, 28, 28, 1)
        """
        n = check_int(n, "n")
        batch_size = check_int(batch_size, "batch_size")
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        self._check_budget(n)
        with _out_of_memory(f"generating {n} samples"):
            label_array = self._prepare_labels(labels, n)
            z = sample_latents(n, self.latent_dim, seed, max_bytes=None)
            return self._generate(z, label_array, batch_size)

    def __call__(self, z: Any, labels: Any = None, *, batch_size: int | None = None) -> np.ndarray:
        """Generate samples from latents made by the caller.

        Args:
            z: Latents of shape ``(batch, latent_dim)``, ``batch >= 1``, all finite.
                Any real floating dtype (float16/32/64) is accepted and cast to
                float32; integer, bool, complex and object arrays are rejected.
            labels: As in :meth:`sample`, with ``batch`` in place of ``n``.
            batch_size: Maximum samples per onnxruntime call; ``None`` runs the whole
                batch in one call.

        Returns:
            Array of shape ``(batch, *output_shape[1:])`` with dtype ``output_dtype``.

        Raises:
            InvalidInputError: For invalid ``z``, ``labels`` or ``batch_size``, or if
                the call would exceed ``max_bytes``.
            InferenceError: If onnxruntime fails or returns an unexpected shape/dtype
                or NaN/Inf values.

        Example:
            >>> gen = OnnxGenerator("generator.onnx")  # doctest: +SKIP
            >>> z = numpy.zeros((2, gen.latent_dim), numpy.float32)  # doctest: +SKIP
            >>> gen(z).shape  # doctest: +SKIP
            (2, 28, 28, 1)
        """
        with _out_of_memory("generating from the given z"):
            z32 = self._prepare_z(z)
            if batch_size is not None:
                batch_size = check_int(batch_size, "batch_size")
            label_array = self._prepare_labels(labels, z32.shape[0])
            return self._generate(z32, label_array, batch_size or z32.shape[0])

    def _check_budget(self, n: int) -> None:
        check_budget(n * self._bytes_per_sample, self._max_bytes, f"generating {n} samples")

    def _prepare_z(self, z: Any) -> np.ndarray:
        d = self.latent_dim
        try:
            arr = np.asarray(z)
        except Exception as err:  # Any failure of the caller's object to convert.
            raise InvalidInputError(
                f"z must be an array of shape (batch, {d}); cannot convert it: {one_line(err)}"
            ) from err
        if arr.dtype.kind != "f":
            raise InvalidInputError(
                f"z must have a real floating dtype (float16, float32 or float64); "
                f"got dtype {arr.dtype}."
            )
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != d:
            raise InvalidInputError(
                f"z must have shape (batch, {d}) with batch >= 1; got {arr.shape}."
            )
        # Before the float32 copy: a broadcast view can be huge without owning memory.
        self._check_budget(arr.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            z32 = np.ascontiguousarray(arr, dtype=np.float32)
        finite = np.isfinite(z32)
        if not finite.all():
            bad = int((~finite).sum())
            row, col = (int(i) for i in np.argwhere(~finite)[0])
            raise InvalidInputError(
                f"z must be finite; got {bad} NaN/Inf value(s) after conversion to float32, "
                f"first at index ({row}, {col})."
            )
        return z32

    def _prepare_labels(self, labels: Any, n: int) -> np.ndarray | None:
        return check_labels(labels, n, self.num_classes)

    def _generate(self, z: np.ndarray, labels: np.ndarray | None, batch_size: int) -> np.ndarray:
        total = z.shape[0]
        if total <= batch_size:
            return self._run(z, labels)
        out = np.empty((total, *self.output_shape[1:]), dtype=self._output_dtype)
        for start in range(0, total, batch_size):
            stop = min(start + batch_size, total)
            out[start:stop] = self._run(
                z[start:stop], None if labels is None else labels[start:stop]
            )
        return out

    def _run(self, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        feeds = {LATENT_INPUT: np.ascontiguousarray(z)}
        if labels is not None:
            feeds[LABEL_INPUT] = np.ascontiguousarray(labels)
        batch = z.shape[0]
        try:
            (result,) = self._session.run([OUTPUT], feeds)
        except Exception as err:  # onnxruntime raises plain Exception subclasses.
            raise InferenceError(
                f"{self._path}: onnxruntime failed on a batch of {batch}: {one_line(err)}"
            ) from err
        expected = (batch, *self.output_shape[1:])
        if not isinstance(result, np.ndarray) or result.shape != expected:
            got = result.shape if isinstance(result, np.ndarray) else type(result).__name__
            raise InferenceError(
                f"{self._path}: the model returned shape {got}; the kgan contract "
                f"promises {expected}."
            )
        if result.dtype != self._output_dtype:
            raise InferenceError(
                f"{self._path}: the model returned dtype {result.dtype}; the kgan contract "
                f"promises {self._output_dtype}."
            )
        if result.dtype.kind == "f":
            finite = np.isfinite(result)
            if not finite.all():
                raise InferenceError(
                    f"{self._path}: the model returned {int(finite.size - finite.sum())} "
                    f"NaN/Inf value(s) in a batch of {batch} (corrupted weights?)."
                )
        return result


@contextlib.contextmanager
def _out_of_memory(what: str) -> Iterator[None]:
    """A MemoryError (``max_bytes=None`` lets requests reach the allocator) becomes an
    :class:`InvalidInputError`, inside the runtime's error contract."""
    try:
        yield
    except MemoryError as err:
        raise InvalidInputError(
            f"{what} needs more memory than is available ({one_line(err)}); ask for fewer "
            "samples per call, or keep max_bytes set so that such requests are refused first."
        ) from err
