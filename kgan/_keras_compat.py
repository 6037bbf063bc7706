"""Every private Keras or TensorFlow name kgan relies on, in one place.

kgan is written against Keras's public API, except for the few internals
below, each needed for a reason given where it is used. They are the names
that can break when Keras changes, so `pyproject.toml` pins Keras below the
next minor version (`keras>=3.10,<3.16`: checked on Keras 3.15), and
`tests/test_keras_compat.py` fails if any other module of `kgan` reaches a
private Keras or TensorFlow name (an attribute, a method override, a
`getattr` string, or an import of `keras.src` / `tensorflow.python`).

To support a new Keras: run the tests, fix the functions here, raise the pin.

Example:
    >>> import keras
    >>> from kgan import _keras_compat
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    >>> [type(layer).__name__ for layer in _keras_compat.sublayers(model)]
    ['Dense']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

KERAS_CHECKED = "3.15"
"""The Keras version these internals (and kgan's workarounds) were checked against."""


def sublayers(model: keras.Layer) -> list[keras.Layer]:
    """Every layer inside `model`, nested ones included, `model` itself excluded.

    `Model.layers` lists only the direct children; Keras's own walk is private.
    """
    return list(model._flatten_layers(include_self=False))


def seed_generators(layer: keras.Layer) -> list[keras.random.SeedGenerator]:
    """The `SeedGenerator`s a layer draws noise from (dropout, random augmentations)."""
    return list(getattr(layer, "_seed_generators", []))


def in_multi_worker_mode(strategy: Any) -> bool:
    """Whether a `MultiWorkerMirroredStrategy` really spans several workers."""
    return bool(strategy.extended._in_multi_worker_mode())


def functional_graph(model: Any) -> keras.Model | None:
    """The functional model behind `model`: itself, a built Sequential's inner one, or None."""
    if isinstance(model, keras.Sequential):
        model = getattr(model, "_functional", None)  # built Sequential models have one
    return model if hasattr(model, "_nodes_by_depth") else None


def nodes_by_depth(model: keras.Model) -> dict[int, list[Any]]:
    """A functional model's graph: depth -> the nodes (layer calls) at that depth.

    The same structure `keras.models.clone_model` walks.
    """
    return model._nodes_by_depth


@contextlib.contextmanager
def restoring_graph_links(model: keras.Model) -> Iterator[None]:
    """Undoes the node links that calling `model`'s layers on new inputs appends.

    Calling a live layer on a new symbolic input appends to its private
    `_inbound_nodes`/`_outbound_nodes`, which keeps every temporary model built
    from those layers alive (a leak found by scripts/soak.py).
    """
    layers = sublayers(model)
    sizes = [(len(layer._inbound_nodes), len(layer._outbound_nodes)) for layer in layers]
    try:
        yield
    finally:
        for layer, (n_in, n_out) in zip(layers, sizes):
            del layer._inbound_nodes[n_in:]
            del layer._outbound_nodes[n_out:]


def adam_slots(optimizer: keras.optimizers.Adam, variable: Any) -> tuple[Any, Any]:
    """(first moment, second moment) slot variables of `variable` in a Keras `Adam`."""
    index = optimizer._get_variable_index(variable)
    return optimizer._momentums[index], optimizer._velocities[index]


class SkipsSymbolicBuild:
    """Mixin for a `keras.Model` whose networks and optimizers are built before `fit`.

    Keras's `fit` builds a model by pulling a batch and calling it
    symbolically (a private hook). Under a strategy it then `strategy.reduce`s
    that batch, which fails for a `PerReplica` batch under
    MultiWorkerMirroredStrategy (Keras 3.15). A model that is already built
    skips it.
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self.built and all(layer.built for layer in self._flatten_layers()):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)
