"""Test helpers: toy kgan generators built with onnx.helper and numpy references of them.

A uniquely named module (not ``conftest``) so that test files can import it under
any pytest import mode, next to the main kgan test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kgan_runtime import CONTRACT_KEY, Contract, __version__

EXPORT_DIR = Path(__file__).resolve().parents[1]
DELETE = object()  # Marks a contract key to remove in `contract_overrides`.


@dataclass
class ToyModel:
    """A generated ONNX file and what is needed to compute its outputs with numpy."""

    path: Path
    latent_dim: int
    out_shape: tuple[int, ...]
    dtype: str
    num_classes: int | None
    weight: np.ndarray
    embedding: np.ndarray | None
    contract: dict[str, Any] = field(default_factory=dict)

    def reference(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """numpy version of the ONNX graph, computed in float64."""
        h = np.asarray(z, np.float64)
        if self.embedding is not None:
            h = h + self.embedding.astype(np.float64)[labels]
        t = np.tanh(h @ self.weight.astype(np.float64))
        if self.dtype == "uint8":
            t = (t + 1.0) * 127.5
        return t.reshape(len(z), *self.out_shape)


def default_contract(
    latent_dim: int, out_shape: tuple[int, ...], dtype: str, num_classes: int | None
) -> dict[str, Any]:
    """The JSON object of the contract kgan writes for a toy model.

    A sample shape of neither rank 3 (NHWC) nor rank 1 (NF) has no valid contract: its
    ``outputs.samples.shape`` is then written as it is, for tests to override.
    """
    valid_rank = len(out_shape) in (1, 3)
    contract = Contract(
        latent_dim=latent_dim,
        sample_shape=out_shape if valid_rank else (int(np.prod(out_shape)),),
        layout="NHWC" if len(out_shape) == 3 else "NF",
        sample_dtype=dtype,
        num_classes=num_classes,
        opset=17,
        versions={"kgan": __version__, "tensorflow": "2.21.0", "tf2onnx": "1.17.0"},
    ).to_dict()
    if not valid_rank:
        contract["outputs"]["samples"]["shape"] = [None, *out_shape]
    return contract


def build_model(
    path: Path,
    *,
    latent_dim: int = 8,
    out_shape: tuple[int, ...] = (4, 4, 1),
    dtype: str = "float32",
    num_classes: int | None = None,
    seed: int = 0,
    contract_overrides: dict[str, Any] | None = None,
    raw_contract: str | None = None,
    metadata: bool = True,
    z_name: str = "z",
    labels_name: str = "labels",
    output_name: str = "samples",
    graph_z_shape: list[Any] | None = None,
    graph_out_shape: list[Any] | None = None,
    fail_unless_batch_multiple_of: int | None = None,
) -> ToyModel:
    """Write a toy generator: [z (+ embedding[labels])] @ W -> tanh -> (scale, cast) -> reshape.

    `contract_overrides` replaces top-level contract keys (DELETE removes one);
    `raw_contract` replaces the whole metadata string; the graph_* and *_name
    arguments make the graph disagree with the contract.
    `fail_unless_batch_multiple_of=k` adds a Reshape to (k, -1) and back, so that the
    model loads fine but onnxruntime fails at run time unless batch*features % k == 0.
    """
    rng = np.random.default_rng(seed)
    features = int(np.prod(out_shape))
    weight = rng.normal(scale=0.5, size=(latent_dim, features)).astype(np.float32)
    initializers = [
        numpy_helper.from_array(weight, "W"),
        numpy_helper.from_array(np.array([-1, *out_shape], np.int64), "out_shape"),
    ]
    nodes = []
    h = z_name
    embedding = None
    graph_inputs = [
        helper.make_tensor_value_info(z_name, TensorProto.FLOAT, graph_z_shape or ["N", latent_dim])
    ]
    if num_classes is not None:
        embedding = rng.normal(size=(num_classes, latent_dim)).astype(np.float32)
        initializers.append(numpy_helper.from_array(embedding, "E"))
        graph_inputs.append(helper.make_tensor_value_info(labels_name, TensorProto.INT32, ["N"]))
        nodes += [
            helper.make_node("Gather", ["E", labels_name], ["emb"], axis=0),
            helper.make_node("Add", [z_name, "emb"], ["h0"]),
        ]
        h = "h0"
    nodes += [
        helper.make_node("MatMul", [h, "W"], ["mm"]),
        helper.make_node("Tanh", ["mm"], ["t"]),
    ]
    last = "t"
    if fail_unless_batch_multiple_of is not None:
        k = fail_unless_batch_multiple_of
        initializers.append(numpy_helper.from_array(np.array([k, -1], np.int64), "odd_shape"))
        nodes.append(helper.make_node("Reshape", [last, "odd_shape"], ["odd"]))
        last = "odd"
    elem_type = TensorProto.FLOAT
    if dtype == "uint8":
        initializers += [
            numpy_helper.from_array(np.array(1.0, np.float32), "one"),
            numpy_helper.from_array(np.array(127.5, np.float32), "half_range"),
        ]
        nodes += [
            helper.make_node("Add", [last, "one"], ["shifted"]),
            helper.make_node("Mul", ["shifted", "half_range"], ["scaled"]),
            helper.make_node("Cast", ["scaled"], ["cast"], to=TensorProto.UINT8),
        ]
        last = "cast"
        elem_type = TensorProto.UINT8
    nodes.append(helper.make_node("Reshape", [last, "out_shape"], [output_name]))
    graph = helper.make_graph(
        nodes,
        "toy_generator",
        graph_inputs,
        [
            helper.make_tensor_value_info(
                output_name, elem_type, graph_out_shape or ["N", *out_shape]
            )
        ],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="kgan-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)

    contract = default_contract(latent_dim, out_shape, dtype, num_classes)
    for key, value in (contract_overrides or {}).items():
        if value is DELETE:
            contract.pop(key, None)
        else:
            contract[key] = value
    if metadata:
        text = raw_contract if raw_contract is not None else json.dumps(contract)
        helper.set_model_props(model, {CONTRACT_KEY: text, "other": "x"})
    onnx.save(model, path)
    return ToyModel(
        path=path,
        latent_dim=latent_dim,
        out_shape=tuple(out_shape),
        dtype=dtype,
        num_classes=num_classes,
        weight=weight,
        embedding=embedding,
        contract=contract,
    )


def run_python(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the current interpreter with only export/ on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(EXPORT_DIR)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
