"""kgan-sample, in process (fast) and end to end in a subprocess."""

from __future__ import annotations

import numpy as np
import pytest
from kgan_runtime_testing import run_python
from PIL import Image

import kgan_runtime
from kgan_runtime import OnnxGenerator, make_grid
from kgan_runtime.cli import main


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_image_grid(models, tmp_path, capsys):
    out = tmp_path / "grid.png"
    flags = "--n 10 --seed 0 --nrow 5 --batch_size 3 --threads 1".split()
    status, stdout, stderr = run_main(capsys, "--model", models["image"].path, "--out", out, *flags)
    assert (status, stdout, stderr) == (0, f"{out}\n", "")
    with Image.open(out) as png:
        # 26 x 11 pixels, upscaled by default by 10 to reach 256 pixels on the long side.
        assert png.size == ((5 * 5 + 1) * 10, (2 * 5 + 1) * 10)
        pixels = np.asarray(png)
    samples = OnnxGenerator(models["image"].path).sample(10, seed=0)
    np.testing.assert_array_equal(pixels, make_grid(samples, nrow=5, scale=10)[..., 0])


def test_scale_flag_overrides_the_readable_default(models, tmp_path, capsys):
    out = tmp_path / "grid.png"
    flags = ["--n", "10", "--seed", "0", "--nrow", "5", "--scale", "1"]
    assert run_main(capsys, "--model", models["image"].path, "--out", out, *flags)[0] == 0
    with Image.open(out) as png:
        assert png.size == (5 * 5 + 1, 2 * 5 + 1)
        pixels = np.asarray(png)
    samples = OnnxGenerator(models["image"].path).sample(10, seed=0)
    np.testing.assert_array_equal(pixels, make_grid(samples, nrow=5)[..., 0])


def test_conditional_labels_are_cycled(models, tmp_path, capsys):
    out = tmp_path / "cond.npy"
    flags = ["--n", "5", "--seed", "1", "--labels", "2, 0", "--batch-size", "2"]
    status, _, stderr = run_main(
        capsys, "--model", models["conditional"].path, "--out", out, *flags
    )
    assert (status, stderr) == (0, "")
    gen = OnnxGenerator(models["conditional"].path)
    np.testing.assert_array_equal(np.load(out), gen.sample(5, seed=1, labels=[2, 0, 2, 0, 2]))


def test_uint8_model_grid(models, tmp_path, capsys):
    out = tmp_path / "u8.png"
    assert run_main(capsys, "--model", models["uint8"].path, "--n", 4, "--out", out)[0] == 0
    with Image.open(out) as png:
        assert png.size == (11 * 24, 11 * 24)  # 2 x 2 images of 4 x 4, readable by default.


def test_points_scatter_png_and_npy(models, tmp_path, capsys):
    png_path = tmp_path / "points.png"
    status, stdout, _ = run_main(
        capsys, "--model", models["points"].path, "--n", 500, "--seed", 0, "--out", png_path
    )
    assert (status, stdout) == (0, f"{png_path}\n")
    with Image.open(png_path) as png:
        assert (png.size, png.mode) == ((512, 512), "RGB")
        pixels = np.asarray(png)
    assert (pixels != 255).any(axis=-1).sum() > 500  # Points and frame were drawn.

    npy_path = tmp_path / "points.npy"
    flags = "--n 500 --seed 0".split()
    status, _, _ = run_main(capsys, "--model", models["points"].path, "--out", npy_path, *flags)
    assert status == 0
    np.testing.assert_array_equal(
        np.load(npy_path), OnnxGenerator(models["points"].path).sample(500, seed=0)
    )


