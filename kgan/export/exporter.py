"""Export a trained generator as a SavedModel and an ONNX file, verified against Keras.

`export_generator` writes, into `out_dir`:

- `saved_model/`: a TensorFlow SavedModel with a `serving_default` signature
  (inputs `z`, and `labels` for a conditional generator; output `samples`),
  loadable with `tf.saved_model.load` and servable by TF Serving;
- `generator.onnx`: the same function converted by tf2onnx with a dynamic
  batch dimension, carrying its contract (a `kgan_runtime.contract.Contract`,
  specified in export/CONTRACT.md) in `metadata_props["kgan.contract"]` so that
  `kgan_runtime.OnnxGenerator` needs nothing else;
- `kgan.json`: the manifest: the contract, the sha256 of every file, and the
  measured parity of both formats against Keras. The ONNX file is checked
  through `kgan_runtime.OnnxGenerator`, the path users take: it must load (its
  contract read back equal and matching the graph) and sample like Keras.

Everything is written into a temporary folder next to `out_dir` and moved
into place only after verification passed, so `out_dir` is either the old
content or a complete, verified export.

Example:
    >>> from kgan.export import export_generator
    >>> manifest = export_generator("runs/digits/gan.keras", "runs/digits/export")
    ... # doctest: +SKIP
    >>> manifest["parity"]["onnx"]["max_abs_diff"]  # doctest: +SKIP
    5.9e-08
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kgan import _keras_compat, rules
from kgan.core.signature import generator_signature
from kgan.export.destination import MANIFEST_NAME, check_expectations, check_out_dir
from kgan.keras_file import load_keras
from kgan.version import __version__
from kgan_runtime import KganRuntimeError, OnnxGenerator
from kgan_runtime.contract import Contract
from kgan_runtime.fileio import atomic_dir, clean_temporaries, folder_lock, write_json
from kgan_runtime.latents import default_labels, sample_latents

FORMATS = ("saved_model", "onnx")
OUTPUTS = ("float", "uint8")
PARITY_BATCH_SIZES = (1, 7, 64)
TOLERANCE = 1e-4
ONNX_NAME = "generator.onnx"
SAVED_MODEL_NAME = "saved_model"


class ExportError(RuntimeError):
    """An export failed verification (parity, or the source model changed)."""


def _resolve_generator(model: Any, max_model_bytes: int | None = None) -> keras.Model:
    """The generator to export: a GAN's inference generator, a Model, or a .keras path."""
    from kgan.core.gan import GAN

    if isinstance(model, (str, os.PathLike)):
        # safe_mode refuses files that carry lambdas or other arbitrary code; the expansion
        # is bounded before Keras reads the file (kgan.keras_file).
        model = load_keras(model, max_bytes=max_model_bytes, compile=False, safe_mode=True)
    if isinstance(model, GAN):
        return model.inference_generator
    if isinstance(model, keras.Model):
        return model
    raise TypeError(
        f"model must be a kgan.GAN, a keras.Model or a .keras path; got {type(model).__name__}."
    )


def _mixed_policies(model: keras.Model) -> list[str]:
    """The names of the dtype policies of `model`'s layers that do not compute in float32."""
    return [
        layer.dtype_policy.name
        for layer in _keras_compat.sublayers(model)
        if not isinstance(layer, keras.layers.InputLayer)
        and layer.dtype_policy.compute_dtype != "float32"
    ]


