"""Atomic writes: a file or a folder appears under its name complete, or not at all.

Used by kgan-runtime (PNG grids, ``.npy`` samples) and by kgan (checkpoints, ``.keras``
files, JSON files, export folders), so both keep the same guarantees:

- the content goes to a hidden temporary name in the destination's folder, is flushed to
  disk (``fsync``), and is then renamed over the destination (:func:`os.replace`, atomic on
  POSIX and Windows); readers see the old file or the complete new one;
- on any error (including ``KeyboardInterrupt``) the temporary file or folder is removed and
  the error re-raised, and the old destination is left as it was;
- new files and folders get the permissions a plain ``open()``/``mkdir()`` gives them
  (``0o666``/``0o777`` minus the umask), not the ``0o600``/``0o700`` of :mod:`tempfile`;
- :func:`folder_lock` makes one process the only writer of a folder (an OS lock that the
  kernel releases when the process dies, however it dies).

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
import ctypes
import errno
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FolderLocked",
    "atomic_dir",
    "atomic_file",
    "clean_temporaries",
    "folder_lock",
    "write_json",
]


class FolderLocked(RuntimeError):
    """Another live process holds the folder's lock (:func:`folder_lock`).

    Attributes:
        pid: the holder's process id (None when it could not be read).
    """

    def __init__(self, message: str, pid: int | None):
        super().__init__(message)
        self.pid = pid


@contextlib.contextmanager
def folder_lock(lock_path: str | os.PathLike[str], what: str) -> Iterator[Path]:
    """Hold an exclusive lock on ``lock_path`` for the block, or fail at once.

    The lock is ``flock`` on the file, so the kernel releases it when the process exits,
    even by SIGKILL, and a lock file left behind never blocks anyone. The holder writes its
    pid into the file, for the message the next process gets, and removes the file when the
    block ends (a process that locked a file just removed sees it and locks the new one).
    Where ``fcntl`` is missing (Windows) the block runs unlocked.

    Args:
        lock_path: The lock file (its folder must exist).
        what: Words for the locked thing in the error, e.g. ``"the run folder 'runs/a'"``.

    Yields:
        ``lock_path`` as a :class:`pathlib.Path`.

    Raises:
        FolderLocked: Another process (or another ``folder_lock`` in this one) holds it.

    Example:
        >>> with folder_lock("runs/a/.lock", "the run folder 'runs/a'"):  # doctest: +SKIP
        ...     train_into("runs/a")
    """
    path = Path(os.fspath(lock_path))
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield path
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _holder(fd)
            os.close(fd)
            holder = f"process {pid}" if pid is not None else "another process"
            raise FolderLocked(
                f"{what} is in use by {holder} (lock {str(path)!r}); wait for it to finish "
                "or stop it, then try again.",
                pid,
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed this file as we locked it: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still locked: nobody can hold this file after us
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The pid written in a held lock file (it may not be written yet: retry briefly)."""
    import time

    for _ in range(20):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.01)
    return None


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

    If ``path`` exists, the two folders swap names in one atomic step (Linux's
    ``renameat2(RENAME_EXCHANGE)``), so a reader always finds the old folder or the new
    one, and the old one is then removed. Where the exchange is unavailable (other systems,
    or file systems without it) the old folder is renamed aside and the new one into place:
    between those two renames (microseconds) ``path`` is missing, and if the second rename
    fails the old folder is put back. The parent folder of ``path`` is created if missing.

    A kill can leave hidden ``.<name>.<hex>.tmp``/``.old`` folders beside ``path``;
    :func:`clean_temporaries` removes them (call it while holding :func:`folder_lock`).

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
        if path.exists() and _exchange(tmp, path):
            _fsync_folder(path.parent)
            return  # `tmp` now holds the old folder: removed below
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


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # this file system cannot exchange: rename aside instead
    raise OSError(code, os.strerror(code), str(b))


def clean_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the ``.<name>.<hex>.tmp``/``.old`` leftovers of killed writers of ``path``.

    Safe only while no other process writes ``path``: hold its :func:`folder_lock`.

    Returns:
        The paths removed.

    Example:
        >>> clean_temporaries("runs/export")  # doctest: +SKIP
        [PosixPath('runs/.export.3f2a9c01d4e5.tmp')]
    """
    path = Path(os.fspath(path))
    if not path.parent.is_dir():
        return []
    pattern = re.compile(re.escape(f".{path.name}.") + r"[0-9a-f]{12}\.(tmp|old)\Z")
    removed = []
    for leftover in path.parent.iterdir():
        if pattern.match(leftover.name):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


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
