"""The kgan contract: what an exported ONNX generator promises, written and read in one place.

kgan's exporter builds a :class:`Contract` and writes :meth:`Contract.to_json` into the ONNX
file's ``metadata_props`` under :data:`CONTRACT_KEY`; :class:`kgan_runtime.OnnxGenerator` reads
it back with :meth:`Contract.from_session` and checks it against the graph with
:meth:`Contract.check_graph`. The rules are specified for other languages in
``export/CONTRACT.md``.

Example:
    >>> contract = Contract(latent_dim=64, sample_shape=(28, 28, 1), layout="NHWC")
    >>> contract.to_json()[:60]
    '{"format": "kgan-generator", "format_version": 1, "inputs": '
    >>> Contract.from_json(contract.to_json()) == contract
    True
    >>> contract.inputs["z"]
    TensorSpec(dtype='float32', shape=(None, 64))
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ._validation import is_int, one_line
from .errors import InvalidInputError, ModelLoadError
from .latents import MAX_NUM_CLASSES

__all__ = [
    "CONTRACT_KEY",
    "FORMAT",
    "FORMAT_VERSION",
    "LABEL_INPUT",
    "LATENTS",
    "LATENT_INPUT",
    "LAYOUT_RANKS",
    "OUTPUT",
    "OUTPUT_DTYPES",
    "Contract",
    "TensorSpec",
]

CONTRACT_KEY = "kgan.contract"
"""Key of the ONNX ``metadata_props`` entry that holds the contract JSON."""
FORMAT = "kgan-generator"
"""Value of the contract's ``format`` field."""
FORMAT_VERSION = 1
"""The contract ``format_version`` this runtime reads and kgan writes."""
LATENTS = "standard_normal"
"""The only latent distribution: ``default_rng(seed).standard_normal((n, d))`` as float32."""
LATENT_INPUT = "z"
"""Name of the latent input (float32, shape ``[batch, latent_dim]``)."""
LABEL_INPUT = "labels"
"""Name of the class-label input of conditional generators (int32, shape ``[batch]``)."""
OUTPUT = "samples"
"""Name of the output."""
LAYOUT_RANKS = MappingProxyType({"NHWC": 4, "NF": 2})
"""Output rank of each layout (batch included): images ``NHWC`` or feature vectors ``NF``."""
OUTPUT_DTYPES = ("float32", "uint8")
"""Dtypes an output may have."""

