"""Hostile input: kgan-runtime answers a correct result or a documented KganRuntimeError.

Property-based (hypothesis) plus hand-written cases. For any ``n``/``seed``/``batch_size``
(ints of any size or sign, bools, floats, None, strings...), latents and labels of any shape,
dtype and content, ONNX files truncated at any byte, random or corrupted bytes, models of
another kind and contracts that lie or are malformed, every call either returns exactly
what the model computes or raises ``InvalidInputError`` / ``ModelLoadError`` /
``InferenceError`` with a one-line message: never another exception type, a crash, a hang
or an unbounded allocation.

Hypothesis runs derandomized (the same examples every run). ``KGAN_HOSTILE_PROFILE=deep``
runs ten times more, freshly random examples, for a longer local fuzzing session.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from kgan_runtime_testing import ToyModel, build_model, default_contract, run_python
from onnx import TensorProto, helper, numpy_helper

from kgan_runtime import (
    DEFAULT_MAX_BYTES,
    MAX_THREADS,
    InferenceError,
    InvalidInputError,
    KganRuntimeError,
    ModelLoadError,
    OnnxGenerator,
    default_labels,
    make_grid,
    sample_latents,
    to_uint8,
)
from kgan_runtime.cli import main as cli_main

settings.register_profile(
    "kgan-hostile",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "kgan-hostile-deep",
    parent=settings.get_profile("kgan-hostile"),
    max_examples=500,
    derandomize=False,
)
PROFILE = settings.get_profile(
    "kgan-hostile-deep" if os.environ.get("KGAN_HOSTILE_PROFILE") == "deep" else "kgan-hostile"
)
SCALE = PROFILE.max_examples / 50


def examples(n: int) -> settings:
    """The file's profile with ``n`` examples (times 10 under the deep profile)."""
    return settings(PROFILE, max_examples=max(1, int(n * SCALE)))


POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX FIFOs, devices and rlimits")
SMALL_BUDGET = 64 * 1024  # max_bytes of the generators under test: a few hundred samples.
MODEL_NAMES = ("image", "rgb", "uint8", "conditional", "points")


# -- Helpers ---------------------------------------------------------------------------------


def assert_one_line(err: BaseException) -> None:
    message = str(err)
    assert message and "\n" not in message, repr(message)


def outcome(call: Callable[[], Any]) -> Any:
    """The result of ``call()``, or its KganRuntimeError; any other exception fails."""
    try:
        return call()
    except KganRuntimeError as err:
        assert_one_line(err)
        return err


def valid_int(value: Any, minimum: int) -> bool:
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and value >= minimum
    )


def bytes_per_sample(model: ToyModel) -> int:
    itemsize = 1 if model.dtype == "uint8" else 4
    labels = 0 if model.num_classes is None else 4
    return 4 * model.latent_dim + labels + math.prod(model.out_shape) * itemsize


def assert_matches_model(
    out: Any, model: ToyModel, z: np.ndarray, labels: np.ndarray | None, *, exact: bool = True
) -> None:
    """``out`` is what the toy model computes for ``z`` (and ``labels``)."""
    assert isinstance(out, np.ndarray), out
    assert out.shape == (len(z), *model.out_shape)
    assert out.dtype == np.dtype(model.dtype)
    if model.dtype == "float32":
        assert np.isfinite(out).all()
        assert (np.abs(out) <= 1.0 + 1e-6).all()  # tanh (onnxruntime's may overshoot by an ulp)
    if not exact:
        return
    ref = model.reference(z, labels)
    if model.dtype == "uint8":
        assert np.abs(out.astype(np.float64) - ref).max() <= 1.0
    else:
        scale = max(1.0, float(np.abs(z).max()))
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 + 1e-6 * scale * model.latent_dim)


@pytest.fixture(scope="module")
def gens(models) -> dict[str, OnnxGenerator]:
    """The standard toy models, loaded with a small memory budget."""
    return {name: OnnxGenerator(models[name].path, max_bytes=SMALL_BUDGET) for name in MODEL_NAMES}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


# -- Strategies ------------------------------------------------------------------------------

numpy_scalars = st.one_of(
    npst.integer_dtypes(), npst.floating_dtypes(), npst.boolean_dtypes()
).flatmap(lambda dtype: npst.arrays(dtype, ()).map(lambda a: a[()]))

odd_values = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**100, -(10**100)]),
    st.booleans(),
    st.floats(),
    st.none(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.complex_numbers(),
    numpy_scalars,
    st.lists(st.integers(-2, 5), max_size=3),
    st.builds(object),
)


