"""The version of kgan-runtime and of kgan, read from the one ``VERSION`` file beside this one.

Both pyproject.toml files read the same file (setuptools ``version = {file = ...}``), and
kgan's ``__version__`` is this one, so the version is written in one place.
"""

from __future__ import annotations

from pathlib import Path

__version__ = (Path(__file__).with_name("VERSION")).read_text(encoding="utf-8").strip()
