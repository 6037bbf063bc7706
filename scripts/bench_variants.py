"""Quality of each GAN variant (preset) on grid25 and digits, and of the conditional GAN.

For every preset in `kgan.presets`, trains

- the MLP pair on `grid25` and reports modes captured, % high-quality samples
  and KL (VEEGAN/PacGAN protocol, 2,500 samples);
- the DCGAN on `digits` and reports the Fréchet classifier distance, classifier
  score and class coverage against the 297 held-out digits, with a small CNN
  trained on the 1,500 training digits;

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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _train(config, workdir):
    from kgan.training import train_and_evaluate

    return train_and_evaluate(config, workdir)["model"]


def grid_row(preset: str, epochs: int, seed: int) -> dict:
    from kgan import metrics
    from kgan.training import TrainConfig

    overrides = {"dataset": "grid25", "arch": "mlp", "epochs": epochs, "batch_size": 100,
                 "latent_dim": 16, "seed": seed, "verbose": 0, "grid_size": 16}  # fmt: skip
    if preset == "diffaugment":  # DiffAugment is for images; on points it is plain DCGAN loss
        overrides["augment"] = None
    config = TrainConfig.from_preset(preset, **overrides)
    config.lr = max(config.lr, 1e-4)
    with tempfile.TemporaryDirectory() as tmp:
        gan = _train(config, tmp)
        return metrics.mode_coverage(gan.generate(2500, seed=seed + 100), "grid25")


def digits_row(preset: str, epochs: int, seed: int, classifier, real) -> dict:
    from kgan.classifier import classifier_metrics
    from kgan.training import TrainConfig

    config = TrainConfig.from_preset(
        preset, dataset="digits", arch="dcgan", epochs=epochs, batch_size=60, latent_dim=32,
        seed=seed, verbose=0, grid_size=16,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        gan = _train(config, tmp)
        samples = gan.generate(1000, seed=seed + 100)
    return classifier_metrics(classifier, samples, *real)


def conditional_agreement(epochs: int, seed: int, classifier) -> float:
    import numpy as np

    from kgan.training import TrainConfig

    config = TrainConfig.from_preset(
        "dcgan", dataset="digits", arch="dcgan", conditional=True, epochs=epochs, batch_size=60,
        latent_dim=32, seed=seed, verbose=0, grid_size=100, ema_half_life=2000.0,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        gan = _train(config, tmp)
        labels = np.arange(1000) % 10
        samples = gan.generate(1000, seed=seed + 100, labels=labels)
    predicted = classifier.predict(samples, verbose=0).argmax(axis=1)
    return float((predicted == labels).mean())


def main(argv: list[str] | None = None) -> int:
    from kgan import presets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default=",".join(presets.PRESETS))
    parser.add_argument("--grid_epochs", type=int, default=10)
    parser.add_argument("--digits_epochs", type=int, default=60)
    parser.add_argument("--conditional_epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated: grid,digits,conditional")
    args = parser.parse_args(argv)
    names = [p for p in args.presets.split(",") if p]
    skip = set(args.skip.split(","))

    from kgan import data
    from kgan.classifier import evaluate_accuracy, train_classifier

    x_train, y_train = data.digits_arrays("train")
    x_test, y_test = data.digits_arrays("test")
    classifier = train_classifier(x_train, y_train, epochs=20, seed=0)
    accuracy = evaluate_accuracy(classifier, x_test, y_test)
    print(f"digit classifier: {accuracy:.1%} accuracy on the 297 held-out digits")

    header = f"{'preset':<14}"
    if "grid" not in skip:
        header += f" {'grid25 modes':>12} {'% HQ':>6} {'KL':>6}"
    if "digits" not in skip:
        header += f" {'digits FCD':>10} {'score':>6} {'classes':>8}"
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
