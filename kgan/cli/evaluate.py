"""kgan-evaluate: score a trained generator (.keras or .onnx) against real data.

Examples:
    kgan-evaluate --model runs/ring8/generator.keras --data ring8 --out metrics.json
    kgan-evaluate --model export/generator.onnx --data digits \\
        --metrics fcd,classifier_score,class_coverage,precision_recall --num_samples 5000
    kgan-evaluate --model gan.keras --data mnist --metrics fid,kid \\
        --inception_weights ~/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5

With `--metrics auto` (the default): `mode_coverage`, `precision_recall` and
`density_coverage` for ring8/grid25; for labelled image sets, the classifier
metrics (`fcd`, `classifier_score`, `class_coverage`) with a small CNN trained
on the training split (seconds on the built-in digits), plus `precision_recall`
on its features, and `fid`/`kid` when `--inception_weights` is given.
Errors are one line on stderr with exit status 2.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

from absl import app, flags

from kgan.cli._flags import one_line_parser

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Defines the flags (at run time, so importing this module never touches absl's FLAGS)."""
    if "inception_weights" in FLAGS:
        return
    flags.DEFINE_string("model", None, "A generator or GAN .keras file, or a kgan .onnx generator.")
    flags.DEFINE_string(
        "data", None, "Real data: ring8, grid25, digits, or a TFDS name (mnist, ...)."
    )
    flags.DEFINE_string("split", "test", "Split of the real data to compare with.")
    flags.DEFINE_string("metrics", "auto", "Comma-separated metric names, or 'auto'.")
    flags.DEFINE_integer(
        "num_samples", None, "Generated samples (default 2500 for 2-D data, 10000 for images).", 1
    )
    flags.DEFINE_integer("num_real", None, "Cap on real samples (default: the whole split).", 1)
    flags.DEFINE_integer("seed", 0, "Seed of the generated samples.")
    flags.DEFINE_integer(
        "batch_size", 250, "Samples per generator / extractor call.", lower_bound=1
    )
    flags.DEFINE_enum(
        "features",
        "auto",
        ["auto", "inception", "classifier", "raw"],
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


INCEPTION_ONLY = ("fid", "inception_score")
FEATURE_METRICS = ("kid", "precision_recall", "density_coverage")


def _load_generator(path: Path) -> Any:
    """A `kgan.GAN`, a generator `keras.Model` or a `kgan_runtime.OnnxGenerator`."""
    if not path.is_file():
        raise ValueError(f"No model file at {str(path)!r}.")
    if path.suffix == ".onnx":
        try:
            from kgan_runtime import KganRuntimeError, OnnxGenerator
        except ImportError as err:
            raise ValueError(
                f"Reading .onnx models needs kgan-runtime (pip install ./export): {err}"
            ) from None
        try:
            return OnnxGenerator(path)
        except KganRuntimeError as err:
            raise ValueError(str(err)) from None
    if path.suffix != ".keras":
        raise ValueError(f"--model must be a .keras or .onnx file; got {str(path)!r}.")
    import keras

    import kgan  # noqa: F401  (registers GAN, Maxout, ...)
    import kgan.packing  # noqa: F401  (registers Pack)

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # zip, h5, deserialization errors of all kinds
        raise ValueError(
            f"Cannot load {str(path)!r} as a Keras model: {type(err).__name__}: {_first_line(err)}"
        ) from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _to_float(x: Any) -> Any:
    import numpy as np

    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 127.5 - 1.0
        if x.ndim == 3:
            x = x[..., None]
    return x.astype(np.float32)


def _auto_metrics(is_points: bool, dataset: str, has_labels: bool, inception: bool) -> list[str]:
    from kgan.eval import metrics as metrics_lib

    if is_points:
        names = ["precision_recall", "density_coverage"]
        return (["mode_coverage"] if dataset in metrics_lib.MODES else []) + names
    names = []
    if inception:
        names += ["fid", "kid"]
    if has_labels:
        names += ["fcd", "classifier_score", "class_coverage"]
    if inception or has_labels:
        names += ["precision_recall"]
    if not names:
        raise ValueError(
            f"No offline metric for the unlabelled image set {dataset!r}: pass "
            "--inception_weights=PATH for fid/kid, or --metrics with raw-feature metrics."
        )
    return names


def evaluate(
    model: str | Path,
    data: str,
    *,
    metrics: str | list[str] = "auto",
    num_samples: int | None = None,
    num_real: int | None = None,
    split: str = "test",
    seed: int = 0,
    batch_size: int = 250,
    features: str = "auto",
    inception_weights: str | None = None,
    classifier: str | Path | None = None,
    classifier_epochs: int = 20,
    data_dir: str | None = None,
    download: bool = False,
) -> dict[str, Any]:
    """Everything `kgan-evaluate` does, as a function: returns the JSON report.

    Args:
        model: path of a `.keras` (GAN or generator) or `.onnx` (kgan contract) file.
        data: real data name (see `kgan.data.load_arrays`).
        metrics: metric names (list or comma-separated), or "auto".
        num_samples: generated samples (default 2,500 for 2-D data, 10,000 for images).
        num_real: cap on real samples.
        split: split of the real data.
        seed: seed of the generated samples.
        batch_size: samples per call.
        features: feature space of kid/precision_recall/density_coverage:
            "auto", "inception", "classifier" or "raw".
        inception_weights: InceptionV3 weights file, or "imagenet".
        classifier: a `.keras` classifier; by default one is trained on the
            training split (labelled image sets only).
        classifier_epochs: epochs of that classifier.
        data_dir: TFDS folder.
        download: let TFDS download.

    Returns:
        `{"model", "data", "split", "num_samples", "num_real", "seed",
        "features", "metrics": {name: value}, "seconds", ...}`.

    Raises:
        ValueError: with a one-line message for every user error.

    Example:
        >>> evaluate("runs/ring8/generator.keras", "ring8")["metrics"]["mode_coverage"]
        ... # doctest: +SKIP
        {'modes': 8, 'num_modes': 8, 'high_quality': 97.9, 'kl': 0.004}
    """
    import numpy as np

    from kgan import data as data_lib
    from kgan.eval import features as features_lib
    from kgan.eval import metrics as metrics_lib

    start = time.perf_counter()
    if features not in ("auto", "inception", "classifier", "raw"):
        raise ValueError(
            f"Unknown features={features!r}. Expected one of "
            "['auto', 'classifier', 'inception', 'raw']."
        )
    path = Path(model)
    generator = _load_generator(path)
    real_x, _ = data_lib.load_arrays(data, split=split, data_dir=data_dir, download=download)
    real = _to_float(real_x)
    if num_real is not None:
        real = real[:num_real]
    is_points = real.ndim == 2
    probe = np.asarray(features_lib.sampler(generator, seed)(1))
    if probe.shape[1:] != real.shape[1:]:
        raise ValueError(
            f"The generator makes samples of shape {probe.shape[1:]}, but {data!r} has samples "
            f"of shape {real.shape[1:]}."
        )

    train_y = None
    train_x = None
    if not is_points:
        try:
            train_x, train_y = data_lib.load_arrays(
                data, split="train", data_dir=data_dir, download=download, with_labels=True
            )
        except ValueError:  # no ClassLabel feature
            train_x, _ = data_lib.load_arrays(
                data, split="train", data_dir=data_dir, download=download
            )
    has_labels = train_y is not None or classifier is not None

    names = (
        _auto_metrics(is_points, data, has_labels, inception_weights is not None)
        if metrics in ("auto", ["auto"])
        else [m.strip() for m in (metrics.split(",") if isinstance(metrics, str) else metrics)]
    )
    names = [n for n in names if n]
    for name in names:
        metrics_lib.get_metric(name)

    uses_space = any(
        n not in features_lib.CLASSIFIER_METRICS and n not in features_lib.RAW_METRICS
        for n in names
    )
    if not uses_space:
        space = None
    elif features == "auto":
        if inception_weights is not None and not is_points:
            space = "inception"
        elif not is_points and has_labels:
            space = "classifier"
        else:
            space = "raw"
    else:
        space = features
    if not is_points and any(n in INCEPTION_ONLY for n in names):
        if inception_weights is None:
            wanted = [n for n in names if n in INCEPTION_ONLY]
            raise ValueError(
                f"metrics {wanted} need InceptionV3 weights, which are not available offline: "
                "pass --inception_weights=PATH (Keras's inception_v3_weights_tf_dim_ordering_"
                "tf_kernels_notop.h5), or --inception_weights=imagenet to download them."
            )
        space = "inception"
    if space == "inception" and inception_weights is None:
        raise ValueError("--features=inception needs --inception_weights=PATH (or 'imagenet').")

    clf_model = None
    accuracy = None
    needs_classifier = space == "classifier" or any(
        n in features_lib.CLASSIFIER_METRICS for n in names
    )
    if needs_classifier:
        if is_points:
            raise ValueError(
                f"Classifier metrics need images; {data!r} has samples of shape "
                f"{real.shape[1:]}. Use mode_coverage, precision_recall, ..."
            )
        clf_model, accuracy = _classifier(
            classifier, train_x, train_y, data, split, data_dir, download, classifier_epochs
        )

    extractor = None
    if space == "inception":
        extractor = features_lib.inception_v3(
            inception_weights, include_top="inception_score" in names
        )
    elif space == "classifier":
        extractor = features_lib.ClassifierFeatures(clf_model)

    real_labels = None
    if "class_coverage" in names:
        try:
            _, real_labels = data_lib.load_arrays(
                data, split=split, data_dir=data_dir, download=download, with_labels=True
            )
            if num_real is not None:
                real_labels = real_labels[:num_real]
        except ValueError:
            real_labels = None

    validation = None
    if "parzen" in names:
        source_x = (
            train_x
            if train_x is not None
            else data_lib.load_arrays(data, split="train", data_dir=data_dir, download=download)[0]
        )
        source_x = _to_float(source_x)
        validation = source_x[-min(1000, max(1, len(source_x) // 5)) :]

    if num_samples is None:
        num_samples = 2500 if is_points else 10_000
    evaluator = features_lib.Evaluator(
        names,
        real=real,
        real_labels=real_labels,
        dataset=data if data in metrics_lib.MODES else None,
        extractor=extractor,
        classifier=clf_model,
        validation=validation,
        batch_size=batch_size,
    )
    results = evaluator(features_lib.sampler(generator, seed), num_samples=num_samples)
    report: dict[str, Any] = {
        "model": str(path),
        "data": data,
        "split": split,
        "num_samples": int(num_samples),
        "num_real": int(len(real)),
        "seed": seed,
        "features": space,
        "metrics": results,
        "seconds": round(time.perf_counter() - start, 3),
    }
    if accuracy is not None:
        report["classifier_test_accuracy"] = accuracy
    return report


def _classifier(
    classifier: str | Path | None,
    train_x: Any,
    train_y: Any,
    data: str,
    split: str,
    data_dir: str | None,
    download: bool,
    epochs: int,
) -> tuple[Any, float | None]:
    from kgan import data as data_lib
    from kgan.eval import classifier as classifier_lib

    if classifier is not None:
        path = Path(classifier)
        if not path.is_file() or path.suffix != ".keras":
            raise ValueError(f"--classifier must be an existing .keras file; got {str(path)!r}.")
        import keras

        try:
            return keras.models.load_model(path, compile=False, safe_mode=True), None
        except Exception as err:
            raise ValueError(
                f"Cannot load {str(path)!r} as a Keras classifier: {_first_line(err)}"
            ) from None
    if train_y is None:
        raise ValueError(
            f"Dataset {data!r} has no class labels to train a classifier on: pass "
            "--classifier=PATH, or use --inception_weights / --features=raw."
        )
    model = classifier_lib.train_classifier(train_x, train_y, epochs=epochs, seed=0)
    test_x, test_y = data_lib.load_arrays(
        data, split=split, data_dir=data_dir, download=download, with_labels=True
    )
    return model, classifier_lib.evaluate_accuracy(model, test_x, test_y)


def _jsonable(value: Any) -> Any:
    """Floats that JSON cannot hold (inf, nan) become strings, as in JsonlLogger."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _format(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, value in results.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={_number(v)}" for k, v in value.items())
            lines.append(f"{name}: {inner}")
        else:
            lines.append(f"{name}: {_number(value)}")
    return lines


def _number(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        if not FLAGS.model:
            raise ValueError("--model is required: a .keras or .onnx generator file.")
        if not FLAGS.data:
            raise ValueError("--data is required: ring8, grid25, digits, or a TFDS name.")
        report = evaluate(
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
            from kgan._fileio import write_json

            write_json(_jsonable(report), FLAGS.out)
    except (ValueError, OSError, ImportError) as err:
        print(f"kgan-evaluate: error: {_first_line(err)}", file=sys.stderr)
        return 2
    for line in _format(report["metrics"]):
        print(line)
    if FLAGS.out:
        print(f"wrote {FLAGS.out}")
    return 0


def run() -> None:
    """Console-script entry point."""
    define_flags()
    app.run(main, flags_parser=one_line_parser("kgan-evaluate"))


if __name__ == "__main__":
    run()
