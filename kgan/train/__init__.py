"""The training run: config, presets, build, the run loop, checkpoints, callbacks, optimizers.

The config and the presets import without TensorFlow (the command line's
`--help` reads them); the rest loads on first use.

Example:
    >>> from kgan.train import TrainConfig, train
    >>> result = train(TrainConfig(dataset="ring8", epochs=2), "runs/ring8")  # doctest: +SKIP
    >>> result.generator  # doctest: +SKIP
    PosixPath('runs/ring8/generator.keras')
"""

from kgan import _lazy

_PUBLIC = {
    "CHECKPOINT_DIR": "kgan.train.checkpoints:CHECKPOINT_DIR",
    "Checkpoints": "kgan.train.checkpoints:Checkpoints",
    "save_keras_atomic": "kgan.train.checkpoints:save_keras_atomic",
    "build_gan": "kgan.train.build:build_gan",
    "DataConfig": "kgan.train.config:DataConfig",
    "GameConfig": "kgan.train.config:GameConfig",
    "ModelConfig": "kgan.train.config:ModelConfig",
    "OptimizerConfig": "kgan.train.config:OptimizerConfig",
    "PRECISIONS": "kgan.train.config:PRECISIONS",
    "RESUMABLE_CHANGES": "kgan.train.config:RESUMABLE_CHANGES",
    "RunConfig": "kgan.train.config:RunConfig",
    "RuntimeConfig": "kgan.train.config:RuntimeConfig",
    "STRATEGIES": "kgan.train.config:STRATEGIES",
    "TrainConfig": "kgan.train.config:TrainConfig",
    "Diverged": "kgan.train.guard:Diverged",
    "DiskFull": "kgan.train.guard:DiskFull",
    "DryRun": "kgan.train.run:DryRun",
    "Interrupted": "kgan.train.guard:Interrupted",
    "RunResult": "kgan.train.run:RunResult",
    "dry_run": "kgan.train.run:dry_run",
    "log_event": "kgan.train.guard:log_event",
    "read_history": "kgan.train.history:read_history",
    "train": "kgan.train.run:train",
    "train_and_evaluate": "kgan.train.run:train_and_evaluate",
}

__getattr__, __dir__ = _lazy.attributes(__name__, _PUBLIC)
__all__ = sorted(_PUBLIC)
