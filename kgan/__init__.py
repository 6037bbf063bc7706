"""kgan: generative adversarial networks for Keras 3 on TensorFlow.

The package is organised in wings: `kgan.core` (the game), `kgan.networks`,
`kgan.data`, `kgan.train`, `kgan.eval`, `kgan.export` and `kgan.cli`.
Importing `kgan` registers every Keras class kgan writes into `.keras` files,
so `keras.models.load_model` reads any of them after `import kgan`.

Example:
    >>> import kgan
    >>> generator, discriminator = kgan.networks.mlp(latent_dim=8, sample_shape=(2,))
    >>> gan = kgan.GAN(generator, discriminator, seed=0)
    >>> gan.compile(d_optimizer="adam", g_optimizer="adam")
    >>> gan.fit(kgan.data.load("ring8", batch_size=256), epochs=1)  # doctest: +SKIP
"""

from kgan._backend import ensure_tensorflow_backend

ensure_tensorflow_backend()

import importlib as _importlib  # noqa: E402
import sys as _sys  # noqa: E402

from kgan import core, data, eval, export, networks, train  # noqa: E402
from kgan.core import augment, losses, penalties  # noqa: E402
from kgan.core.gan import GAN  # noqa: E402
from kgan.eval import classifier, features, metrics  # noqa: E402
from kgan.networks import layers  # noqa: E402
from kgan.networks import pacgan as packing  # noqa: E402
from kgan.train import callbacks, distribute, optimizers, presets  # noqa: E402
from kgan.version import __version__  # noqa: E402
from kgan_runtime.latents import sample_latents  # noqa: E402

# The module paths of kgan 0.1's flat layout, kept importable (`from kgan.training import
# TrainConfig`, `import kgan.losses`): each old name is an alias of the module that now holds it.
_OLD_PATHS = {
    "kgan.gan": "kgan.core.gan",
    "kgan.losses": "kgan.core.losses",
    "kgan.penalties": "kgan.core.penalties",
    "kgan.augment": "kgan.core.augment",
    "kgan.layers": "kgan.networks.layers",
    "kgan.packing": "kgan.networks.pacgan",
    "kgan.training": "kgan.train",
    "kgan.presets": "kgan.train.presets",
    "kgan.callbacks": "kgan.train.callbacks",
    "kgan.optimizers": "kgan.train.optimizers",
    "kgan.distribute": "kgan.train.distribute",
    "kgan.metrics": "kgan.eval.metrics",
    "kgan.features": "kgan.eval.features",
    "kgan.classifier": "kgan.eval.classifier",
    "kgan.export_optimize": "kgan.export.onnx_rewrite",
}
for _old, _new in _OLD_PATHS.items():
    _sys.modules.setdefault(_old, _importlib.import_module(_new))

__all__ = [
    "GAN",
    "__version__",
    "augment",
    "callbacks",
    "classifier",
    "core",
    "data",
    "distribute",
    "eval",
    "export",
    "features",
    "layers",
    "losses",
    "metrics",
    "networks",
    "optimizers",
    "packing",
    "penalties",
    "presets",
    "sample_latents",
    "train",
]
