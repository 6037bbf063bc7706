"""kgan-train: train a GAN on a built-in or TFDS dataset and write a run folder.

Example:
    kgan-train --dataset=digits --arch=dcgan --epochs=30 --out=runs/digits
    kgan-train --preset=ring8 --out=runs/ring8

Running the same command again resumes the run from its last checkpoint (a
finished run says so and exits 0; a larger --epochs continues it). Errors are
one line on stderr: exit status 2 for bad input, a run folder in use by another
process or a full disk, 3 when training diverged, 128 + N when signal N stopped it
(after a checkpoint).
"""

from __future__ import annotations

import sys

from absl import app, flags

from kgan.cli._flags import config_overrides, define_config_flags, one_line_parser
from kgan.train import presets

FLAGS = flags.FLAGS

flags.DEFINE_string("out", "runs/latest", "Run folder to write.")
flags.DEFINE_string(
    "preset", None,
    f"A recipe of kgan.train.presets: {', '.join(presets.PRESETS)}. Flags given explicitly "
    "override it.",
)  # fmt: skip
flags.DEFINE_bool("resume", True, "Resume from the run folder's last checkpoint, if any.")
flags.DEFINE_bool("dry_run", False, "Check the config, build data and models, train nothing.")
flags.DEFINE_integer(
    "cpu_replicas", None,
    "Split the CPU into this many logical devices, so that --strategy=mirrored runs that many "
    "replicas without GPUs (to try a distributed setup on one machine).", lower_bound=1,
)  # fmt: skip
define_config_flags()


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from kgan.train import DiskFull, Diverged, Interrupted, TrainConfig, dry_run, train
    from kgan_runtime.fileio import FolderLocked

    if FLAGS.cpu_replicas is not None:
        from kgan.train import distribute

        distribute.split_cpu(FLAGS.cpu_replicas)
    try:
        config = TrainConfig.from_preset(FLAGS.preset, **config_overrides())
        if FLAGS.dry_run:
            plan = dry_run(config)
            print(
                f"dry run: {plan.data}, "
                f"generator {plan.generator_parameters:,} parameters, "
                f"discriminator {plan.discriminator_parameters:,} parameters; nothing written."
            )
            print(f"config: {config}")
            return 0
        result = train(config, FLAGS.out, resume=FLAGS.resume)
    except (ValueError, FolderLocked, DiskFull) as err:
        print(f"kgan-train: error: {err}", file=sys.stderr)
        return 2
    except Diverged as err:
        print(f"kgan-train: {err}", file=sys.stderr)
        return 3
    except Interrupted as err:
        print(f"kgan-train: {err}", file=sys.stderr)
        return 128 + err.signum
    if result.already_complete:
        epochs = result.steps // result.steps_per_epoch
        print(
            f"{result.folder} already holds the finished run ({epochs} epoch"
            f"{'s' if epochs > 1 else ''}, {result.steps} steps): nothing to train. Pass a larger "
            "--epochs to continue it, or --noresume to start over."
        )
    print(f"samples:   {result.last_samples}")
    print(f"gan:       {result.gan}")
    print(f"generator: {result.generator}")
    print(f"history:   {result.history}")
    if not result.already_complete:
        replicas = result.replicas
        print(
            f"trained {config.run.epochs} epochs in {result.seconds:.1f} s on {replicas} "
            f"replica{'s' if replicas > 1 else ''}"
        )
    return 0


def run() -> None:
    """Console-script entry point."""
    try:
        app.run(main, flags_parser=one_line_parser("kgan-train"))
    except KeyboardInterrupt:  # SIGINT before training set its own handlers
        print("kgan-train: SIGINT received before training started; nothing trained.",
              file=sys.stderr)  # fmt: skip
        sys.exit(128 + 2)


if __name__ == "__main__":
    run()
