"""Atomic file writes (private)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Write a file so that readers only ever see the old or the complete new file.

    ``write`` receives a binary file object for a temporary file in the same folder
    as ``path``; once it returns, the data is flushed and fsync'ed and the temporary
    file is renamed over ``path`` with :func:`os.replace` (atomic on POSIX and
    Windows). On any error the temporary file is removed and the error re-raised.
    The new file gets the usual permissions (``0o666`` minus the umask).

    Args:
        path: Destination path. Its folder must exist.
        write: Callback that writes the complete content to the given file object.

    Returns:
        ``path`` as a :class:`pathlib.Path`.
    """
    path = Path(os.fspath(path))
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
