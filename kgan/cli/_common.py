"""What every kgan command line shares: quiet TensorFlow and one error contract.

- `quiet_tensorflow()` (called by each CLI's `main` before anything imports
  TensorFlow) keeps TensorFlow's C++ start-up lines, absl's and TensorFlow's
  Python warnings and third-party Python warnings off the terminal, unless
  absl's `--verbosity` (`-v`) was given: `-v 0` (or higher) shows them all.
- `fail(program, error)` prints the one line `PROGRAM: error: MESSAGE` on
  stderr and returns exit status 2 (bad input).
- `check_model_file(path)` refuses a missing, empty, truncated or damaged
  `.keras` file (or one that is not a zip archive) with one line naming the
  file, before TensorFlow loads (`kgan.keras_file`'s checks plus a CRC check).

Nothing here imports TensorFlow.

Example:
    >>> quiet_tensorflow()  # doctest: +SKIP
    >>> check_model_file("runs/x/generator.keras")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

from absl import flags

# Environment that keeps TensorFlow's C++ logging quiet from its first line on (set before import).
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_CPP_MAX_VLOG_LEVEL": "-1"}
# Python packages whose warnings a user of the CLIs cannot act on.
_THIRD_PARTY = r"(keras|tensorflow|tf2onnx|onnx|tensorflow_datasets|absl|google|h5py|numpy)(\.|$)"


def verbose(flag_values: flags.FlagValues = flags.FLAGS) -> bool:
    """True when absl's `--verbosity`/`-v` was given (with a level >= 0) on the command line."""
    if "verbosity" not in flag_values or not flag_values["verbosity"].present:
        return False
    return flag_values["verbosity"].value >= 0


def quiet_tensorflow(show: bool | None = None) -> None:
    """Silences TensorFlow, absl and Keras for a CLI run (unless `show`, default `verbose()`).

    Sets `TF_CPP_MIN_LOG_LEVEL=3` (unless the environment sets it), then
    imports TensorFlow with the process's stderr captured: the lines TensorFlow's
    C++ libraries write while loading, before its log level applies (oneDNN,
    CUDA and CPU-feature notices, "All log messages before absl::InitializeLog()"),
    are dropped, or written out if the import fails. Python warnings from
    Keras, TensorFlow and other third-party packages are ignored, and the
    `tensorflow` and `absl` loggers show errors only. kgan's own warnings stay.
    """
    if show is None:
        show = verbose()
    if show:
        return
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    warnings.filterwarnings("ignore", module=_THIRD_PARTY)
    for name in ("tensorflow", "absl", "tf2onnx", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except Exception:  # pragma: no cover - absl is a dependency
        pass
    if "tensorflow" not in sys.modules:
        _import_with_stderr_captured("tensorflow")


def _import_with_stderr_captured(module: str) -> None:
    """Imports `module` with file descriptor 2 sent to a temporary file; replays it on failure."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            __import__(module)
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def one_line(message: object) -> str:
    """`message` on one line: whitespace runs, newlines included, become one space."""
    return " ".join(str(message).split())


def fail(program: str, error: object, status: int = 2) -> int:
    """Prints `PROGRAM: error: MESSAGE` (one line) on stderr and returns `status`."""
    print(f"{program}: error: {one_line(error)}", file=sys.stderr)
    return status


def check_model_file(path: str | os.PathLike, *, max_bytes: int | None = None) -> None:
    """Raises ValueError (one line, naming `path`) unless `path` is a readable model file.

    A `.keras` file gets `kgan.keras_file.check_keras_file`'s checks (a regular
    file, a zip archive with `config.json`, at most `max_bytes` uncompressed)
    and a CRC check of every member, so a damaged copy is named before Keras
    opens it. Other files (`.onnx`) must be non-empty regular files; their
    loaders check the rest.

    Example:
        >>> check_model_file("no/such/file.keras")
        Traceback (most recent call last):
        ...
        ValueError: No model file at 'no/such/file.keras'.
    """
    from kgan.keras_file import check_keras_file

    path = Path(path)
    name = repr(str(path))
    if path.is_dir():
        raise ValueError(f"{name} is a folder, not a model file.")
    if not path.exists():
        raise ValueError(f"No model file at {name}.")
    try:
        if path.is_file() and path.stat().st_size == 0:
            raise ValueError(f"{name} is empty (0 bytes), not a model file.")
        if path.suffix.lower() != ".keras":
            return
        try:
            check_keras_file(path, max_bytes=max_bytes)
        except FileNotFoundError as err:
            raise ValueError(str(err)) from None
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{name} is corrupt: {one_line(err)}.") from None
    except OSError as err:
        raise ValueError(f"Cannot read {name}: {err.strerror or err}.") from None
    if bad is not None:
        raise ValueError(f"{name} is corrupt: its member {bad!r} fails its CRC check.")