_REQUIRED_KEYS = (
    "format",
    "format_version",
    "latent_dim",
    "inputs",
    "outputs",
    "layout",
    "value_range",
    "num_classes",
    "latents",
)
_OPTIONAL_KEYS = ("opset", "versions")
# Contract dtype name -> onnxruntime type string.
_ORT_TYPES = {"float32": "tensor(float)", "int32": "tensor(int32)", "uint8": "tensor(uint8)"}

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class TensorSpec:
    """The dtype and shape of one graph input or output; ``None`` marks the dynamic batch."""

    dtype: str
    shape: Shape

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"dtype": "float32", "shape": [null, 64]}`` (null as ``None``)."""
        return {"dtype": self.dtype, "shape": list(self.shape)}


class _Invalid(Exception):
    """One broken rule of the contract (the message, without where it was found)."""


@dataclass(frozen=True)
class Contract:
    """The typed kgan contract of an exported generator.

    Every instance is valid: the constructor checks the same rules as
    :meth:`from_json` (``export/CONTRACT.md``). ``format``, ``format_version``,
    ``latents`` and the input/output names and dtypes are fixed by the format, so they
    are not fields; ``inputs`` and ``outputs`` are derived from the fields.

    Args:
        latent_dim: Size of one latent vector ``z`` (>= 1).
        sample_shape: Shape of one sample, without the batch: ``(height, width,
            channels)`` for ``layout="NHWC"``, ``(features,)`` for ``layout="NF"``.
        layout: ``"NHWC"`` (images) or ``"NF"`` (feature vectors, e.g. 2-D points).
        sample_dtype: ``"float32"`` or ``"uint8"``.
        value_range: ``(low, high)`` of the sample values; default ``(-1.0, 1.0)`` for
            float32 and ``(0, 255)`` (which uint8 requires) for uint8. Integers stay
            integers in the JSON (``[0, 255]``), floats stay floats (``[-1.0, 1.0]``).
        num_classes: Class count of a conditional generator (2 to 2**31), or ``None``.
        opset: The ONNX opset the file was converted with (informational), or ``None``.
        versions: Versions of the tools that wrote the file (informational), or ``None``.
        extra: Further top-level keys, kept as they are (readers ignore unknown keys).

    Raises:
        InvalidInputError: If a field breaks a rule; the message names the rule.

    Example:
        >>> c = Contract(latent_dim=8, sample_shape=(2,), layout="NF", num_classes=3)
        >>> c.input_names, c.output
        (('z', 'labels'), TensorSpec(dtype='float32', shape=(None, 2)))
    """

    latent_dim: int
    sample_shape: tuple[int, ...]
    layout: str
    sample_dtype: str = "float32"
    value_range: tuple[float, float] | None = None
    num_classes: int | None = None
    opset: int | None = None
    versions: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        value_range = self.value_range
        if value_range is None:
            uint8 = isinstance(self.sample_dtype, str) and self.sample_dtype == "uint8"
            value_range = (0, 255) if uint8 else (-1.0, 1.0)
        elif isinstance(value_range, (tuple, list)) or (
            isinstance(value_range, np.ndarray) and value_range.ndim == 1
        ):  # NumPy scalars as Python numbers.
            value_range = tuple(v.item() if isinstance(v, np.generic) else v for v in value_range)
        object.__setattr__(self, "value_range", value_range)
        try:
            if not isinstance(self.extra, Mapping):
                raise _Invalid(f"extra must be a mapping; got {self.extra!r}.")
            clash = sorted(
                str(k)
                for k in self.extra
                if not isinstance(k, str) or k in _REQUIRED_KEYS or k in _OPTIONAL_KEYS
            )
            if clash:
                raise _Invalid(
                    f"extra keys must be strings other than the known keys; got {clash}."
                )
            _check(self._as_json_object())
        except _Invalid as err:
            raise InvalidInputError(one_line(f"invalid kgan contract: {err}")) from None
        # Plain Python values from here on (numpy integers, lists and dicts are accepted).
        object.__setattr__(self, "latent_dim", int(self.latent_dim))
        object.__setattr__(self, "sample_shape", tuple(int(d) for d in self.sample_shape))
        low, high = (int(v) if is_int(v) else float(v) for v in self.value_range)
        object.__setattr__(self, "value_range", (low, high))
        if self.num_classes is not None:
            object.__setattr__(self, "num_classes", int(self.num_classes))
        if self.opset is not None:
            object.__setattr__(self, "opset", int(self.opset))
        if self.versions is not None:
            object.__setattr__(self, "versions", _frozen(self.versions))
        object.__setattr__(self, "extra", _frozen(self.extra))

    # -- Derived views -----------------------------------------------------------------------

    @property
    def inputs(self) -> dict[str, TensorSpec]:
        """``{"z": float32 [None, latent_dim]}``, plus ``"labels": int32 [None]`` if conditional."""
        specs = {LATENT_INPUT: TensorSpec("float32", (None, self.latent_dim))}
        if self.num_classes is not None:
            specs[LABEL_INPUT] = TensorSpec("int32", (None,))
        return specs

    @property
    def input_names(self) -> tuple[str, ...]:
        """``("z",)``, or ``("z", "labels")`` if conditional."""
        return tuple(self.inputs)

    @property
    def output(self) -> TensorSpec:
        """The ``samples`` output: ``sample_dtype``, shape ``(None, *sample_shape)``."""
        return TensorSpec(self.sample_dtype, (None, *self.sample_shape))

    @property
    def outputs(self) -> dict[str, TensorSpec]:
        """``{"samples": output}``."""
        return {OUTPUT: self.output}

    # -- Writing -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The contract as a JSON object (a fresh copy: changing it changes nothing here).

        ``opset`` and ``versions`` are left out when ``None``; ``extra`` keys come last.
        """
        return copy.deepcopy(self._as_json_object())

    def to_json(self) -> str:
        """The JSON text kgan writes: ``json.dumps(to_dict(), sort_keys=True)``.

        Keys sorted, ``", "`` and ``": "`` separators, non-ASCII escaped: the same bytes
        for the same contract, whatever wrote it.
        """
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_metadata(self) -> dict[str, str]:
        """``{CONTRACT_KEY: to_json()}``: the ONNX ``metadata_props`` entry to write."""
        return {CONTRACT_KEY: self.to_json()}

    def _as_json_object(self) -> dict[str, Any]:
        shape = self.sample_shape
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
            raise _Invalid(f"sample_shape must be a sequence of positive integers; got {shape!r}.")
        value_range = self.value_range
        if isinstance(value_range, (tuple, list)):
            value_range = list(value_range)
        inputs: dict[str, Any] = {
            LATENT_INPUT: {"dtype": "float32", "shape": [None, self.latent_dim]}
        }
        if self.num_classes is not None:
            inputs[LABEL_INPUT] = {"dtype": "int32", "shape": [None]}
        raw: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "latent_dim": self.latent_dim,
            "inputs": inputs,
            "outputs": {OUTPUT: {"dtype": self.sample_dtype, "shape": [None, *shape]}},
            "layout": self.layout,
            "value_range": value_range,
            "num_classes": self.num_classes,
            "latents": LATENTS,
        }
        if self.opset is not None:
            raw["opset"] = self.opset
        if self.versions is not None:
            versions = self.versions
            raw["versions"] = dict(versions) if isinstance(versions, Mapping) else versions
        if isinstance(self.extra, Mapping):
            raw.update(_thawed(self.extra))
        return raw

    # -- Reading -----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, raw: Any, *, source: str | None = None) -> Contract:
        """Parse a contract JSON object (as ``json.loads`` returns it).

        Args:
            raw: The decoded JSON value.
            source: Where it came from (a file path), to start error messages with.

        Returns:
            The contract. Unknown top-level keys are kept in ``extra``.

        Raises:
            ModelLoadError: ``"<source>: invalid kgan contract: <rule>"`` for the first
                broken rule, in the order of ``export/CONTRACT.md``.

        Example:
            >>> try:
            ...     Contract.from_dict([1, 2], source="m.onnx")
            ... except ModelLoadError as err:
            ...     print(err)
            m.onnx: invalid kgan contract: expected a JSON object; got list.
        """
        try:
            _check(raw)
        except _Invalid as err:
            raise ModelLoadError(f"{_prefix(source)}invalid kgan contract: {err}") from None
        output = raw["outputs"][OUTPUT]
        known = (*_REQUIRED_KEYS, *_OPTIONAL_KEYS)
        return cls(
            latent_dim=raw["latent_dim"],
            sample_shape=tuple(output["shape"][1:]),
            layout=raw["layout"],
            sample_dtype=output["dtype"],
            value_range=tuple(raw["value_range"]),
            num_classes=raw["num_classes"],
            opset=raw.get("opset"),
            versions=raw.get("versions"),
            extra={key: value for key, value in raw.items() if key not in known},
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None) -> Contract:
        """Parse the contract JSON text (the value of the ``kgan.contract`` entry).

        Raises:
            ModelLoadError: If the text is not JSON, or for the first broken rule.

        Example:
            >>> text = Contract(latent_dim=2, sample_shape=(2,), layout="NF").to_json()
            >>> Contract.from_json(text).value_range
            (-1.0, 1.0)
        """
        try:
            raw = json.loads(text, object_pairs_hook=_unique_keys)
        # ValueError covers JSONDecodeError and integers longer than Python's digit limit.
        except (ValueError, RecursionError) as err:
            raise ModelLoadError(
                f"{_prefix(source)}invalid kgan contract: {CONTRACT_KEY!r} is not valid JSON "
                f"({err})."
            ) from err
        return cls.from_dict(raw, source=source)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str], *, source: str | None = None) -> Contract:
        """Parse the contract from an ONNX model's ``metadata_props`` (as a key -> value map).

        Raises:
            ModelLoadError: If there is no :data:`CONTRACT_KEY` entry ("not a kgan
                generator"), or as :meth:`from_json`.
        """
        text = metadata.get(CONTRACT_KEY)
        if text is None:
            raise ModelLoadError(
                f"{_prefix(source)}not a kgan generator: the ONNX metadata_props have no "
                f"{CONTRACT_KEY!r} entry (found keys: {sorted(metadata)}); "
                f"export the generator with kgan."
            )
        return cls.from_json(text, source=source)

    @classmethod
    def from_session(cls, session: Any, *, source: str | None = None) -> Contract:
        """Parse the contract of a loaded ``onnxruntime.InferenceSession``.

        Raises:
            ModelLoadError: If the metadata cannot be read, or as :meth:`from_metadata`.
        """
        try:
            metadata = dict(session.get_modelmeta().custom_metadata_map)
        except Exception as err:  # onnxruntime raises plain Exception subclasses.
            raise ModelLoadError(
                f"{_prefix(source)}cannot read ONNX metadata: {one_line(err)}"
            ) from err
        return cls.from_metadata(metadata, source=source)

    # -- Checking a graph --------------------------------------------------------------------

    def check_graph(self, session: Any, *, source: str | None = None) -> None:
        """Raise if the contract lies about the graph's names, dtypes, ranks or sizes.

        Inputs must match exactly, with every size the contract fixes (``latent_dim``)
        stated by the graph; the output may leave sizes symbolic or its rank unknown,
        which the runtime then checks on every run.

        Args:
            session: An ``onnxruntime.InferenceSession`` of the file (anything with
                ``get_inputs()``/``get_outputs()`` returning objects with ``name``,
                ``type`` and ``shape``).
            source: Where the file came from, to start error messages with.

        Raises:
            ModelLoadError: For the first disagreement (CONTRACT.md, "Checks against
                the graph").
        """
        where = _prefix(source)
        try:
            # onnxruntime decodes names, types and dimension names lazily; a corrupted file
            # can hold bytes that are not UTF-8 there (UnicodeDecodeError).
            inputs = [(a.name, a.type, list(a.shape or [])) for a in session.get_inputs()]
            outputs = [(a.name, a.type, list(a.shape or [])) for a in session.get_outputs()]
        except Exception as err:
            raise ModelLoadError(
                f"{where}cannot read the ONNX graph's inputs and outputs "
                f"(corrupted file?): {one_line(err)}"
            ) from err
        _check_args(where, "input", inputs, self.inputs, strict=True)
        _check_args(where, "output", outputs, self.outputs, strict=False)


