"""Atomic writes: a file or a folder appears under its name complete, or not at all.

Used by kgan-runtime (PNG grids, ``.npy`` samples) and by kgan (checkpoints, ``.keras``
files, JSON files, export folders), so both keep the same guarantees:

- the content goes to a hidden temporary name in the destination's folder, is flushed to
  disk (``fsync``), and is then renamed over the destination (:func:`os.replace`, atomic on
  POSIX and Windows); readers see the old file or the complete new one;
- on any error (including ``KeyboardInterrupt``) the temporary file or folder is removed and
  the error re-raised, and the old destination is left as it was;
- new files and folders get the permissions a plain ``open()``/``mkdir()`` gives them
  (``0o666``/``0o777`` minus the umask), not the ``0o600``/``0o700`` of :mod:`tempfile`.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_file(folder / "notes.txt") as tmp:
    ...     _ = tmp.write_text("complete")
    >>> (folder / "notes.txt").read_text()
    'complete'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_dir", "atomic_file", "write_json"]


def _temporary_name(path: Path, suffix: str) -> Path:
    return path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}"


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` if the block succeeds.

    The temporary file exists (empty) when the block starts; write it by name, with any
    writer (``open``, ``PIL.Image.save``, ``keras.Model.save``...). Its name is
    ``.<name>.<random><suffix>`` in the folder of ``path`` (some writers insist on an
    extension, e.g. ``suffix=".keras"``).

    Args:
        path: Destination file. Its folder must exist: a missing folder raises
            :class:`FileNotFoundError` (nothing is created by accident from a typo).
        suffix: End of the temporary name.

    Yields:
        The temporary :class:`pathlib.Path` to write.

    Raises:
        FileNotFoundError: If the folder of ``path`` does not exist.
        OSError: If the file cannot be created, synced or renamed.

    Example:
        >>> with atomic_file("out/grid.png") as tmp:  # doctest: +SKIP
        ...     picture.save(tmp, format="PNG")
    """
    path = Path(os.fspath(path))
    tmp = _temporary_name(path, suffix)
    # O_EXCL: never write through a file or link someone else put there. Mode 0o666 lets the
    # umask decide the permissions, as for open().
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    os.close(os.open(tmp, flags, 0o666))
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``path``; put it in place of ``path`` on success.

    If ``path`` exists it is moved aside, the new folder renamed into place, and only
    then is the old one removed (if the rename fails, the old folder is put back).
    The parent folder of ``path`` is created if missing.

    Args:
        path: Destination folder.

    Yields:
        The temporary folder (empty) to fill.

    Example:
        >>> with atomic_dir("runs/export") as tmp:  # doctest: +SKIP
        ...     (tmp / "kgan.json").write_text("{}")
    """
    path = Path(os.fspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path, ".tmp")
    os.mkdir(tmp, 0o777)  # The umask decides, as for mkdir().
    try:
        yield tmp
        old = None
        if path.exists():
            old = _temporary_name(path, ".old")
            os.replace(path, old)
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:
                os.replace(old, path)
            raise
        _fsync_folder(path.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as indented JSON (keys sorted, a final newline), atomically.

    Unlike :func:`atomic_file`, missing parent folders are created: run folders are
    made on demand.

    Args:
        obj: A JSON-serializable object.
        path: Destination file.

    Returns:
        ``path`` as a :class:`pathlib.Path`.

    Raises:
        TypeError: If ``obj`` is not JSON-serializable (nothing is written).

    Example:
        >>> write_json({"step": 3}, "runs/x/meta.json")  # doctest: +SKIP
        PosixPath('runs/x/meta.json')
    """
    path = Path(os.fspath(path))
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
