"""A static web page for a kgan generator: the generator, its contract, the page, what it runs on.

:func:`write_web_folder` assembles a folder that works offline from any static server: the
page (export/js/web), the JavaScript runtime (export/js/src), onnxruntime-web's JavaScript and
wasm files and the runtime's two small dependencies (copied from export/js/node_modules, so
``npm ci`` must have run in export/js), ``generator.onnx`` and ``contract.json``. Its
``serve.py`` serves it with the headers that enable wasm threads.

Example:
    >>> from kgan_runtime.web import write_web_folder
    >>> write_web_folder("runs/digits/export/generator.onnx", "runs/digits/web")  # doctest: +SKIP
    PosixPath('runs/digits/web')
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from .errors import InvalidInputError
from .generator import OnnxGenerator

__all__ = ["DEFAULT_JS_DIR", "check_web_folder", "write_web_folder"]

DEFAULT_JS_DIR = Path(__file__).resolve().parents[1] / "js"
"""export/js of the kgan checkout this package runs from."""

# (source under the JS folder, destination in the web folder)
_RUNTIME = [("src", "kgan-runtime")]
_PAGE = ["index.html", "app.js", "style.css", "serve.py"]
_VENDOR = [
    ("node_modules/onnxruntime-web/dist/ort.min.mjs", "vendor/onnxruntime-web/ort.min.mjs"),
    (
        "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.mjs",
        "vendor/onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs",
    ),
    (
        "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm",
        "vendor/onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm",
    ),
    ("node_modules/@bufbuild/protobuf/dist/esm", "vendor/protobuf"),
    ("node_modules/lossless-json/lib/esm", "vendor/lossless-json"),
]
_PACKAGES = ["onnxruntime-web", "@bufbuild/protobuf", "lossless-json"]


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(
            src,
            dst,
            ignore=shutil.ignore_patterns("*.d.ts", "*.map", "*.ts", "*.test.js", "node.js"),
        )
    else:
        shutil.copy2(src, dst)


def _notice(js: Path) -> str:
    """Name, version and licence of each npm package copied into vendor/."""
    lines = ["Third-party packages in this folder (from npm):", ""]
    for name in _PACKAGES:
        meta = json.loads((js / "node_modules" / name / "package.json").read_text("utf-8"))
        lines.append(f"{name} {meta.get('version')}: licence {meta.get('license')}")
    return "\n".join(lines) + "\n"


def _sources(js: Path) -> list[tuple[Path, str | None]]:
    """(source, destination in the web folder or None for a file only read) for each input."""
    return [
        *[(js / src, dst) for src, dst in _RUNTIME],
        *[(js / "web" / name, name) for name in _PAGE],
        *[(js / src, dst) for src, dst in _VENDOR],
        *[(js / "node_modules" / name / "package.json", None) for name in _PACKAGES],
    ]


def check_web_folder(
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    js_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Checks what :func:`write_web_folder` needs, before any work (``kgan-export --web``).

    Args:
        out_dir: The folder to write; must be absent or empty unless ``overwrite``.
        overwrite: Replace a non-empty ``out_dir``.
        js_dir: export/js after ``npm ci``; default: the checkout's (:data:`DEFAULT_JS_DIR`).

    Returns:
        The JavaScript package's folder, as a :class:`pathlib.Path`.

    Raises:
        FileNotFoundError: If the package or its npm dependencies are missing.
        FileExistsError: If ``out_dir`` is not an empty folder and ``overwrite`` is False.

    Example:
        >>> check_web_folder("runs/digits/web")  # doctest: +SKIP
        PosixPath('.../export/js')
    """
    js = Path(js_dir) if js_dir is not None else DEFAULT_JS_DIR
    missing = [str(src) for src, _ in _sources(js) if not src.exists()]
    if missing:
        raise FileNotFoundError(
            f"the web page needs kgan-runtime's JavaScript package with its npm dependencies; "
            f"missing {missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''} "
            f"(run `npm ci` in export/js of a kgan checkout, or pass js_dir)."
        )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{str(out)!r} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(
            f"{str(out)!r} exists and is not empty; "
            "pass overwrite=True (--overwrite) to replace it."
        )
    return js


def write_web_folder(
    model: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    js_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a static web page for the generator ``model`` into ``out_dir``.

    The page shows a grid of samples for a seed (the same images as ``kgan-sample --seed``),
    a seed box, a truncation slider, a class picker for conditional generators, an
    interpolation animation between two seeds, the inference time and the backend that ran:
    wasm by default (with threads when the page is cross-origin isolated), WebGPU as an option.
    The model is validated first (its contract, against its graph), and the folder is built in
    a temporary folder and moved into place, so ``out_dir`` is either untouched or complete.

    Args:
        model: A kgan ``.onnx`` file (e.g. ``export/generator.onnx`` from ``kgan-export``).
        out_dir: The folder to write; must be absent or empty unless ``overwrite``.
        overwrite: Replace a non-empty ``out_dir``.
        js_dir: The JavaScript package (export/js, after ``npm ci``); default: the checkout's.

    Returns:
        ``out_dir`` as a :class:`pathlib.Path`.

    Raises:
        ModelLoadError: If ``model`` is not a valid kgan generator.
        InvalidInputError: If ``model`` makes vectors, not images (the page shows images).
        FileExistsError: If ``out_dir`` is not empty and ``overwrite`` is False.
        FileNotFoundError: If the JavaScript package or its node_modules are missing.

    Example:
        >>> write_web_folder("export/generator.onnx", "web")  # doctest: +SKIP
        PosixPath('web')
        >>> # python web/serve.py, then open http://127.0.0.1:8000/
    """
    generator = OnnxGenerator(model)
    if generator.layout != "NHWC":
        raise InvalidInputError(
            f"{generator.path}: the web page shows images; this generator makes "
            f"{generator.layout} vectors."
        )
    js = check_web_folder(out_dir, overwrite=overwrite, js_dir=js_dir)
    sources = _sources(js)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex}")
    try:
        tmp.mkdir()
        for src, dst in sources:
            if dst is not None:
                _copy(src, tmp / dst)
        (tmp / "vendor" / "NOTICE.txt").write_text(_notice(js), encoding="utf-8")
        shutil.copy2(generator.path, tmp / "generator.onnx")
        (tmp / "contract.json").write_text(
            json.dumps(generator.contract, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
