"""Importing a benchmark script of `scripts/` in a test without its process-wide side effects.

The scripts set TensorFlow's log level (and some hide GPUs) in `os.environ` when imported, as
they should when run; a test restores the environment so later tests see the one they started
with.

    >>> bench_defaults = import_script("bench_defaults")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def import_script(name: str) -> ModuleType:
    """Imports `scripts/<name>.py` (and what it imports from `scripts/`), restoring os.environ."""
    environ = dict(os.environ)
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(SCRIPTS))
        os.environ.clear()
        os.environ.update(environ)
