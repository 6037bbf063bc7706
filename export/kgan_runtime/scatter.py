"""The picture of 2-D samples: generated points over real ones, with axes and a legend.

Used by ``kgan-sample`` for flat 2-D generators (layout ``NF``) and by kgan's training
sample pictures (ring8, grid25).

**The frame** (:func:`scatter_frame`) shows every real point, the ``value_range`` square if
one is given, and every finite generated point except far outliers: the *core* box spans
the real points, the value range and the central 98% of the generated points on each axis
(their 1st to 99th percentiles); generated points up to one core size beyond the core
are framed too; points farther out are not drawn, and the picture says how many there
are, as it does for NaN/Inf samples. The frame gets a 5% margin, and then equal units on
both axes (a circle stays round): the narrower side is widened around its centre to the
plot's aspect ratio. Exactly the generated points inside that final frame are drawn.

**The picture** (:func:`scatter_image`): a header with the optional title, the legend
(generated in red, real in grey, with counts) and a note ("all 2,000 generated points in
the frame", or how many fall outside and how many are not finite); below it the plot
with its frame, grid lines and ticks labelled with round numbers on both axes, and the
zero axes darker when they fall inside.

Example:
    >>> import numpy as np
    >>> points = np.random.default_rng(0).standard_normal((500, 2))
    >>> frame = scatter_frame(points, value_range=(-1.0, 1.0))
    >>> frame.generated_outside, frame.nonfinite
    (0, 0)
    >>> scatter_image(points, value_range=(-1.0, 1.0)).size
    (512, 512)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ._validation import check_int
from .errors import InvalidInputError
from .fileio import atomic_file

__all__ = [
    "GENERATED_COLOR",
    "REAL_COLOR",
    "SCATTER_SIZE",
    "ScatterFrame",
    "save_scatter",
    "scatter_frame",
    "scatter_image",
]

SCATTER_SIZE = 512
"""Default width and height of the picture, in pixels."""
MIN_SCATTER_SIZE = 200
"""Smallest accepted ``size``: below it the axes' labels do not fit."""
GENERATED_COLOR = (214, 39, 40)
"""Colour of generated points (red)."""
REAL_COLOR = (150, 150, 170)
"""Colour of real points (a bluish grey, unlike any shade of the black text)."""
_GRID_COLOR = (236, 236, 236)
_ZERO_COLOR = (190, 190, 190)
_FRAME_COLOR = (90, 90, 90)
_TEXT_COLOR = (0, 0, 0)
_LINE = 15  # Pixels per header line.
_LEFT, _RIGHT, _BOTTOM = 52, 14, 34  # Plot margins for the tick labels.
_CORE_PERCENTILES = (1.0, 99.0)
_MARGIN = 0.05


@dataclass(frozen=True)
class ScatterFrame:
    """The data window of a scatter picture and what falls outside it.

    Attributes:
        x: ``(low, high)`` of the frame's horizontal axis.
        y: ``(low, high)`` of the vertical axis; ``(x[1] - x[0]) / (y[1] - y[0])`` is
            the ``aspect`` asked for.
        generated: Number of generated points (rows of ``samples``).
        generated_outside: Finite generated points outside the frame (not drawn).
        nonfinite: Generated points with a NaN or Inf coordinate (not drawn).
        real: Number of real points (non-finite ones are skipped).
    """

    x: tuple[float, float]
    y: tuple[float, float]
    generated: int
    generated_outside: int
    nonfinite: int
    real: int

    def note(self) -> str:
        """One line saying what is not shown, e.g. ``"3 of 2,000 generated points lie
        outside the frame"``."""
        n = self.generated
        parts = []
        if self.generated_outside:
            parts.append(f"{self.generated_outside:,} of {n:,} generated points lie outside")
        if self.nonfinite:
            parts.append(f"{self.nonfinite:,} of {n:,} are NaN/Inf")
        if not parts:
            return f"all {n:,} generated points in the frame"
        return "; ".join(parts) + " (not drawn)"


