"""kgan_runtime.contract.Contract: one typed object writes and parses the kgan contract."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgan_runtime import CONTRACT_KEY, InvalidInputError, ModelLoadError, OnnxGenerator
from kgan_runtime.contract import Contract, TensorSpec

VERSIONS = {"kgan": "0.1.0", "tensorflow": "2.21.0", "keras": "3.15.0", "tf2onnx": "1.17.0"}

# What kgan 0.1's exporter wrote into generator.onnx (json.dumps(contract, sort_keys=True)),
# for an unconditional float DCGAN and a conditional uint8 one: the format is frozen.
WRITTEN_BY_KGAN_0_1 = [
    (
        {"latent_dim": 8, "sample_shape": (8, 8, 1), "layout": "NHWC"},
        '{"format": "kgan-generator", "format_version": 1, "inputs": {"z": {"dtype": "float32", '
        '"shape": [null, 8]}}, "latent_dim": 8, "latents": "standard_normal", "layout": "NHWC", '
        '"num_classes": null, "opset": 17, "outputs": {"samples": {"dtype": "float32", "shape": '
        '[null, 8, 8, 1]}}, "value_range": [-1.0, 1.0], "versions": {"keras": "3.15.0", "kgan": '
        '"0.1.0", "tensorflow": "2.21.0", "tf2onnx": "1.17.0"}}',
    ),
    (
        {
            "latent_dim": 16,
            "sample_shape": (8, 8, 1),
            "layout": "NHWC",
            "sample_dtype": "uint8",
            "num_classes": 10,
        },
        '{"format": "kgan-generator", "format_version": 1, "inputs": {"labels": {"dtype": '
        '"int32", "shape": [null]}, "z": {"dtype": "float32", "shape": [null, 16]}}, '
        '"latent_dim": 16, "latents": "standard_normal", "layout": "NHWC", "num_classes": 10, '
        '"opset": 17, "outputs": {"samples": {"dtype": "uint8", "shape": [null, 8, 8, 1]}}, '
        '"value_range": [0, 255], "versions": {"keras": "3.15.0", "kgan": "0.1.0", '
        '"tensorflow": "2.21.0", "tf2onnx": "1.17.0"}}',
    ),
]


@pytest.mark.parametrize(("fields", "text"), WRITTEN_BY_KGAN_0_1)
def test_to_json_is_byte_for_byte_what_kgan_wrote(fields, text):
    contract = Contract(**fields, opset=17, versions=VERSIONS)
    assert contract.to_json() == text
    assert contract.to_metadata() == {CONTRACT_KEY: text}
    assert Contract.from_json(text) == contract
    assert Contract.from_json(text).to_json() == text


def test_derived_views():
    c = Contract(latent_dim=4, sample_shape=(2,), layout="NF", num_classes=3)
    assert c.inputs == {
        "z": TensorSpec("float32", (None, 4)),
        "labels": TensorSpec("int32", (None,)),
    }
    assert c.input_names == ("z", "labels")
    assert c.outputs == {"samples": TensorSpec("float32", (None, 2))}
    assert c.value_range == (-1.0, 1.0)
    assert Contract(latent_dim=4, sample_shape=(2, 2, 3), layout="NHWC", sample_dtype="uint8") \
        .value_range == (0, 255)  # fmt: skip


def test_numpy_scalars_become_python_values():
    c = Contract(
        latent_dim=np.int64(4),
        sample_shape=(np.int32(2),),
        layout="NF",
        value_range=(np.float32(-2.0), np.int64(3)),
        num_classes=np.uint8(5),
        opset=np.int16(17),
    )
    raw = json.loads(c.to_json())
    assert raw["latent_dim"] == 4 and raw["value_range"] == [-2.0, 3]
    assert type(c.latent_dim) is int and type(c.num_classes) is int
    assert [type(v) for v in c.value_range] == [float, int]
    array_range = Contract(
        latent_dim=2, sample_shape=(2,), layout="NF", value_range=np.ones(2) * [-4, 4]
    )
    assert array_range.value_range == (-4.0, 4.0)


def test_contract_is_immutable_and_to_dict_is_a_copy():
    c = Contract(latent_dim=4, sample_shape=(2,), layout="NF", versions={"kgan": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.latent_dim = 5
    with pytest.raises(TypeError):
        c.versions["kgan"] = "y"
    d = c.to_dict()
    d["versions"]["kgan"] = "y"
    d["inputs"]["z"]["shape"][1] = 99
    assert c.to_dict()["versions"] == {"kgan": "x"} and c.latent_dim == 4


def test_unknown_keys_are_kept_and_optional_keys_may_be_absent():
    raw = Contract(latent_dim=2, sample_shape=(2,), layout="NF").to_dict()
    assert "opset" not in raw and "versions" not in raw
    raw["note"] = {"a": [1]}
    c = Contract.from_dict(raw)
    assert c.extra == {"note": {"a": [1]}} and c.to_dict() == raw


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"latent_dim": 0}, "latent_dim must be an integer >= 1; got 0"),
        ({"latent_dim": True}, "latent_dim must be"),
        ({"layout": "NCHW"}, "layout must be one of"),
        ({"sample_shape": (2, 2)}, "outputs.samples.shape must be"),
        ({"sample_shape": 2}, "sample_shape must be a sequence"),
        ({"sample_dtype": "float16"}, "outputs.samples.dtype must be one of"),
        ({"value_range": (1, -1)}, "value_range must be"),
        ({"value_range": (0, float("inf"))}, "value_range must be"),
        ({"sample_dtype": "uint8", "value_range": (-1.0, 1.0)}, r"\[0, 255\] for uint8"),
        ({"num_classes": 1}, "num_classes must be null or an integer in"),
        ({"opset": 0}, "opset must be"),
        ({"versions": "0.1"}, "versions must be an object"),
        ({"extra": {"latent_dim": 3}}, "extra keys must be strings"),
        ({"extra": {1: 3}}, "extra keys must be strings"),
    ],
)
def test_constructing_an_invalid_contract_is_an_invalid_input_error(fields, match):
    base = {"latent_dim": 4, "sample_shape": (2,), "layout": "NF"}
    with pytest.raises(InvalidInputError, match="^invalid kgan contract: .*" + match):
        Contract(**{**base, **fields})


def test_parse_errors_are_model_load_errors_naming_the_source():
    with pytest.raises(ModelLoadError, match=r"^m\.onnx: invalid kgan contract: expected a JSON"):
        Contract.from_json("[]", source="m.onnx")
    with pytest.raises(
        ModelLoadError, match="^invalid kgan contract: 'kgan.contract' is not valid"
    ):
        Contract.from_json("{")
    with pytest.raises(ModelLoadError, match=r"^x: not a kgan generator: .* \['other'\]"):
        Contract.from_metadata({"other": "1"}, source="x")


def test_from_session_reads_the_onnx_metadata(models):
    import onnxruntime as ort

    session = ort.InferenceSession(str(models["conditional"].path))
    c = Contract.from_session(session, source="f.onnx")
    assert c.to_dict() == models["conditional"].contract
    c.check_graph(session)
    assert OnnxGenerator(models["conditional"].path).typed_contract == c


def _session(inputs, outputs):
    def args(items):
        return [SimpleNamespace(name=n, type=t, shape=s) for n, t, s in items]

    return SimpleNamespace(get_inputs=lambda: args(inputs), get_outputs=lambda: args(outputs))


@pytest.mark.parametrize(
    ("inputs", "outputs", "match"),
    [
        ([("z", "tensor(float)", ["N", 4])], [("samples", "tensor(float)", ["N", 2])], None),
        ([("z", "tensor(float)", ["N", 4])], [("samples", "tensor(float)", [])], None),
        ([("z", "tensor(float)", ["N", 4])], [("samples", "tensor(float)", ["N", "F"])], None),
        ([("z", "tensor(double)", ["N", 4])], [], "dtype float32 \\(tensor\\(float\\)\\)"),
        ([("z", "tensor(float)", ["N", "D"])], [], "axis 1 must have the fixed size 4"),
        ([("z", "tensor(float)", [])], [], "does not state the rank"),
        ([("z", "tensor(float)", ["N", 5])], [], "axis 1 differs"),
        ([("x", "tensor(float)", ["N", 4])], [], r"declares inputs \['z'\]"),
        (
            [("z", "tensor(float)", ["N", 4])],
            [("samples", "tensor(float)", ["N", 3])],
            r"output 'samples'.*axis 1 differs",
        ),
    ],
)
def test_check_graph(inputs, outputs, match):
    contract = Contract(latent_dim=4, sample_shape=(2,), layout="NF")
    session = _session(inputs, outputs or [("samples", "tensor(float)", ["N", 2])])
    if match is None:
        contract.check_graph(session, source="g.onnx")
    else:
        with pytest.raises(ModelLoadError, match="^g.onnx: .*" + match):
            contract.check_graph(session, source="g.onnx")


# -- Any field values: a valid Contract that round-trips, or InvalidInputError -----------------

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(2**31, 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(-1, 5), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(np.int64(4)),
    st.just(np.array([-1.0, 1.0], np.float32)),
    st.just(np.array(1.0)),
    st.just(np.zeros((2, 2))),
)
fields = st.fixed_dictionaries(
    {
        "latent_dim": st.one_of(st.integers(1, 64), odd),
        "sample_shape": st.one_of(
            st.sampled_from([(2,), (4, 4, 1), (8, 8, 3), [5]]), st.tuples(odd), odd
        ),
        "layout": st.one_of(st.sampled_from(["NF", "NHWC"]), odd),
    },
    optional={
        "sample_dtype": st.one_of(st.sampled_from(["float32", "uint8"]), odd),
        "value_range": st.one_of(st.just((0, 255)), st.tuples(odd, odd), odd),
        "num_classes": st.one_of(st.integers(2, 10), odd),
        "opset": st.one_of(st.integers(13, 21), odd),
        "versions": st.one_of(st.just({"kgan": "0.1.0"}), odd),
        "extra": st.one_of(st.just({"note": [1, None]}), odd),
    },
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(fields=fields)
def test_any_fields_give_a_valid_contract_or_invalid_input_error(fields):
    try:
        contract = Contract(**fields)
    except InvalidInputError as err:
        assert str(err).startswith("invalid kgan contract: ") and "\n" not in str(err)
        return
    assert Contract.from_json(contract.to_json()) == contract
    assert Contract.from_dict(json.loads(contract.to_json())).to_json() == contract.to_json()
