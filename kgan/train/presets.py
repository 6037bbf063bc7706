"""Named training recipes: each is a set of flat `TrainConfig` settings, selectable with `--preset`.

A preset fills in settings; anything set explicitly (a keyword of
`TrainConfig.from_preset` or a flag given on the command line) wins.

| preset | loss | regularization | Adam lr, beta_1, beta_2 |
|---|---|---|---|
| `gan` | minimax (Goodfellow et al., 2014) | - | 2e-4, 0.5, 0.999 |
| `dcgan` | non_saturating (Radford et al., 2016) | - | 2e-4, 0.5, 0.999 |
| `lsgan` | least_squares (Mao et al., 2017) | - | 2e-4, 0.5, 0.999 |
| `ragan` | relativistic (Jolicoeur-Martineau, 2018) | - | 2e-4, 0.5, 0.999 |
| `wgan_gp` | wasserstein (Gulrajani et al., 2017) | GP 10, 5 critic steps of 64 | 1e-4, 0.0, 0.9 |
| `sngan_hinge` | hinge (Miyato et al., 2018, C) | spectral norm in D | 2e-4, 0.5, 0.999 |
| `stylegan2_r1` | non_saturating (Karras et al., 2020) | R1 1, every 16; EMA | 2e-4, 0.0, 0.99 |
| `diffaugment` | non_saturating (Zhao et al., 2020) | DiffAugment; EMA | 2e-4, 0.5, 0.999 |
| `ring8` | non_saturating, MLP 128x128, latent 2 | EMA; cosine lr decay | 1e-3, 0.5, 0.999 |
| `grid25` | as `ring8`, data scaled by 1/4 | PacGAN2; EMA; cosine decay | 1e-3, 0.5, 0.999 |
| `stacked_mnist_veegan` | least_squares, DCGAN 64, z 100 | PacGAN2; EMA | 2e-4, .5, .999 |
| `stacked_mnist_quarter_d` | non_saturating, small_dcgan, z 256 | PacGAN4; EMA | G 1e-4, .5, .99 |

`ring8` and `grid25` are kgan's recipes for the 2-D mode-collapse benchmarks
(`scripts/bench_quality.py`, which reports what each part buys); they also
select their dataset (100,000 points) and a fast step (XLA, 20 steps per
execution); on another dataset they keep only their game, batch size and
optimizer (see `get`). `wgan_gp` trains on batches of 320: five critic minibatches of 64.
Without `--preset`, `kgan-train` picks `auto(dataset)`.

`stacked_mnist_veegan` and `stacked_mnist_quarter_d` are kgan's recipes for
Stacked MNIST (1,000 modes; `kgan.data.stacked`) in the two settings of
PacGAN's Tables 2 and 3: VEEGAN's (128,000 stacked images, batch 64 packed
inputs, 50 epochs) and the Unrolled-GAN paper's with a discriminator 1/4 the
generator's size (`kgan.networks.small_dcgan`, batch 128 packed inputs, 500,000
steps). They select `stacked_mnist`, which reads MNIST from `data_dir` (a
folder of IDX files) or TFDS. `scripts/bench_quality.py --only stacked_veegan`
scores them (`kgan.metrics.stacked_mnist_modes`).

Example:
    >>> from kgan.train import TrainConfig
    >>> TrainConfig.from_preset("wgan_gp", dataset="grid25").game.gradient_penalty
    10.0
"""

from __future__ import annotations

import copy
from typing import Any

from kgan import rules

# What the two 2-D recipes share: small MLPs without dropout, a 2-D latent, a
# high learning rate decayed to 0, a generator EMA, and a fast CPU step.
_MIXTURE: dict[str, Any] = {
    "arch": "mlp",
    "latent_dim": 2,
    "generator_units": [128, 128],
    "discriminator_units": [128, 128],
    "maxout_pieces": 5,
    "dropout": 0.0,
    "loss": "non_saturating",
    "lr": 1e-3,
    "beta_1": 0.5,
    "beta_2": 0.999,
    "lr_decay": True,
    "ema_half_life": 20_000.0,
    "batch_size": 200,
    "num_examples": 100_000,
    "jit_compile": True,
    "steps_per_execution": 20,
}

# Stacked MNIST. PacGAN's batch counts packed inputs: kgan's batch_size counts samples, so it is
# the papers' batch times num_packed.
_STACKED: dict[str, Any] = {
    "dataset": "stacked_mnist",
    "loss": "non_saturating",
    "ema_half_life": 20_000.0,
    "beta_1": 0.5,
}

