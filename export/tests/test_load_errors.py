"""Every unusable model file is a ModelLoadError with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from kgan_runtime_testing import DELETE, default_contract

from kgan_runtime import InvalidInputError, KganRuntimeError, ModelLoadError, OnnxGenerator


def load_error(path, match=None) -> ModelLoadError:
    with pytest.raises(ModelLoadError, match=match) as info:
        OnnxGenerator(path)
    message = str(info.value)
    assert "\n" not in message
    return info.value


def test_error_hierarchy():
    assert issubclass(ModelLoadError, KganRuntimeError)
    assert issubclass(InvalidInputError, KganRuntimeError)
    assert issubclass(InvalidInputError, ValueError)
    assert not issubclass(ModelLoadError, ValueError)


def test_missing_file(tmp_path):
    load_error(tmp_path / "nope.onnx", match="not found")


def test_directory(tmp_path):
    load_error(tmp_path, match="directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    load_error(path, match="empty")


def test_unreadable_file_simulated(models, monkeypatch):
    def deny(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    load_error(models["image"].path, match="cannot read model file .*Permission denied")


def test_truncated_at_many_offsets(models, tmp_path):
    data = models["conditional"].path.read_bytes()
    offsets = sorted(
        {1, 2, 3, 8, 16, 64, len(data) - 1, len(data) - 2, len(data) - 10}
        | set(range(0, len(data), max(1, len(data) // 97))) - {0}
    )
    path = tmp_path / "truncated.onnx"
    for offset in offsets:
        path.write_bytes(data[:offset])
        err = load_error(path)
        assert str(path) in str(err)


def test_truncation_cause_is_chained(models, tmp_path):
    data = models["image"].path.read_bytes()
    path = tmp_path / "half.onnx"
    path.write_bytes(data[: len(data) // 2])
    err = load_error(path, match="cannot load")
    assert err.__cause__ is not None
    assert not isinstance(err.__cause__, KganRuntimeError)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes(tmp_path, seed):
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(seed).bytes(500 + 300 * seed))
    load_error(path)


def test_text_file(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("this is not an onnx model\n")
    load_error(path)


def test_onnx_without_metadata(make_model):
    model = make_model(metadata=False)
    load_error(model.path, match="no 'kgan.contract'")


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('"text"', "JSON object"),
        ("null", "JSON object"),
        ("{}", "missing required key"),
    ],
)
def test_contract_not_a_valid_object(make_model, raw, match):
    load_error(make_model(raw_contract=raw).path, match=match)


Z8 = {"z": {"dtype": "float32", "shape": [None, 8]}}


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"format": "something-else"}, "format must be"),
        ({"format_version": 2}, "unsupported format_version 2"),
        ({"format_version": "1"}, "format_version must be an integer"),
        ({"format_version": True}, "format_version must be an integer"),
        ({"latent_dim": DELETE}, "missing required key"),
        ({"latent_dim": 0}, "latent_dim must be"),
        ({"latent_dim": 8.0}, "latent_dim must be"),
        ({"latent_dim": True}, "latent_dim must be"),
        # latent_dim disagrees with inputs.z.shape.
        ({"latent_dim": 9}, r"inputs.z.shape must be \[null, 9\]"),
        # latent_dim and inputs.z agree with each other but not with the graph.
        (
            {"latent_dim": 9, "inputs": {"z": {"dtype": "float32", "shape": [None, 9]}}},
            "input 'z'.*axis 1 differs",
        ),
        # Wrong input names in the contract.
        ({"inputs": {"latent": {"dtype": "float32", "shape": [None, 8]}}}, "exactly the names"),
        ({"inputs": {**Z8, "extra": {"dtype": "int32", "shape": [None]}}}, "exactly the names"),
        ({"inputs": []}, "inputs must be an object"),
        ({"inputs": {"z": {"dtype": "float32"}}}, "'dtype' and 'shape'"),
        ({"inputs": {"z": {"dtype": "float32", "shape": "N,8"}}}, "shape must be a list"),
        ({"inputs": {"z": {"dtype": "float32", "shape": [None, -8]}}}, "shape must be a list"),
        ({"inputs": {"z": {"dtype": "float64", "shape": [None, 8]}}}, "inputs.z.dtype"),
        ({"inputs": {"z": {"dtype": "float32", "shape": [4, 8]}}}, r"must be \[null, 8\]"),
        ({"outputs": {"images": {"dtype": "float32", "shape": [None, 4, 4, 1]}}}, "exactly"),
        # Lying dtypes.
        ({"outputs": {"samples": {"dtype": "float16", "shape": [None, 4, 4, 1]}}}, "must be one"),
        (
            {
                "outputs": {"samples": {"dtype": "uint8", "shape": [None, 4, 4, 1]}},
                "value_range": [0, 255],
            },
            "dtype uint8.*tensor\\(float\\)",
        ),
        # Lying ranks / sizes.
        ({"outputs": {"samples": {"dtype": "float32", "shape": [None, 16, 1]}}}, "rank 4"),
        ({"outputs": {"samples": {"dtype": "float32", "shape": [None, 8, 2, 1]}}}, "axis 1"),
        ({"outputs": {"samples": {"dtype": "float32", "shape": [None, 4, 4, None]}}}, "fixed"),
        ({"layout": "NF"}, "for layout 'NF'"),
        ({"layout": "NCHW"}, "layout must be one of"),
        ({"value_range": [1.0, -1.0]}, "value_range"),
        ({"value_range": [-1.0]}, "value_range"),
        ({"value_range": [-1.0, "1"]}, "value_range"),
        ({"value_range": [float("nan"), 1.0]}, "value_range"),
        ({"num_classes": 1}, "num_classes must be"),
        ({"num_classes": "3"}, "num_classes must be"),
        # Contract claims conditional, graph is not.
        (
            {
                "num_classes": 3,
                "inputs": {**Z8, "labels": {"dtype": "int32", "shape": [None]}},
            },
            r"declares inputs \['labels', 'z'\] but the ONNX graph has inputs \['z'\]",
        ),
        ({"num_classes": 3}, "exactly the names"),
        ({"latents": "uniform"}, "latents must be"),
        ({"opset": "17"}, "opset"),
        ({"versions": "0.1.0"}, "versions"),
    ],
)
def test_invalid_or_lying_contract(make_model, overrides, match):
    model = make_model(contract_overrides=overrides)
    err = load_error(model.path, match=match)
    assert str(model.path) in str(err)


def test_unknown_extra_keys_and_missing_optional_keys_are_fine(make_model):
    model = make_model(contract_overrides={"opset": DELETE, "versions": DELETE, "note": "hi"})
    assert OnnxGenerator(model.path).contract["note"] == "hi"


def test_float_value_range_other_than_unit_is_accepted(make_model):
    model = make_model(out_shape=(2,), contract_overrides={"value_range": [-4, 4.5]})
    assert OnnxGenerator(model.path).value_range == (-4.0, 4.5)


def test_uint8_requires_0_255(make_model):
    model = make_model(dtype="uint8", contract_overrides={"value_range": [-1.0, 1.0]})
    load_error(model.path, match=r"\[0, 255\] for uint8")


def test_graph_has_labels_but_contract_is_unconditional(make_model):
    model = make_model(
        num_classes=3,
        contract_overrides={"num_classes": None, "inputs": Z8},
    )
    load_error(model.path, match=r"declares inputs \['z'\] but the ONNX graph has inputs")


def test_contract_labels_wrong_dtype(make_model):
    model = make_model(
        num_classes=3,
        contract_overrides={
            "inputs": {**Z8, "labels": {"dtype": "int64", "shape": [None]}},
        },
    )
    load_error(model.path, match="inputs.labels.dtype must be 'int32'")


@pytest.mark.parametrize(
    ("graph_kwargs", "match"),
    [
        ({"z_name": "latent"}, r"the ONNX graph has inputs \['latent'\]"),
        ({"output_name": "images"}, r"the ONNX graph has outputs \['images'\]"),
        ({"graph_z_shape": [4, 8]}, "axis 0 differs"),
        ({"graph_z_shape": ["N", 1, 8]}, "rank 3"),
        ({"graph_out_shape": [2, 4, 4, 1]}, "axis 0 differs"),
        (
            {
                "out_shape": (16, 1),
                "contract_overrides": {
                    "layout": "NHWC",
                    "outputs": {"samples": {"dtype": "float32", "shape": [None, 4, 4, 1]}},
                },
            },
            r"output 'samples'.*\(rank 4\).*\(rank 3\)",
        ),
    ],
)
def test_graph_disagrees_with_contract(make_model, graph_kwargs, match):
    load_error(make_model(**graph_kwargs).path, match=match)


def test_graph_with_unknown_output_rank_is_checked_at_run_time(make_model):
    # onnxruntime reports [] (unknown rank) when the declared and inferred shapes conflict.
    model = make_model(graph_out_shape=["N", 16, 1])
    out = OnnxGenerator(model.path).sample(3, seed=0)
    assert out.shape == (3, 4, 4, 1)


def test_graph_labels_name_mismatch(make_model):
    model = make_model(num_classes=3, labels_name="y")
    # The default contract for num_classes=3 declares "labels"; the graph calls it "y".
    load_error(model.path, match=r"declares inputs \['labels', 'z'\].*\['y', 'z'\]")


@pytest.mark.parametrize("providers", ["CPUExecutionProvider", ["NoSuchExecutionProvider"], [1]])
def test_bad_providers(models, providers):
    with pytest.raises(InvalidInputError, match="provider"):
        OnnxGenerator(models["image"].path, providers=providers)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_bad_threads(models, threads):
    with pytest.raises(InvalidInputError, match="threads"):
        OnnxGenerator(models["image"].path, threads=threads)


@pytest.mark.parametrize("path", [None, 3])
def test_bad_path_type(path):
    with pytest.raises(InvalidInputError, match="path must be"):
        OnnxGenerator(path)


ODD_VALUES = [None, True, 0, -1, 1.5, "x", "", [], [None], ["NHWC"], {}, {"a": 1}, [1, 2, 3]]
CONTRACT_PATHS = [
    ("format",),
    ("format_version",),
    ("latent_dim",),
    ("inputs",),
    ("inputs", "z"),
    ("inputs", "z", "dtype"),
    ("inputs", "z", "shape"),
    ("outputs",),
    ("outputs", "samples"),
    ("outputs", "samples", "dtype"),
    ("outputs", "samples", "shape"),
    ("layout",),
    ("value_range",),
    ("num_classes",),
    ("latents",),
    ("opset",),
    ("versions",),
]


@pytest.mark.parametrize("key_path", CONTRACT_PATHS, ids=".".join)
def test_any_odd_contract_value_is_a_model_load_error(make_model, key_path):
    """Systematic mutation: an odd value anywhere loads fine or is a ModelLoadError."""
    for i, value in enumerate(ODD_VALUES):
        contract = default_contract(8, (4, 4, 1), "float32", None)
        target = contract
        for key in key_path[:-1]:
            target = target[key]
        target[key_path[-1]] = value
        path = make_model(f"odd{i}.onnx", raw_contract=json.dumps(contract)).path
        try:
            OnnxGenerator(path)
        except ModelLoadError as err:
            assert "\n" not in str(err)
        # Anything else (TypeError, KeyError...) fails the test.
