"""The metric registry: every metric's function, with a spec of what it needs.

A metric is a NumPy function of arrays already in memory. Its `MetricSpec`
declares which arrays those are, so `kgan.eval.Evaluator` (the streaming
pass) and `kgan.eval.evaluate` (the recipe behind `kgan-evaluate`) can feed
any registered metric without knowing its name: adding a metric is one
`@register_metric(...)` on its function.

Example:
    >>> import numpy as np
    >>> @register_metric("mean_norm", args=("fake",))
    ... def mean_norm(x):
    ...     return float(np.linalg.norm(np.asarray(x), axis=1).mean())
    >>> get_metric("mean_norm")([[3.0, 4.0]])
    5.0
    >>> get_spec("mean_norm").needs_real
    False
    >>> del METRICS["mean_norm"]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

__all__ = [
    "ARGUMENTS",
    "AUTO_KINDS",
    "INPUTS",
    "METRICS",
    "SPACES",
    "MetricSpec",
    "get_metric",
    "get_spec",
    "register_metric",
]

_F = TypeVar("_F", bound=Callable[..., Any])

INPUTS = ("features", "probabilities", "samples")
"""What a metric reads: feature vectors, class probabilities, or the samples themselves."""

SPACES = ("extractor", "classifier")
"""Whose features or probabilities: the Evaluator's `extractor` or its `classifier`."""

ARGUMENTS = ("real", "fake", "dataset", "validation", "class_histogram")
"""The positional arguments a metric can ask for (see `MetricSpec.args`)."""

AUTO_KINDS = ("points", "inception", "classifier")
"""The kinds of evaluation in which `metrics="auto"` can pick a metric (see `MetricSpec.auto`)."""


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its function and what it needs.

    Calling a spec calls its function.

    Attributes:
        name: the registry key.
        fn: the metric on arrays in memory (what `get_metric` returns).
        input: what `fn` reads (one of `INPUTS`): "features" (feature
            vectors, (n, d)), "probabilities" (class probabilities,
            (n, num_classes)) or "samples" (the samples themselves).
        space: whose features or probabilities (one of `SPACES`): the
            Evaluator's "extractor" (InceptionV3, a classifier's features, or
            the raw samples) or its "classifier". Unused for "samples".
        args: `fn`'s positional arguments, in order, each one of `ARGUMENTS`:
            "real" and "fake" (the real data's and the generated samples'
            `input`), "dataset" (the name of a 2-D mixture in `MODES`),
            "validation" (held-out real samples) and "class_histogram" (class
            counts of the real data: its labels, or the classifier's
            predictions; None means uniform). A metric that asks for "real"
            needs real data.
        streaming: `fn` on two `FeatureStats` (real, fake), for "features"
            input. The Evaluator then streams every feature vector into
            float64 statistics and keeps none (a Fréchet distance on 50,000
            samples).
        defaults: keyword arguments the Evaluator passes `fn` unless the
            caller's `metric_kwargs` override them: a mapping, or a function
            of `fn`'s positional arguments that returns one (a default that
            depends on the number of samples).
        result_keys: names of the members of a tuple result, e.g.
            ("mean", "std"): the Evaluator reports `{key: value}`. None: `fn`
            returns a float or a dict of floats, reported as is.
        sample_range: for "samples" input: the range image samples (rank 4)
            are mapped to from [-1, 1] before the call; (0, 1) gives pixel
            intensities.
        extractor: the feature extractor the metric's definition names
            ("inception": FID and the Inception Score are defined on
            InceptionV3, and `kgan.eval.evaluate` uses no other for images);
            None: any extractor.
        auto: the kinds of evaluation (of `AUTO_KINDS`) in which
            `kgan.eval.evaluate(metrics="auto")` picks the metric: "points"
            (2-D data), "inception" (images, with InceptionV3 weights) and
            "classifier" (labelled images: a classifier is trained). Picked
            metrics keep their registration order.
    """

    name: str
    fn: Callable[..., Any]
    input: str = "features"
    space: str = "extractor"
    args: tuple[str, ...] = ("real", "fake")
    streaming: Callable[..., Any] | None = None
    defaults: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None
    result_keys: tuple[str, ...] | None = None
    sample_range: tuple[float, float] = (-1.0, 1.0)
    extractor: str | None = None
    auto: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Metric name must be a non-empty string; got {self.name!r}.")
        if not callable(self.fn):
            raise ValueError(f"Metric {self.name!r}: fn must be callable; got {self.fn!r}.")
        _check_choice(self.name, "input", self.input, INPUTS)
        _check_choice(self.name, "space", self.space, SPACES)
        args = tuple(self.args)
        for arg in args:
            _check_choice(self.name, "args", arg, ARGUMENTS)
        if "fake" not in args or len(set(args)) != len(args):
            raise ValueError(
                f"Metric {self.name!r}: args must name 'fake' and each argument once; "
                f"got args={args!r}."
            )
        if "validation" in args and self.input != "samples":
            raise ValueError(f"Metric {self.name!r}: 'validation' needs input='samples'.")
        if "class_histogram" in args and (self.space, self.input) != (
            "classifier",
            "probabilities",
        ):
            raise ValueError(
                f"Metric {self.name!r}: 'class_histogram' needs space='classifier' and "
                "input='probabilities'."
            )
        if self.streaming is not None and (self.input != "features" or args != ("real", "fake")):
            raise ValueError(
                f"Metric {self.name!r}: streaming needs input='features' and "
                f"args=('real', 'fake'); got input={self.input!r}, args={args!r}."
            )
        if self.defaults is not None and not (
            isinstance(self.defaults, Mapping) or callable(self.defaults)
        ):
            raise ValueError(
                f"Metric {self.name!r}: defaults must be a mapping or a function; "
                f"got {self.defaults!r}."
            )
        lo, hi = (float(v) for v in self.sample_range)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(
                f"Metric {self.name!r}: sample_range must be (low, high) with low < high; "
                f"got {self.sample_range!r}."
            )
        if self.extractor not in (None, "inception"):
            raise ValueError(
                f"Metric {self.name!r}: unknown extractor={self.extractor!r}. "
                "Expected None or 'inception'."
            )
        auto = tuple(self.auto)
        for kind in auto:
            _check_choice(self.name, "auto", kind, AUTO_KINDS)
        keys = None if self.result_keys is None else tuple(self.result_keys)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "auto", auto)
        object.__setattr__(self, "result_keys", keys)
        object.__setattr__(self, "sample_range", (lo, hi))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    @property
    def needs_real(self) -> bool:
        """Whether the metric compares with real data."""
        return "real" in self.args

    @property
    def source(self) -> str:
        """Where the inputs come from: "extractor", "classifier" or "samples"."""
        return "samples" if self.input == "samples" else self.space

    @property
    def keeps_features(self) -> bool:
        """Whether the Evaluator must keep feature vectors (not only their statistics)."""
        return self.input == "features" and self.streaming is None

    def default_kwargs(self, *args: Any) -> dict[str, Any]:
        """The keyword defaults for a call on these positional arguments."""
        if self.defaults is None:
            return {}
        if isinstance(self.defaults, Mapping):
            return dict(self.defaults)
        return dict(self.defaults(*args))

    def result(self, value: Any) -> Any:
        """The reported form of `fn`'s value: a tuple becomes `{key: value}`."""
        if self.result_keys is None:
            return value
        return dict(zip(self.result_keys, value, strict=True))


