"""scripts/bench_quality_stacked.py's `score_during`: a long run's learning curve, scored inside
the run (`bench_quality.py --stacked_score_at`), on a small GAN (the benchmark itself needs MNIST,
which the tests do not have)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from scripts_testing import import_script

import kgan

bench_quality = import_script("bench_quality")
score_during = import_script("bench_quality_stacked").score_during


def _fit(steps: int, steps_per_execution: int, callbacks=()) -> kgan.GAN:
    keras.utils.set_random_seed(0)
    gan = kgan.GAN(*kgan.networks.mlp(2, (2,), generator_units=(8,), discriminator_units=(8,)))
    gan.compile(steps_per_execution=steps_per_execution)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    gan.fit(x, batch_size=8, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=list(callbacks))
    return gan


@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_scores_once_at_each_requested_step(steps_per_execution):
    seen = []
    _fit(8, steps_per_execution, [score_during(lambda k, m: seen.append(k), [6, 2, 6, 7])])
    assert seen == [2, 6, 7]  # sorted, each once, also when an execution runs past it


def test_scoring_does_not_disturb_the_run():
    samples = []
    scored = _fit(6, 1, [score_during(lambda k, m: samples.append(m.generate(16, seed=1)), [3])])
    plain = _fit(6, 1)
    assert len(samples) == 1 and not np.allclose(samples[0], scored.generate(16, seed=1))
    np.testing.assert_array_equal(scored.generate(16, seed=1), plain.generate(16, seed=1))


def test_score_at_flag_reads_step_counts():
    assert bench_quality._steps_list("1500, 6000") == [1500, 6000]
    for bad in ("", "0,5", "x"):
        with pytest.raises(Exception, match="positive step counts"):
            bench_quality._steps_list(bad)
