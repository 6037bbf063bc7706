"""``kgan-sample``: sample a kgan ONNX generator from the command line.

Examples::

    kgan-sample --model generator.onnx --n 64 --seed 0 --out grid.png
    kgan-sample --model cgan.onnx --n 30 --labels 0,1,2 --nrow 10 --out digits.png
    kgan-sample --model points.onnx --n 2000 --out points.png     # scatter picture
    kgan-sample --model points.onnx --n 2000 --out points.npy     # raw samples
    kgan-sample --model generator.onnx --interpolate 3,7 --steps 48 --out morph.gif
    kgan-sample --model generator.onnx --interpolate 3,7,11 --loop --out walk.png  # a grid

PNG grids are upscaled (nearest neighbour) to at least 256 pixels on the long side unless
``--scale`` says otherwise; 2-D points are drawn with axes and a legend
(:mod:`kgan_runtime.scatter`).

Exit status: 0 on success (the path written is printed on stdout); 2 for bad
flags or inputs, including an unusable model file; 1 if sampling or writing the
output fails otherwise. Errors are one line on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from . import __version__
from ._validation import one_line
from .errors import InferenceError, InvalidInputError, ModelLoadError
from .fileio import atomic_file
from .generator import OnnxGenerator
from .images import MIN_SIDE, make_grid, readable_scale, save_grid
from .latent_tools import METHODS, truncate, walk
from .latents import sample_latents
from .scatter import save_scatter

__all__ = ["main"]

PROG = "kgan-sample"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are a single line (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {value}")
    return value


def _label_list(text: str) -> list[int]:
    try:
        labels = [int(item.strip()) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated class ids such as 0,1,2; got {text!r}"
        ) from None
    for label in labels:
        if not 0 <= label < 2**31:
            raise argparse.ArgumentTypeError(
                f"class ids must be integers in [0, num_classes); got {label}"
            )
    return labels


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [_seed(item.strip()) for item in text.split(",")]
    except argparse.ArgumentTypeError:
        seeds = []
    if len(seeds) < 2:
        raise argparse.ArgumentTypeError(
            f"expected at least 2 comma-separated seeds such as 3,7; got {text!r}"
        )
    return seeds


def _psi(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Sample a kgan ONNX generator and write an image grid (.png) or the raw "
            "samples (.npy). Flat 2-D models (layout NF) are drawn as a scatter plot."
        ),
        epilog="Exit status: 0 ok, 2 bad flags or inputs, 1 other failure.",
    )
    parser.add_argument("--model", required=True, help="path of the kgan .onnx generator")
    parser.add_argument(
        "--out", required=True, help="output file, .png or .npy (or .gif with --interpolate)"
    )
    parser.add_argument(
        "--n", type=_positive_int, default=64, help="number of samples (default 64)"
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="non-negative integer seed; default: fresh randomness every run",
    )
    parser.add_argument(
        "--labels",
        type=_label_list,
        default=None,
        help=(
            "conditional models: comma-separated class ids, repeated cyclically to fill "
            "--n (default: 0,1,...,num_classes-1 repeated)"
        ),
    )
    parser.add_argument(
        "--nrow", type=_positive_int, default=None, help="images per grid row (default ~sqrt(n))"
    )
    parser.add_argument(
        "--batch_size",
        "--batch-size",
        dest="batch_size",
        type=_positive_int,
        default=256,
        help="samples per onnxruntime call (default 256)",
    )
    parser.add_argument(
        "--scale",
        type=_positive_int,
        default=None,
        help=(
            "integer nearest-neighbour upscaling of the PNG grid (default: the smallest "
            f"giving at least {MIN_SIDE} pixels on the long side)"
        ),
    )
    parser.add_argument(
        "--threads", type=_positive_int, default=None, help="onnxruntime intra-op threads"
    )
    parser.add_argument(
        "--truncation",
        type=_psi,
        default=None,
        metavar="PSI",
        help="truncation trick: scale the latents by PSI in [0, 1] towards the mean",
    )
    parser.add_argument(
        "--interpolate",
        type=_seed_list,
        default=None,
        metavar="SEEDS",
        help=(
            "interpolation mode: frames from the image of the first seed to the next ones, e.g. "
            "3,7; writes an animated .gif, a grid .png (one row per segment) or .npy; --n and "
            "--seed are not used; conditional models use the first of --labels (default 0)"
        ),
    )
    parser.add_argument(
        "--steps", type=_positive_int, default=16, help="frames per interpolation segment"
    )
    parser.add_argument(
        "--method", choices=METHODS, default="slerp", help="interpolation (default slerp)"
    )
    parser.add_argument(
        "--loop", action="store_true", help="interpolation returns to the first seed"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _write(
    gen: OnnxGenerator, samples: np.ndarray, out: Path, nrow: int | None, scale: int | None
) -> None:
    if out.suffix.lower() == ".npy":
        with atomic_file(out) as tmp, open(tmp, "wb") as f:
            np.save(f, samples, allow_pickle=False)
    elif gen.layout == "NHWC":
        save_grid(samples, out, nrow=nrow, value_range=gen.value_range, scale=scale)
    else:
        if samples.shape[1] != 2:
            raise InvalidInputError(
                f"a scatter plot needs 2 features per sample; this model has "
                f"{samples.shape[1]}. Use an --out ending in .npy."
            )
        save_scatter(samples, out, value_range=gen.value_range)


def _interpolation(gen: OnnxGenerator, args: argparse.Namespace) -> tuple[np.ndarray, int]:
    """(the frames of ``--interpolate``, frames per grid row)."""
    z = walk(args.interpolate, args.steps, gen.latent_dim, method=args.method, loop=args.loop)
    if args.truncation is not None:
        z = truncate(z, args.truncation)
    labels = None
    if gen.num_classes is not None:
        labels = args.labels[0] if args.labels else 0
    return gen(z, labels, batch_size=args.batch_size), args.steps


def _save_gif(gen: OnnxGenerator, frames: np.ndarray, out: Path, scale: int | None) -> None:
    """An animated GIF (24 frames per second, looping), frames upscaled nearest-neighbour.

    ``scale=None`` gives the readable default of grids (``readable_scale``).
    """
    from PIL import Image

    if gen.layout != "NHWC" or frames.shape[-1] not in (1, 3):
        raise InvalidInputError("a .gif needs image frames with 1 or 3 channels; use .npy.")
    if scale is None:
        scale = readable_scale(*frames.shape[1:3])
    pictures = []
    for frame in frames:
        grid = make_grid(frame[np.newaxis], padding=0, value_range=gen.value_range, scale=scale)
        pictures.append(Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid))
    with atomic_file(out, suffix=".gif") as tmp:
        pictures[0].save(
            tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=42, loop=0
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kgan-sample`` and return its exit status (0 ok, 2 bad input, 1 failure).

    Args:
        argv: Arguments without the program name; default ``sys.argv[1:]``.

    Example:
        >>> main(["--model", "generator.onnx", "--n", "16", "--seed", "0",
        ...       "--out", "grid.png"])  # doctest: +SKIP
        grid.png
        0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version (0) or a usage error (2), already printed.
        return exc.code if isinstance(exc.code, int) else 2

    def fail(status: int, message: object) -> int:
        print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
        return status

    out = Path(args.out)
    suffixes = (".png", ".npy", ".gif") if args.interpolate else (".png", ".npy")
    if out.suffix.lower() not in suffixes:
        what = (
            ".png, .npy or .gif" if args.interpolate else ".png or .npy (.gif with --interpolate)"
        )
        return fail(2, f"--out must end in {what}; got {args.out!r}.")
    if not out.parent.is_dir():
        return fail(2, f"the folder of --out does not exist: {str(out.parent)!r}.")
    if out.is_dir():
        return fail(2, f"--out is a directory: {args.out!r}.")
    try:
        gen = OnnxGenerator(args.model, threads=args.threads)
        if args.interpolate:
            frames, per_row = _interpolation(gen, args)
            if out.suffix.lower() == ".gif":
                _save_gif(gen, frames, out, args.scale)
            else:
                _write(gen, frames, out, args.nrow or per_row, args.scale)
            print(out)
            return 0
        labels = None
        if args.labels is not None:
            gen._check_budget(args.n)  # Before np.resize allocates n labels.
            labels = np.resize(np.asarray(args.labels, dtype=np.int32), args.n)
        if args.truncation is None:
            samples = gen.sample(args.n, seed=args.seed, labels=labels, batch_size=args.batch_size)
        else:
            gen._check_budget(args.n)
            z = truncate(sample_latents(args.n, gen.latent_dim, args.seed), args.truncation)
            samples = gen(z, labels, batch_size=args.batch_size)
        _write(gen, samples, out, args.nrow, args.scale)
    except (InvalidInputError, ModelLoadError) as err:
        return fail(2, err)
    except InferenceError as err:
        return fail(1, err)
    except MemoryError:
        return fail(1, f"out of memory generating {args.n} samples; lower --n or --batch_size.")
    except OSError as err:
        return fail(1, f"cannot write {args.out!r}: {err.strerror or err}")
    except KeyboardInterrupt:
        return fail(130, "interrupted")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
