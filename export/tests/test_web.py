"""kgan_runtime.web.write_web_folder: the static page folder (the browser test in export/js
loads what it writes and compares the canvas with Python's grid)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgan_runtime import InvalidInputError, ModelLoadError
from kgan_runtime.web import _PACKAGES, _PAGE, _VENDOR, write_web_folder


def _fake_js_dir(root: Path) -> Path:
    """A stand-in for export/js after npm ci: the files write_web_folder copies."""
    (root / "src" / "gen").mkdir(parents=True)
    (root / "src" / "index.js").write_text("export {};\n")
    (root / "src" / "node.js").write_text("// Node only\n")
    (root / "src" / "gen" / "onnx_metadata_pb.js").write_text("export {};\n")
    (root / "web").mkdir()
    for name in _PAGE:
        (root / "web" / name).write_text(f"<!-- {name} -->\n")
    for src, _ in _VENDOR:
        path = root / src
        if path.suffix in (".mjs", ".wasm"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\0asm" if path.suffix == ".wasm" else b"export {};\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "index.js").write_text("export {};\n")
            (path / "index.test.js").write_text("// a package's own test\n")
    for name in _PACKAGES:
        meta = root / "node_modules" / name / "package.json"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"version": "1.0.0", "license": "MIT"}))
    return root


def test_writes_a_complete_folder(models, tmp_path):
    js = _fake_js_dir(tmp_path / "js")
    out = write_web_folder(models["image"].path, tmp_path / "site", js_dir=js)
    assert out == tmp_path / "site"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "index.html",
        "app.js",
        "style.css",
        "serve.py",
        "generator.onnx",
        "contract.json",
    } <= names
    assert "kgan-runtime/index.js" in names and "kgan-runtime/gen/onnx_metadata_pb.js" in names
    assert "kgan-runtime/node.js" not in names and not any(n.endswith(".test.js") for n in names)
    assert "vendor/onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm" in names
    assert (out / "generator.onnx").read_bytes() == models["image"].path.read_bytes()
    assert json.loads((out / "contract.json").read_text()) == models["image"].contract
    assert "onnxruntime-web 1.0.0: licence MIT" in (out / "vendor" / "NOTICE.txt").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.tmp")]


def test_refuses_and_leaves_nothing_behind(models, tmp_path, make_model):
    js = _fake_js_dir(tmp_path / "js")
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty; pass overwrite=True"):
        write_web_folder(models["image"].path, site, js_dir=js)
    assert (site / "keep.txt").read_text() == "mine"
    write_web_folder(models["image"].path, site, js_dir=js, overwrite=True)
    assert not (site / "keep.txt").exists()
    with pytest.raises(
        InvalidInputError, match="the web page shows images; this generator makes NF"
    ):
        write_web_folder(models["points"].path, tmp_path / "points", js_dir=js)
    with pytest.raises(ModelLoadError, match="not a kgan generator"):
        write_web_folder(make_model("bare.onnx", metadata=False).path, tmp_path / "x", js_dir=js)
    with pytest.raises(FileNotFoundError, match=r"run `npm ci` in export/js"):
        write_web_folder(models["image"].path, tmp_path / "y", js_dir=tmp_path / "nowhere")
    assert not (tmp_path / "points").exists() and not (tmp_path / "y").exists()
