"""kgan's version: kgan-runtime's, read from export/kgan_runtime/VERSION (the one version source).

kgan pins ``kgan-runtime==<the same version>`` (tests/test_version.py checks the pin). The file
is found without importing kgan_runtime (whose package imports numpy and onnxruntime), so
``import kgan`` stays light.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _runtime_version() -> str:
    spec = importlib.util.find_spec("kgan_runtime")
    if spec is None or spec.origin is None:
        raise ImportError("kgan needs kgan-runtime: pip install ./export (from a kgan checkout).")
    return Path(spec.origin).with_name("VERSION").read_text(encoding="utf-8").strip()


__version__ = _runtime_version()

__all__ = ["__version__"]