def _points(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except Exception as err:  # Any failure of the caller's object to convert.
        raise InvalidInputError(f"{name} must be an array of shape (n, 2): {err}") from err
    if arr.dtype.kind not in "fiu" or arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInputError(
            f"a scatter plot needs {name} of shape (n, 2) with real numbers; got shape "
            f"{arr.shape} and dtype {arr.dtype}."
        )
    return arr.astype(np.float64)


def _check_value_range(value_range: Sequence[float] | None) -> tuple[float, float] | None:
    if value_range is None:
        return None
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(
            f"value_range must be None or (low, high); got {value_range!r}."
        ) from err
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InvalidInputError(f"value_range must be finite with low < high; got {value_range!r}.")
    return low, high


def scatter_frame(
    samples: Any,
    real: Any = None,
    value_range: Sequence[float] | None = None,
    *,
    aspect: float = 1.0,
) -> ScatterFrame:
    """The frame of :func:`scatter_image`: which window of the plane it shows.

    Args:
        samples: Generated points, shape ``(n, 2)``, n >= 1.
        real: Real points, shape ``(m, 2)``, or ``None``.
        value_range: ``(low, high)`` to include on both axes (a generator's value
            range), or ``None``.
        aspect: Width / height of the plot area: the frame gets this ratio with equal
            units on both axes.

    Returns:
        A :class:`ScatterFrame`.

    Raises:
        InvalidInputError: For points not of shape ``(n, 2)``, no generated point, or a
            bad ``value_range``.

    Example:
        >>> points = np.concatenate([np.zeros((200, 2)), [[1e9, 0.0]]])
        >>> frame = scatter_frame(points, value_range=(-1, 1))
        >>> frame.generated_outside, frame.x[1] < 2
        (1, True)
    """
    gen = _points(samples, "samples")
    if len(gen) == 0:
        raise InvalidInputError("a scatter plot needs at least one generated point; got 0.")
    ref = np.zeros((0, 2)) if real is None else _points(real, "real")
    ref = ref[np.isfinite(ref).all(axis=1)]
    vrange = _check_value_range(value_range)
    finite = np.isfinite(gen).all(axis=1)
    good = gen[finite]

    boxes = [ref] if len(ref) else []
    if vrange is not None:
        boxes.append(np.array([[vrange[0], vrange[0]], [vrange[1], vrange[1]]]))
    if len(good):
        boxes.append(np.percentile(good, _CORE_PERCENTILES, axis=0))
    if not boxes:  # Every generated point is NaN/Inf and there is nothing else to show.
        boxes.append(np.array([[-1.0, -1.0], [1.0, 1.0]]))
    core = np.concatenate(boxes)
    core_lo, core_hi = core.min(axis=0), core.max(axis=0)
    reach = max(float((core_hi - core_lo).max()), 1e-12)
    near = good[((good >= core_lo - reach) & (good <= core_hi + reach)).all(axis=1)]
    lo = np.minimum(core_lo, near.min(axis=0)) if len(near) else core_lo
    hi = np.maximum(core_hi, near.max(axis=0)) if len(near) else core_hi
    pad = np.maximum((hi - lo) * _MARGIN, 1e-9 * np.maximum(1.0, np.abs(lo) + np.abs(hi)))
    lo, hi = lo - pad, hi + pad
    # Equal units: widen the narrower side around its centre to the asked aspect ratio.
    half_w = max((hi[0] - lo[0]) / 2, aspect * (hi[1] - lo[1]) / 2)
    half_h = half_w / aspect
    centre = (lo + hi) / 2
    lo = centre - np.array([half_w, half_h])
    hi = centre + np.array([half_w, half_h])
    inside = ((good >= lo) & (good <= hi)).all(axis=1)
    return ScatterFrame(
        x=(float(lo[0]), float(hi[0])),
        y=(float(lo[1]), float(hi[1])),
        generated=len(gen),
        generated_outside=int((~inside).sum()),
        nonfinite=int((~finite).sum()),
        real=len(ref),
    )


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow < 10.1 or without FreeType.
        return ImageFont.load_default()


def _nice_step(span: float, target: int = 6) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``target`` ticks."""
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _ticks(low: float, high: float) -> list[tuple[float, str]]:
    step = _nice_step(high - low)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    ticks = []
    for k in range(first, last + 1):
        value = k * step
        label = f"{value:.{decimals}f}"
        ticks.append((value, "0" if float(label) == 0 else label))
    return ticks


def scatter_image(
    samples: Any,
    *,
    real: Any = None,
    value_range: Sequence[float] | None = None,
    size: int = SCATTER_SIZE,
    title: str | None = None,
) -> Image.Image:
    """Draw generated 2-D points (red) over real ones (grey), with axes and a legend.

    See the module documentation for the frame and the layout.

    Args:
        samples: Generated points, shape ``(n, 2)``.
        real: Real points, shape ``(m, 2)``, drawn under the generated ones; or ``None``.
        value_range: ``(low, high)`` to include on both axes, or ``None``.
        size: Width and height in pixels (>= 200).
        title: Optional first header line.

    Returns:
        An RGB :class:`PIL.Image.Image` of ``size x size`` pixels.

    Raises:
        InvalidInputError: As :func:`scatter_frame`, or for a bad ``size``.

    Example:
        >>> scatter_image(np.zeros((3, 2)), size=300).size
        (300, 300)
    """
    size = check_int(size, "size", minimum=MIN_SCATTER_SIZE, maximum=16384)
    header_lines = 3 if title else 2  # [title], legend, note.
    top = 6 + _LINE * header_lines + 6
    left, right, bottom = _LEFT, size - 1 - _RIGHT, size - 1 - _BOTTOM
    width, height = right - left, bottom - top
    frame = scatter_frame(samples, real, value_range, aspect=width / height)
    gen = _points(samples, "samples")
    ref = np.zeros((0, 2)) if real is None else _points(real, "real")
    font = _font(11)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    (x0, x1), (y0, y1) = frame.x, frame.y
    unit = (x1 - x0) / width

    def px(values: np.ndarray) -> np.ndarray:
        return np.rint(left + (values - x0) / unit).astype(np.int64)

    def py(values: np.ndarray) -> np.ndarray:
        return np.rint(bottom - (values - y0) / unit).astype(np.int64)

    # Grid, zero axes, ticks and their labels.
    for value, label in _ticks(x0, x1):
        x = int(px(np.array(value)))
        draw.line([(x, top), (x, bottom)], fill=_ZERO_COLOR if label == "0" else _GRID_COLOR)
        draw.line([(x, bottom), (x, bottom + 4)], fill=_FRAME_COLOR)
        draw.text((x, bottom + 6), label, fill=_TEXT_COLOR, font=font, anchor="mt")
    for value, label in _ticks(y0, y1):
        y = int(py(np.array(value)))
        draw.line([(left, y), (right, y)], fill=_ZERO_COLOR if label == "0" else _GRID_COLOR)
        draw.line([(left - 4, y), (left, y)], fill=_FRAME_COLOR)
        draw.text((left - 6, y), label, fill=_TEXT_COLOR, font=font, anchor="rm")

    # Points: a small "+" each, real first, generated on top; those inside the frame.
    def plot(points: np.ndarray, color: tuple[int, int, int]) -> None:
        inside = ((points >= (x0, y0)) & (points <= (x1, y1))).all(axis=1)
        xs, ys = px(points[inside, 0]), py(points[inside, 1])
        for dx, dy in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)):
            pixels = zip((xs + dx).tolist(), (ys + dy).tolist(), strict=True)
            draw.point(list(pixels), fill=color)

    plot(ref, REAL_COLOR)
    plot(gen, GENERATED_COLOR)
    draw.rectangle([(left, top), (right, bottom)], outline=_FRAME_COLOR)

    # Header: title, legend, note.
    y = 6
    if title:
        draw.text((left, y), title, fill=_TEXT_COLOR, font=font)
        y += _LINE
    x = left
    entries = [(GENERATED_COLOR, f"generated ({frame.generated:,})")]
    if real is not None:
        entries.append((REAL_COLOR, f"real ({frame.real:,})"))
    for color, text in entries:
        draw.ellipse([(x, y + 3), (x + 8, y + 11)], fill=color)
        draw.text((x + 12, y), text, fill=_TEXT_COLOR, font=font)
        x += 12 + int(draw.textlength(text, font=font)) + 18
    draw.text((left, y + _LINE), frame.note(), fill=_TEXT_COLOR, font=font)
    return image


def save_scatter(
    samples: Any,
    path: str | os.PathLike[str],
    *,
    real: Any = None,
    value_range: Sequence[float] | None = None,
    size: int = SCATTER_SIZE,
    title: str | None = None,
) -> Path:
    """Write :func:`scatter_image` as a PNG, atomically (the folder must exist).

    Returns:
        The path written, as a :class:`pathlib.Path`.

    Raises:
        InvalidInputError: As :func:`scatter_image`.
        OSError: If the file cannot be written.

    Example:
        >>> save_scatter(samples, "points.png", real=data)  # doctest: +SKIP
        PosixPath('points.png')
    """
    picture = scatter_image(samples, real=real, value_range=value_range, size=size, title=title)
    path = Path(os.fspath(path))
    with atomic_file(path) as tmp:
        picture.save(tmp, format="PNG")
    return path
