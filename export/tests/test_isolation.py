"""The runtime never imports TensorFlow, Keras, kgan or onnx; docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest
from kgan_runtime_testing import run_python

import kgan_runtime

CHILD = """
import sys
import kgan_runtime
from kgan_runtime import OnnxGenerator, save_grid
from kgan_runtime import cli, contract, fileio, scatter  # noqa: F401

gen = OnnxGenerator(sys.argv[1])
images = gen.sample(4, seed=0)
save_grid(images, sys.argv[2], value_range=gen.value_range)
forbidden = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("tensorflow", "keras", "kgan", "onnx", "tf2onnx", "tf_keras")
)
print("FORBIDDEN:" + ",".join(forbidden))
"""


def test_no_tensorflow_keras_or_kgan_in_sys_modules(models, tmp_path):
    result = run_python(
        ["-c", CHILD, str(models["image"].path), str(tmp_path / "g.png")], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FORBIDDEN:", result.stdout
    assert (tmp_path / "g.png").exists()


def test_public_api():
    version_file = Path(kgan_runtime.__file__).with_name("VERSION")
    assert kgan_runtime.__version__ == version_file.read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", kgan_runtime.__version__)
    for name in kgan_runtime.__all__:
        assert hasattr(kgan_runtime, name), name


@pytest.mark.parametrize(
    "module",
    [
        "kgan_runtime",
        "kgan_runtime.contract",
        "kgan_runtime.errors",
        "kgan_runtime.fileio",
        "kgan_runtime.generator",
        "kgan_runtime.images",
        "kgan_runtime.latents",
        "kgan_runtime.scatter",
        "kgan_runtime.cli",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