def counts(small_max: int) -> st.SearchStrategy[Any]:
    """Mostly small valid counts, often absurd or odd ones."""
    return st.one_of(
        st.integers(-3, small_max),
        st.integers(small_max, 10**6),
        st.integers(10**6, 10**40),
        numpy_scalars,
        odd_values,
    )


any_dtype = st.one_of(
    npst.scalar_dtypes(),  # bool, ints, floats (incl. float16, longdouble), complex, M8, m8
    npst.floating_dtypes(sizes=(16, 32, 64, 128), endianness="?"),
    npst.byte_string_dtypes(max_len=3),
    npst.unicode_string_dtypes(max_len=3),
    npst.array_dtypes(max_size=2),  # structured
    st.just(np.dtype(object)),
)
object_elements = st.one_of(st.floats(), st.integers(), st.none(), st.text(max_size=2))


def arrays_of(shapes: st.SearchStrategy[tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
    """Arrays of any dtype and content (NaN, Inf, huge, subnormal...), some of them views."""

    def build(dtype: np.dtype) -> st.SearchStrategy[np.ndarray]:
        elements = object_elements if dtype.kind == "O" else None
        return npst.arrays(dtype, shapes, elements=elements)

    layouts = st.sampled_from(["plain", "reversed", "fortran", "noncontiguous"])
    return st.tuples(any_dtype.flatmap(build), layouts).map(lambda pair: _layout(*pair))


def _layout(arr: np.ndarray, layout: str) -> np.ndarray:
    if layout == "reversed" and arr.ndim:
        return arr[::-1]
    if layout == "fortran":
        return np.asfortranarray(arr)
    if layout == "noncontiguous" and arr.ndim:
        return np.repeat(arr, 2, axis=0)[::2]
    return arr


def latent_inputs(d: int) -> st.SearchStrategy[Any]:
    shapes = st.one_of(
        st.tuples(st.integers(0, 9), st.just(d)),
        npst.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9),
    )
    return st.one_of(
        arrays_of(shapes),
        st.lists(st.lists(st.floats(), min_size=d, max_size=d), max_size=4),  # nested lists
        st.lists(st.lists(st.floats(), max_size=d + 1), max_size=3),  # ragged
        odd_values,
    )


def label_inputs(n: int) -> st.SearchStrategy[Any]:
    shapes = st.one_of(
        st.just((n,)), npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=n + 2)
    )
    ints = st.one_of(st.integers(-2, 4), st.integers())
    return st.one_of(
        arrays_of(shapes),
        npst.arrays(npst.integer_dtypes(endianness="?"), st.just((n,))),
        st.lists(ints, min_size=n, max_size=n),
        st.lists(ints, max_size=n + 2),
        odd_values,
    )


# -- sample(n, seed, batch_size) -------------------------------------------------------------


@examples(160)
@given(
    name=st.sampled_from(MODEL_NAMES),
    n=counts(40),
    seed=st.one_of(st.none(), st.integers(0, 2**64), st.integers(), odd_values),
    batch_size=counts(12),
)
def test_sample_any_n_seed_batch_size(models, gens, name, n, seed, batch_size):
    model, gen = models[name], gens[name]
    result = outcome(lambda: gen.sample(n, seed=seed, batch_size=batch_size))
    ok = (
        valid_int(n, 1)
        and valid_int(batch_size, 1)
        and (seed is None or valid_int(seed, 0))
        and int(n) * bytes_per_sample(model) <= SMALL_BUDGET
    )
    if not ok:
        assert isinstance(result, InvalidInputError), result
        return
    assert not isinstance(result, Exception), result
    labels = None if model.num_classes is None else default_labels(int(n), model.num_classes)
    if seed is None:
        assert_matches_model(result, model, np.zeros((n, model.latent_dim)), labels, exact=False)
    else:
        z = sample_latents(int(n), model.latent_dim, int(seed))
        assert_matches_model(result, model, z, labels)


# -- __call__(z) with latents of any shape, dtype and content --------------------------------


def expected_latents(z: Any, d: int, n_max: int) -> np.ndarray | None:
    """The float32 latents the runtime must accept for ``z``, or None if it must refuse."""
    try:
        arr = np.asarray(z)
    except Exception:
        return None
    if arr.dtype.kind != "f" or arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != d:
        return None
    if arr.shape[0] > n_max:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        z32 = arr.astype(np.float32)
    return z32 if np.isfinite(z32).all() else None


