"""kgan-train: train a GAN on a built-in or TFDS dataset and write a run folder.

Example:
    kgan-train --dataset=digits --epochs=30 --out=runs/digits
    kgan-train --dataset=ring8 --out=runs/ring8     # picks the ring8 recipe

Without --preset, the recipe suiting the dataset is used (and named). On a
terminal each epoch shows a progress bar; otherwise one line per epoch.

Running the same command again resumes the run from its last checkpoint (a
finished run says so and exits 0; a larger --epochs continues it). Errors are
one line on stderr: exit status 2 for bad input, a run folder in use by another
process or a full disk, 3 when training diverged, 128 + N when signal N stopped it
(after a checkpoint).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from absl import app, flags

from kgan import rules
from kgan.cli._common import fail, quiet_tensorflow
from kgan.cli._flags import config_overrides, define_config_flags, one_line_parser
from kgan.train import presets

FLAGS = flags.FLAGS

flags.DEFINE_string("out", "runs/latest", "Run folder to write.")
flags.DEFINE_string(
    "preset", None,
    f"A recipe of kgan.train.presets: {', '.join(presets.PRESETS)}, or none. Unset: the "
    "recipe suiting --dataset (ring8 and grid25 their own, anything else dcgan), or the one "
    "the run folder was started with. Flags given explicitly override it.",
)  # fmt: skip
flags.DEFINE_bool("resume", True, "Resume from the run folder's last checkpoint, if any.")
flags.DEFINE_bool("dry_run", False, "Check the config, build data and models, train nothing.")
flags.DEFINE_integer(
    "cpu_replicas", None,
    "Split the CPU into this many logical devices, so that --strategy=mirrored runs that many "
    "replicas without GPUs (to try a distributed setup on one machine).", lower_bound=1,
)  # fmt: skip
define_config_flags()


def _preset(dataset: str) -> tuple[str | None, str]:
    """The preset to use and a line saying why: --preset, the run folder's, or the dataset's."""
    if FLAGS.preset is not None:
        return (None if FLAGS.preset == "none" else FLAGS.preset), ""
    saved = Path(FLAGS.out) / "config.json"
    if FLAGS.resume and saved.is_file():
        try:  # a run folder keeps the recipe it started with (kgan 0.1's: none)
            record = json.loads(saved.read_text())
            run = record.get("run") if isinstance(record, dict) else None
            return (run.get("preset") if isinstance(run, dict) else None), ""
        except (OSError, ValueError):
            pass  # train() reports an unreadable config.json
    name = presets.auto(dataset)
    return name, (
        f"preset: {name} (picked for --dataset={dataset}; --preset=NAME picks another, "
        "--preset=none uses none; flags given explicitly win)"
    )


def _label_note(config) -> str:
    """A note when an unconditional GAN trains on a labelled dataset (the labels go unused)."""
    if config.model.conditional or config.data.dataset in rules.MIXTURES:
        return ""  # the mixtures' labels are their modes: the benchmarks are unconditional
    from kgan import data as data_lib

    try:
        info = data_lib.describe(config.data.dataset, data_dir=config.data.data_dir)
    except (ValueError, OSError, ImportError):
        return ""  # train() reports what is wrong with the dataset
    if not info.has_labels:
        return ""
    return (
        f"note: {config.data.dataset} has labels ({info.num_classes} classes), which this "
        "unconditional GAN ignores; --conditional trains on them."
    )


def _steps_per_epoch(out: Path) -> int | None:
    """The run's steps per epoch, from config.json (train() writes it before training)."""
    try:
        record = json.loads((out / "config.json").read_text())
        steps = record.get("resolved", {}).get("steps_per_epoch")
        return int(steps or record["steps_per_epoch_resolved"])  # or kgan 0.1's flat record
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _epochs(steps: int, steps_per_epoch: int) -> str:
    epochs = steps / steps_per_epoch
    text = f"{epochs:g}" if epochs == int(epochs) else f"{epochs:.2f}"
    return f"{text} epoch{'' if epochs == 1 else 's'}"


def main(argv: list[str]) -> int:
    quiet_tensorflow()
    from kgan.train import DiskFull, Diverged, Interrupted, TrainConfig, dry_run, train
    from kgan.train.callbacks import EpochProgress
    from kgan_runtime.fileio import FolderLocked

    if FLAGS.cpu_replicas is not None:
        from kgan.train import distribute

        distribute.split_cpu(FLAGS.cpu_replicas)
    try:
        overrides = config_overrides()
        preset, why = _preset(overrides.get("dataset", FLAGS.dataset))
        config = TrainConfig.from_preset(preset, **overrides)
        if why:
            print(why)
        left_out = presets.left_out(preset, config.data.dataset) if preset else []
        if left_out:
            print(
                f"preset {preset} on {config.data.dataset}: leaves out {', '.join(left_out)} "
                "(tuned to another dataset or to images)"
            )
        note = _label_note(config)
        if note:
            print(note)
        if FLAGS.dry_run:
            plan = dry_run(config)
            print(
                f"dry run: {plan.data}, "
                f"generator {plan.generator_parameters:,} parameters, "
                f"discriminator {plan.discriminator_parameters:,} parameters; nothing written."
            )
            print(f"config: {config}")
            return 0
        out = Path(FLAGS.out)
        progress = EpochProgress(
            config.run.epochs, lambda: _steps_per_epoch(out), bar=sys.stdout.isatty()
        )
        result = train(config.replace(verbose=0), out, resume=FLAGS.resume, callbacks=[progress])
    except (ValueError, FolderLocked, DiskFull) as err:
        return fail("kgan-train", err)
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
        spe = result.steps_per_epoch
        trained = _epochs(result.steps - result.start_step, spe)
        where = f"{result.seconds:.1f} s on {replicas} replica{'s' if replicas > 1 else ''}"
        if result.start_step:
            print(
                f"trained {trained} in this invocation (steps {result.start_step + 1}-"
                f"{result.steps}), {_epochs(result.steps, spe)} in all, in {where}"
            )
        else:
            print(f"trained {trained} in {where}")
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
