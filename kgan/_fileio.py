"""Atomic writes: a file or folder appears under its name complete, or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yields a temporary path next to `path`; renames it to `path` if the block succeeds.

    The temporary name starts with a dot and ends with `suffix` (some writers
    insist on an extension, e.g. ".keras"). The file gets the permissions a
    plain `open()` would give it, not mkstemp's 0600.

    Example:
        >>> with atomic_file("out/config.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def make_temp_dir(next_to: Path) -> Path:
    """A fresh hidden folder beside `next_to`, with default (umask) permissions."""
    next_to.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{next_to.name}.tmp-", dir=next_to.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def write_json(obj: Any, path: str | os.PathLike) -> Path:
    """Writes `obj` as indented JSON, atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)