@examples(200)
@given(data=st.data(), name=st.sampled_from(("image", "points", "uint8")))
def test_call_any_latents(models, gens, data, name):
    model, gen = models[name], gens[name]
    z = data.draw(latent_inputs(model.latent_dim), label="z")
    batch_size = data.draw(st.one_of(st.none(), st.integers(1, 4), odd_values), "batch_size")
    result = outcome(lambda: gen(z, batch_size=batch_size))
    z32 = expected_latents(z, model.latent_dim, SMALL_BUDGET // bytes_per_sample(model))
    if z32 is None or not (batch_size is None or valid_int(batch_size, 1)):
        assert isinstance(result, InvalidInputError), result
        return
    # Finite but astronomically large latents can overflow float32 inside the graph
    # (inf - inf = NaN): then a NaN-free output or an InferenceError, never garbage.
    sane = float(np.abs(z32).max()) <= 1e3
    if isinstance(result, InferenceError) and not sane:
        return
    assert not isinstance(result, Exception), result
    assert_matches_model(result, model, z32, None, exact=sane)


@examples(150)
@given(data=st.data(), n=st.integers(1, 6))
def test_labels_any_shape_dtype_content(models, gens, data, n):
    model, gen = models["conditional"], gens["conditional"]
    k = model.num_classes
    labels = data.draw(label_inputs(n), label="labels")
    via_sample = data.draw(st.booleans(), label="via_sample")
    z = sample_latents(n, model.latent_dim, seed=n)
    if via_sample:
        result = outcome(lambda: gen.sample(n, seed=n, labels=labels, batch_size=4))
    else:
        result = outcome(lambda: gen(z, labels, batch_size=4))
    try:
        arr = np.asarray(labels)
        ok = (
            arr.dtype.kind in "iu"
            and arr.shape in ((), (n,))
            and bool(((arr >= 0) & (arr < k)).all())
        )
    except Exception:
        ok = False
    if labels is None:
        ok, arr = True, default_labels(n, k)
    if not ok:
        assert isinstance(result, InvalidInputError), result
        return
    assert not isinstance(result, Exception), result
    assert_matches_model(result, model, z, np.broadcast_to(arr, (n,)).astype(np.int64))


def test_labels_for_an_unconditional_model_are_refused_whatever_they_are(gens):
    for labels in ([0, 0], 0, np.zeros(2, np.int32), "0", [], np.zeros(2, object)):
        assert isinstance(
            outcome(lambda labels=labels: gens["image"].sample(2, labels=labels)), InvalidInputError
        )


# -- Memory budget ---------------------------------------------------------------------------


def test_budget_is_exact_and_configurable(models):
    model = models["image"]
    per_sample = bytes_per_sample(model)  # 8 * 4 latent + 16 * 4 output bytes
    gen = OnnxGenerator(model.path, max_bytes=10 * per_sample)
    assert gen.max_bytes == 10 * per_sample
    assert gen.sample(10, seed=0).shape == (10, 4, 4, 1)
    with pytest.raises(InvalidInputError, match=r"generating 11 samples needs .*max_bytes=960"):
        gen.sample(11, seed=0)
    with pytest.raises(InvalidInputError, match="max_bytes"):
        gen(np.zeros((11, 8), np.float32))
    assert OnnxGenerator(model.path).max_bytes == DEFAULT_MAX_BYTES == 4 * 2**30
    assert OnnxGenerator(model.path, max_bytes=None).max_bytes is None


@pytest.mark.parametrize("max_bytes", [0, -1, True, 1.5, "1", [1]])
def test_bad_max_bytes(models, max_bytes):
    with pytest.raises(InvalidInputError, match="max_bytes"):
        OnnxGenerator(models["image"].path, max_bytes=max_bytes)
    with pytest.raises(InvalidInputError, match="max_bytes"):
        sample_latents(2, 2, 0, max_bytes=max_bytes)


def test_block_drawn_latents_equal_one_draw():
    # sample_latents draws big requests in blocks of rows; the values must not change.
    n, d = 3 * 2**20 // 7 + 5, 7
    expected = np.random.default_rng(3).standard_normal((n, d)).astype(np.float32)
    np.testing.assert_array_equal(sample_latents(n, d, 3), expected)
    big_d = 2**20 + 3  # more values per row than one block
    expected = np.random.default_rng(4).standard_normal((2, big_d)).astype(np.float32)
    np.testing.assert_array_equal(sample_latents(2, big_d, 4), expected)


ABSURD_CHILD = """
import resource, sys
import numpy as np
from kgan_runtime import InvalidInputError, OnnxGenerator, default_labels, make_grid
from kgan_runtime import sample_latents, save_grid

image, cond, out = sys.argv[1], sys.argv[2], sys.argv[3]
g, c = OnnxGenerator(image), OnnxGenerator(cond)
cases = {
    "n=10x budget": lambda: g.sample(10 * 4 * 2**30 // 96, seed=0),
    "n=2**63": lambda: g.sample(2**63, seed=0, batch_size=1),
    "n=10**100": lambda: g.sample(10**100),
    "conditional n, one label": lambda: c.sample(10**11, seed=0, labels=1),
    "broadcast z": lambda: g(np.broadcast_to(np.zeros(8, np.float32), (10**10, 8))),
    "broadcast z, float64": lambda: g(np.broadcast_to(np.zeros(8), (2**40, 8)), batch_size=1),
    "sample_latents": lambda: sample_latents(10**11, 8, 0),
    "default_labels": lambda: default_labels(10**12, 3),
    "grid padding": lambda: make_grid(np.zeros((4, 2, 2, 1)), padding=10**6),
    "grid scale": lambda: save_grid(np.zeros((4, 2, 2, 1)), out, scale=10**5),
}
for name, call in cases.items():
    try:
        call()
    except InvalidInputError as err:
        assert "max_bytes" in str(err), (name, err)
    else:
        raise AssertionError(f"{name}: no error")
# ru_maxrss is inherited across fork+exec on Linux (the pytest parent holds TensorFlow);
# VmHWM is this process's own peak resident size.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024
print(f"OK peak_mib={peak}")
"""


@POSIX_ONLY
def test_absurd_sizes_are_refused_before_allocating(models, tmp_path):
    """In a child process with an 8 GiB address-space limit, so a regression cannot OOM us."""
    script = "import resource; resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))\n"
    result = run_python(
        [
            "-c",
            script + ABSURD_CHILD,
            str(models["image"].path),
            str(models["conditional"].path),
            str(tmp_path / "g.png"),
        ],
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("OK"), result.stdout
    assert int(result.stdout.split("peak_mib=")[1]) < 1024


# -- Model files: truncated, random, corrupted -----------------------------------------------


def _reference_sample(models, name: str) -> np.ndarray:
    return OnnxGenerator(models[name].path).sample(3, seed=0)


@examples(120)
@given(name=st.sampled_from(MODEL_NAMES), fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_at_any_byte(models, scratch, name, fraction):
    data = models[name].path.read_bytes()
    offset = int(fraction * len(data))  # 0 <= offset < len(data): any byte
    path = scratch / f"truncated-{name}.onnx"
    path.write_bytes(data[:offset])
    result = outcome(lambda: OnnxGenerator(path).sample(3, seed=0))
    if isinstance(result, Exception):
        assert isinstance(result, ModelLoadError), result
        assert str(path) in str(result)
    else:
        # Protobuf fields can end exactly at the cut (here: a trailing unrelated metadata
        # entry); then the model that is left must be the same generator.
        np.testing.assert_array_equal(result, _reference_sample(models, name))


def test_truncated_at_many_bytes(models, tmp_path):
    """Systematically: every 8th offset and each of the last 48 bytes, where the trailing
    metadata entries end (all offsets under the deep profile)."""
    data = models["conditional"].path.read_bytes()
    expected = _reference_sample(models, "conditional")
    step = 1 if SCALE > 1 else 8
    offsets = sorted(set(range(0, len(data), step)) | set(range(len(data) - 48, len(data))))
    path = tmp_path / "t.onnx"
    loaded = 0
    for offset in offsets:
        path.write_bytes(data[:offset])
        result = outcome(lambda: OnnxGenerator(path).sample(3, seed=0))
        if isinstance(result, Exception):
            assert isinstance(result, ModelLoadError), (offset, result)
        else:
            loaded += 1
            np.testing.assert_array_equal(result, expected)
    assert loaded <= 2  # Only cuts that drop the unrelated trailing "other" metadata entry.


@examples(80)
@given(data=st.binary(max_size=3000))
def test_random_bytes(scratch, data):
    path = scratch / "random.onnx"
    path.write_bytes(data)
    with pytest.raises(ModelLoadError) as info:
        OnnxGenerator(path)
    assert_one_line(info.value)


@examples(150)
@given(
    name=st.sampled_from(MODEL_NAMES),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(1, 64)),
)
def test_corrupted_bytes(models, scratch, name, edits, cut):
    """Bytes overwritten (and maybe a tail cut): a finite, well-shaped output or an error."""
    model = models[name]
    data = bytearray(model.path.read_bytes())
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[:-cut]
    path = scratch / f"corrupted-{name}.onnx"
    path.write_bytes(bytes(data))
    result = outcome(lambda: OnnxGenerator(path).sample(3, seed=0))
    if isinstance(result, Exception):
        assert isinstance(result, (ModelLoadError, InferenceError)), result
    else:  # Changed weights are a different (valid) model: its output is unknowable here.
        assert result.shape == (3, *model.out_shape) and result.dtype == np.dtype(model.dtype)
        assert model.dtype == "uint8" or np.isfinite(result).all()


def test_corrupted_file_prints_nothing(models, tmp_path, capfd):
    # onnxruntime's provider fallback used to reload a broken file a second time and print
    # "EP Error ... Falling back" on stdout; with CPU only there is nothing to fall back to.
    data = bytearray(models["image"].path.read_bytes())
    data[40:48] = b"\xff" * 8
    path = tmp_path / "broken.onnx"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError):
        OnnxGenerator(path)
    assert capfd.readouterr().out == ""


def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1 and len(old) == len(new)
    return data.replace(old, new)


def test_names_that_are_not_utf8(make_model, tmp_path):
    # A corrupted dimension name used to escape as UnicodeDecodeError from onnxruntime.
    model = make_model(graph_z_shape=["Qx", 8])
    path = tmp_path / "bad-utf8.onnx"
    path.write_bytes(_replace_once(model.path.read_bytes(), b"Qx", b"\xff\xfe"))
    with pytest.raises(ModelLoadError, match="cannot read the ONNX graph|cannot load") as info:
        OnnxGenerator(path)
    assert_one_line(info.value)


def test_non_finite_weights_are_an_inference_error(make_model, tmp_path):
    model = make_model()
    proto = onnx.load(model.path)
    weight = numpy_helper.to_array(proto.graph.initializer[0]).copy()
    weight[0, 0] = np.nan
    proto.graph.initializer[0].CopyFrom(numpy_helper.from_array(weight, "W"))
    path = tmp_path / "nan.onnx"
    onnx.save(proto, path)
    gen = OnnxGenerator(path)  # Loads: the weights are data.
    with pytest.raises(InferenceError, match=r"returned \d+ NaN/Inf value\(s\) in a batch of 3"):
        gen.sample(3, seed=0)


# -- Files that are not files ----------------------------------------------------------------


@POSIX_ONLY
def test_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    child = (
        "import sys\nfrom kgan_runtime import ModelLoadError, OnnxGenerator\n"
        "try:\n    OnnxGenerator(sys.argv[1])\nexcept ModelLoadError as err:\n    print(err)\n"
    )
    result = run_python(["-c", child, str(fifo)], cwd=tmp_path, timeout=60)
    assert "not a regular file" in result.stdout, (result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("/dev/null", "not a regular file"),
        ("/dev/zero", "not a regular file"),
        ("model\0.onnx", "embedded null byte"),
        ("x" * 5000 + ".onnx", "cannot read model file"),  # ENAMETOOLONG
        ("/nonexistent/dir/model.onnx", "not found"),
    ],
)
@POSIX_ONLY
def test_paths_that_are_not_model_files(path, match):
    with pytest.raises(ModelLoadError, match=match) as info:
        OnnxGenerator(path)
    assert_one_line(info.value)


