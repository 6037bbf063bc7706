"""The training run: config, presets, build, the run loop, checkpoints, callbacks, optimizers.

Example:
    >>> from kgan.train import TrainConfig, train_and_evaluate
    >>> result = train_and_evaluate(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")
    ... # doctest: +SKIP
"""

from kgan.train.build import build_gan
from kgan.train.checkpoints import CHECKPOINT_DIR, Checkpoints, save_keras_atomic
from kgan.train.config import PRECISIONS, RESUMABLE_CHANGES, STRATEGIES, TrainConfig
from kgan.train.run import Diverged, Interrupted, log_event, train_and_evaluate

__all__ = [
    "CHECKPOINT_DIR",
    "PRECISIONS",
    "RESUMABLE_CHANGES",
    "STRATEGIES",
    "Checkpoints",
    "Diverged",
    "Interrupted",
    "TrainConfig",
    "build_gan",
    "log_event",
    "save_keras_atomic",
    "train_and_evaluate",
]