# -- The rules (CONTRACT.md), in the order they are checked ----------------------------------


def _check(raw: Any) -> None:
    """Raise :class:`_Invalid` for the first rule ``raw`` breaks."""
    if not isinstance(raw, dict):
        raise _Invalid(f"expected a JSON object; got {type(raw).__name__}.")
    missing = [key for key in _REQUIRED_KEYS if key not in raw]
    if missing:
        raise _Invalid(f"missing required key(s) {missing}.")

    if raw["format"] != FORMAT:
        raise _Invalid(f"format must be {FORMAT!r}; got {raw['format']!r}.")
    version = raw["format_version"]
    if not is_int(version):
        raise _Invalid(f"format_version must be an integer; got {version!r}.")
    if version != FORMAT_VERSION:
        raise _Invalid(
            f"unsupported format_version {version}; this kgan-runtime reads "
            f"format_version {FORMAT_VERSION} (upgrade kgan-runtime for newer models)."
        )
    latent_dim = raw["latent_dim"]
    if not is_int(latent_dim) or latent_dim < 1:
        raise _Invalid(f"latent_dim must be an integer >= 1; got {latent_dim!r}.")
    num_classes = raw["num_classes"]
    if num_classes is not None and (
        not is_int(num_classes) or not 2 <= num_classes <= MAX_NUM_CLASSES
    ):
        raise _Invalid(
            f"num_classes must be null or an integer in [2, {MAX_NUM_CLASSES}] "
            f"(labels are int32); got {num_classes!r}."
        )
    layout = raw["layout"]
    if not isinstance(layout, str) or layout not in LAYOUT_RANKS:
        raise _Invalid(f"layout must be one of {sorted(LAYOUT_RANKS)}; got {layout!r}.")
    if raw["latents"] != LATENTS:
        raise _Invalid(f"latents must be {LATENTS!r}; got {raw['latents']!r}.")
    opset = raw.get("opset")
    if opset is not None and not (is_int(opset) and opset >= 1):
        raise _Invalid(f"opset must be an integer >= 1; got {opset!r}.")
    if "versions" in raw and not isinstance(raw["versions"], dict):
        raise _Invalid(f"versions must be an object; got {raw['versions']!r}.")

    expected_inputs = [LATENT_INPUT] if num_classes is None else [LATENT_INPUT, LABEL_INPUT]
    inputs = _tensor_map(raw["inputs"], "inputs", expected_inputs)
    z = inputs[LATENT_INPUT]
    if z.dtype != "float32":
        raise _Invalid(f"inputs.z.dtype must be 'float32'; got {z.dtype!r}.")
    if z.shape != (None, latent_dim):
        raise _Invalid(
            f"inputs.z.shape must be [null, {latent_dim}] (latent_dim is {latent_dim}); "
            f"got {_json_shape(z.shape)}."
        )
    if num_classes is not None:
        labels = inputs[LABEL_INPUT]
        if labels.dtype != "int32":
            raise _Invalid(f"inputs.labels.dtype must be 'int32'; got {labels.dtype!r}.")
        if labels.shape != (None,):
            raise _Invalid(f"inputs.labels.shape must be [null]; got {_json_shape(labels.shape)}.")

    output = _tensor_map(raw["outputs"], "outputs", [OUTPUT])[OUTPUT]
    if output.dtype not in OUTPUT_DTYPES:
        raise _Invalid(
            f"outputs.samples.dtype must be one of {list(OUTPUT_DTYPES)}; got {output.dtype!r}."
        )
    rank = LAYOUT_RANKS[layout]
    if (
        len(output.shape) != rank
        or output.shape[0] is not None
        or any(dim is None for dim in output.shape[1:])
    ):
        example = "[null, height, width, channels]" if layout == "NHWC" else "[null, features]"
        raise _Invalid(
            f"outputs.samples.shape must be {example} for layout {layout!r} "
            f"(rank {rank}, dynamic batch, fixed other dimensions); "
            f"got {_json_shape(output.shape)}."
        )

    value_range = raw["value_range"]
    if not (
        isinstance(value_range, list)
        and len(value_range) == 2
        and all(_is_finite_number(v) for v in value_range)
        and value_range[0] < value_range[1]
    ):
        raise _Invalid(
            f"value_range must be [low, high] with finite numbers and low < high; "
            f"got {value_range!r}."
        )
    if output.dtype == "uint8" and list(value_range) != [0, 255]:
        raise _Invalid(f"value_range must be [0, 255] for uint8 samples; got {value_range!r}.")