def test_path_through_a_file(models):
    with pytest.raises(ModelLoadError, match="cannot read model file|not found"):
        OnnxGenerator(models["image"].path / "inside.onnx")  # ENOTDIR


@pytest.mark.parametrize("path", [b"model.onnx", 1.5, ["model.onnx"], object()])
def test_path_of_the_wrong_type(path):
    with pytest.raises(InvalidInputError, match="path must be"):
        OnnxGenerator(path)


@pytest.mark.parametrize("threads", [MAX_THREADS + 1, 2**31, 2**40, 10**100])
def test_absurd_threads_are_refused(models, threads):
    with pytest.raises(
        InvalidInputError, match=rf"threads must be an integer in \[1, {MAX_THREADS}\]"
    ):
        OnnxGenerator(models["image"].path, threads=threads)


# -- Valid ONNX models of another kind -------------------------------------------------------


def _save(graph: onnx.GraphProto, path: Path, contract: Any = None, opset: int = 17) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if contract is not None:
        text = contract if isinstance(contract, str) else json.dumps(contract)
        helper.set_model_props(model, {"kgan.contract": text})
    onnx.save(model, path)
    return path


def _classifier(inp: str = "input", out: str = "probs", features: int = 64) -> onnx.GraphProto:
    weight = np.random.default_rng(0).normal(size=(features, 10)).astype(np.float32)
    return helper.make_graph(
        [
            helper.make_node("MatMul", [inp, "W"], ["logits"]),
            helper.make_node("Softmax", ["logits"], [out], axis=-1),
        ],
        "classifier",
        [helper.make_tensor_value_info(inp, TensorProto.FLOAT, ["N", features])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(weight, "W")],
    )


