"""Small argument checks shared by the public modules (private)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InvalidInputError

DEFAULT_MAX_BYTES = 4 * 2**30
"""Default memory budget of one call (4 GiB): see :func:`check_max_bytes`."""


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` or raise :class:`InvalidInputError`.

    Args:
        value: The value to check.
        name: The argument name used in the error message.
        minimum: The smallest accepted value.
        maximum: The largest accepted value, or ``None`` for no upper bound.
    """
    if not is_int(value):
        raise InvalidInputError(
            f"{name} must be an integer >= {minimum}; got {value!r} of type {type(value).__name__}."
        )
    if value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}; got {int(value)}.")
    if maximum is not None and value > maximum:
        raise InvalidInputError(
            f"{name} must be an integer in [{minimum}, {maximum}]; got {int(value)}."
        )
    return int(value)


def check_max_bytes(value: Any) -> int | None:
    """Validate a ``max_bytes`` argument: an integer >= 1, or ``None`` for no limit."""
    if value is None:
        return None
    return check_int(value, "max_bytes")


def check_budget(nbytes: int, max_bytes: int | None, what: str) -> None:
    """Raise :class:`InvalidInputError` if allocating ``nbytes`` would exceed ``max_bytes``.

    Called *before* anything is allocated, so an absurd request (``n=10**12``) is
    refused at once instead of exhausting memory.
    """
    if max_bytes is not None and nbytes > max_bytes:
        raise InvalidInputError(
            f"{what} needs about {_human(nbytes)} ({nbytes} bytes), more than "
            f"max_bytes={max_bytes} ({_human(max_bytes)}); ask for fewer samples per call "
            f"or raise max_bytes (None disables the limit)."
        )


def _human(nbytes: int) -> str:
    if nbytes < 1024:
        return f"{nbytes} B"
    exponent = min(int(math.log(nbytes, 1024)), 6)
    return f"{nbytes / 1024**exponent:.1f} {'BKMGTPE'[exponent]}iB".replace("BiB", "B")


def one_line(text: object) -> str:
    """Collapse all whitespace (including newlines) in ``str(text)`` to single spaces."""
    return " ".join(str(text).split())
