"""kgan.data.builtin: the 2-D mixtures, their geometry, and the digits shipped with kgan."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from kgan import data
from kgan.data import builtin


def _all(ds):
    return np.concatenate([np.asarray(b) for b in ds])


@pytest.mark.parametrize(
    "name,centers,std",
    [
        ("ring8", data.ring8_centers(), data.RING8_STD),
        ("grid25", data.grid25_centers(), data.GRID25_STD),
    ],
)
def test_mixtures_are_gaussians_around_their_modes(name, centers, std):
    x = _all(data.load(name, batch_size=500, shuffle=False))
    assert x.shape == (data.MIXTURE_EXAMPLES, 2) and x.dtype == np.float32
    dist = np.linalg.norm(x[:, None] - centers[None], axis=-1)
    nearest = dist.argmin(1)
    offsets = x - centers[nearest]
    assert offsets.std() == pytest.approx(std, rel=0.05)
    counts = np.bincount(nearest, minlength=len(centers))
    assert counts.min() > 0.8 * len(x) / len(centers)


def test_ring8_modes_lie_on_the_unit_circle():
    np.testing.assert_allclose(np.linalg.norm(data.ring8_centers(), axis=1), 1.0)
    assert len(data.grid25_centers()) == 25


def test_mixtures_geometry_is_read_only_and_the_one_eval_uses():
    for name, (centers, std) in data.MIXTURES.items():
        assert not centers.flags.writeable
        with pytest.raises(ValueError):
            centers[0, 0] = 5.0
        assert std == {"ring8": data.RING8_STD, "grid25": data.GRID25_STD}[name]
    np.testing.assert_array_equal(data.MIXTURES["ring8"][0], data.ring8_centers())
    np.testing.assert_array_equal(data.MIXTURES["grid25"][0], data.grid25_centers())
    # kgan.eval.metrics computes the same centres today; it should import MIXTURES instead.
    from kgan.eval import metrics

    for name, (centers, std) in metrics.MODES.items():
        np.testing.assert_array_equal(centers, data.MIXTURES[name][0])
        assert std == data.MIXTURES[name][1]


def test_splits_differ_and_seeds_reproduce():
    a, _ = data.mixture_arrays("ring8", "train", seed=0)
    b, _ = data.mixture_arrays("ring8", "train", seed=0)
    c, _ = data.mixture_arrays("ring8", "test", seed=0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[:10], c[:10])


def test_mixture_arrays_refuses_other_names_and_sizes():
    with pytest.raises(ValueError, match=r"Unknown mixture 'ring9'. Expected one of"):
        data.mixture_arrays("ring9")
    with pytest.raises(ValueError, match="num_examples must be a positive integer"):
        data.mixture_arrays("ring8", num_examples=0)
    with pytest.raises(ValueError, match="would take .* more than max_bytes=1000"):
        data.mixture_arrays("ring8", num_examples=1000, max_bytes=1000)


def test_unknown_split_of_a_builtin_set():
    with pytest.raises(ValueError, match="Unknown split='val'"):
        data.load("ring8", split="val", batch_size=10)
    with pytest.raises(ValueError, match="Unknown split='dev' for 'digits'"):
        data.load("digits", split="dev", batch_size=10)


def test_digits_are_8x8_images_in_minus_one_one():
    ds = data.load("digits", batch_size=100, with_labels=True, shuffle=False)
    x, y = next(iter(ds))
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (100, 8, 8, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert set(np.unique(y)) <= set(range(10))
    assert sum(1 for _ in ds) == data.DIGITS_TRAIN // 100
    test_x, _ = data.digits_arrays("test")
    assert len(test_x) == 1797 - data.DIGITS_TRAIN
    all_x, all_y = data.digits_arrays("all")
    assert all_x.shape == (1797, 8, 8, 1) and all_y.dtype == np.int32


def test_shipped_digits_are_scikit_learns_byte_for_byte():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    expected = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    x, y = data.digits_arrays("all")
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(y, bunch.target)


def test_digits_ship_with_their_licence():
    folder = resources.files("kgan.data").joinpath("_resources")
    notice = folder.joinpath("DIGITS_LICENSE.txt").read_text(encoding="utf-8")
    assert "BSD 3-Clause License" in notice and "scikit-learn developers" in notice
    assert "Alpaydin" in notice and "UCI" in notice
    assert folder.joinpath("digits.npz").is_file()
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert "_resources/digits.npz" in pyproject and "_resources/DIGITS_LICENSE.txt" in pyproject


_NO_SKLEARN = """
import sys

class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, _Blocked())
try:
    import sklearn  # noqa: F401
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("scikit-learn is still importable")

import kgan

gan_data = kgan.data.load("digits", batch_size=64)
batch = next(iter(gan_data))
print(tuple(batch.shape), "sklearn" in sys.modules)
"""


def test_the_readme_example_runs_without_scikit_learn():
    """The README's first example needs only a plain install: digits load without sklearn."""
    result = subprocess.run(
        [sys.executable, "-c", _NO_SKLEARN], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(64, 8, 8, 1) False"


@pytest.mark.parametrize("module", ["arrays", "builtin", "npz"])
def test_numpy_only_modules_import_no_tensorflow(module):
    tree = ast.parse(Path(getattr(data, module).__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m.split(".")[0] for m in names} & {"tensorflow", "keras", "tensorflow_datasets"}


def test_builtin_info_without_loading():
    assert builtin.builtin_info("grid25", "test", 100) == {
        "sample_shape": (2,),
        "num_examples": 100,
        "num_classes": 25,
    }
    assert builtin.builtin_info("digits", "test")["num_examples"] == 297
    with pytest.raises(ValueError, match="Unknown split='dev'"):
        builtin.builtin_info("ring8", "dev")


def test_docstring_examples_run():
    import doctest

    from kgan.data import builtin

    result = doctest.testmod(builtin, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
