"""kgan-train: train a GAN on a built-in or TFDS dataset and write a run folder.

Example:
    kgan-train --dataset=digits --arch=dcgan --epochs=30 --out=runs/digits
"""

from __future__ import annotations

import sys

from absl import app, flags

from kgan.cli._flags import one_line_parser

FLAGS = flags.FLAGS

flags.DEFINE_string("preset", None, "A kgan.presets recipe; flags given explicitly override it.")
flags.DEFINE_string("dataset", "digits", "ring8, grid25, digits, or a TFDS name (mnist, ...).")
flags.DEFINE_enum("arch", "auto", ["auto", "mlp", "dcgan"], "Network pair; auto: mlp for 2-D data.")
flags.DEFINE_string("loss", "non_saturating", "A kgan.losses name (minimax, non_saturating, ...).")
flags.DEFINE_integer("d_steps", 1, "Discriminator updates per generator update (k).", lower_bound=1)
flags.DEFINE_integer("epochs", 10, "Passes over the data.", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "Samples per batch.", lower_bound=1)
flags.DEFINE_integer("latent_dim", 64, "Size of the latent vector z.", lower_bound=1)
flags.DEFINE_float("lr", 2e-4, "Adam learning rate of both networks.", lower_bound=0.0)
flags.DEFINE_float("beta_1", 0.5, "Adam beta_1.", lower_bound=0.0, upper_bound=0.999)
flags.DEFINE_float("beta_2", 0.999, "Adam beta_2.", lower_bound=0.0, upper_bound=0.9999)
flags.DEFINE_integer("width", 64, "DCGAN width.", lower_bound=1)
flags.DEFINE_list("generator_units", None, "MLP generator hidden widths, e.g. 128,128.")
flags.DEFINE_list("discriminator_units", None, "MLP discriminator maxout units, e.g. 128,128.")
flags.DEFINE_integer("maxout_pieces", None, "Pieces per maxout unit (MLP).", lower_bound=1)
flags.DEFINE_float(
    "dropout", None, "Discriminator dropout rate.", lower_bound=0.0, upper_bound=0.99
)
flags.DEFINE_integer("num_packed", 1, "PacGAN packing: samples D judges at once.", lower_bound=1)
flags.DEFINE_float("data_scale", 1.0, "The networks see data / data_scale.", lower_bound=1e-6)
flags.DEFINE_bool("lr_decay", False, "Cosine decay of both learning rates to 0 over the run.")
flags.DEFINE_integer("num_examples", None, "Points drawn for ring8/grid25.", lower_bound=1)
flags.DEFINE_float("label_smoothing", 0.0, "One-sided label smoothing.", lower_bound=0.0)
flags.DEFINE_float("gradient_penalty", 0.0, "WGAN-GP weight (0: off).", lower_bound=0.0)
flags.DEFINE_float("r1_gamma", 0.0, "R1 penalty gamma (0: off).", lower_bound=0.0)
flags.DEFINE_integer("r1_interval", 1, "Lazy R1: every N discriminator steps.", lower_bound=1)
flags.DEFINE_bool("spectral_norm", False, "Spectral normalization in the discriminator.")
flags.DEFINE_string("augment", None, "DiffAugment policy, e.g. color,translation,cutout.")
flags.DEFINE_bool("conditional", False, "Train a conditional GAN on the dataset's labels.")
flags.DEFINE_float("ema_half_life", None, "Generator EMA half-life in images (off if unset).")
flags.DEFINE_integer("steps_per_epoch", None, "Cap on steps per epoch.", lower_bound=1)
flags.DEFINE_integer("grid_size", 64, "Samples in each epoch's PNG grid.", lower_bound=1)
flags.DEFINE_enum("jit_compile", "auto", ["auto", "true", "false"], "XLA for the training step.")
flags.DEFINE_enum(
    "strategy", "default", ["default", "mirrored", "multi_worker", "tpu"],
    "tf.distribute strategy: one device, all local GPUs, the TF_CONFIG cluster, or a TPU. "
    "--batch_size is the global batch.",
)  # fmt: skip
flags.DEFINE_enum(
    "precision", "float32", ["float32", "mixed_float16", "mixed_bfloat16"],
    "Keras dtype policy of the networks (losses stay float32).",
)  # fmt: skip
flags.DEFINE_integer("steps_per_execution", 1, "Batches per tf.function call.", lower_bound=1)
flags.DEFINE_integer(
    "cpu_replicas", None,
    "Split the CPU into this many logical devices, so that --strategy=mirrored runs that many "
    "replicas without GPUs (to try a distributed setup on one machine).", lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer("seed", 0, "Seed of weights, noise and data order.")
flags.DEFINE_string("data_dir", None, "TFDS data folder.")
flags.DEFINE_bool("download", True, "Let TFDS download the dataset.")
flags.DEFINE_string("out", "runs/latest", "Run folder to write.")
flags.DEFINE_bool("dry_run", False, "Check the config, build data and models, train nothing.")
flags.DEFINE_bool("resume", True, "Resume from the run folder's last checkpoint, if any.")
flags.DEFINE_integer("checkpoint_every", None, "Also checkpoint every N steps.", lower_bound=1)
flags.DEFINE_integer("keep_checkpoints", 3, "Checkpoints to keep.", lower_bound=1)
flags.DEFINE_bool("deterministic", False, "TensorFlow op determinism (bit-exact resume).")
flags.DEFINE_enum(
    "on_divergence", "stop", ["stop", "rollback"],
    "On NaN/Inf: stop, or roll back to the last checkpoint with a lower learning rate.",
)  # fmt: skip

# Flags that are not TrainConfig fields.
_NOT_CONFIG = {"preset", "out", "dry_run", "resume", "cpu_replicas"}


def _config():
    """TrainConfig from the preset, with every flag given on the command line on top."""
    import dataclasses

    from kgan.train import TrainConfig

    names = {f.name for f in dataclasses.fields(TrainConfig)} - _NOT_CONFIG
    overrides = {name: FLAGS[name].value for name in names if name in FLAGS and FLAGS[name].present}
    for name in ("generator_units", "discriminator_units"):
        if name in overrides:
            try:
                overrides[name] = [int(v) for v in overrides[name]]
            except ValueError:
                raise ValueError(
                    f"{name} must be comma-separated integers; got {','.join(overrides[name])!r}."
                ) from None
    if "jit_compile" in overrides:
        overrides["jit_compile"] = {"auto": "auto", "true": True, "false": False}[
            overrides["jit_compile"]
        ]
    return TrainConfig.from_preset(FLAGS.preset, **overrides)


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from kgan import data as data_lib
    from kgan.train import Diverged, Interrupted, build_gan, train_and_evaluate

    if FLAGS.cpu_replicas is not None:
        from kgan.train import distribute

        distribute.split_cpu(FLAGS.cpu_replicas)
    try:
        config = _config()
        config.validate()
        if FLAGS.dry_run:
            # Reads no samples and downloads nothing.
            info = data_lib.describe(
                config.dataset, data_dir=config.data_dir, num_examples=config.num_examples
            )
            info.check(batch_size=config.batch_size, with_labels=config.conditional)
            num_classes = info.num_classes if config.conditional else None
            steps = config.epochs * (
                config.steps_per_epoch or (info.num_examples or 0) // config.batch_size
            )
            gan = build_gan(config, info.sample_shape, num_classes, total_steps=max(steps, 1))
            print(
                f"dry run: {info.summary()}, "
                f"generator {gan.generator.count_params():,} parameters, "
                f"discriminator {gan.discriminator.count_params():,} parameters; nothing written."
            )
            print(f"config: {config}")
            return 0
        result = train_and_evaluate(config, FLAGS.out, resume=FLAGS.resume)
    except ValueError as err:
        print(f"kgan-train: error: {err}", file=sys.stderr)
        return 2
    except Diverged as err:
        print(f"kgan-train: {err}", file=sys.stderr)
        return 3
    except Interrupted as err:
        print(f"kgan-train: {err}", file=sys.stderr)
        return 128 + err.signum
    print(f"samples:   {result['samples'][-1]}")
    print(f"gan:       {result['gan']}")
    print(f"generator: {result['generator']}")
    print(f"history:   {result['history']}")
    replicas = result["replicas"]
    print(
        f"trained {config.epochs} epochs in {result['seconds']:.1f} s on {replicas} "
        f"replica{'s' if replicas > 1 else ''}"
    )
    return 0


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=one_line_parser("kgan-train"))


if __name__ == "__main__":
    run()