def test_scatter_frames_the_value_range_and_the_samples(models, tmp_path, capsys):
    from kgan_runtime.scatter import scatter_frame

    out = tmp_path / "points.png"
    assert run_main(capsys, "--model", models["points"].path, "--n", 300, "--out", out)[0] == 0
    gen = OnnxGenerator(models["points"].path)
    frame = scatter_frame(gen.sample(5, seed=0), value_range=gen.value_range)
    assert frame.x[0] < -1.0 and frame.x[1] > 1.0 and frame.y[0] < -1.0 and frame.y[1] > 1.0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--n", "0"], "argument --n: expected a positive integer; got 0"),
        (["--n", "abc"], "argument --n"),
        (["--seed", "-1"], "argument --seed"),
        (["--batch_size", "0"], "argument --batch_size"),
        (["--threads", "x"], "argument --threads"),
        (["--labels", "a,b"], "argument --labels"),
        (["--labels", "1,-2"], "argument --labels"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--out", "x.jpg"], "--out must end in .png or .npy"),
        (["--out", "missing_dir/x.png"], "folder of --out does not exist"),
        (["--labels", "0,1"], "labels were given but this generator is unconditional"),
        (["--model", "missing.onnx"], "model file not found"),
    ],
)
def test_bad_flags_exit_2_with_one_line(models, tmp_path, capsys, monkeypatch, args, match):
    monkeypatch.chdir(tmp_path)
    base = {"--model": str(models["image"].path), "--out": "out.png"}
    for flag in ("--model", "--out"):
        if flag in args:
            base.pop(flag)
    argv = [item for pair in base.items() for item in pair] + args
    status, stdout, stderr = run_main(capsys, *argv)
    assert status == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("kgan-sample: error: ")
    assert match in stderr
    assert not (tmp_path / "out.png").exists()


def test_missing_required_flag(capsys):
    status, _, stderr = run_main(capsys, "--n", "3")
    assert status == 2
    assert stderr.count("\n") == 1 and "required" in stderr


def test_corrupt_model_exit_2(tmp_path, capsys):
    model = tmp_path / "bad.onnx"
    model.write_bytes(b"\x08\x07garbage" * 10)
    status, _, stderr = run_main(capsys, "--model", model, "--out", tmp_path / "o.png")
    assert status == 2
    assert stderr.count("\n") == 1 and str(model) in stderr


def test_labels_out_of_range_for_model_exit_2(models, tmp_path, capsys):
    model = models["conditional"].path
    status, _, stderr = run_main(
        capsys, "--model", model, "--labels", "0,3", "--out", tmp_path / "o.png"
    )
    assert status == 2
    assert r"labels must lie in [0, 3)" in stderr


def test_scatter_needs_two_features(make_model, tmp_path, capsys):
    model = make_model(out_shape=(3,))
    status, _, stderr = run_main(capsys, "--model", model.path, "--out", tmp_path / "p.png")
    assert status == 2 and "2 features" in stderr
    assert run_main(capsys, "--model", model.path, "--out", tmp_path / "p.npy")[0] == 0


def test_runtime_failure_exit_1(make_model, tmp_path, capsys):
    model = make_model(fail_unless_batch_multiple_of=3)
    out = tmp_path / "f.png"
    status, _, stderr = run_main(capsys, "--model", model.path, "--n", "4", "--out", out)
    assert status == 1
    assert stderr.count("\n") == 1 and "onnxruntime failed" in stderr


def test_help_and_version(capsys):
    status, stdout, _ = run_main(capsys, "--help")
    assert status == 0 and "--model" in stdout
    status, stdout, _ = run_main(capsys, "--version")
    assert status == 0 and f"kgan-sample {kgan_runtime.__version__}" in stdout


def test_subprocess_end_to_end(models, tmp_path):
    out = tmp_path / "grid.png"
    flags = ["--model", str(models["rgb"].path), "--n", "64", "--seed", "0", "--out", str(out)]
    result = run_python(["-m", "kgan_runtime.cli", *flags], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert result.stderr == ""
    with Image.open(out) as png:
        assert png.size == ((8 * 6 + 1) * 6, (8 * 4 + 1) * 6)  # Readable: 49 -> 294 pixels.


def test_subprocess_bad_flag(models, tmp_path):
    out = str(tmp_path / "x.png")
    flags = ["--model", str(models["image"].path), "--n", "-5", "--out", out]
    result = run_python(["-m", "kgan_runtime.cli", *flags], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("kgan-sample: error: argument --n")


def test_subprocess_runtime_failure_prints_no_onnxruntime_log(make_model, tmp_path):
    model = make_model(fail_unless_batch_multiple_of=3)
    flags = ["--model", str(model.path), "--n", "4", "--out", str(tmp_path / "x.png")]
    result = run_python(["-m", "kgan_runtime.cli", *flags], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
