"""Loading `.keras` files safely: regular files only, bounded expansion, corruption named.

A `.keras` file is a zip archive. Before Keras reads one, `load_keras` checks that it is
a regular file and a readable zip, and that its members' uncompressed sizes add up to no
more than `max_bytes` (default: the larger of `DEFAULT_MAX_BYTES`, 2 GiB, and 4 times the
file's size), so a small file cannot expand into gigabytes of memory (a decompression
bomb). Python's zipfile never returns more than a member's declared size, so the sum of
declared sizes bounds what Keras can inflate. Errors are one line and name the file.

Example:
    >>> gan = load_keras("runs/digits/gan.keras")  # doctest: +SKIP
    >>> load_keras("bomb.keras")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    ValueError: 'bomb.keras' would expand to 5,000,000,000 bytes, more than max_bytes=...
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 2 << 30  # 2 GiB
SIZE_FACTOR = 4  # ... or this many times the file's size, whichever is larger


def check_keras_file(path: str | os.PathLike, *, max_bytes: int | None = None) -> Path:
    """Checks `path` as `load_keras` does, without loading it; returns it as a Path.

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: not a regular file, not a zip archive (corrupt or truncated), no
            `config.json` member, or more than `max_bytes` once uncompressed.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"No model file at {str(path)!r}.") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{str(path)!r} is not a regular file.")
    if path.suffix != ".keras":
        raise ValueError(f"Expected a .keras file; got {str(path)!r}.")
    size = path.stat().st_size
    limit = max(DEFAULT_MAX_BYTES, SIZE_FACTOR * size) if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as err:
        raise ValueError(
            f"{str(path)!r} is corrupt: not a readable .keras (zip) archive ({err})."
        ) from None
    if "config.json" not in {m.filename for m in members}:
        raise ValueError(f"{str(path)!r} is corrupt: a zip archive without config.json.")
    expanded = sum(m.file_size for m in members)
    if expanded > limit:
        raise ValueError(
            f"{str(path)!r} would expand to {expanded:,} bytes, more than max_bytes={limit:,} "
            "(a decompression bomb, or a larger model: raise the limit to load it)."
        )
    return path


def load_keras(
    path: str | os.PathLike,
    *,
    max_bytes: int | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """`keras.models.load_model(path)` after `check_keras_file(path, max_bytes=...)`.

    Args:
        path: the `.keras` file.
        max_bytes: the most its members may add up to uncompressed (None: the larger of
            2 GiB and 4 times the file's size).
        compile: passed to Keras.
        safe_mode: passed to Keras (refuses files that carry code, e.g. lambdas).

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: as `check_keras_file`, or a member Keras cannot read (corrupt).
    """
    import keras

    path = check_keras_file(path, max_bytes=max_bytes)
    try:
        return keras.models.load_model(path, compile=compile, safe_mode=safe_mode)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise ValueError(f"{str(path)!r} is corrupt: {err}.") from None
    except (OSError, ValueError) as err:
        text = str(err)
        if "File not found" in text or "Unable to" in text or isinstance(err, OSError):
            raise ValueError(f"{str(path)!r} is corrupt: {text.splitlines()[0]}") from None
        raise