def test_classifier_without_metadata(tmp_path):
    path = _save(_classifier(), tmp_path / "classifier.onnx")
    with pytest.raises(ModelLoadError, match="not a kgan generator"):
        OnnxGenerator(path)


def test_classifier_with_a_generator_contract(tmp_path):
    contract = default_contract(8, (4, 4, 1), "float32", None)
    path = _save(_classifier(), tmp_path / "classifier.onnx", contract)
    with pytest.raises(ModelLoadError, match=r"declares inputs \['z'\].*\['input'\]"):
        OnnxGenerator(path)


def test_classifier_that_honestly_fits_the_contract_just_works(tmp_path):
    # Names z -> samples and a truthful contract: any such graph is a valid "generator".
    contract = default_contract(64, (10,), "float32", None)
    path = _save(_classifier("z", "samples"), tmp_path / "fits.onnx", contract)
    out = OnnxGenerator(path).sample(5, seed=0)
    assert out.shape == (5, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_classifier_whose_contract_lies_about_the_output_size(tmp_path):
    # A declared output shape that conflicts with the inferred one leaves onnxruntime with
    # an unknown output rank, so only running can show the lie.
    contract = default_contract(64, (12,), "float32", None)
    graph = _classifier("z", "samples")
    graph.output[0].CopyFrom(
        helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["N", 10, 1])
    )
    gen = OnnxGenerator(_save(graph, tmp_path / "lies.onnx", contract))
    with pytest.raises(InferenceError, match=r"returned shape \(2, 10\).*promises \(2, 12\)"):
        gen.sample(2, seed=0)


