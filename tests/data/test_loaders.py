"""kgan.data.loaders: datasets by name, path or TFDS name, in Python and through kgan-train."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from kgan import data
from kgan.data import loaders


def _images(folder, n=12, size=8, mode="RGB"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = (size, size, 3) if mode == "RGB" else (size, size)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(folder / f"{i}.png")
    return folder


def test_names_resolve_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _images(tmp_path / "faces")
    (tmp_path / "notes.txt").write_text("x")
    assert loaders.source("ring8") == "builtin"
    assert loaders.source("x.npz") == "npz"
    assert loaders.source("./faces") == "folder"
    assert loaders.source(str(tmp_path / "faces")) == "folder"
    assert loaders.source("faces") == "tfds"  # a bare name stays a TFDS name ...
    with pytest.raises(
        ValueError, match=r"to read the folder 'faces', give it as a path: './faces'"
    ):
        data.load_arrays("faces")  # ... and the error says how to mean the folder
    assert loaders.source("mnist") == "tfds" and loaders.source("cifar10_corrupted/fog_1") == "tfds"
    with pytest.raises(ValueError, match="is neither a folder of images nor an .npz file"):
        loaders.source("./notes.txt")
    for bad in ("", None, 3):
        with pytest.raises(ValueError, match="name must be a dataset name"):
            loaders.source(bad)


def test_a_folder_path_is_a_dataset(tmp_path):
    folder = _images(tmp_path / "imgs", n=10)
    x, y = data.load_arrays(str(folder))
    assert x.shape == (10, 8, 8, 3) and x.dtype == np.uint8 and y is None
    np.testing.assert_array_equal(x, data.folder_arrays(folder))
    ds = data.load(str(folder), batch_size=4)
    assert ds.element_spec.shape.as_list() == [4, 8, 8, 3]
    assert sum(1 for _ in ds) == 2
    with pytest.raises(ValueError, match="is a folder of images, which has no labels"):
        data.load(str(folder), batch_size=4, with_labels=True)
    with pytest.raises(ValueError, match=r"Unknown split='test' .* one set of samples"):
        data.load_arrays(str(folder), split="test")
    with pytest.raises(ValueError, match="num_examples applies to ring8, grid25, stacked_mnist"):
        data.load_arrays(str(folder), num_examples=3)
    assert len(data.load_arrays(str(folder), split="all")[0]) == 10


def test_an_npz_path_is_a_dataset_with_the_same_checks(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (9, 4, 4, 1), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(9) % 3)
    xs, ys = data.load_arrays(str(tmp_path / "d.npz"), with_labels=True)
    np.testing.assert_array_equal(xs, x)
    assert ys.tolist() == [0, 1, 2] * 3
    xb, yb = next(iter(data.load(str(tmp_path / "d.npz"), batch_size=9, with_labels=True,
                                 shuffle=False)))  # fmt: skip
    np.testing.assert_array_equal(np.asarray(xb), data.uint8_to_float(x))
    np.savez(tmp_path / "nan.npz", x=np.array([[np.nan, 1.0]] * 3))
    with pytest.raises(ValueError, match="NaN or infinite"):
        data.load(str(tmp_path / "nan.npz"), batch_size=2)
    with pytest.raises(ValueError, match="Cannot read dataset file"):
        data.load_arrays(str(tmp_path / "missing.npz"))


def test_describe_reports_labels_for_the_training_runs_warning(tmp_path):
    """The hook for warning that an unconditional GAN ignores a dataset's labels."""
    assert data.describe("digits").has_labels and data.describe("digits").num_classes == 10
    assert data.describe("ring8", num_examples=100).num_examples == 100
    np.savez(tmp_path / "l.npz", x=np.zeros((5, 2), np.float32), y=[0, 1, 0, 1, 3])
    np.savez(tmp_path / "u.npz", x=np.zeros((5, 2), np.float32))
    assert data.describe(str(tmp_path / "l.npz")).num_classes == 4
    assert not data.describe(str(tmp_path / "u.npz")).has_labels
    assert not data.describe(str(_images(tmp_path / "f", n=2))).has_labels
    info = data.describe("digits")
    info.check(batch_size=64, with_labels=True)
    with pytest.raises(ValueError, match=r"batch_size=2000 is larger than the dataset \(1500"):
        info.check(batch_size=2000)
    with pytest.raises(ValueError, match="has no labels, which with_labels=True"):
        data.describe(str(tmp_path / "u.npz")).check(batch_size=2, with_labels=True)
    with pytest.raises(ValueError, match="num_examples applies to ring8, grid25, stacked_mnist"):
        data.describe("digits", num_examples=3)


def _train(*args, cwd=None, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", "kgan.cli.train", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
    )  # fmt: skip


_TINY = ["--arch=dcgan", "--epochs=1", "--steps_per_epoch=2", "--batch_size=4", "--latent_dim=4",
         "--width=4", "--grid_size=4"]  # fmt: skip


def test_kgan_train_takes_a_folder_and_an_npz_file(tmp_path):
    folder = _images(tmp_path / "faces", n=10, size=8, mode="L")
    result = _train(f"--dataset={folder}", *_TINY, f"--out={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["resolved"]["sample_shape"] == [8, 8, 1]
    assert config["resolved"]["num_examples"] == 10
    np.savez(tmp_path / "d.npz", x=data.folder_arrays(folder), y=np.arange(10) % 2)
    result = _train(f"--dataset={tmp_path / 'd.npz'}", "--conditional", *_TINY,
                    f"--out={tmp_path / 'cond'}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        json.loads((tmp_path / "cond" / "config.json").read_text())["resolved"]["num_classes"] == 2
    )


def test_kgan_train_dry_run_downloads_nothing_and_bad_paths_are_one_line(tmp_path):
    result = _train("--dataset=mnist", f"--data_dir={tmp_path / 'tfds'}", "--dry_run",
                    f"--out={tmp_path / 'x'}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dry run: examples of shape (28, 28, 1) (not on disk" in result.stdout
    assert not (tmp_path / "tfds" / "mnist" / "3.0.1").exists()
    result = _train("--dataset=mnist", f"--data_dir={tmp_path / 'tfds'}", "--nodownload",
                    f"--out={tmp_path / 'x'}")  # fmt: skip
    assert result.returncode == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("kgan-train:")]
    assert "is not on disk" in line and "--data_dir" in line and "Traceback" not in result.stderr
    _images(tmp_path / "f", n=3)
    result = _train(f"--dataset={tmp_path / 'f'}", "--conditional", "--batch_size=2", "--dry_run",
                    f"--out={tmp_path / 'x'}")  # fmt: skip
    assert result.returncode == 2 and "has no labels" in result.stderr
    assert "Traceback" not in result.stderr


def test_docstring_examples_run():
    import doctest

    from kgan.data import loaders

    result = doctest.testmod(loaders, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
