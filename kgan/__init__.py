"""kgan: generative adversarial networks for Keras 3 on TensorFlow.

The package is organised in wings: `kgan.core` (the game), `kgan.networks`,
`kgan.data`, `kgan.train`, `kgan.eval`, `kgan.export` and `kgan.cli`.

`import kgan` is cheap: the wings and public names load on first use, so the
command lines answer `--help` without TensorFlow. It still registers every
Keras class kgan writes into `.keras` files, so `keras.models.load_model`
reads any of them after `import kgan`, in either import order: when Keras is
already imported, the class-defining modules are imported at once; otherwise
right after Keras finishes loading (see `kgan._lazy` for how a half-finished
import is waited for). `kgan.load(path)` is `keras.models.load_model(path)` with
the file checked first (`kgan.keras_file.load_keras`): without `import kgan`,
Keras cannot find kgan's classes ("Could not locate class 'GAN'").

Example:
    >>> import kgan
    >>> generator, discriminator = kgan.networks.mlp(latent_dim=8, sample_shape=(2,))
    >>> gan = kgan.GAN(generator, discriminator, seed=0)
    >>> gan.compile(d_optimizer="adam", g_optimizer="adam")
    >>> gan.fit(kgan.data.load("ring8", batch_size=256), epochs=1)  # doctest: +SKIP
"""

from kgan._backend import ensure_tensorflow_backend

ensure_tensorflow_backend()

from kgan import _lazy  # noqa: E402
from kgan.version import __version__  # noqa: E402

# Public name -> the module it is (or "module:attribute"), imported on first access.
_PUBLIC = {
    "GAN": "kgan.core.gan:GAN",
    "sample_latents": "kgan_runtime.latents:sample_latents",
    "load": "kgan.keras_file:load_keras",
    "latent_tools": "kgan_runtime.latent_tools",
    "core": "kgan.core",
    "data": "kgan.data",
    "eval": "kgan.eval",
    "export": "kgan.export",
    "networks": "kgan.networks",
    "train": "kgan.train",
    "augment": "kgan.core.augment",
    "losses": "kgan.core.losses",
    "penalties": "kgan.core.penalties",
    "classifier": "kgan.eval.classifier",
    "features": "kgan.eval.features",
    "metrics": "kgan.eval.metrics",
    "layers": "kgan.networks.layers",
    "packing": "kgan.networks.pacgan",
    "callbacks": "kgan.train.callbacks",
    "distribute": "kgan.train.distribute",
    "optimizers": "kgan.train.optimizers",
    "presets": "kgan.train.presets",
}

# The module paths of kgan 0.1's flat layout, kept importable (`from kgan.training import
# TrainConfig`, `import kgan.losses`): each old name is an alias of the module that now holds it.
# The runtime's latents and latent tools are served the same way (`from kgan.latent_tools import
# slerp`): one implementation, shared by kgan, kgan-runtime and (bit for bit) the JS runtime.
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
    "kgan.latents": "kgan_runtime.latents",  # latents are the runtime's, written once
    "kgan.latent_tools": "kgan_runtime.latent_tools",  # so are the latent tools
}

# Every module that registers a Keras serializable (`@keras.saving.register_keras_serializable`);
# tests/test_api.py checks that this list is complete.
_SERIALIZABLE = (
    "kgan.core.gan",  # GAN
    "kgan.core.augment",  # DiffAugment
    "kgan.networks.layers",  # Maxout and kgan's fast layers
    "kgan.networks.pacgan",  # Pack
    "kgan.train.optimizers",  # Adam
    "kgan.eval.stacked",  # LastAxisSlice, TripleProbabilities (the Stacked MNIST classifier)
    "kgan.export.onnx_rewrite",
)

__getattr__, __dir__ = _lazy.attributes(__name__, _PUBLIC)
_lazy.install(_OLD_PATHS, _SERIALIZABLE)

__all__ = ["__version__", *sorted(_PUBLIC)]