@pytest.mark.parametrize("claimed_latent_dim", [64, 32, 1])
def test_symbolic_latent_size_is_refused(tmp_path, claimed_latent_dim):
    # With a symbolic latent size, a lying latent_dim could run silently (broadcasting:
    # z of shape (n, 1) + an embedding of shape (n, d) is fine for onnxruntime), so the
    # graph must state the size, as kgan's exports always do.
    contract = default_contract(claimed_latent_dim, (10,), "float32", None)
    graph = _classifier("z", "samples")
    graph.input[0].type.tensor_type.shape.dim[1].dim_param = "F"
    with pytest.raises(ModelLoadError, match="axis 1 must have the fixed size"):
        OnnxGenerator(_save(graph, tmp_path / "symbolic.onnx", contract))


def test_sequence_output(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("SequenceConstruct", ["z"], ["samples"])],
        "seq",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_sequence_value_info("samples", TensorProto.FLOAT, ["N", 8])],
    )
    path = _save(graph, tmp_path / "seq.onnx", default_contract(8, (8,), "float32", None))
    with pytest.raises(ModelLoadError, match=r"seq\(tensor\(float\)\)"):
        OnnxGenerator(path)


def test_unknown_operator_and_future_opset(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("FancyOp", ["z"], ["samples"], domain="com.example")],
        "custom",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["N", 8])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
    )
    model.ir_version = 8
    helper.set_model_props(
        model, {"kgan.contract": json.dumps(default_contract(8, (8,), "float32", None))}
    )
    onnx.save(model, tmp_path / "custom.onnx")
    with pytest.raises(ModelLoadError, match="cannot load"):
        OnnxGenerator(tmp_path / "custom.onnx")
    identity = helper.make_graph(
        [helper.make_node("Identity", ["z"], ["samples"])],
        "identity",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["N", 8])],
    )
    contract = default_contract(8, (8,), "float32", None)
    path = _save(identity, tmp_path / "future.onnx", contract, opset=99)
    with pytest.raises(ModelLoadError, match="cannot load"):
        OnnxGenerator(path)


@pytest.mark.parametrize("location", ["missing.bin", "../../../../etc/passwd", "/etc/passwd"])
def test_external_data_that_is_missing_or_outside(make_model, tmp_path, location):
    model = make_model()
    proto = onnx.load(model.path)
    weight = proto.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", location
    path = tmp_path / "external.onnx"
    onnx.save(proto, path)
    result = outcome(lambda: OnnxGenerator(path).sample(2, seed=0))
    assert isinstance(result, (ModelLoadError, InferenceError)), result


