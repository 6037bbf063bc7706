"""The step loop of `fit`/`evaluate` under mirrored strategies, where Keras 3.15's own fails.

A workaround for Keras 3.15 (`kgan._keras_compat.KERAS_CHECKED`) on
TensorFlow 2.21, in two cases:

- under `MultiWorkerMirroredStrategy` across several workers, Keras reduces
  the scalar logs with `strategy.reduce("MEAN", v, axis=0)`, which fails
  ("Invalid reduction dimension 0");
- under both mirrored strategies with `steps_per_execution > 1`, its
  `tf.while_loop` runs the step inside a `tf.cond`, where the cross-replica
  ops lose their inputs ("You must feed a value for placeholder tensor").

`DistributedStepLoop` is a mixin for `keras.Model` that replaces the train
and test functions in those cases only (elsewhere Keras's own run), keeping
Keras's protocol: called with the distributed iterator, the function runs up
to `steps_per_execution` steps and raises `OutOfRangeError` when the data is
exhausted. Remove it once Keras's own loop passes `tests/core/test_distribute.py`.

Example:
    >>> import keras
    >>> class MyModel(DistributedStepLoop, keras.Model):  # doctest: +SKIP
    ...     ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from kgan import _keras_compat


def needs_own_step_loop(strategy: tf.distribute.Strategy, steps_per_execution: int) -> bool:
    """Whether Keras 3.15's step loop fails under `strategy` (see the module's docstring)."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        if _keras_compat.in_multi_worker_mode(strategy):
            return True
    mirrored = (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)
    return isinstance(strategy, mirrored) and steps_per_execution > 1


def distributed_function(
    strategy: tf.distribute.Strategy,
    step_function: Callable[[Any], dict[str, Any]],
    steps_per_execution: int,
    jit_compile: bool,
) -> Callable[[Any], dict[str, Any]]:
    """A `fit`/`evaluate` function that runs `step_function` on each replica.

    It reduces the logs with `axis=None` in a single all-reduce, and runs the
    step in the loop body itself, outside any `tf.cond`.
    """
    steps = int(steps_per_execution)

    def one_step(data):
        logs = strategy.run(step_function, args=(data,))
        names = sorted(logs)
        stacked = strategy.run(lambda d: tf.stack([d[n] for n in names]), args=(logs,))
        values = strategy.reduce("MEAN", stacked, axis=None)
        return {name: values[i] for i, name in enumerate(names)}

    if jit_compile:
        one_step = tf.function(one_step, jit_compile=True)

    @tf.function(reduce_retracing=True)
    def multi_step_on_iterator(iterator):
        logs = one_step(iterator.get_next())
        if steps == 1:
            return logs

        def more(i, logs, optional):
            return tf.logical_and(i < steps, optional.has_value())

        def body(i, logs, optional):
            logs = one_step(optional.get_value())
            optional = tf.cond(i + 1 < steps, iterator.get_next_as_optional, lambda: optional)
            return i + 1, logs, optional

        _, logs, _ = tf.while_loop(
            more, body, [tf.constant(1), logs, iterator.get_next_as_optional()]
        )
        return logs

    return multi_step_on_iterator


class DistributedStepLoop(_keras_compat.SkipsSymbolicBuild):
    """Mixin for a `keras.Model`: its own step loop where Keras 3.15's fails.

    The model must be built (networks and optimizers) before `fit`.
    """

    def _uses_own_step_loop(self) -> bool:
        if self.run_eagerly:
            return False
        return needs_own_step_loop(self.distribute_strategy, self.steps_per_execution)

    def make_train_function(self, force: bool = False):
        if self.train_function is not None and not force:
            return self.train_function
        if not self._uses_own_step_loop():
            return super().make_train_function(force=force)
        self.train_function = distributed_function(
            self.distribute_strategy, self.train_step, self.steps_per_execution, self.jit_compile
        )
        return self.train_function

    def make_test_function(self, force: bool = False):
        if self.test_function is not None and not force:
            return self.test_function
        if not self._uses_own_step_loop():
            return super().make_test_function(force=force)
        self.test_function = distributed_function(
            self.distribute_strategy, self.test_step, self.steps_per_execution, self.jit_compile
        )
        return self.test_function
