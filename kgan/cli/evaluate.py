"""kgan-evaluate: score a trained generator (.keras or .onnx) against real data.

Examples:
    kgan-evaluate --model runs/ring8/generator.keras --data ring8 --out metrics.json
    kgan-evaluate --model export/generator.onnx --data digits \\
        --metrics fcd,classifier_score,class_coverage,precision_recall --num_samples 5000
    kgan-evaluate --model gan.keras --data mnist --metrics fid,kid \\
        --inception_weights ~/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5

The flags are the arguments of `kgan.eval.evaluate`, which does the work (with
`--metrics auto`, the default, it picks the metrics by the kind of data; see
`kgan.eval.recipe`). Errors are one line on stderr with exit status 2.
"""

from __future__ import annotations

from absl import app, flags

from kgan.cli._common import check_model_file, fail, quiet_tensorflow
from kgan.cli._flags import one_line_parser

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Defines the flags (at run time, so importing this module never touches absl's FLAGS)."""
    if "inception_weights" in FLAGS:
        return
    from kgan.eval.recipe import FEATURES, NUM_SAMPLES

    flags.DEFINE_string("model", None, "A generator or GAN .keras file, or a kgan .onnx generator.")
    flags.DEFINE_string(
        "data", None, "Real data: ring8, grid25, digits, or a TFDS name (mnist, ...)."
    )
    flags.DEFINE_string("split", "test", "Split of the real data to compare with.")
    flags.DEFINE_string(
        "metrics", "auto", "Comma-separated metric names (kgan.metrics.METRICS), or 'auto'."
    )
    flags.DEFINE_integer(
        "num_samples",
        None,
        f"Generated samples (default {NUM_SAMPLES['points']} for 2-D data, "
        f"{NUM_SAMPLES['images']} for images).",
        1,
    )
    flags.DEFINE_integer("num_real", None, "Cap on real samples (default: the whole split).", 1)
    flags.DEFINE_integer("seed", 0, "Seed of the generated samples.")
    flags.DEFINE_integer(
        "batch_size", 250, "Samples per generator / extractor call.", lower_bound=1
    )
    flags.DEFINE_enum(
        "features",
        "auto",
        list(FEATURES),
        "Feature space of kid, precision_recall and density_coverage (auto: inception when "
        "--inception_weights is given, else the classifier for images, else the raw samples).",
    )
    flags.DEFINE_string(
        "inception_weights",
        None,
        "InceptionV3 weights for fid/kid/inception_score: a local .h5 file, or 'imagenet' "
        "to download them.",
    )
    flags.DEFINE_string("classifier", None, "A trained .keras classifier (default: train one).")
    flags.DEFINE_integer(
        "classifier_epochs", 20, "Epochs of the default classifier.", lower_bound=1
    )
    flags.DEFINE_string("data_dir", None, "TFDS data folder.")
    flags.DEFINE_bool("download", False, "Let TFDS download the real data.")
    flags.DEFINE_string("out", None, "JSON file to write (atomically); default: print only.")


def main(argv: list[str]) -> int:
    try:
        if not FLAGS.model:
            raise ValueError("--model is required: a .keras or .onnx generator file.")
        if not FLAGS.data:
            raise ValueError("--data is required: ring8, grid25, digits, or a TFDS name.")
        check_model_file(FLAGS.model)
        if FLAGS.classifier:
            check_model_file(FLAGS.classifier)
    except ValueError as err:
        return fail("kgan-evaluate", err)
    quiet_tensorflow()
    from kgan.eval import recipe

    try:
        report = recipe.evaluate(
            FLAGS.model,
            FLAGS.data,
            metrics=FLAGS.metrics,
            num_samples=FLAGS.num_samples,
            num_real=FLAGS.num_real,
            split=FLAGS.split,
            seed=FLAGS.seed,
            batch_size=FLAGS.batch_size,
            features=FLAGS.features,
            inception_weights=FLAGS.inception_weights,
            classifier=FLAGS.classifier,
            classifier_epochs=FLAGS.classifier_epochs,
            data_dir=FLAGS.data_dir,
            download=FLAGS.download,
        )
        if FLAGS.out:
            recipe.save_report(report, FLAGS.out)
    except (ValueError, OSError, ImportError) as err:
        return fail("kgan-evaluate", err)
    print("\n".join(recipe.format_results(report["metrics"])))
    if FLAGS.out:
        print(f"wrote {FLAGS.out}")
    return 0


def run() -> None:
    """Console-script entry point."""
    define_flags()
    app.run(main, flags_parser=one_line_parser("kgan-evaluate"))


if __name__ == "__main__":
    run()