# -- Contracts that lie about the graph ------------------------------------------------------


@st.composite
def lying_models(draw) -> dict[str, Any]:
    shapes = st.sampled_from([(4, 4, 1), (2, 3, 3), (3, 3, 2), (6,), (2,), (16,)])
    true = {
        "latent_dim": draw(st.integers(1, 5)),
        "out_shape": draw(shapes),
        "dtype": draw(st.sampled_from(["float32", "uint8"])),
        "num_classes": draw(st.sampled_from([None, 2, 3, 5])),
    }
    claim = {
        "latent_dim": draw(st.one_of(st.just(true["latent_dim"]), st.integers(1, 6))),
        "out_shape": draw(st.one_of(st.just(true["out_shape"]), shapes)),
        "dtype": draw(st.one_of(st.just(true["dtype"]), st.sampled_from(["float32", "uint8"]))),
        "num_classes": draw(
            st.one_of(st.just(true["num_classes"]), st.sampled_from([None, 2, 3, 5, 7]))
        ),
    }
    return {"true": true, "claim": claim, "symbolic": draw(st.booleans())}


@examples(80)
@given(case=lying_models(), n=st.integers(1, 7))
def test_contract_that_lies_about_shapes_dtypes_and_classes(scratch, case, n):
    true, claim = case["true"], case["claim"]
    graph_kwargs = {}
    if case["symbolic"]:  # The output shape can only be checked when running.
        graph_kwargs = {"graph_out_shape": ["N", *(f"S{i}" for i in range(len(true["out_shape"])))]}
    model = build_model(
        scratch / "lying.onnx",
        **true,
        raw_contract=json.dumps(default_contract(**claim)),
        **graph_kwargs,
    )
    result = outcome(lambda: OnnxGenerator(model.path).sample(n, seed=1))
    z = sample_latents(n, true["latent_dim"], 1)
    k_true, k_claim = true["num_classes"], claim["num_classes"]
    labels = None if k_claim is None else default_labels(n, k_claim)
    if claim == true:
        assert_matches_model(result, model, z, labels)
    elif {**claim, "num_classes": k_true} == true and None not in (k_true, k_claim):
        # Only the class count lies: fine while the labels used exist in the graph, and
        # onnxruntime's Gather refuses the others (no out-of-bounds read).
        if int(labels.max()) < k_true:
            assert_matches_model(result, model, z, labels)
        else:
            assert isinstance(result, InferenceError), result
    else:
        assert isinstance(result, (ModelLoadError, InferenceError)), result


# -- Malformed, wrong-typed or incomplete contract JSON --------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([0, -1, 1, 8, 2**31, 2**64, 10**400])
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["NHWC", "NF", "float32", "uint8", "int32", "z", "samples"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


BASE_CONTRACT = default_contract(8, (4, 4, 1), "float32", None)
CONTRACT_PATHS = _paths(BASE_CONTRACT)


@st.composite
def mutated_contracts(draw) -> str:
    contract = json.loads(json.dumps(BASE_CONTRACT))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(CONTRACT_PATHS))
        parent = contract
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["set", "delete", "add"]))
            if action == "delete":
                del parent[path[-1]]
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(max_size=6))] = draw(json_values)
            elif action == "add":
                parent.append(draw(json_values))
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            pass  # An earlier mutation removed or replaced the parent.
    return json.dumps(contract)  # NaN/Infinity/huge ints are written as such


raw_contracts = st.one_of(
    mutated_contracts(),
    st.text(max_size=40),
    st.integers(0, len(json.dumps(BASE_CONTRACT))).map(lambda i: json.dumps(BASE_CONTRACT)[:i]),
    json_values.map(json.dumps),
)


@examples(100)
@given(raw=raw_contracts)
def test_malformed_contract_json(models, scratch, raw):
    model = build_model(scratch / "contract.onnx", raw_contract=raw)
    result = outcome(lambda: OnnxGenerator(model.path).sample(2, seed=0))
    if isinstance(result, Exception):
        assert isinstance(result, ModelLoadError), result
    else:  # Accepted: then it still describes this graph (value_range, extra keys...).
        assert_matches_model(result, model, sample_latents(2, 8, 0), None)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("[" * 100_000, "not valid JSON"),  # RecursionError inside json
        ('{"latent_dim": 1' + "0" * 5000 + "}", "not valid JSON"),  # over the int digit limit
        ("", "not valid JSON"),
    ],
)
def test_contract_text_edge_cases(make_model, raw, match):
    path = make_model(raw_contract=raw).path
    with pytest.raises(ModelLoadError, match=match):
        OnnxGenerator(path)