def _tensor_map(value: Any, key: str, expected: list[str]) -> dict[str, TensorSpec]:
    if not isinstance(value, dict):
        raise _Invalid(f"{key} must be an object; got {value!r}.")
    if sorted(value) != sorted(expected):
        raise _Invalid(f"{key} must have exactly the names {expected}; got {list(value)}.")
    return {name: _tensor_spec(value[name], f"{key}.{name}") for name in expected}


def _tensor_spec(value: Any, key: str) -> TensorSpec:
    if not isinstance(value, dict) or "dtype" not in value or "shape" not in value:
        raise _Invalid(f"{key} must be an object with 'dtype' and 'shape'; got {value!r}.")
    dtype, shape = value["dtype"], value["shape"]
    if not isinstance(dtype, str):
        raise _Invalid(f"{key}.dtype must be a string; got {dtype!r}.")
    if not isinstance(shape, list) or not all(
        dim is None or (is_int(dim) and dim >= 1) for dim in shape
    ):
        raise _Invalid(f"{key}.shape must be a list of null or positive integers; got {shape!r}.")
    return TensorSpec(dtype=dtype, shape=tuple(shape))


def _check_args(
    where: str,
    kind: str,
    args: Sequence[tuple[str, str, list[Any]]],
    declared: dict[str, TensorSpec],
    *,
    strict: bool,
) -> None:
    """Compare the graph's inputs or outputs with the contract.

    With ``strict`` (inputs), the graph must also state the rank and every size the
    contract fixes (``latent_dim``): a symbolic size there would let a contract that
    lies about ``latent_dim`` run silently, as broadcasting can make the graph accept
    latents of the wrong size. Outputs may be symbolic; their shape is then checked on
    every run.
    """
    actual = {name: (arg_type, shape) for name, arg_type, shape in args}
    if len(actual) != len(args) or sorted(actual) != sorted(declared):
        raise ModelLoadError(
            f"{where}the kgan contract declares {kind}s {sorted(declared)} but the "
            f"ONNX graph has {kind}s {sorted(name for name, _, _ in args)}."
        )
    for name, spec in declared.items():
        arg_type, graph_shape = actual[name]
        here = f"{where}{kind} {name!r}"
        expected_type = _ORT_TYPES[spec.dtype]
        if arg_type != expected_type:
            raise ModelLoadError(
                f"{here}: the kgan contract says dtype {spec.dtype} ({expected_type}) "
                f"but the ONNX graph has {arg_type}."
            )
        if not graph_shape:
            # onnxruntime reports an unknown rank as [] (our tensors are never scalars);
            # the output shape is then checked on every run instead.
            if strict:
                raise ModelLoadError(
                    f"{here}: the kgan contract says shape {_json_shape(spec.shape)} "
                    f"but the ONNX graph does not state the rank of this input."
                )
            continue
        if len(graph_shape) != len(spec.shape):
            raise ModelLoadError(
                f"{here}: the kgan contract says shape {_json_shape(spec.shape)} "
                f"(rank {len(spec.shape)}) but the ONNX graph has shape "
                f"{_graph_shape(graph_shape)} (rank {len(graph_shape)})."
            )
        for axis, (declared_dim, graph_dim) in enumerate(zip(spec.shape, graph_shape, strict=True)):
            if not is_int(graph_dim):
                if strict and declared_dim is not None:
                    raise ModelLoadError(
                        f"{here}: the kgan contract says shape {_json_shape(spec.shape)} "
                        f"but the ONNX graph has shape {_graph_shape(graph_shape)}: axis "
                        f"{axis} must have the fixed size {declared_dim}, not a symbolic one."
                    )
                continue  # Symbolic or unknown: checked when running.
            if declared_dim is None or graph_dim != declared_dim:
                raise ModelLoadError(
                    f"{here}: the kgan contract says shape {_json_shape(spec.shape)} but "
                    f"the ONNX graph has shape {_graph_shape(graph_shape)} "
                    f"(axis {axis} differs)."
                )


# -- Helpers ---------------------------------------------------------------------------------


def _prefix(source: str | None) -> str:
    return "" if source is None else f"{source}: "


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys may repeat only with equal values (JSON parsers disagree on
    which of two different values wins, so the contract allows none)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise ValueError(f"duplicate key {key!r} with different values")
        out[key] = value
    return out


def _is_finite_number(value: Any) -> bool:
    """True for a finite int or float (not bool); False for ints too large for a float."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # An int beyond the float range, e.g. 10**400.
        return False


def _json_shape(shape: Sequence[Any]) -> str:
    return "[" + ", ".join("null" if dim is None else str(dim) for dim in shape) + "]"


def _graph_shape(shape: Sequence[Any]) -> str:
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape) + "]"


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only deep copy, so that a frozen Contract cannot be changed through it."""
    return MappingProxyType(copy.deepcopy(_thawed(mapping)))


def _thawed(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items()}
