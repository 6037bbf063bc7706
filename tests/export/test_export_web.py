"""The ONNX export's fixes for the web runtimes: the batch dimension is named `batch`, and no
Conv has the pattern onnxruntime-web's WebGPU backend computes wrongly (a kernel the size of its
input with end-only pads). The JS tests check the result on WebGPU itself (export/js)."""

from __future__ import annotations

import keras
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import kgan
from kgan.export import export_generator
from kgan.export import exporter as export_lib


def _same_size_end_padded_convs(model: onnx.ModelProto) -> list[str]:
    inferred = onnx.shape_inference.infer_shapes(model).graph
    sizes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in (*inferred.input, *inferred.value_info)
    }
    weights = {init.name: list(init.dims) for init in model.graph.initializer}
    found = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        pads = next((list(a.ints) for a in node.attribute if a.name == "pads"), [0, 0, 0, 0])
        if sizes[node.input[0]][2:] == weights[node.input[1]][2:] and pads[:2] == [0, 0]:
            if any(pads[2:]):
                found.append(node.name)
    return found


@pytest.fixture(scope="module")
def digits_onnx(tmp_path_factory) -> onnx.ModelProto:
    keras.utils.set_random_seed(0)
    g, _ = kgan.networks.dcgan(8, (8, 8, 1), width=4)
    out = tmp_path_factory.mktemp("web") / "export"
    export_generator(g, out, formats=("onnx",))  # verified against Keras (parity)
    return onnx.load(out / "generator.onnx")


def test_batch_dimension_is_named_batch(digits_onnx):
    for value in (*digits_onnx.graph.input, *digits_onnx.graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch", value.name
    session = ort.InferenceSession(digits_onnx.SerializeToString())
    assert [a.shape[0] for a in (*session.get_inputs(), *session.get_outputs())] == ["batch"] * 2


def test_no_conv_the_webgpu_backend_computes_wrongly(digits_onnx):
    assert _same_size_end_padded_convs(digits_onnx) == []
    crops = [n for n in digits_onnx.graph.node if n.op_type == "Slice" and "__crop" in n.name]
    assert crops, "the 8x8 DCGAN has 2x2 phase convolutions on 2x2 maps; one is rewritten"


def _conv_model(size: int, pads: list[int]) -> onnx.ModelProto:
    weight = np.random.default_rng(0).normal(size=(3, 2, 2, 2)).astype(np.float32)
    nodes = [
        helper.make_node("Constant", [], ["one"], value_float=1.0),  # a node without inputs
        helper.make_node("Add", ["x", "one"], ["x1"]),
        helper.make_node("Conv", ["x1", "w"], ["y"], kernel_shape=[2, 2], pads=pads, name="c"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [numpy_helper.from_array(weight, "w")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(
    "size, pads, rewritten",
    [(2, [0, 0, 1, 1], True), (2, [0, 0, 1, 0], True), (3, [0, 0, 1, 1], False),
     (2, [1, 1, 0, 0], False), (2, [0, 1, 1, 0], False), (2, [0, 0, 0, 0], False)],
)  # fmt: skip
def test_rewrite_keeps_the_numbers(size, pads, rewritten):
    model = _conv_model(size, pads)
    x = np.random.default_rng(1).normal(size=(3, 2, size, size)).astype(np.float32)
    before = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    export_lib._avoid_same_size_end_pads(model)
    onnx.checker.check_model(model)
    after = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    assert after.shape == before.shape
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    assert any(n.op_type == "Slice" for n in model.graph.node) is rewritten
    assert _same_size_end_padded_convs(model) == []