@pytest.mark.parametrize(
    "overrides",
    [
        {"value_range": [-1, 10**400]},  # used to escape as OverflowError
        {"value_range": [-(10**400), 1]},
        {"num_classes": 2**31 + 1},  # labels are int32: ids beyond would silently wrap
        {"num_classes": 10**30},
    ],
)
def test_contract_numbers_out_of_range(make_model, overrides):
    with pytest.raises(ModelLoadError, match="value_range|num_classes"):
        OnnxGenerator(make_model(contract_overrides=overrides).path)


# -- Images ----------------------------------------------------------------------------------


@examples(120)
@given(
    images=arrays_of(npst.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)),
    nrow=st.one_of(st.none(), st.integers(-1, 5), odd_values),
    padding=st.one_of(st.integers(-1, 3), odd_values),
    value_range=st.one_of(
        st.just((-1.0, 1.0)), st.tuples(st.floats(), st.floats()), odd_values, st.lists(st.floats())
    ),
)
def test_make_grid_any_input(images, nrow, padding, value_range):
    result = outcome(
        lambda: make_grid(
            images, nrow=nrow, padding=padding, value_range=value_range, max_bytes=SMALL_BUDGET
        )
    )
    if isinstance(result, Exception):
        assert isinstance(result, InvalidInputError), result
    else:
        assert result.dtype == np.uint8 and result.ndim == 3
        assert images.dtype.kind in "fiu"


@examples(60)
@given(images=arrays_of(npst.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
def test_to_uint8_any_input(images):
    result = outcome(lambda: to_uint8(images))
    if isinstance(result, Exception):
        assert isinstance(result, InvalidInputError), result
    else:
        assert result.dtype == np.uint8 and result.shape == images.shape


# -- kgan-sample -----------------------------------------------------------------------------

odd_flag_text = st.one_of(
    st.sampled_from(["", "0", "-0", "-1", "1e3", "0x10", "nan", " 7 ", "10" * 30, "٣", "-x"]),
    st.text(max_size=5),
)
any_int_text = st.one_of(st.integers().map(str), odd_flag_text)
cli_flags = st.fixed_dictionaries(
    {},
    optional={
        # Valid values stay small (a PNG grid of n images is drawn); absurd ones are refused.
        "--n": st.one_of(st.integers(-3, 300).map(str), st.integers(10**9).map(str), odd_flag_text),
        "--scale": st.one_of(
            st.integers(-3, 6).map(str), st.integers(10**6).map(str), odd_flag_text
        ),
        "--seed": any_int_text,
        "--batch_size": any_int_text,
        "--nrow": any_int_text,
        "--threads": st.one_of(st.integers(-2, 2).map(str), st.integers(300).map(str)),
        "--labels": st.one_of(
            st.lists(st.integers(-2, 10**12), min_size=1, max_size=4).map(
                lambda ids: ",".join(map(str, ids))
            ),
            odd_flag_text,
        ),
    },
)


@examples(60)
@given(
    name=st.sampled_from(MODEL_NAMES),
    flags=cli_flags,
    suffix=st.sampled_from([".png", ".npy", ".txt", ""]),
)
def test_cli_any_flag_values(models, scratch, name, flags, suffix):
    argv = ["--model", str(models[name].path), "--out", str(scratch / f"out{suffix}")]
    for flag, value in flags.items():
        argv += [flag, value]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = cli_main(argv)
        except SystemExit as exc:  # pragma: no cover - main() must not exit
            raise AssertionError(f"main() raised SystemExit({exc.code})") from exc
    assert status in (0, 1, 2), status
    if status:
        lines = stderr.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kgan-sample: error: "), lines
    else:
        assert stdout.getvalue().strip() == argv[3]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_without_a_budget_an_out_of_memory_request_stays_in_the_error_contract(models):
    gen = OnnxGenerator(models["image"].path, max_bytes=None)
    with pytest.raises(
        InvalidInputError, match="generating 10000000000000 samples needs more memory"
    ):
        gen.sample(10**13, seed=0)  # numpy refuses the latents at once (MemoryError)
    z = np.broadcast_to(np.zeros(8, np.float32), (10**13, 8))  # a view: no memory yet
    with pytest.raises(InvalidInputError, match="needs more memory than is available"):
        gen(z)
