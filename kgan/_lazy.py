"""Lazy imports for kgan's packages, with Keras classes registered as soon as Keras is loaded.

`import kgan` must stay cheap, so that the command lines answer `--help` without
loading TensorFlow; and it must still make every Keras class that kgan writes
into `.keras` files known to Keras, so that `keras.models.load_model` reads
them after only `import kgan`, whatever the order of the imports.

- `attributes(module, names)` gives a package PEP 562 `__getattr__`/`__dir__`
  that import a public name's module on first access.
- `install(aliases, serializable)` puts a finder on `sys.meta_path` that
  serves the module paths of kgan 0.1's flat layout (`kgan.losses`,
  `kgan.training`, ...) as aliases of the modules now holding their code, and
  imports the `serializable` modules (those that register Keras classes) once
  Keras is loaded: at once when `keras` is already imported; otherwise right
  after the import that loads Keras finishes.

"Finishes" is the subtle part. Keras is often first imported from inside
another import that is not done yet: `import tensorflow` imports Keras near
its end (and swallows an ImportError raised there), and a kgan module's own
`import keras` runs while that module is half-initialised. Importing kgan's
class modules at that moment would see half-initialised modules. So until the
registration has run, the finder wraps the loaders of `keras`, `tensorflow`
and every `kgan.*` module to count the imports in progress, and registers
only when the count drops back to zero with `keras` in `sys.modules`. Then it
stops watching (only the aliases remain).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

_WATCHED = ("keras", "tensorflow")


def attributes(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package` that import public names on first access.

    Args:
        package: the package's `__name__`.
        names: public name -> "module" (the name is that module) or
            "module:attribute".

    Example:
        >>> __getattr__, __dir__ = attributes(__name__, {"GAN": "kgan.core.gan:GAN"})
        ... # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = names[name].partition(":")
        value = importlib.import_module(module_name)
        if attribute:
            value = getattr(value, attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


def install(aliases: Mapping[str, str], serializable: Iterable[str]) -> None:
    """Serves `aliases` (old module path -> module) and registers `serializable` when Keras loads.

    Call once, at the end of the package's `__init__` (after its `__getattr__`
    exists: the registration may import the package's modules at once).
    """
    finder = _Finder(dict(aliases), tuple(serializable))
    sys.meta_path.insert(0, finder)
    if "keras" in sys.modules:
        finder.register()


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, aliases: dict[str, str], serializable: tuple[str, ...]):
        self.aliases = aliases
        self.serializable = serializable
        self.registered = False
        self.in_progress = 0
        self.lock = threading.Lock()

    def find_spec(self, name, path, target=None):
        if name in self.aliases:
            return importlib.util.spec_from_loader(name, _Alias(self.aliases[name]))
        if self.registered or not (name in _WATCHED or name.startswith("kgan.")):
            return None
        spec = self._real_spec(name, path, target)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _Counted(spec.loader, self)
        return spec

    def _real_spec(self, name, path, target):
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is not self and find is not None:
                spec = find(name, path, target)
                if spec is not None:
                    return spec
        return None

    def started(self) -> None:
        with self.lock:
            self.in_progress += 1

    def finished(self, ok: bool) -> None:
        with self.lock:
            self.in_progress -= 1
            due = ok and not self.in_progress and not self.registered and "keras" in sys.modules
        if due:
            self.register()

    def register(self) -> None:
        """Imports the modules that register kgan's Keras classes."""
        self.registered = True  # first: these imports must not be watched
        for name in self.serializable:
            importlib.import_module(name)


class _Counted(importlib.abc.Loader):
    """A loader that tells the finder when its module starts and finishes executing."""

    def __init__(self, loader: importlib.abc.Loader, finder: _Finder):
        self.loader = loader
        self.finder = finder

    def __getattr__(self, name: str) -> Any:  # get_code, get_source, is_package, ...
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module sees its real loader (importlib.resources, inspect, runpy).
        module.__spec__.loader = module.__loader__ = self.loader
        self.finder.started()
        try:
            self.loader.exec_module(module)
        except BaseException:
            self.finder.finished(ok=False)
            raise
        self.finder.finished(ok=True)


class _Alias(importlib.abc.Loader):
    """Loads an old module path as the module that holds its code now (the same object)."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # loading set it to the alias's spec