def _check_choice(name: str, field: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(
            f"Metric {name!r}: unknown {field}={value!r}. Expected one of {list(choices)}."
        )


METRICS: dict[str, MetricSpec] = {}
"""Metric specs by name, in registration order. `METRICS[name](...)` calls the metric."""


def register_metric(
    name: str,
    *,
    input: str = "features",
    space: str = "extractor",
    args: Sequence[str] = ("real", "fake"),
    streaming: Callable[..., Any] | None = None,
    defaults: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
    result_keys: Sequence[str] | None = None,
    sample_range: tuple[float, float] = (-1.0, 1.0),
    extractor: str | None = None,
    auto: Sequence[str] = (),
) -> Callable[[_F], _F]:
    """Returns a decorator that registers a function as the metric `name`.

    The keyword arguments declare what the metric needs; see `MetricSpec`.
    With none, the metric is `fn(real_features, fake_features)` on the
    Evaluator's extractor.

    Args:
        name: the key to register the function under.
        input: "features", "probabilities" or "samples".
        space: "extractor" or "classifier".
        args: `fn`'s positional arguments, from `ARGUMENTS`.
        streaming: `fn` on two `FeatureStats`, or None.
        defaults: keyword defaults (a mapping, or a function of the
            positional arguments).
        result_keys: names of a tuple result's members.
        sample_range: the range image samples are mapped to ("samples" input).
        extractor: "inception" when the metric is defined on InceptionV3 only.
        auto: kinds of evaluation (`AUTO_KINDS`) where `metrics="auto"` picks it.

    Returns:
        A decorator that registers the function and returns it unchanged.
        Registering the same function again (or a reloaded copy of it, with
        the same module and qualified name) replaces the entry.

    Raises:
        ValueError: if `name` is empty or taken by a different function, or
            a declaration is not one of its choices.

    Example:
        >>> @register_metric("gap", args=("real", "fake"))
        ... def gap(real, fake):
        ...     return abs(sum(map(sum, real)) - sum(map(sum, fake)))
        >>> METRICS["gap"].needs_real, METRICS["gap"].input
        (True, 'features')
        >>> del METRICS["gap"]
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"Metric name must be a non-empty string; got {name!r}.")

    def decorator(fn: _F) -> _F:
        spec = MetricSpec(
            name,
            fn,
            input=input,
            space=space,
            args=tuple(args),
            streaming=streaming,
            defaults=defaults,
            result_keys=None if result_keys is None else tuple(result_keys),
            sample_range=sample_range,
            extractor=extractor,
            auto=tuple(auto),
        )
        existing = METRICS.get(name)
        if (
            existing is not None
            and existing.fn is not fn
            and _qualified(existing.fn) != _qualified(fn)
        ):
            raise ValueError(
                f"Metric name={name!r} is already registered to {_qualified(existing.fn)}; "
                f"cannot register {_qualified(fn)} under the same name."
            )
        METRICS[name] = spec
        return fn

    return decorator


def _qualified(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", "?")
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"


def get_spec(name: str) -> MetricSpec:
    """Returns the spec of the metric registered under `name`.

    Raises:
        ValueError: if no metric has that name; the message lists the choices.

    Example:
        >>> get_spec("fid").streaming is not None
        True
    """
    try:
        return METRICS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown metric={name!r}. Expected one of {sorted(METRICS)}.") from None


def get_metric(name: str) -> Callable[..., Any]:
    """Returns the function of the metric registered under `name`.

    Args:
        name: a key of `METRICS`, e.g. "fid", "kid" or "mode_coverage".

    Returns:
        The registered function.

    Raises:
        ValueError: if no metric has that name.

    Example:
        >>> from kgan.eval.metrics import frechet_distance_from_activations
        >>> get_metric("fid") is frechet_distance_from_activations
        True
    """
    return get_spec(name).fn
