"""Quality of each GAN variant (preset) on grid25 and digits, and of the conditional GAN.

For every preset in `kgan.presets`, trains

- an MLP pair on `grid25` (100,000 points, data scaled to [-1, 1]: the
  networks of `bench_quality.py`'s grid25 recipe without its packing, EMA or
  learning-rate decay) and reports modes captured, % high-quality samples and
  KL (VEEGAN/PacGAN protocol, 2,500 samples);
- the DCGAN on `digits` and reports the Fréchet classifier distance, classifier
  score and class coverage against the 297 held-out digits, with a small CNN
  trained on the 1,500 training digits;
- the DCGAN on MNIST (the 10,000 t10k images in `--mnist_dir`: trains on the
  first 7,000, measures against the last 2,000, as `bench_quality.py` does)
  and reports the same classifier figures;

then trains a conditional DCGAN on `digits` and reports how often that
classifier agrees with the requested class (target: >= 90%).

Run from a checkout, e.g. `python scripts/bench_variants.py --presets dcgan,wgan_gp`.
Budgets are small (CPU); `--grid_epochs` and `--digits_epochs` raise them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PRECISION = "float32"  # set by --precision


def _train(config, workdir):
    from kgan.train import train

    return train(config, workdir).model


def grid_row(preset: str, epochs: int, seed: int) -> dict:
    """The preset's loss, regularizers and optimizer on kgan's recommended grid25 setup.

    The networks and data scaling of `bench_quality.py`'s grid25 recipe (MLP
    128x128, no dropout, latent 2, data scaled to [-1, 1]), without its
    packing, EMA or learning-rate decay, so the rows differ only by preset.
    """
    from kgan import data
    from kgan.eval import metrics
    from kgan.train import TrainConfig, build_gan

    config = TrainConfig.from_preset(
        preset, dataset="grid25", arch="mlp", latent_dim=2, batch_size=100, seed=seed,
        generator_units=[128, 128], discriminator_units=[128, 128], dropout=0.0, data_scale=4.0,
        augment=None,  # DiffAugment is for images: on points this row is the plain loss
        ema_half_life=None, precision=PRECISION,
    )  # fmt: skip
    gan = build_gan(config, (2,))
    x, _ = data.mixture_arrays("grid25", num_examples=100_000, seed=seed)
    gan.fit(data.from_arrays(x, batch_size=100, seed=seed), epochs=epochs, verbose=0)
    return metrics.mode_coverage(gan.generate(2500, seed=seed + 100), "grid25")


def digits_row(preset: str, epochs: int, seed: int, classifier, real) -> dict:
    from kgan.eval.classifier import classifier_metrics
    from kgan.train import TrainConfig

    config = TrainConfig.from_preset(
        preset, dataset="digits", arch="dcgan", epochs=epochs, batch_size=60, latent_dim=32,
        seed=seed, verbose=0, grid_size=16, precision=PRECISION,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        gan = _train(config, tmp)
        samples = gan.generate(1000, seed=seed + 100)
    return classifier_metrics(classifier, samples, *real)


def mnist_row(preset: str, epochs: int, seed: int, classifier, split) -> dict:
    from kgan import data
    from kgan.eval.classifier import classifier_metrics
    from kgan.train import TrainConfig, build_gan

    config = TrainConfig.from_preset(
        preset, dataset="mnist", arch="dcgan", epochs=epochs, batch_size=100, latent_dim=64,
        width=32, seed=seed, verbose=0, precision=PRECISION,
    )  # fmt: skip
    gan = build_gan(config, (28, 28, 1))
    gan.fit(data.from_arrays(split["train_x"], batch_size=100, seed=seed), epochs=epochs, verbose=0)
    samples = gan.generate(2000, seed=seed + 100)
    return classifier_metrics(classifier, samples, split["test_x"], split["test_y"])


def conditional_agreement(epochs: int, seed: int, classifier) -> float:
    import numpy as np

    from kgan.train import TrainConfig

    config = TrainConfig.from_preset(
        "dcgan", dataset="digits", arch="dcgan", conditional=True, epochs=epochs, batch_size=60,
        latent_dim=32, seed=seed, verbose=0, grid_size=100, ema_half_life=2000.0,
        precision=PRECISION,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        gan = _train(config, tmp)
        labels = np.arange(1000) % 10
        samples = gan.generate(1000, seed=seed + 100, labels=labels)
    predicted = classifier.predict(samples, verbose=0).argmax(axis=1)
    return float((predicted == labels).mean())


def main(argv: list[str] | None = None) -> int:
    from kgan.train import presets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    variants = [p for p in presets.PRESETS if p not in ("ring8", "grid25")]  # the 2-D recipes
    parser.add_argument("--presets", default=",".join(variants))
    parser.add_argument("--grid_epochs", type=int, default=10)
    parser.add_argument("--digits_epochs", type=int, default=60)
    parser.add_argument("--conditional_epochs", type=int, default=100)
    parser.add_argument("--mnist_epochs", type=int, default=5)
    parser.add_argument(
        "--mnist_dir",
        default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"),
        help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        choices=("float32", "mixed_float16", "mixed_bfloat16"),
        help="Keras dtype policy of every trained GAN (the classifiers stay float32)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated: grid,digits,mnist,conditional")
    args = parser.parse_args(argv)
    global PRECISION
    PRECISION = args.precision
    names = [p for p in args.presets.split(",") if p]
    skip = set(args.skip.split(","))

    from kgan import data
    from kgan.eval.classifier import evaluate_accuracy, train_classifier

    x_train, y_train = data.digits_arrays("train")
    x_test, y_test = data.digits_arrays("test")
    classifier = train_classifier(x_train, y_train, epochs=20, seed=0)
    accuracy = evaluate_accuracy(classifier, x_test, y_test)
    print(f"digit classifier: {accuracy:.1%} accuracy on the 297 held-out digits")
    if "mnist" not in skip:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_quality import load_mnist

        split = load_mnist(Path(args.mnist_dir))
        mnist_classifier = train_classifier(split["train_x"], split["train_y"], epochs=10, seed=0)
        mnist_accuracy = evaluate_accuracy(mnist_classifier, split["test_x"], split["test_y"])
        print(f"MNIST classifier: {mnist_accuracy:.1%} accuracy on {len(split['test_x'])} images")

    header = f"{'preset':<14}"
    if "grid" not in skip:
        header += f" {'grid25 modes':>12} {'% HQ':>6} {'KL':>6}"
    if "digits" not in skip:
        header += f" {'digits FCD':>10} {'score':>6} {'classes':>8}"
    if "mnist" not in skip:
        header += f" {'MNIST FCD':>10} {'score':>6} {'classes':>8}"
    print(header + f" {'seconds':>8}")
    for name in names:
        start = time.perf_counter()
        row = f"{name:<14}"
        if "grid" not in skip:
            g = grid_row(name, args.grid_epochs, args.seed)
            row += f" {g['modes']:>9}/25 {g['high_quality']:>6.1f} {g['kl']:>6.2f}"
        if "digits" not in skip:
            d = digits_row(name, args.digits_epochs, args.seed, classifier, (x_test, y_test))
            score = d["classifier_score"]["mean"]
            row += f" {d['fcd']:>10.2f} {score:>6.2f} {d['class_coverage']['classes']:>5}/10"
        if "mnist" not in skip:
            m = mnist_row(name, args.mnist_epochs, args.seed, mnist_classifier, split)
            score = m["classifier_score"]["mean"]
            row += f" {m['fcd']:>10.2f} {score:>6.2f} {m['class_coverage']['classes']:>5}/10"
        print(row + f" {time.perf_counter() - start:>8.0f}", flush=True)

    if "conditional" not in skip:
        agreement = conditional_agreement(args.conditional_epochs, args.seed, classifier)
        verdict = "meets" if agreement >= 0.9 else "misses"
        print(
            f"\nconditional DCGAN on digits: the classifier agrees with the requested class on "
            f"{agreement:.1%} of 1,000 samples (target >= 90%: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
