"""One error contract for every command line: the same hostile inputs, one line, exit status 2.

kgan-train, kgan-export, kgan-evaluate and kgan-sample each get an unknown
flag, a stray positional argument, and their input file (a `.npz` dataset, a
`.keras` model, an `.onnx` model) missing, a folder, empty, not an archive,
truncated and with a flipped byte: each answer is one line on stderr,
`PROGRAM: error: ...`, naming the file, with exit status 2 and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CLIS = {
    # program -> (module, the input's suffix, arguments taking the input file)
    "kgan-train": ("kgan.cli.train", ".npz", ["--dataset={path}", "--epochs=1", "--out=run"]),
    "kgan-export": ("kgan.cli.export", ".keras", ["--model={path}", "--out=exported"]),
    "kgan-evaluate": ("kgan.cli.evaluate", ".keras", ["--model={path}", "--data=ring8"]),
    "kgan-sample": ("kgan_runtime.cli", ".onnx", ["--model", "{path}", "--out", "grid.png"]),
}
FILES = ["missing", "folder", "empty", "not_an_archive", "truncated", "flipped_byte"]


def _valid_file(suffix: str, path: Path) -> None:
    if suffix == ".npz":
        np.savez(path, x=np.random.default_rng(0).uniform(-1, 1, (400, 2)).astype(np.float32))
    elif suffix == ".keras":
        import kgan

        generator, _ = kgan.networks.mlp(2, (2,), generator_units=(8,), discriminator_units=(4,))
        generator.save(path)
    else:
        import onnx
        from onnx import TensorProto, helper

        weight = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [0.5] * 4)
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["z", "w"], ["samples"])], "g",
            [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 2])],
            [helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["batch", 2])],
            initializer=[weight],
        )  # fmt: skip
        onnx.save(helper.make_model(graph), path)


def _hostile(kind: str, suffix: str, folder: Path) -> Path:
    path = folder / f"{kind}{suffix}"
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "not_an_archive":
        path.write_text("hello, I am not a model\n")
    elif kind in ("truncated", "flipped_byte"):
        _valid_file(suffix, folder / f"valid{suffix}")
        data = bytearray((folder / f"valid{suffix}").read_bytes())
        if kind == "truncated":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    return path


def _run(program: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLIs must be quiet on their own
    module = CLIS[program][0]
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip


def _one_error_line(program: str, result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "FATAL" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"{program}: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("program", sorted(CLIS))
@pytest.mark.parametrize("args", [["--nosuch=1"], ["stray"]], ids=["unknown_flag", "positional"])
def test_bad_arguments_give_one_line_and_status_2(tmp_path, program, args):
    _, suffix, template = CLIS[program]
    given = [arg.format(path=f"model{suffix}") for arg in template]  # parsed before it is read
    line = _one_error_line(program, _run(program, [*given, *args], tmp_path))
    assert "nosuch" in line or "stray" in line, line


@pytest.mark.parametrize("program", sorted(CLIS))
@pytest.mark.parametrize("kind", FILES)
def test_hostile_input_files_give_one_line_naming_the_file(tmp_path, program, kind):
    _, suffix, template = CLIS[program]
    path = _hostile(kind, suffix, tmp_path)
    args = [arg.format(path=f"./{path.name}") for arg in template]
    line = _one_error_line(program, _run(program, args, tmp_path))
    assert path.name in line, line
    if kind != "missing":
        assert "not found" not in line.lower() and "no such file" not in line.lower(), line


def test_export_opset_is_what_the_installed_tf2onnx_converts():
    """--opset accepts 13 to tf2onnx's newest opset, checked before TensorFlow loads."""
    from tf2onnx import constants

    from kgan import rules

    newest = max(constants.OPSET_TO_IR_VERSION)
    assert rules.max_onnx_opset() == newest
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('loaded:', 'tensorflow' in sys.modules))\n"
        f"sys.argv = ['kgan-export', '--opset={newest + 1}', '--model=m.keras']\n"
        "from kgan.cli.export import run\n"
        "run()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"kgan-export: error: flag --opset={newest + 1}: {newest + 1} is not an integer in the "
        f"range [13, {newest}]"
    )
    assert result.stdout.strip() == "loaded: False"
    with pytest.raises(ValueError, match=rf"opset must be in \[13, {newest}\]"):
        from kgan.export import export_generator

        export_generator("m.keras", "out", opset=newest + 1)
