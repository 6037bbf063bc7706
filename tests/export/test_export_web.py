"""The ONNX export's fixes for the web runtimes: the batch dimension is named `batch`, and no
Conv has the pattern onnxruntime-web's WebGPU backend computes wrongly (a kernel the size of its
input with end-only pads). The JS tests check the result on WebGPU itself (export/js)."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from typing import Any

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


# ------------------------------------------------------------------ kgan-export --web


class _Crawl:
    """Fetches a page from a local server the way a browser would: the page's src/href and
    import map, each module's static imports (relative or mapped bare names), the generator."""

    STATIC_IMPORT = re.compile(
        r"""^\s*(?:import|export|\})[^'"\n;]*?\bfrom\s*['"]([^'"]+)['"]"""
        r"""|^\s*import\s*['"]([^'"]+)['"]""",
        re.M,
    )

    def __init__(self, base: str):
        self.base = base
        self.imports: dict[str, str] = {}
        self.fetched: dict[str, bytes] = {}

    def get(self, url: str) -> tuple[bytes, Any]:
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200, url
            return response.read(), response.headers

    def page(self) -> None:
        html = self.get(self.base + "index.html")[0].decode()
        self.fetched[self.base + "index.html"] = html.encode()
        importmap = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
        self.imports = json.loads(importmap.group(1))["imports"]
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            if not ref.startswith("data:"):
                self.visit(urllib.parse.urljoin(self.base, ref))

    def resolve(self, specifier: str, referrer: str) -> str:
        if specifier.startswith((".", "/")):
            return urllib.parse.urljoin(referrer, specifier)
        assert specifier in self.imports, f"{referrer} imports {specifier!r}: not in the import map"
        return urllib.parse.urljoin(self.base, self.imports[specifier])

    def visit(self, url: str) -> None:
        if url in self.fetched:
            return
        body, headers = self.get(url)
        self.fetched[url] = body
        if url.endswith((".js", ".mjs")):
            assert headers["Content-Type"].startswith("text/javascript"), url
            text = body.decode()
            for groups in self.STATIC_IMPORT.findall(text):
                self.visit(self.resolve(next(g for g in groups if g), url))
            for target in re.findall(r"new URL\('([^']+)', location\.href\)", text):
                self.visit(urllib.parse.urljoin(self.base, target))


def test_kgan_export_web_writes_a_page_a_static_server_serves(tmp_path):
    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(8, (8, 8, 1), width=4)
    generator.save(tmp_path / "g.keras")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    cmd = [sys.executable, "-m", "kgan.cli.export", f"--model={tmp_path / 'g.keras'}", "--web"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    web = tmp_path / "web"  # next to the export folder
    assert f"web page: {web}" in result.stdout
    names = {p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file()}
    assert {"index.html", "app.js", "serve.py", "generator.onnx", "contract.json"} <= names
    assert {"kgan-runtime/index.js", "kgan-runtime/latents.js"} <= names
    assert {
        "vendor/onnxruntime-web/ort.min.mjs",
        "vendor/onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs",
        "vendor/onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm",
    } <= names
    onnx_bytes = (tmp_path / "export" / "generator.onnx").read_bytes()
    assert (web / "generator.onnx").read_bytes() == onnx_bytes

    # Served by the folder's own serve.py handler (http.server with the COOP/COEP headers).
    spec = importlib.util.spec_from_file_location("kgan_web_serve", web / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    quiet = type("Quiet", (serve.Handler,), {"log_message": lambda *args: None})
    handler = functools.partial(quiet, directory=str(web))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        crawl = _Crawl(base)
        crawl.page()
        loaded = {url[len(base) :] for url in crawl.fetched}
        assert {"app.js", "style.css", "generator.onnx", "kgan-runtime/index.js"} <= loaded
        assert {"vendor/onnxruntime-web/ort.min.mjs", "vendor/protobuf/index.js"} <= loaded
        assert crawl.fetched[base + "generator.onnx"] == onnx_bytes
        # Every file is served, the wasm with its MIME type, all cross-origin isolated.
        for name in sorted(names):
            body, headers = crawl.get(base + name)
            assert body == (web / name).read_bytes(), name
            assert headers["Cross-Origin-Embedder-Policy"] == "require-corp", name
            assert headers["Cross-Origin-Opener-Policy"] == "same-origin", name
            if name.endswith(".wasm"):
                assert headers["Content-Type"] == "application/wasm"
    finally:
        server.shutdown()
        server.server_close()

    # A second run refuses the non-empty page folder before exporting anything.
    again = [*cmd, f"--out={tmp_path / 'export2'}"]
    refused = subprocess.run(again, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert f"kgan-export: error: {str(web)!r} exists and is not empty" in refused.stderr
    assert "pass overwrite=True (--overwrite)" in refused.stderr
    assert not (tmp_path / "export2").exists()
    # --overwrite replaces a page, never a folder holding something else.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    mine = [*again, f"--web_out={tmp_path / 'mine'}", "--overwrite"]
    refused = subprocess.run(mine, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2 and "holds something other than a kgan web page" in (
        refused.stderr
    )
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    assert not (tmp_path / "export2").exists()
