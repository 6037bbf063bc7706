"""Tests for kgan.metrics: fixed tables with hand-checked values plus references."""

import ast
import doctest
import importlib
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import linalg, special, stats
from scipy.spatial.distance import cdist

from kgan.eval import metrics
from kgan.eval.metrics import (
    METRICS,
    MODES,
    FeatureStats,
    density_coverage,
    frechet_distance,
    frechet_distance_from_activations,
    frechet_distance_from_stats,
    get_metric,
    inception_score,
    kernel_inception_distance,
    mode_coverage,
    parzen_log_likelihood,
    precision_recall,
    register_metric,
)

# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


def sqrtm_frechet(mu1, s1, mu2, s2, eps=1e-6):
    """The widely used pytorch-fid formulation, with scipy.linalg.sqrtm."""
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def random_orthogonal(d, rng):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def mmd2_unbiased_loops(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, written as explicit sums."""
    m, d = x.shape

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (m * m)


def knn_radii_reference(x, k):
    d = cdist(x, x)
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


# ---------------------------------------------------------------------------
# Module hygiene
# ---------------------------------------------------------------------------


METRIC_MODULES = sorted(Path(metrics.__file__).parent.glob("*.py"))
FORBIDDEN = {"tensorflow", "keras", "torch", "jax", "tf2onnx", "onnxruntime"}


def test_the_metric_modules_never_import_tensorflow():
    """Every import in the package's files, at any depth (not only the module level)."""
    assert {p.stem for p in METRIC_MODULES} >= {"registry", "distances", "parzen"}
    for path in METRIC_MODULES:
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        roots = {name.split(".")[0] for name in imported}
        assert not roots & FORBIDDEN, f"{path.name} imports {sorted(roots & FORBIDDEN)}"
        inside = {name for name in imported if name.split(".")[0] == "kgan"}
        # Besides themselves, only the NumPy-only data module that owns the mixtures' geometry.
        allowed = ("kgan.eval.metrics", "kgan.data.builtin")
        assert all(name.startswith(allowed) for name in inside), (path.name, inside)


def test_importing_the_metrics_loads_no_tensorflow():
    """The package's whole import closure, in a fresh process, without kgan/__init__.py.

    kgan/__init__.py imports the networks (TensorFlow) eagerly, so an empty
    module stands in for the `kgan` package: kgan/eval/__init__.py, the
    metrics' own imports and any kgan module they reach all run.
    """
    kgan_dir = Path(metrics.__file__).parents[2]
    code = textwrap.dedent(
        f"""
        import sys, types
        kgan = types.ModuleType("kgan")
        kgan.__path__ = [{str(kgan_dir)!r}]
        sys.modules["kgan"] = kgan
        import kgan.eval.metrics as m
        assert m.get_metric("fid") is m.frechet_distance_from_activations
        heavy = sorted({{k.split(".")[0] for k in sys.modules}} & set({sorted(FORBIDDEN)!r}))
        print("heavy:", heavy)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "heavy: []"


@pytest.mark.parametrize("module", [p.stem for p in METRIC_MODULES])
def test_docstring_examples_run(module):
    name = "kgan.eval.metrics" if module == "__init__" else f"kgan.eval.metrics.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if not module.startswith("_"):
        assert result.attempted >= 1


# ---------------------------------------------------------------------------
# Fréchet distance
# ---------------------------------------------------------------------------

FD_TABLE = [
    # (mu1, sigma1, mu2, sigma2, expected); ||dmu||^2 + sum (sqrt(a) - sqrt(b))^2 for diagonals.
    ([0.0], [[1.0]], [3.0], [[4.0]], 9.0 + 1.0),
    ([0.0, 0.0], np.diag([1.0, 4.0]), [3.0, 0.0], np.diag([4.0, 4.0]), 9.0 + 1.0),
    ([1.0, 2.0], np.diag([2.0, 3.0]), [1.0, 2.0], np.diag([2.0, 3.0]), 0.0),
    ([0.0, 0.0, 0.0], np.diag([1.0, 0.0, 0.0]), [1.0, 1.0, 1.0], np.diag([0.0, 0.0, 9.0]), 13.0),
    ([1.0, 2.0], np.zeros((2, 2)), [4.0, 6.0], np.zeros((2, 2)), 25.0),
    ([0.0, 0.0], np.eye(2), [0.0, 0.0], np.zeros((2, 2)), 2.0),
    ([0.0, 0.0], [[2.0, 1.0], [1.0, 2.0]], [0.0, 0.0], [[2.0, 1.0], [1.0, 2.0]], 0.0),
]


@pytest.mark.parametrize("mu1, sigma1, mu2, sigma2, expected", FD_TABLE)
def test_frechet_distance_table(mu1, sigma1, mu2, sigma2, expected):
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, abs=1e-9)
    assert frechet_distance(mu2, sigma2, mu1, sigma1) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("zeros", [0, 3, 7])
def test_frechet_distance_commuting_covariances_closed_form(zeros):
    # S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T commute, so (S1 S2)^{1/2} = Q diag(sqrt(ab)) Q^T.
    rng = np.random.default_rng(zeros)
    d = 12
    q = random_orthogonal(d, rng)
    a = rng.uniform(0.1, 3.0, d)
    b = rng.uniform(0.1, 3.0, d)
    a[:zeros] = 0.0  # rank-deficient
    b[d - zeros :] = 0.0
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1 = (q * a) @ q.T
    s2 = (q * b) @ q.T
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frechet_distance_matches_sqrtm_reference_on_random_data():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 16))
    b = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16)) * 0.5 + 0.3
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    expected = sqrtm_frechet(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance_from_activations(a, b) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_rank_deficient_is_stable():
    # Fewer samples than features: both covariances are singular (rank 9 in 32 dims).
    rng = np.random.default_rng(1)
    a = rng.normal(size=(10, 32))
    b = rng.normal(size=(10, 32)) + 0.1
    value = frechet_distance_from_activations(a, b)
    assert np.isfinite(value) and value > 0
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    assert value == pytest.approx(sqrtm_frechet(mu1, s1, mu2, s2), rel=1e-3)
    # Nudging the covariances towards full rank changes the value only slightly.
    eps = 1e-8 * np.eye(32)
    assert value == pytest.approx(frechet_distance(mu1, s1 + eps, mu2, s2 + eps), rel=1e-4)


def test_frechet_distance_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(500, 20)) * 3.0 + 5.0
    assert frechet_distance_from_activations(a, a) == pytest.approx(0.0, abs=1e-9)
    # Also for a singular covariance (rank 4 in 20 dims).
    low_rank = rng.normal(size=(5, 20))
    assert frechet_distance_from_activations(low_rank, low_rank) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_same_gaussian_samples_is_small_and_shift_is_seen():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5000, 4))
    b = rng.normal(size=(5000, 4))
    assert frechet_distance_from_activations(a, b) < 0.02
    # Mean shift by 1 along each of 4 axes: FD ~ 4.
    assert frechet_distance_from_activations(a, b + 1.0) == pytest.approx(4.0, abs=0.1)


FD_BAD_INPUTS = [
    (([[0.0]], [[1.0]], [0.0], [[1.0]]), "mu1 must be a non-empty 1-D array"),
    (([0.0], [[1.0]], [0.0, 1.0], np.eye(2)), "mu2 must have the same shape"),
    (
        ([0.0, 0.0], np.eye(3), [0.0, 0.0], np.eye(2)),
        r"sigma1 must be a covariance matrix of shape \(2, 2\)",
    ),
    (([0.0, 0.0], np.eye(2), [0.0, 0.0], [1.0, 1.0]), "sigma2 must be a covariance matrix"),
    (([np.nan], [[1.0]], [0.0], [[1.0]]), "mu1 contains 1 non-finite"),
    (([0.0], [[np.inf]], [0.0], [[1.0]]), "sigma1 contains 1 non-finite"),
    (([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], np.eye(2)), "sigma1 must be symmetric"),
    (([0.0, 0.0], np.eye(2), [0.0, 0.0], np.diag([1.0, -1.0])), "positive semi-definite"),
]


@pytest.mark.parametrize("args, match", FD_BAD_INPUTS)
def test_frechet_distance_rejects_bad_inputs(args, match):
    with pytest.raises(ValueError, match=match):
        frechet_distance(*args)


@pytest.mark.parametrize(
    "a, b, match",
    [
        (np.zeros((1, 3)), np.zeros((5, 3)), "a must have at least 2 sample"),
        (np.zeros((5, 3)), np.zeros((1, 3)), "b must have at least 2 sample"),
        (np.zeros(5), np.zeros((5, 1)), "a must be a 2-D array.*got ndim=1"),
        (np.zeros((5, 3)), np.zeros((5, 4)), "same number of features; got 3 and 4"),
        (np.full((5, 3), np.nan), np.zeros((5, 3)), "a contains 15 non-finite"),
    ],
)
def test_frechet_distance_from_activations_rejects_bad_inputs(a, b, match):
    with pytest.raises(ValueError, match=match):
        frechet_distance_from_activations(a, b)


# ---------------------------------------------------------------------------
# FeatureStats
# ---------------------------------------------------------------------------


def test_feature_stats_streaming_matches_one_shot():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6)) + 2.0
    stats_ = FeatureStats()
    start = 0
    for size in (1, 7, 100, 0, 392):
        stats_.update(x[start : start + size].astype(np.float32 if size == 7 else np.float64))
        start += size
    x[1:8] = x[1:8].astype(np.float32)  # the float32 batch, as float64 saw it
    assert stats_.num == 500
    assert stats_.num_features == 6
    np.testing.assert_allclose(stats_.mean, x.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats_.cov, np.cov(x, rowvar=False), rtol=1e-11, atol=1e-12)


def test_feature_stats_hand_values_and_large_offset():
    s = FeatureStats(num_features=1)
    for v in (1.0, 2.0, 3.0, 4.0):
        s.update([[v]])
    assert s.mean.tolist() == [2.5]
    assert s.cov.shape == (1, 1)
    assert s.cov[0, 0] == pytest.approx(5.0 / 3.0)
    # A large common offset must not destroy the variance (no naive sum of squares).
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1000, 3)) + 1e8
    big = FeatureStats()
    for chunk in np.array_split(x, 10):
        big.update(chunk)
    np.testing.assert_allclose(big.cov, np.cov(x, rowvar=False), rtol=1e-6)


def test_feature_stats_merge():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(300, 5))
    left = FeatureStats().update(x[:120])
    right = FeatureStats().update(x[120:200]).update(x[200:])
    merged = left.merge(right)
    assert merged is left
    assert merged.num == 300
    np.testing.assert_allclose(merged.mean, x.mean(0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(merged.cov, np.cov(x, rowvar=False), rtol=1e-12, atol=1e-14)
    # Merging into / from an empty accumulator.
    empty_first = FeatureStats().merge(right)
    np.testing.assert_allclose(empty_first.cov, np.cov(x[120:], rowvar=False), rtol=1e-12)
    assert FeatureStats().merge(FeatureStats()).num == 0
    assert right.merge(FeatureStats()).num == 180


def test_frechet_distance_from_stats_matches_activations():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(400, 8))
    b = rng.normal(size=(300, 8)) * 1.5 + 0.2
    sa, sb = FeatureStats(), FeatureStats()
    for chunk in np.array_split(a, 7):
        sa.update(chunk)
    for chunk in np.array_split(b, 3):
        sb.update(chunk)
    expected = frechet_distance_from_activations(a, b)
    assert frechet_distance_from_stats(sa, sb) == pytest.approx(expected, rel=1e-10)


def test_feature_stats_errors():
    s = FeatureStats()
    with pytest.raises(ValueError, match="mean needs at least 1 sample; got 0"):
        _ = s.mean
    s.update(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="cov needs at least 2 samples; got 1"):
        _ = s.cov
    with pytest.raises(ValueError, match="batch has 4 features; expected 3"):
        s.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="batch must be a 2-D array.*ndim=3"):
        s.update(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="batch contains 1 non-finite"):
        s.update([[0.0, np.nan, 0.0]])
    with pytest.raises(ValueError, match="other has 2 features; expected 3"):
        s.merge(FeatureStats().update(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="other must be a FeatureStats"):
        s.merge(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="num_features must be >= 1"):
        FeatureStats(num_features=0)
    with pytest.raises(ValueError, match="s2 must hold at least 2 samples; got 1"):
        frechet_distance_from_stats(FeatureStats().update(np.zeros((2, 3))), s)
    assert s.num == 1  # failed updates left it unchanged


# ---------------------------------------------------------------------------
# Kernel Inception Distance
# ---------------------------------------------------------------------------


def test_kid_matches_quadratic_reference_on_full_sets():
    rng = np.random.default_rng(8)
    a = rng.normal(size=(12, 3))
    b = rng.normal(size=(12, 3)) + 0.5
    expected = mmd2_unbiased_loops(a, b)
    # A subset of the full size is a permutation of the whole set: every subset agrees.
    mean, std = kernel_inception_distance(a, b, num_subsets=3, subset_size=12)
    assert mean == pytest.approx(expected, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)
    # subset_size is capped at min(len(a), len(b)).
    assert kernel_inception_distance(a, b, num_subsets=1, subset_size=1000)[0] == pytest.approx(
        expected, rel=1e-12
    )


def test_kid_averages_seeded_subsets():
    rng = np.random.default_rng(9)
    a = rng.normal(size=(20, 4))
    b = rng.normal(size=(15, 4)) * 2.0
    # Subsets are drawn without replacement, from a then from b, by default_rng(seed).
    draw = np.random.default_rng(123)
    per_subset = []
    for _ in range(4):
        ia = draw.choice(20, 6, replace=False)
        ib = draw.choice(15, 6, replace=False)
        per_subset.append(mmd2_unbiased_loops(a[ia], b[ib]))
    mean, std = kernel_inception_distance(a, b, num_subsets=4, subset_size=6, seed=123)
    assert mean == pytest.approx(np.mean(per_subset), rel=1e-12)
    assert std == pytest.approx(np.std(per_subset), rel=1e-10)


def test_kid_same_distribution_near_zero_and_shift_positive():
    rng = np.random.default_rng(10)
    a = rng.normal(size=(600, 16))
    b = rng.normal(size=(600, 16))
    mean, std = kernel_inception_distance(a, b, num_subsets=20, subset_size=200)
    assert abs(mean) < 3 * std
    assert abs(mean) < 0.05
    shifted_mean, shifted_std = kernel_inception_distance(
        a, b + 1.0, num_subsets=20, subset_size=200
    )
    assert shifted_mean > 0.5
    assert shifted_mean > 10 * shifted_std


def test_kid_is_deterministic_for_a_seed():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    first = kernel_inception_distance(a, b, num_subsets=5, subset_size=10, seed=3)
    assert kernel_inception_distance(a, b, num_subsets=5, subset_size=10, seed=3) == first
    assert kernel_inception_distance(a, b, num_subsets=5, subset_size=10, seed=4) != first


@pytest.mark.parametrize(
    "a, b, kwargs, match",
    [
        (np.zeros((1, 3)), np.zeros((5, 3)), {}, "a must have at least 2 sample"),
        (np.zeros((5, 3)), np.zeros((5, 2)), {}, "same number of features"),
        (np.zeros((5, 3)), np.zeros((5, 3)), {"subset_size": 1}, "subset_size must be >= 2"),
        (np.zeros((5, 3)), np.zeros((5, 3)), {"num_subsets": 0}, "num_subsets must be >= 1"),
        (np.zeros((5, 3)), np.zeros((5, 3)), {"num_subsets": 2.5}, "num_subsets must be an int"),
        (np.zeros((5, 3, 1)), np.zeros((5, 3)), {}, "a must be a 2-D array"),
        (np.zeros((5, 3)), np.full((5, 3), np.inf), {}, "b contains 15 non-finite"),
    ],
)
def test_kid_rejects_bad_inputs(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        kernel_inception_distance(a, b, **kwargs)


# ---------------------------------------------------------------------------
# Inception Score
# ---------------------------------------------------------------------------


def test_inception_score_uniform_one_hot_is_num_classes():
    probs = np.tile(np.eye(10), (10, 1))  # every split of 10 rows holds each class once
    assert inception_score(probs, splits=10) == pytest.approx((10.0, 0.0))
    assert inception_score(probs, splits=1) == pytest.approx((10.0, 0.0))


def test_inception_score_identical_predictions_is_one():
    probs = np.tile([0.2, 0.3, 0.5], (40, 1))
    assert inception_score(probs, splits=4) == pytest.approx((1.0, 0.0))


def test_inception_score_hand_computed():
    probs = np.array([[1.0, 0.0], [0.5, 0.5]])
    # p(y) = [0.75, 0.25]; KL1 = log(1/0.75); KL2 = 0.5 log(0.5/0.75) + 0.5 log(0.5/0.25).
    kl1 = math.log(1 / 0.75)
    kl2 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(2.0)
    assert inception_score(probs, splits=1) == pytest.approx((math.exp((kl1 + kl2) / 2), 0.0))


def test_inception_score_uneven_splits():
    rng = np.random.default_rng(12)
    probs = special.softmax(rng.normal(size=(7, 5)) * 3, axis=1)
    scores = []
    for lo, hi in ((0, 2), (2, 4), (4, 7)):  # k * n // splits boundaries for n=7, splits=3
        part = probs[lo:hi]
        py = part.mean(0)
        scores.append(math.exp(np.mean(np.sum(part * np.log(part / py), axis=1))))
    mean, std = inception_score(probs, splits=3)
    assert mean == pytest.approx(np.mean(scores), rel=1e-12)
    assert std == pytest.approx(np.std(scores), rel=1e-9)


@pytest.mark.parametrize(
    "probs, splits, match",
    [
        (np.full(4, 0.25), 1, "probs must be a 2-D array"),
        (np.array([[0.5, 0.6], [0.5, 0.5]]), 1, "sum to 1.*summing to 1.1"),
        (np.array([[1.5, -0.5], [0.5, 0.5]]), 1, "non-negative; found minimum -0.5"),
        (np.eye(3), 4, "splits must be <= the number of samples 3; got 4"),
        (np.eye(3), 0, "splits must be >= 1"),
        (np.array([[np.nan, 1.0]]), 1, "probs contains 1 non-finite"),
    ],
)
def test_inception_score_rejects_bad_inputs(probs, splits, match):
    with pytest.raises(ValueError, match=match):
        inception_score(probs, splits=splits)


# ---------------------------------------------------------------------------
# Precision / recall and density / coverage
# ---------------------------------------------------------------------------

REAL_1D = np.array([[0.0], [1.0], [2.0], [3.0]])  # k=1 radii: all 1

PR_TABLE = [
    # fake, k, precision, recall
    (REAL_1D, 1, 1.0, 1.0),
    (REAL_1D + 100.0, 1, 0.0, 0.0),
    # fake radii (k=1): 0.2, 0.2, 0.5, 0.5 -> only real 0 is near a fake ball.
    (np.array([[0.1], [0.3], [10.0], [10.5]]), 1, 0.5, 0.25),
    # All fakes inside [0, 3] + 0.5, fake radii >= 1.5 cover everything.
    (np.array([[0.5], [2.0], [3.4]]), 1, 1.0, 1.0),
]


@pytest.mark.parametrize("fake, k, precision, recall", PR_TABLE)
def test_precision_recall_table(fake, k, precision, recall):
    assert precision_recall(REAL_1D, fake, k=k) == {"precision": precision, "recall": recall}


def test_precision_recall_identical_and_far_apart_sets():
    rng = np.random.default_rng(13)
    real = rng.normal(size=(300, 8))
    assert precision_recall(real, real) == {"precision": 1.0, "recall": 1.0}
    assert precision_recall(real, rng.normal(size=(300, 8)) + 50.0) == {
        "precision": 0.0,
        "recall": 0.0,
    }


@pytest.mark.parametrize("k", [1, 3])
def test_precision_recall_matches_brute_force_with_small_blocks(k):
    rng = np.random.default_rng(14)
    real = rng.normal(size=(53, 5))
    fake = rng.normal(size=(41, 5)) * 1.3 + 0.4
    d = cdist(fake, real)
    expected_precision = np.mean((d <= knn_radii_reference(real, k)[None, :]).any(axis=1))
    expected_recall = np.mean((d.T <= knn_radii_reference(fake, k)[None, :]).any(axis=1))
    for batch_size in (7, 1000):
        result = precision_recall(real, fake, k=k, batch_size=batch_size)
        assert result["precision"] == pytest.approx(expected_precision)
        assert result["recall"] == pytest.approx(expected_recall)
    assert 0.0 < expected_precision < 1.0 and 0.0 < expected_recall < 1.0


DC_TABLE = [
    # fake, k, density, coverage (open balls of radius 1 around 0, 1, 2, 3)
    (np.array([[0.5], [0.6], [10.0]]), 1, 4.0 / 3.0, 0.5),
    (np.array([[100.0]]), 1, 0.0, 0.0),
    (np.array([[0.5], [1.5], [2.5]]), 1, 2.0, 1.0),
]


@pytest.mark.parametrize("fake, k, density, coverage", DC_TABLE)
def test_density_coverage_table(fake, k, density, coverage):
    result = density_coverage(REAL_1D, fake, k=k)
    assert result == pytest.approx({"density": density, "coverage": coverage})


def test_density_coverage_same_distribution_and_far_apart():
    rng = np.random.default_rng(15)
    real = rng.normal(size=(1000, 4))
    fake = rng.normal(size=(1000, 4))
    result = density_coverage(real, fake, k=5)
    assert result["density"] == pytest.approx(1.0, abs=0.15)
    assert result["coverage"] == pytest.approx(1 - 2.0**-5, abs=0.03)
    assert density_coverage(real, fake + 50.0) == {"density": 0.0, "coverage": 0.0}


def test_density_coverage_matches_brute_force_with_small_blocks():
    rng = np.random.default_rng(16)
    real = rng.normal(size=(47, 3))
    fake = rng.normal(size=(38, 3)) + 0.3
    k = 4
    radii = knn_radii_reference(real, k)
    d = cdist(real, fake)
    inside = d < radii[:, None]
    expected = {
        "density": inside.sum() / (k * len(fake)),
        "coverage": np.mean(d.min(axis=1) < radii),
    }
    assert density_coverage(real, fake, k=k, batch_size=5) == pytest.approx(expected)
    assert density_coverage(real, fake, k=k) == pytest.approx(expected)


@pytest.mark.parametrize("fn", [precision_recall, density_coverage])
def test_knn_metrics_reject_bad_inputs(fn):
    real = np.zeros((6, 2))
    with pytest.raises(ValueError, match="real must have at least 4 sample.*k=3.*got 3"):
        fn(np.zeros((3, 2)), real, k=3)
    with pytest.raises(ValueError, match="same number of features; got 2 and 3"):
        fn(real, np.zeros((6, 3)), k=3)
    with pytest.raises(ValueError, match="k must be >= 1"):
        fn(real, real, k=0)
    with pytest.raises(ValueError, match="fake contains 1 non-finite"):
        fn(real, np.array([[0.0, np.nan]] + [[0.0, 0.0]] * 5), k=3)
    with pytest.raises(ValueError, match="real must be a 2-D array"):
        fn(np.zeros(6), real, k=3)


def test_precision_recall_needs_k_plus_one_fakes_but_density_does_not():
    real = np.arange(8.0)[:, None]
    with pytest.raises(ValueError, match="fake must have at least 4 sample"):
        precision_recall(real, real[:3], k=3)
    # Radii (k=3): 3 for real 0, 2 for reals 1..6: 0.2 lies in the balls of 0, 1 and 2.
    assert density_coverage(real, [[0.2]], k=3) == pytest.approx(
        {"density": 1.0, "coverage": 3 / 8}
    )


# ---------------------------------------------------------------------------
# Mode coverage
# ---------------------------------------------------------------------------


def test_modes_definitions():
    ring, ring_std = MODES["ring8"]
    angles = 2 * np.pi * np.arange(8) / 8
    np.testing.assert_allclose(ring, np.stack([np.cos(angles), np.sin(angles)], axis=1))
    assert ring_std == 0.01
    grid, grid_std = MODES["grid25"]
    assert grid.shape == (25, 2) and grid_std == 0.05
    assert {tuple(c) for c in grid} == {
        (x, y) for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)
    }
    with pytest.raises(ValueError):
        grid[0, 0] = 1.0  # read-only


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
def test_mode_coverage_all_modes_exactly(dataset):
    centers, std = MODES[dataset]
    samples = np.tile(centers, (100, 1))
    samples = samples + 2.0 * std * np.random.default_rng(17).uniform(-0.7, 0.7, samples.shape)
    result = mode_coverage(samples, dataset)  # |offset| <= 2 * 0.7 * sqrt(2) std < 3 std
    k = len(centers)
    assert result == {"modes": k, "num_modes": k, "high_quality": 100.0, "kl": 0.0}


MODE_TABLE = [
    # samples, dataset, modes, high_quality, kl
    (np.repeat(MODES["ring8"][0][:3], 10, axis=0), "ring8", 3, 100.0, math.log(8 / 3)),
    (np.full((2500, 2), 100.0), "ring8", 0, 0.0, math.log(8)),
    (np.zeros((10, 2)), "ring8", 0, 0.0, math.log(8)),  # the centre is far from the ring
    (np.ones((7, 2)), "grid25", 0, 0.0, math.log(25)),  # between grid modes
    (np.array([[4.0, 4.0]]), "grid25", 1, 100.0, math.log(25)),  # all on one mode
    # 60 near mode (-4, -4) (offset 0.1 < 0.15 = 3 std), 40 exactly on (-4, -2), 100 junk:
    (
        np.concatenate(
            [np.full((60, 2), [-3.9, -4.0]), np.full((40, 2), [-4.0, -2.0]), np.ones((100, 2))]
        ),
        "grid25",
        2,
        50.0,
        0.6 * math.log(0.6 * 25) + 0.4 * math.log(0.4 * 25),
    ),
    # 2.9 std from a mode is high quality, 3.1 std is not.
    (np.array([[1.0 + 0.029, 0.0], [0.0, 1.0 + 0.031]]), "ring8", 1, 50.0, math.log(8)),
]


@pytest.mark.parametrize("samples, dataset, modes, high_quality, kl", MODE_TABLE)
def test_mode_coverage_table(samples, dataset, modes, high_quality, kl):
    result = mode_coverage(samples, dataset)
    assert result["modes"] == modes and isinstance(result["modes"], int)
    assert result["num_modes"] == len(MODES[dataset][0])
    assert result["high_quality"] == pytest.approx(high_quality)
    assert result["kl"] == pytest.approx(kl, abs=1e-12)


def test_mode_coverage_rejects_bad_inputs():
    with pytest.raises(
        ValueError, match=r"Unknown dataset='ring9'. Expected one of \['grid25', 'ring8'\]"
    ):
        mode_coverage(np.zeros((3, 2)), "ring9")
    with pytest.raises(ValueError, match=r"shape \(num_samples, 2\).*got \(3, 3\)"):
        mode_coverage(np.zeros((3, 3)), "ring8")
    with pytest.raises(ValueError, match="samples contains 1 non-finite"):
        mode_coverage([[0.0, np.nan]], "ring8")
    with pytest.raises(ValueError, match="samples must have at least 1 sample"):
        mode_coverage(np.zeros((0, 2)), "ring8")


# ---------------------------------------------------------------------------
# Parzen-window log-likelihood
# ---------------------------------------------------------------------------


def test_parzen_single_sample_is_a_gaussian_density():
    rng = np.random.default_rng(18)
    centre = np.array([[0.3, -1.0, 2.0]])
    test = rng.normal(size=(25, 3))
    sigma = 0.7
    expected = stats.multivariate_normal(centre[0], sigma**2 * np.eye(3)).logpdf(test)
    result = parzen_log_likelihood(centre, test, test[:2], sigmas=[sigma])
    assert result["sigma"] == sigma
    assert result["mean"] == pytest.approx(expected.mean(), rel=1e-12)
    assert result["std_err"] == pytest.approx(expected.std() / 5.0, rel=1e-10)


def test_parzen_hand_value():
    # One sample at 0, test point at 1 in 1-D, sigma 1: log N(1; 0, 1) = -1/2 - log(2 pi)/2.
    result = parzen_log_likelihood([[0.0]], [[1.0]], [[0.0]], sigmas=1.0)
    assert result == pytest.approx(
        {"mean": -0.5 - 0.5 * math.log(2 * math.pi), "std_err": 0.0, "sigma": 1.0}
    )


def test_parzen_selects_the_best_sigma():
    # One sample at 0: the mean validation log-likelihood peaks at sigma^2 = mean ||v||^2.
    result = parzen_log_likelihood([[0.0]], [[0.0]], [[0.5], [-0.5]], sigmas=[0.1, 0.5, 2.0])
    assert result["sigma"] == 0.5
    grid = np.logspace(-1, 0, 10)
    result = parzen_log_likelihood([[0.0]], [[0.0]], [[grid[4]], [-grid[4]]])
    assert result["sigma"] == pytest.approx(grid[4])
    result = parzen_log_likelihood([[0.0]], [[0.0]], [[5.0]])  # best on the grid: its largest
    assert result["sigma"] == pytest.approx(1.0)


def test_parzen_matches_reference_for_images_and_any_batch_size():
    rng = np.random.default_rng(19)
    samples = rng.uniform(size=(60, 2, 3, 3))
    test = rng.uniform(size=(17, 2, 3, 3))
    validation = rng.uniform(size=(9, 2, 3, 3))
    sigmas = [0.2, 0.4, 0.8]

    def reference(x, sigma):
        d2 = cdist(x.reshape(len(x), -1), samples.reshape(60, -1), "sqeuclidean")
        dim = 18
        return (
            special.logsumexp(-d2 / (2 * sigma**2), axis=1)
            - math.log(60)
            - dim / 2 * math.log(2 * math.pi * sigma**2)
        )

    best = sigmas[int(np.argmax([reference(validation, s).mean() for s in sigmas]))]
    expected = reference(test, best)
    for batch_size in (4, 1000):
        result = parzen_log_likelihood(
            samples, test, validation, sigmas=sigmas, batch_size=batch_size
        )
        assert result["sigma"] == best
        assert result["mean"] == pytest.approx(expected.mean(), rel=1e-10)
        assert result["std_err"] == pytest.approx(expected.std() / math.sqrt(17), rel=1e-8)


@pytest.mark.parametrize(
    "samples, test, validation, kwargs, match",
    [
        (np.zeros(3), np.zeros((2, 1)), np.zeros((2, 1)), {}, "samples must be an array"),
        (np.zeros((3, 4)), np.zeros((2, 2, 2)), np.zeros((2, 5)), {}, "samples and validation"),
        (np.zeros((3, 4)), np.zeros((2, 5)), np.zeros((2, 4)), {}, "samples and test"),
        (np.zeros((3, 1)), np.zeros((0, 1)), np.zeros((2, 1)), {}, "test must have at least 1"),
        (np.zeros((3, 1)), np.zeros((2, 1)), np.zeros((2, 1)), {"sigmas": [0.1, 0.0]}, "positive"),
        (np.zeros((3, 1)), np.zeros((2, 1)), np.zeros((2, 1)), {"sigmas": []}, "non-empty"),
        (np.zeros((3, 1)), [[np.nan]], np.zeros((2, 1)), {}, "test contains 1 non-finite"),
    ],
)
def test_parzen_rejects_bad_inputs(samples, test, validation, kwargs, match):
    with pytest.raises(ValueError, match=match):
        parzen_log_likelihood(samples, test, validation, **kwargs)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fn",
    [
        ("fid", frechet_distance_from_activations),
        ("kid", kernel_inception_distance),
        ("inception_score", inception_score),
        ("precision_recall", precision_recall),
        ("density_coverage", density_coverage),
        ("mode_coverage", mode_coverage),
        ("parzen", parzen_log_likelihood),
    ],
)
def test_registered_metrics(name, fn):
    assert METRICS[name].fn is fn
    assert get_metric(name) is fn


def test_get_metric_unknown_name():
    expected = f"Unknown metric='nope'. Expected one of {sorted(METRICS)}."
    with pytest.raises(ValueError) as info:
        get_metric("nope")
    assert str(info.value) == expected


def test_register_metric_adds_and_guards_names():
    try:

        @register_metric("_test_metric")
        def first(x):
            return 1.0

        assert get_metric("_test_metric") is first
        assert register_metric("_test_metric")(first) is first  # re-registering is a no-op

        def other(x):
            return 2.0

        with pytest.raises(ValueError, match="already registered"):
            register_metric("_test_metric")(other)
    finally:
        METRICS.pop("_test_metric", None)
    with pytest.raises(ValueError, match="non-empty string"):
        register_metric("")


# ---------------------------------------------------------------------------
# Class coverage and the classifier-based registry names
# ---------------------------------------------------------------------------

CLASS_COVERAGE_TABLE = [
    # (argmax classes of the samples, K, reference, classes reached, KL(p || q))
    ([0, 1, 2, 3], 4, None, 4, 0.0),
    ([0, 0, 0, 0], 4, None, 1, math.log(4)),
    ([0, 0, 1, 1], 4, None, 2, math.log(2)),
    ([0, 0, 0, 1], 2, [3, 1], 2, 0.0),
    ([0, 1], 2, [3, 1], 2, 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)),
    ([1, 1], 2, [1, 0], 1, math.inf),
]


@pytest.mark.parametrize("assigned, k, reference, classes, kl", CLASS_COVERAGE_TABLE)
def test_class_coverage_table(assigned, k, reference, classes, kl):
    # Soft probabilities whose argmax is `assigned`.
    probs = np.full((len(assigned), k), 0.1 / max(k - 1, 1))
    probs[np.arange(len(assigned)), assigned] = 0.9
    result = metrics.class_coverage(probs, reference)
    assert result["classes"] == classes and result["num_classes"] == k
    assert result["kl"] == pytest.approx(kl)


def test_class_coverage_matches_scipy_entropy_and_min_count(rng):
    probs = rng.dirichlet(np.ones(5), size=200)
    reference = rng.integers(1, 50, size=5)
    hist = np.bincount(probs.argmax(axis=1), minlength=5)
    expected = stats.entropy(hist / hist.sum(), reference / reference.sum())
    assert metrics.class_coverage(probs, reference)["kl"] == pytest.approx(expected)
    counts = np.eye(3)[[0, 0, 0, 1, 2, 2]]
    assert metrics.class_coverage(counts, min_count=2)["classes"] == 2


@pytest.mark.parametrize(
    "probs, reference, kwargs, match",
    [
        (np.eye(3), [1.0, 1.0], {}, r"shape \(3,\)"),
        (np.eye(3), [1.0, -1.0, 1.0], {}, "non-negative with a positive sum"),
        (np.eye(3), [0.0, 0.0, 0.0], {}, "non-negative with a positive sum"),
        (np.eye(3), [np.nan, 1.0, 1.0], {}, "non-finite"),
        (np.ones(3), None, {}, "2-D array"),
        (np.eye(3), None, {"min_count": 0}, "min_count must be >= 1"),
    ],
)
def test_class_coverage_rejects_bad_inputs(probs, reference, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.class_coverage(probs, reference, **kwargs)


def test_classifier_metric_names_are_registered():
    assert get_metric("fcd") is frechet_distance_from_activations
    assert get_metric("classifier_score") is inception_score
    assert get_metric("class_coverage") is metrics.class_coverage


# ---------------------------------------------------------------------------
# Metric specs: what each metric declares it needs
# ---------------------------------------------------------------------------

SPEC_TABLE = [
    # name, input, space, args, streams, result_keys, auto
    ("fid", "features", "extractor", ("real", "fake"), True, None, ("inception",)),
    ("kid", "features", "extractor", ("real", "fake"), False, ("mean", "std"), ("inception",)),
    ("fcd", "features", "classifier", ("real", "fake"), True, None, ("classifier",)),
    ("inception_score", "probabilities", "extractor", ("fake",), False, ("mean", "std"), ()),
    (
        "classifier_score",
        "probabilities",
        "classifier",
        ("fake",),
        False,
        ("mean", "std"),
        ("classifier",),
    ),
    (
        "class_coverage",
        "probabilities",
        "classifier",
        ("fake", "class_histogram"),
        False,
        None,
        ("classifier",),
    ),
    ("mode_coverage", "samples", "extractor", ("fake", "dataset"), False, None, ("points",)),
    ("stacked_mnist_modes", "probabilities", "classifier", ("fake",), False, None, ()),
    (
        "precision_recall",
        "features",
        "extractor",
        ("real", "fake"),
        False,
        None,
        ("points", "inception", "classifier"),
    ),
    ("density_coverage", "features", "extractor", ("real", "fake"), False, None, ("points",)),
    ("parzen", "samples", "extractor", ("fake", "real", "validation"), False, None, ()),
]


def test_the_built_in_metrics_in_registration_order():
    assert [row[0] for row in SPEC_TABLE] == list(METRICS)[: len(SPEC_TABLE)]


@pytest.mark.parametrize("name, input, space, args, streams, keys, auto", SPEC_TABLE)
def test_built_in_specs(name, input, space, args, streams, keys, auto):
    spec = metrics.get_spec(name)
    assert (spec.name, spec.input, spec.args, spec.result_keys, spec.auto) == (
        name,
        input,
        args,
        keys,
        auto,
    )
    if input != "samples":
        assert spec.space == space
    assert spec.source == ("samples" if input == "samples" else space)
    assert (spec.streaming is not None) == streams
    assert spec.needs_real == ("real" in args)
    assert spec.keeps_features == (input == "features" and not streams)


def test_specs_name_the_extractor_and_range_their_definitions_need():
    assert [n for n, s in METRICS.items() if s.extractor] == ["fid", "inception_score"]
    assert metrics.get_spec("parzen").sample_range == (0.0, 1.0)
    assert metrics.get_spec("kid").result((0.5, 0.1)) == {"mean": 0.5, "std": 0.1}
    assert metrics.get_spec("classifier_score").default_kwargs(np.eye(4)) == {"splits": 4}
    assert metrics.get_spec("fid").default_kwargs() == {}


def test_a_spec_calls_its_function():
    a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    assert METRICS["fid"](a, a + 1.0) == pytest.approx(2.0)


def test_get_spec_unknown_name():
    with pytest.raises(ValueError, match=r"Unknown metric='nope'. Expected one of \["):
        metrics.get_spec("nope")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input": "logits"}, r"unknown input='logits'. Expected one of \['features', "),
        ({"space": "inception"}, r"unknown space='inception'. Expected one of \['extractor', "),
        ({"args": ("real", "labels")}, r"unknown args='labels'. Expected one of \['real', "),
        ({"args": ("real",)}, "args must name 'fake' and each argument once"),
        ({"args": ("fake", "fake")}, "args must name 'fake' and each argument once"),
        ({"args": ("fake", "validation")}, "'validation' needs input='samples'"),
        ({"args": ("fake", "class_histogram")}, "'class_histogram' needs space='classifier'"),
        ({"streaming": len, "args": ("fake",)}, "streaming needs input='features'"),
        ({"defaults": 3}, "defaults must be a mapping or a function; got 3"),
        ({"sample_range": (1.0, 0.0)}, r"sample_range must be \(low, high\)"),
        ({"extractor": "vgg"}, r"unknown extractor='vgg'. Expected None or 'inception'"),
        ({"auto": ("images",)}, r"unknown auto='images'. Expected one of \['points', "),
    ],
)
def test_register_metric_rejects_bad_declarations(kwargs, match):
    def metric(real, fake):
        return 0.0

    with pytest.raises(ValueError, match=match):
        register_metric("_bad", **kwargs)(metric)
    assert "_bad" not in METRICS
