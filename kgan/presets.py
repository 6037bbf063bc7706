"""Named training recipes: each is a set of `TrainConfig` settings, selectable with `--preset`.

A preset fills in settings; anything set explicitly (a keyword of
`TrainConfig.from_preset` or a flag given on the command line) wins.

| preset | loss | regularization | Adam lr, beta_1, beta_2 |
|---|---|---|---|
| `gan` | minimax (Goodfellow et al., 2014) | - | 2e-4, 0.5, 0.999 |
| `dcgan` | non_saturating (Radford et al., 2016) | - | 2e-4, 0.5, 0.999 |
| `lsgan` | least_squares (Mao et al., 2017) | - | 2e-4, 0.5, 0.999 |
| `ragan` | relativistic (Jolicoeur-Martineau, 2018) | - | 2e-4, 0.5, 0.999 |
| `wgan_gp` | wasserstein (Gulrajani et al., 2017) | GP 10, 5 critic steps | 1e-4, 0.0, 0.9 |
| `sngan_hinge` | hinge (Miyato et al., 2018, C) | spectral norm in D | 2e-4, 0.5, 0.999 |
| `stylegan2_r1` | non_saturating (Karras et al., 2020) | R1 1, every 16; EMA | 2e-4, 0.0, 0.99 |
| `diffaugment` | non_saturating (Zhao et al., 2020) | DiffAugment; EMA | 2e-4, 0.5, 0.999 |

Example:
    >>> from kgan.training import TrainConfig
    >>> TrainConfig.from_preset("wgan_gp", dataset="grid25").gradient_penalty
    10.0
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "gan": {"loss": "minimax"},
    "dcgan": {"loss": "non_saturating", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "lsgan": {"loss": "least_squares", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "ragan": {"loss": "relativistic", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "wgan_gp": {
        "loss": "wasserstein",
        "gradient_penalty": 10.0,
        "d_steps": 5,
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
}


def get(name: str) -> dict[str, Any]:
    """The settings of preset `name` (a copy).

    Raises:
        ValueError: for an unknown name; the message lists the choices.
    """
    if name not in PRESETS:
        raise ValueError(f"Unknown preset={name!r}. Expected one of {sorted(PRESETS)}.")
    return dict(PRESETS[name])
