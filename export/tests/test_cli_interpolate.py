"""kgan-sample's interpolation mode (--interpolate, an animated GIF or a grid) and --truncation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageSequence

from kgan_runtime import OnnxGenerator, make_grid, sample_latents, truncate, walk
from kgan_runtime.cli import main


def run_main(capsys, *args: object) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_gif_frames_go_from_seed_to_seed(models, tmp_path, capsys):
    out = tmp_path / "morph.gif"
    model = models["image"].path
    status, stdout, stderr = run_main(
        capsys,
        "--model",
        model,
        "--interpolate",
        "3,7",
        "--steps",
        "5",
        "--scale",
        "2",
        "--out",
        out,
    )
    assert (status, stdout, stderr) == (0, f"{out}\n", "")
    gen = OnnxGenerator(model)
    expected = gen(walk([3, 7], 5, gen.latent_dim))
    with Image.open(out) as gif:
        frames = [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(gif)]
    assert len(frames) == 6 and frames[0].shape == (8, 8)
    for frame, sample in zip(frames, expected, strict=True):
        picture = make_grid(sample[np.newaxis], padding=0)[..., 0]
        np.testing.assert_array_equal(frame, np.repeat(np.repeat(picture, 2, axis=0), 2, axis=1))
    first = gen.sample(1, seed=3)[0]
    np.testing.assert_array_equal(expected[0], first)


def test_grid_with_one_row_per_segment_and_conditional_label(models, tmp_path, capsys):
    out = tmp_path / "walk.npy"
    model = models["conditional"].path
    flags = [
        "--interpolate",
        "1,2,3",
        "--steps",
        "4",
        "--loop",
        "--method",
        "lerp",
        "--labels",
        "2",
    ]
    assert run_main(capsys, "--model", model, *flags, "--out", out)[0] == 0
    gen = OnnxGenerator(model)
    z = walk([1, 2, 3], 4, gen.latent_dim, method="lerp", loop=True)
    np.testing.assert_array_equal(np.load(out), gen(z, 2))
    png = tmp_path / "walk.png"
    assert run_main(capsys, "--model", model, *flags, "--scale", "1", "--out", png)[0] == 0
    with Image.open(png) as picture:
        assert picture.size == (4 * 5 + 1, 3 * 5 + 1)  # 4 frames per row, 12 frames
    assert run_main(capsys, "--model", model, *flags, "--out", png)[0] == 0
    with Image.open(png) as picture:  # readable by default: 13x to reach 256 px
        assert picture.size == (13 * (4 * 5 + 1), 13 * (3 * 5 + 1))


def test_truncation(models, tmp_path, capsys):
    out = tmp_path / "t.npy"
    model = models["image"].path
    assert run_main(capsys, "--model", model, "--n", "6", "--seed", "4", "--truncation", "0.5",
                    "--out", out)[0] == 0  # fmt: skip
    gen = OnnxGenerator(model)
    np.testing.assert_array_equal(np.load(out), gen(truncate(sample_latents(6, 8, 4), 0.5)))


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--interpolate", "3"], "--interpolate: expected at least 2 comma-separated seeds"),
        (["--interpolate", "3,-1"], "--interpolate: expected at least 2 comma-separated seeds"),
        (["--truncation", "1.5"], "--truncation: expected a number in [0, 1]; got '1.5'"),
        (["--method", "cubic", "--interpolate", "1,2"], "--method: invalid choice: 'cubic'"),
        (["--out", "x.gif"], "--out must end in .png or .npy (.gif with --interpolate)"),
    ],
)
def test_bad_flags(models, tmp_path, capsys, flags, message):
    args = ["--model", models["image"].path, "--out", tmp_path / "x.png", *flags]
    if "--out" in flags:
        args = ["--model", models["image"].path, *flags]
    status, stdout, stderr = run_main(capsys, *args)
    assert status == 2 and stdout == "" and message in stderr, stderr
    assert stderr.count("\n") == 1


def test_gif_of_points_is_refused(models, tmp_path, capsys):
    status, _, stderr = run_main(
        capsys,
        "--model",
        models["points"].path,
        "--interpolate",
        "1,2",
        "--out",
        tmp_path / "p.gif",
    )
    assert status == 2 and "a .gif needs image frames with 1 or 3 channels" in stderr
