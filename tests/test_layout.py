"""The layout's import rules (README, "Layout"), checked by reading the imports of the source.

- the runtimes never import kgan;
- the NumPy metrics never import TensorFlow or Keras, nor does any kgan module they
  import when they load;
- the game (`kgan.core`), the networks and the data never import the training run,
  evaluation, export or the command lines;
- `import kgan` loads no TensorFlow until a Keras-backed name is touched.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KGAN = ROOT / "kgan"
RUNTIME = ROOT / "export" / "kgan_runtime"
HEAVY = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "tensorflow_datasets")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The modules `path` imports (`from a import b` gives `a` and `a.b`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name}


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _root(name: str) -> str:
    return name.split(".")[0]


def test_the_runtime_never_imports_kgan():
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(RUNTIME)
        for name in _imports(path)
        if _root(name) == "kgan"
    ]
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("wing", ["core", "networks", "data"])
def test_the_lower_wings_never_import_the_upper_ones(wing):
    upper = ("kgan.train", "kgan.eval", "kgan.export", "kgan.cli")
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(KGAN / wing)
        for name in _imports(path)
        if name.startswith(upper)
    ]
    assert not offences, "\n".join(offences)


def _file_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_numpy_metrics_never_import_tensorflow():
    """Every import in kgan/eval/metrics, and the top-level ones of the kgan modules they load."""
    offences = []
    for path in _sources(KGAN / "eval" / "metrics"):
        offences += [f"{path.relative_to(ROOT)} imports {n}" for n in _imports(path)]
    # What loading them loads: kgan modules (with their parent packages), transitively.
    todo = {_module_name(p) for p in _sources(KGAN / "eval" / "metrics")}
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            path = _file_of(name)
            if name in seen or path is None:
                continue
            seen.add(name)
            for imported in _imports(path, top_level_only=True):
                if _root(imported) in ("kgan", "kgan_runtime"):
                    todo.add(imported)
                elif _root(imported) in HEAVY:
                    offences.append(f"{path.relative_to(ROOT)} imports {imported}")
    offences = [line for line in offences if line.rsplit(" ", 1)[1].split(".")[0] in HEAVY]
    assert not offences, "\n".join(offences)
    assert "kgan.data.builtin" in seen  # the mixtures' geometry is the data's


def _loaded_after(code: str) -> list[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("KERAS_BACKEND", None)
    paths = [str(ROOT), str(ROOT / "export"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_loading_the_numpy_metrics_loads_no_tensorflow():
    code = (
        "import kgan.eval.metrics, kgan.data.builtin, kgan.data.arrays\n"
        "kgan.eval.metrics.get_metric('mode_coverage')\n"
        "kgan.eval.metrics.MODES['ring8']"
    )
    assert _loaded_after(code) == []


def test_import_kgan_loads_tensorflow_only_when_a_keras_name_is_touched():
    light = "import kgan\nkgan.__version__, kgan.data.MIXTURES, dir(kgan), kgan.rules.LOSSES"
    assert _loaded_after(light) == []
    assert "tensorflow" in _loaded_after(light + "\nkgan.GAN")
