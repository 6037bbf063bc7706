"""The rules kgan's settings obey, importable without TensorFlow: one owner per name list and bound.

The command lines show these names and ranges in `--help` before TensorFlow
loads, `TrainConfig`'s fields check against them, and the library's own
argument checks use the same objects (the networks' `dropout`), so a bound or
a name list is written once. Registries that hold the implementations check
against the names here: `kgan.data` serves `DATASETS`, `kgan.networks`
builds `ARCHITECTURES`, and `kgan.core.losses` registers `LOSSES` (a test
keeps each registry and its list equal).

Example:
    >>> LABEL_SMOOTHING.check("label_smoothing", 0.1)
    >>> LABEL_SMOOTHING.check("label_smoothing", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: label_smoothing must be in [0, 1); got label_smoothing=1.0.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.util
import math
from pathlib import Path
from typing import Any

# The datasets kgan builds itself: the 2-D mixtures and the digits need no download;
# stacked_mnist stacks digits of an MNIST source (IDX files in data_dir, or TFDS mnist).
DATASETS = ("digits", "grid25", "ring8", "stacked_mnist")
# The point mixtures drawn on the fly; they and stacked_mnist are drawn, so they take
# `num_examples` (SIZED).
MIXTURES = ("ring8", "grid25")
SIZED = (*MIXTURES, "stacked_mnist")
# The network pairs of `kgan.networks`.
ARCHITECTURES = ("mlp", "dcgan", "small_dcgan")
UPSAMPLE_MODES = ("transpose", "resize")  # kgan.networks.dcgan(upsample=...)
# The loss pairs kgan ships (`kgan.core.losses`; users may register more).
LOSSES = ("minimax", "non_saturating", "wasserstein", "hinge", "least_squares", "relativistic")


@dataclasses.dataclass(frozen=True)
class Range:
    """A range of numbers: `low`/`high` bounds (None: unbounded), each closed or open.

    Floats must also be finite. `integer=True` admits only ints (not bools).

    Example:
        >>> Range(0.0, 1.0, high_open=True).describe()
        'in [0, 1)'
        >>> Range(1, integer=True).describe()
        'a positive integer'
        >>> Range(0, integer=True).describe()
        'an integer >= 0'
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def contains(self, value: Any) -> bool:
        """Whether `value` is a number of the right kind inside the range."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        """Words for the range, as in "must be {describe()}"."""
        kind = "an integer" if self.integer else "a finite number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.integer and self.low == 1 and not self.low_open and self.high is None:
            return "a positive integer"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {_number(self.low)}"
        if self.high is not None:
            return f"{kind} {'<' if self.high_open else '<='} {_number(self.high)}"
        return kind

    def check(self, name: str, value: Any, *, optional: bool = False) -> None:
        """Raises ValueError unless `value` lies in the range (or is None when `optional`).

        Raises:
            ValueError: `"{name} must be {describe()}; got {name}={value!r}."`.
        """
        if value is None and optional:
            return
        if not self.contains(value):
            allowed = self.describe() + (" or None" if optional else "")
            raise ValueError(f"{name} must be {allowed}; got {name}={value!r}.")


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


POSITIVE_INT = Range(1, integer=True)
NON_NEGATIVE_INT = Range(0, integer=True)
POSITIVE = Range(0.0, low_open=True)
NON_NEGATIVE = Range(0.0)
FRACTION = Range(0.0, 1.0, high_open=True)  # [0, 1)
# Sizes: each bound keeps one setting from asking for absurd memory or time on its own
# (`--latent_dim=100000000` is refused in a line instead of failing deep in TensorFlow).
# What depends on several settings together (a grid of large images) is checked against the
# memory available when the sizes are known (`kgan.train.run`).
BATCH_SIZE = Range(1, 1 << 16, integer=True)  # 65,536 samples
NUM_EXAMPLES = Range(1, 10**7, integer=True)  # samples of a drawn set (SIZED)
LATENT_DIM = Range(1, 1 << 14, integer=True)  # 16,384
WIDTH = Range(1, 1 << 10, integer=True)  # DCGAN channels: 1,024
UNITS = Range(1, 1 << 14, integer=True)  # MLP units per layer
MAXOUT_PIECES = Range(1, 64, integer=True)
NUM_PACKED = Range(1, 64, integer=True)
GRID_SIZE = Range(1, 1024, integer=True)  # samples in a PNG grid
STEPS_PER_EPOCH = Range(1, 10**8, integer=True)
MAX_STEPS = 10**9 - 1  # epochs x steps per epoch: checkpoint names hold 9 digits
CHECKPOINT_EVERY = Range(1, MAX_STEPS, integer=True)
KEEP_CHECKPOINTS = Range(1, 1000, integer=True)
STEPS_PER_EXECUTION = Range(1, 10**4, integer=True)
MAX_ROLLBACKS = Range(0, 100, integer=True)
# Shared by kgan.GAN's arguments and TrainConfig's fields.
LABEL_SMOOTHING = FRACTION
DROPOUT = FRACTION
PENALTY_WEIGHT = NON_NEGATIVE  # gradient_penalty, r1_gamma
EMA_HALF_LIFE = POSITIVE
EMA_RAMPUP = POSITIVE


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    """Raises ValueError unless `value` is one of `choices`.

    Example:
        >>> check_choice("arch", "gan", ARCHITECTURES)
        Traceback (most recent call last):
        ...
        ValueError: Unknown arch='gan'. Expected one of ['mlp', 'dcgan'].
    """
    # `True == 1`: compare types too, so a bool never passes for an int choice or back.
    if not any(value == c and type(value) is type(c) for c in choices):
        raise ValueError(f"Unknown {name}={value!r}. Expected one of {list(choices)}.")


# ONNX opsets kgan exports: from 13 up to the newest the installed tf2onnx converts.
MIN_ONNX_OPSET = 13
_FALLBACK_MAX_OPSET = 18  # tf2onnx 1.16-1.17's


@functools.cache
def max_onnx_opset() -> int:
    """The newest ONNX opset the installed tf2onnx converts to, read without importing it.

    tf2onnx's package imports TensorFlow, so this reads the keys of
    `OPSET_TO_IR_VERSION` in its `constants.py` source instead (18 for
    tf2onnx 1.17); 18 when tf2onnx is not installed or the table is not found.

    Example:
        >>> max_onnx_opset() >= 17
        True
    """
    try:
        spec = importlib.util.find_spec("tf2onnx")
        locations = list(spec.submodule_search_locations or []) if spec else []
        source = (Path(locations[0]) / "constants.py").read_text() if locations else ""
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "OPSET_TO_IR_VERSION" for t in node.targets)
                and isinstance(node.value, ast.Dict)
            ):
                return max(int(ast.literal_eval(key)) for key in node.value.keys)
    except (ImportError, OSError, SyntaxError, ValueError):
        pass
    return _FALLBACK_MAX_OPSET


def onnx_opset() -> Range:
    """The opsets `kgan.export` accepts: `MIN_ONNX_OPSET` to `max_onnx_opset()`.

    Example:
        >>> onnx_opset().check("opset", 99)
        Traceback (most recent call last):
        ...
        ValueError: opset must be in [13, 18]; got opset=99.
    """
    return Range(MIN_ONNX_OPSET, max_onnx_opset(), integer=True)
