"""kgan._keras_compat is the only module of kgan that reaches private Keras or TensorFlow names.

The private names are read from live Keras and TensorFlow objects (a functional
model, its layers, an optimizer, a strategy, ...), so the scan follows Keras:
any `x._name`, `def _name` (an override of a private hook) or `"_name"` string
(for `getattr`) elsewhere in `kgan/`, where `_name` is private to Keras or
TensorFlow, fails; so does an import of `keras.src` or `tensorflow.python`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import keras
import tensorflow as tf

import kgan

PACKAGE = Path(kgan.__file__).resolve().parent
COMPAT = PACKAGE / "_keras_compat.py"


def _private_names() -> set[str]:
    inputs = keras.Input((4,))
    outputs = keras.layers.Dropout(0.1)(keras.layers.Dense(2)(inputs))
    model = keras.Model(inputs, outputs)
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    objects = [
        model,
        *model.layers,
        sequential,
        optimizer,
        keras.metrics.Mean(),
        keras.random.SeedGenerator(0),
        keras.Variable(1.0),
        tf.distribute.get_strategy(),
        tf.distribute.get_strategy().extended,
        tf.distribute.MirroredStrategy,
        tf.distribute.MultiWorkerMirroredStrategy,
        tf.data.Dataset,
        tf.GradientTape(),
        tf.Variable(1.0),
    ]
    names = {name for obj in objects for name in dir(obj)}
    return {n for n in names if re.fullmatch(r"_[A-Za-z0-9][A-Za-z0-9_]*", n)}


def _offences(path: Path, private: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    methods = {
        id(item)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for item in cls.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and node.attr in private:
            found.append(f"{where} reads .{node.attr}")
        elif id(node) in methods and node.name in private:
            found.append(f"{where} overrides {node.name}")
        elif isinstance(node, ast.Constant) and node.value in private:
            found.append(f"{where} names {node.value!r}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            is_import = isinstance(node, ast.Import)
            modules = [a.name for a in node.names] if is_import else [node.module]
            for module in modules:
                if module and re.match(r"(keras\.src|tensorflow\.python|tf_keras)\b", module):
                    found.append(f"{where} imports {module}")
    return found


def test_the_private_name_list_knows_what_the_compat_module_uses():
    private = _private_names()
    used = _offences(COMPAT, private)
    expected = ("_flatten_layers", "_in_multi_worker_mode", "_maybe_symbolic_build", "_functional")
    for name in expected:
        assert any(name in line for line in used), f"{name} is no longer seen as private"


def test_only_the_compat_module_touches_keras_and_tensorflow_privates():
    private = _private_names()
    offences = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != COMPAT
        for line in _offences(path, private)
    ]
    assert not offences, "private Keras/TF names outside kgan/_keras_compat.py:\n" + "\n".join(
        offences
    )


def test_keras_is_pinned_below_the_next_minor_version():
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    (pin,) = [d for d in project["dependencies"] if re.match(r"keras\b", d)]
    match = re.fullmatch(r"keras>=3\.\d+,<3\.(\d+)", pin.replace(" ", ""))
    assert match, f"keras must be pinned as 'keras>=3.x,<3.y'; got {pin!r}"
    from kgan import _keras_compat

    checked_minor = int(_keras_compat.KERAS_CHECKED.split(".")[1])
    assert int(match.group(1)) == checked_minor + 1, "the pin must stop after the checked Keras"
    installed = tuple(int(p) for p in keras.__version__.split(".")[:2])
    assert installed < (3, int(match.group(1))), f"Keras {keras.__version__} is past the pin"
