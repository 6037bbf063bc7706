"""One version: export/kgan_runtime/VERSION, read by both pyprojects and by both packages."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import tomllib

import kgan
import kgan_runtime

ROOT = Path(__file__).resolve().parents[1]
VERSION_FILE = ROOT / "export" / "kgan_runtime" / "VERSION"


def version() -> str:
    return VERSION_FILE.read_text(encoding="utf-8").strip()


def test_both_pyprojects_read_the_version_file():
    kgan_project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime_project = tomllib.loads((ROOT / "export" / "pyproject.toml").read_text())
    for project, path in ((kgan_project, "export/kgan_runtime/VERSION"),
                          (runtime_project, "kgan_runtime/VERSION")):  # fmt: skip
        assert "version" not in project["project"]
        assert project["project"]["dynamic"] == ["version"]
        assert project["tool"]["setuptools"]["dynamic"]["version"] == {"file": path}
    assert "VERSION" in runtime_project["tool"]["setuptools"]["package-data"]["kgan_runtime"]


def test_kgan_pins_exactly_the_same_kgan_runtime():
    """The pin must be literal in pyproject.toml; this keeps it equal to the version file."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d for d in dependencies if d.replace(" ", "").startswith("kgan-runtime")]
    assert pins == [f"kgan-runtime=={version()}"]


def test_packages_report_the_one_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", version())
    assert kgan.__version__ == kgan_runtime.__version__ == version()
    assert importlib.metadata.version("kgan") == version()
    assert importlib.metadata.version("kgan-runtime") == version()


def test_no_other_file_spells_the_version():
    pattern = re.compile(r"""(__version__|^version)\s*=\s*["']\d""", re.MULTILINE)
    files = [ROOT / "pyproject.toml", ROOT / "export" / "pyproject.toml"]
    files += sorted((ROOT / "kgan").rglob("*.py")) + sorted((ROOT / "export").rglob("*.py"))
    offenders = [str(p.relative_to(ROOT)) for p in files if pattern.search(p.read_text())]
    assert offenders == []