PRESETS: dict[str, dict[str, Any]] = {
    "gan": {"loss": "minimax"},
    "dcgan": {"loss": "non_saturating", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "lsgan": {"loss": "least_squares", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "ragan": {"loss": "relativistic", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "wgan_gp": {
        "loss": "wasserstein",
        "gradient_penalty": 10.0,
        "d_steps": 5,
        # Five critic minibatches of 64, the paper's (a batch splits into d_steps minibatches).
        "batch_size": 320,
        "lr": 1e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
    },
    "sngan_hinge": {
        "loss": "hinge",
        "spectral_norm": True,
        "lr": 2e-4,
        "beta_1": 0.5,
        "beta_2": 0.999,
    },
    "stylegan2_r1": {
        "loss": "non_saturating",
        "r1_gamma": 1.0,
        "r1_interval": 16,
        "ema_half_life": 10_000.0,
        "lr": 2e-4,
        "beta_1": 0.0,
        "beta_2": 0.99,
    },
    "diffaugment": {
        "loss": "non_saturating",
        "augment": "color,translation,cutout",
        "ema_half_life": 2_000.0,
        "lr": 2e-4,
        "beta_1": 0.5,
        "beta_2": 0.999,
    },
    "ring8": {**_MIXTURE, "dataset": "ring8", "epochs": 120},
    "grid25": {**_MIXTURE, "dataset": "grid25", "num_packed": 2, "data_scale": 4.0, "epochs": 100},
    "stacked_mnist_veegan": {
        **_STACKED,  # arch "auto": the DCGAN on images
        # Least squares rather than the papers' loss: lower KL in each of 5 seeds (README).
        "loss": "least_squares",
        "latent_dim": 100,
        "width": 64,
        "num_packed": 2,
        "batch_size": 2 * 64,
        "lr": 2e-4,
        "beta_2": 0.999,
        "num_examples": 128_000,
        "epochs": 50,
    },
    "stacked_mnist_quarter_d": {
        **_STACKED,
        "arch": "small_dcgan",
        "latent_dim": 256,
        "width": 8,
        "d_width": 2,
        "num_packed": 4,
        "batch_size": 4 * 128,
        "lr": 2e-4,
        "g_lr": 1e-4,
        "beta_2": 0.99,
        "num_examples": 128_000,
        "epochs": 2_000,
    },
}


# Settings tuned to a preset's own dataset (`ring8`, `grid25`): they apply only when the run
# trains on that dataset; on another one the rest (the game, the batch size, the optimizer)
# applies.
DATASET_BOUND = (
    "num_examples", "data_scale", "steps_per_execution", "epochs", "arch", "width", "d_width",
    "generator_units", "discriminator_units", "maxout_pieces", "dropout", "latent_dim",
)  # fmt: skip
# Settings for images only: a preset leaves them out on the 2-D mixtures.
IMAGE_ONLY = ("augment",)
# An image network pair (`stacked_mnist_quarter_d`'s small_dcgan) is left out on the 2-D
# mixtures with its sizes: there `arch="auto"` builds the MLP.
IMAGE_NETWORKS = ("arch", "width", "d_width")
# The recipe `kgan-train` picks when no --preset is given: by dataset, else `AUTO_DEFAULT`.
AUTO = {"ring8": "ring8", "grid25": "grid25"}
AUTO_DEFAULT = "dcgan"


def get(name: str, dataset: str | None = None) -> dict[str, Any]:
    """The settings of preset `name` (a copy), for training on `dataset` (None: its own).

    A preset made for one dataset (`ring8`, `grid25`, `stacked_mnist_*`) used
    on another keeps its game (loss, packing, EMA), batch size and optimizer
    but not its dataset nor the settings tuned to it (`DATASET_BOUND`: the
    number of points, the data scale, the steps per execution, the epochs and
    the network pair with its latent size, which `arch="auto"` and the
    `latent_dim` default then pick for the data). On the 2-D mixtures,
    image-only settings (`IMAGE_ONLY`: DiffAugment, and an image network pair)
    are left out.

    Raises:
        ValueError: for an unknown name; the message lists the choices.

    Example:
        >>> get("ring8", dataset="digits")["lr"], "arch" in get("ring8", "digits")
        (0.001, False)
    """
    if name not in PRESETS:
        raise ValueError(f"Unknown preset={name!r}. Expected one of {sorted(PRESETS)}.")
    settings = copy.deepcopy(PRESETS[name])
    own = settings.get("dataset")
    if dataset is not None and own is not None and dataset != own:
        for key in ("dataset", *DATASET_BOUND):
            settings.pop(key, None)
    if (dataset or own) in rules.MIXTURES:
        for key in IMAGE_ONLY:
            settings.pop(key, None)
        if settings.get("arch", "mlp") not in ("mlp", "auto"):
            for key in IMAGE_NETWORKS:
                settings.pop(key, None)
    return settings


def left_out(name: str, dataset: str | None) -> list[str]:
    """The settings of preset `name` that `get(name, dataset)` leaves out (see `get`).

    Example:
        >>> left_out("diffaugment", "ring8")
        ['augment']
    """
    kept = get(name, dataset)
    return [key for key in PRESETS[name] if key not in kept and key != "dataset"]


def auto(dataset: str) -> str:
    """The preset that suits `dataset`: its own recipe (`ring8`, `grid25`), else `dcgan`.

    Example:
        >>> auto("grid25"), auto("digits"), auto("./faces")
        ('grid25', 'dcgan', 'dcgan')
    """
    return AUTO.get(dataset, AUTO_DEFAULT)
