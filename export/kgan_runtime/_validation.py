"""Small argument checks shared by the public modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidInputError


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` or raise :class:`InvalidInputError`.

    Args:
        value: The value to check.
        name: The argument name used in the error message.
        minimum: The smallest accepted value.
    """
    if not is_int(value):
        raise InvalidInputError(
            f"{name} must be an integer >= {minimum}; got {value!r} of type {type(value).__name__}."
        )
    if value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}; got {int(value)}.")
    return int(value)


def one_line(text: object) -> str:
    """Collapse all whitespace (including newlines) in ``str(text)`` to single spaces."""
    return " ".join(str(text).split())