def _float32_twin(generator: keras.Model) -> tuple[keras.Model, str | None]:
    """(a float32 copy of a mixed-precision generator, with its weights; the policy it had).

    Mixed-precision models keep float32 weights and compute in float16 or
    bfloat16, which ONNX Runtime's CPU kernels mostly lack, and which would make
    the files compute something else than the manifest's float32 contract. The
    exported files compute in float32; the parity check compares them with this
    float32 Keras twin. A float32 generator is returned as it is.
    """
    mixed = _mixed_policies(generator)
    if not mixed:
        return generator, None

    def as_float32(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    twin = keras.models.clone_model(generator, clone_function=as_float32)
    twin.set_weights(generator.get_weights())
    if _mixed_policies(twin):
        raise ValueError(f"Could not make a float32 copy of {generator.name!r} to export.")
    return twin, mixed[0]


def generator_contract(
    generator: keras.Model, *, output: str = "float", opset: int = 17
) -> Contract:
    """The contract of an exported generator (written into the ONNX file and the manifest).

    Args:
        generator: the generator `keras.Model` (inputs `z`, and `labels` if conditional).
        output: "float" (samples in [-1, 1]) or "uint8" (images in [0, 255]).
        opset: the ONNX opset, recorded in the contract.

    Returns:
        A `kgan_runtime.contract.Contract`; `.to_dict()` is the manifest's "contract".

    Raises:
        ValueError: the generator's inputs or outputs do not fit the contract.

    Example:
        >>> contract = generator_contract(generator)  # doctest: +SKIP
        >>> contract.latent_dim, contract.output.shape  # doctest: +SKIP
        (64, (None, 28, 28, 1))
    """
    import tf2onnx

    if output not in OUTPUTS:
        raise ValueError(f"Unknown output={output!r}. Expected one of {list(OUTPUTS)}.")
    latent_dim, num_classes = generator_signature(generator)
    sample_shape = [int(s) for s in generator.output_shape[1:]]
    if len(sample_shape) == 3:
        layout = "NHWC"
    elif len(sample_shape) == 1:
        layout = "NF"
    else:
        raise ValueError(
            f"Generator outputs must be images (H, W, C) or vectors (F,); got {sample_shape}."
        )
    if output == "uint8" and layout != "NHWC":
        raise ValueError("output='uint8' is for image generators; this one makes vectors.")
    return Contract(
        latent_dim=latent_dim,
        sample_shape=tuple(sample_shape),
        layout=layout,
        sample_dtype="uint8" if output == "uint8" else "float32",
        num_classes=num_classes,
        opset=int(opset),
        versions={
            "kgan": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "tf2onnx": tf2onnx.__version__,
        },
    )


def _input_signature(contract: Contract) -> list[tf.TensorSpec]:
    signature = [tf.TensorSpec((None, contract.latent_dim), tf.float32, name="z")]
    if contract.num_classes is not None:
        signature.append(tf.TensorSpec((None,), tf.int32, name="labels"))
    return signature


def _serving_fn(generator: keras.Model, contract: Contract):
    """`fn(z[, labels]) -> {"samples": ...}`, with the uint8 conversion baked in if asked."""
    to_uint8 = contract.sample_dtype == "uint8"

    def postprocess(samples):
        samples = tf.cast(samples, tf.float32)
        if to_uint8:
            scaled = tf.clip_by_value((samples + 1.0) * 127.5, 0.0, 255.0)
            return tf.cast(tf.round(scaled), tf.uint8)
        return samples

    if contract.num_classes is None:

        def serve(z):
            return {"samples": postprocess(generator(z, training=False))}

    else:

        def serve(z, labels):
            return {"samples": postprocess(generator([z, labels], training=False))}

    return serve


def _write_saved_model(generator, contract, path: Path) -> None:
    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.add_endpoint(
        name="serving_default",
        fn=_serving_fn(generator, contract),
        input_signature=_input_signature(contract),
    )
    archive.write_out(str(path), verbose=False)


def _onnx_source(generator: keras.Model, optimize: bool) -> tuple[keras.Model, str]:
    """(the model tf2onnx converts, its name in the manifest: "optimized" or "plain")."""
    if not optimize:
        return generator, "plain"
    from kgan.export.onnx_rewrite import subpixel_generator

    try:
        return subpixel_generator(generator), "optimized"
    except TypeError:  # Not a functional model: convert the graph as it is.
        return generator, "plain"


def _write_onnx(generator, contract: Contract, path: Path, *, optimize: bool = True) -> str:
    """Writes the ONNX file; returns which graph was converted ("optimized" or "plain")."""
    with _keras_compat.restoring_graph_links(generator):
        return _write_onnx_from(generator, contract, path, optimize)


def _write_onnx_from(generator, contract: Contract, path: Path, optimize: bool) -> str:
    import onnx
    import tf2onnx

    source, graph = _onnx_source(generator, optimize)
    serve = tf.function(_serving_fn(source, contract))
    proto, _ = tf2onnx.convert.from_function(
        serve, input_signature=_input_signature(contract), opset=contract.opset
    )
    got_inputs = [i.name for i in proto.graph.input]
    got_outputs = [o.name for o in proto.graph.output]
    if got_inputs != list(contract.input_names) or got_outputs != list(contract.outputs):
        raise ExportError(
            f"tf2onnx produced inputs {got_inputs} and outputs {got_outputs}; expected "
            f"{list(contract.input_names)} and {list(contract.outputs)}."
        )
    _name_batch_dim(proto)
    _avoid_same_size_end_pads(proto)
    for key, value in contract.to_metadata().items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "kgan"
    proto.producer_version = __version__
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return graph


BATCH_DIM = "batch"
"""Name of the dynamic batch dimension of the ONNX inputs and outputs."""


def _name_batch_dim(proto) -> None:
    """Names the batch dimension `batch` (tf2onnx writes `unk__NN`, another per tensor), in the
    graph's inputs and outputs and wherever those names recur, so that tools addressing a named
    dimension (e.g. onnxruntime-web's freeDimensionOverrides) have a stable name."""
    graph = proto.graph
    renames = {}
    for value in (*graph.input, *graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            renames[dims[0].dim_param] = BATCH_DIM
    for value in (*graph.input, *graph.output, *graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in renames:
                dim.dim_param = renames[dim.dim_param]


def _avoid_same_size_end_pads(proto) -> None:
    """Rewrites each Conv whose kernel covers its whole input with padding only at the end
    (pads `[0, 0, b, r]`) as a Conv padded `b` rows at the top too (`[b, 0, b, r]`; or `r`
    columns on the left when `b` is 0) and a Slice dropping those first rows: the same numbers,
    for one extra output row (an explicit Pad node would not do: onnxruntime fuses it back).

    onnxruntime-web's WebGPU backend (1.31) computes that pattern wrongly: its shortcut for a
    kernel the size of the input reads only the leading pads. The phase convolutions of
    `kgan.export_optimize` make it (2x2 kernels on 2x2 maps). Other Convs are left as they are,
    so CPU speed is unchanged but for the few small layers rewritten. A Conv whose input size
    is unknown is rewritten when its pads have that form.
    """
    import onnx
    from onnx import helper

    graph = proto.graph
    inferred = onnx.shape_inference.infer_shapes(proto).graph
    sizes = {
        v.name: [
            d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim
        ]
        for v in (*inferred.input, *inferred.value_info)
    }
    weights = {init.name: list(init.dims) for init in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type != "Conv":
            nodes.append(node)
            continue
        attrs = {a.name: list(a.ints) for a in node.attribute}
        pads = attrs.get("pads", [])
        kernel = weights.get(node.input[1], [])[2:]
        spatial = (sizes.get(node.input[0]) or [None, None, None, None])[2:]
        if not (
            len(pads) == 4
            and pads[:2] == [0, 0]
            and any(pads[2:])
            and len(kernel) == 2
            and attrs.get("strides", [1, 1]) == [1, 1]
            and attrs.get("dilations", [1, 1]) == [1, 1]
            and all(size is None or size == k for size, k in zip(spatial, kernel))
        ):
            nodes.append(node)
            continue
        out = node.output[0]
        node.output[0] = f"{out}__padded"
        axis = 0 if pads[2] else 1  # 0: rows, 1: columns
        for attr in node.attribute:
            if attr.name == "pads":
                attr.ints[axis] = pads[2 + axis]
        prefix = f"{node.name or out}__crop"
        graph.initializer.extend(
            [
                onnx.numpy_helper.from_array(
                    np.array([pads[2 + axis]], np.int64), f"{prefix}_starts"
                ),
                onnx.numpy_helper.from_array(np.array([2**62], np.int64), f"{prefix}_ends"),
                onnx.numpy_helper.from_array(np.array([2 + axis], np.int64), f"{prefix}_axes"),
            ]
        )
        crop = helper.make_node(
            "Slice",
            [node.output[0], f"{prefix}_starts", f"{prefix}_ends", f"{prefix}_axes"],
            [out],
            name=prefix,
        )
        nodes += [node, crop]
    del graph.node[:]
    graph.node.extend(nodes)


def _keras_reference(generator, contract, z, labels) -> np.ndarray:
    fn = _serving_fn(generator, contract)
    args = (z,) if labels is None else (z, labels)
    return np.asarray(fn(*[tf.constant(a) for a in args])["samples"])


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ExportError(f"Output shape {b.shape} differs from Keras's {a.shape}.")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))


def _onnx_runner(path: Path, contract: Contract) -> Callable[..., np.ndarray]:
    """The ONNX file loaded by kgan-runtime, as users load it; ExportError if it is refused."""
    try:
        runtime = OnnxGenerator(path, max_bytes=None)
    except KganRuntimeError as err:
        raise ExportError(f"kgan-runtime cannot load the exported ONNX file: {err}") from err
    if runtime.typed_contract != contract:
        raise ExportError(
            f"The contract read back from {path.name} differs from the one written: "
            f"{runtime.typed_contract.to_json()} != {contract.to_json()}."
        )
    return runtime


def _saved_model_runner(path: Path) -> Callable[..., np.ndarray]:
    signature = tf.saved_model.load(str(path)).signatures["serving_default"]

    def run(z, labels=None):
        feeds = {"z": z} if labels is None else {"z": z, "labels": labels}
        return signature(**{k: tf.constant(v) for k, v in feeds.items()})["samples"].numpy()

    return run


def _verify(
    generator,
    contract: Contract,
    folder: Path,
    formats: Sequence[str],
    batch_sizes: Sequence[int],
    tolerance: float,
    seed: int,
) -> dict[str, Any]:
    """Runs every format against Keras on the same latents; raises ExportError past `tolerance`."""
    runners = {}
    if "onnx" in formats:
        runners["onnx"] = _onnx_runner(folder / ONNX_NAME, contract)
    if "saved_model" in formats:
        runners["saved_model"] = _saved_model_runner(folder / SAVED_MODEL_NAME)

    num_classes = contract.num_classes
    report: dict[str, Any] = {}
    for name, run in runners.items():
        per_batch = {}
        for n in batch_sizes:
            z = sample_latents(n, contract.latent_dim, seed=seed + n)
            labels = None if num_classes is None else default_labels(n, num_classes)
            expected = _keras_reference(generator, contract, z, labels)
            try:
                got = run(z, labels)
            except KganRuntimeError as err:
                raise ExportError(f"{name} failed at batch size {n}: {err}") from err
            if got.dtype != expected.dtype:
                raise ExportError(
                    f"{name} returned dtype {got.dtype} at batch size {n}; Keras gives "
                    f"{expected.dtype}."
                )
            diff = _max_diff(expected, got)
            per_batch[str(n)] = diff
            if not diff <= tolerance:  # NaN fails too.
                raise ExportError(
                    f"{name} differs from Keras by {diff:.3g} (max abs) at batch size {n}, "
                    f"more than the tolerance {tolerance:g}."
                )
        report[name] = {"max_abs_diff": max(per_batch.values()), "per_batch_size": per_batch}
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_hashes(folder: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST_NAME:
            files[rel] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    return files


def export_generator(
    model: Any,
    out_dir: str | os.PathLike,
    *,
    opset: int = 17,
    formats: Sequence[str] = FORMATS,
    output: str = "float",
    verify: bool = True,
    overwrite: bool = False,
    batch_sizes: Sequence[int] = PARITY_BATCH_SIZES,
    tolerance: float = TOLERANCE,
    seed: int = 0,
    onnx_optimize: bool = True,
    max_model_bytes: int | None = None,
    expect: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Exports a generator to SavedModel and/or ONNX and checks both against Keras.

    Args:
        model: a `kgan.GAN` (its EMA generator when it has one), a generator
            `keras.Model`, or the path of a `.keras` file of either (loaded in
            Keras safe mode). A mixed-precision generator is exported as its
            float32 twin (same weights; the manifest's `source_dtype_policy`
            names the policy it had), since ONNX Runtime's CPU kernels mostly
            lack float16 and bfloat16.
        out_dir: the export folder; must be absent or empty unless `overwrite`.
        opset: the ONNX opset.
        formats: any of "saved_model" and "onnx".
        output: "float" (samples in [-1, 1]) or "uint8" (images in [0, 255],
            conversion baked into both graphs).
        verify: run the parity check (strongly recommended).
        overwrite: replace `out_dir` when it holds an earlier export.
        batch_sizes: batch sizes of the parity check.
        tolerance: the largest max-abs difference accepted. For uint8 outputs
            the difference is in 0-255 units and 1 is allowed, since a float
            difference of 1e-7 can flip a value sitting on a rounding boundary.
        seed: seed of the parity latents.
        onnx_optimize: convert an equivalent graph without transposed
            convolutions for the ONNX file (`kgan.export_optimize`: sub-pixel
            convolutions, folded batch norms), several times faster in ONNX
            Runtime on CPU. The SavedModel always keeps the original graph, and
            the parity check compares both files with the original generator.
        max_model_bytes: the most a `.keras` `model` may expand to uncompressed
            (None: the larger of 2 GiB and 4 times its size; see `kgan.keras_file`).
        expect: what the generator must be (`kgan.export.destination.run_expectations`
            of its run folder: latent_dim, sample_shape, num_classes); a generator
            that differs is refused before anything is written.

    Returns:
        The manifest (also written to `out_dir/kgan.json`).

    Raises:
        ExportError: a format differs from Keras by more than `tolerance`,
            kgan-runtime refuses the ONNX file (its contract or its outputs), or
            the source model's outputs changed during export.
        FileExistsError: `out_dir` is not empty and `overwrite` is False, or it is
            not an export (no `kgan.json` manifest) and not empty: overwrite never
            deletes a folder that is not an export.
        kgan_runtime.fileio.FolderLocked: another process is exporting to `out_dir`
            (one writer per export folder: the lock `.NAME.lock` beside it).
        ValueError: a bad argument (unknown format or output, ...).
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"Unknown formats={list(formats)!r}. Expected a subset of {list(FORMATS)}."
        )
    if output not in OUTPUTS:
        raise ValueError(f"Unknown output={output!r}. Expected one of {list(OUTPUTS)}.")
    rules.onnx_opset().check("opset", opset)  # up to what the installed tf2onnx converts
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = out_dir.parent / f".{out_dir.name}.lock"
    with folder_lock(lock, f"the export folder {str(out_dir)!r}"):
        clean_temporaries(out_dir)  # of killed exports: no other writer while we hold the lock
        check_out_dir(out_dir, overwrite)
        return _export(model, out_dir, opset=opset, formats=formats, output=output,
                       verify=verify, batch_sizes=batch_sizes, tolerance=tolerance, seed=seed,
                       onnx_optimize=onnx_optimize, max_model_bytes=max_model_bytes,
                       expect=expect)  # fmt: skip


def _export(
    model: Any,
    out_dir: Path,
    *,
    opset: int,
    formats: tuple[str, ...],
    output: str,
    verify: bool,
    batch_sizes: Sequence[int],
    tolerance: float,
    seed: int,
    onnx_optimize: bool,
    max_model_bytes: int | None,
    expect: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """`export_generator` once the destination is locked and checked."""
    generator, source_policy = _float32_twin(_resolve_generator(model, max_model_bytes))
    contract = generator_contract(generator, output=output, opset=opset)
    if expect is not None:
        source = repr(str(model)) if isinstance(model, (str, os.PathLike)) else "The model"
        check_expectations(contract, expect, source)
    if output == "uint8":
        tolerance = max(tolerance, 1.0)

    # The source model's outputs before export, to catch mutation by the converters.
    probe_z = sample_latents(8, contract.latent_dim, seed=seed + 12345)
    probe_labels = None
    if contract.num_classes is not None:
        probe_labels = default_labels(8, contract.num_classes)
    before = _keras_reference(generator, contract, probe_z, probe_labels)

    # Everything goes into a temporary folder, moved into place only once verified.
    with atomic_dir(out_dir) as tmp:
        if "saved_model" in formats:
            _write_saved_model(generator, contract, tmp / SAVED_MODEL_NAME)
        onnx_graph = None
        if "onnx" in formats:
            options = {} if onnx_optimize else {"optimize": False}
            onnx_graph = _write_onnx(generator, contract, tmp / ONNX_NAME, **options)
        parity = (
            _verify(generator, contract, tmp, formats, batch_sizes, tolerance, seed)
            if verify
            else {}
        )
        after = _keras_reference(generator, contract, probe_z, probe_labels)
        if not np.array_equal(before, after):
            raise ExportError(
                "The source model's outputs changed during export (max abs diff "
                f"{_max_diff(before, after):.3g}); the export was discarded."
            )
        manifest = {
            "contract": contract.to_dict(),
            "files": _file_hashes(tmp),
            "parity": parity,
            "parity_batch_sizes": list(batch_sizes) if verify else [],
            "tolerance": tolerance,
            "verified": bool(verify),
            "onnx_graph": onnx_graph,
            # A mixed-precision generator is exported (and checked) as its float32 twin.
            "source_dtype_policy": source_policy or "float32",
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "source": str(model) if isinstance(model, (str, os.PathLike)) else generator.name,
        }
        write_json(manifest, tmp / MANIFEST_NAME)
    return manifest
