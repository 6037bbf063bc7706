"""kgan's plain defaults on MNIST against the keras.io tutorial GAN, on the tutorial's budget.

The protocol of issue 15 ("defaults that beat the tutorials"): each case
trains 10 epochs on 8,000 MNIST digits at batch 64 with Adam(2e-4,
beta_1=0.5) for both networks, latent size 128, then draws 10,000 samples that
a separately trained digit classifier reads:

- `kgan`: `kgan.GAN(*kgan.networks.dcgan(128, (28, 28, 1)))` with every other
  argument at its default, `gan.fit` on `kgan.data.from_arrays`;
- `keras_io`: the end-to-end GAN of the keras.io guide "Customizing what
  happens in fit()" (its networks: a 2-conv discriminator with global max
  pooling, a 7x7x128 -> 2 transposed-conv generator with a sigmoid output;
  its two-tape `train_step` with 0.05 label noise), with the optimizer and
  budget above instead of the guide's Adam(3e-4) on 70,000 digits.

The digit classifier is kgan's own (`kgan.eval.stacked.train_digit_classifier`,
as for Stacked MNIST), trained on the same 8,000 digits and measured on the
last 2,000 of the 10,000 in `--mnist_dir` (the IDX test set; TFDS's MNIST
when the folder has none). Per case and seed the script prints the classes
reached, the KL divergence between the predicted-class histogram and uniform
(nats) and the mean classifier confidence (mean top-1 probability), then a
table of mean ± standard error over the seeds, the held-out real digits as a
reference row, and a picture of each case's first 100 samples (`--picture`).

    .venv/bin/python scripts/bench_defaults.py --mnist_dir ../shared/data/mnist
    .venv/bin/python scripts/bench_defaults.py --cases kgan --seeds 0 \\
        --gan_kwargs '{"ema_half_life": 20000}'   # try a setting on one seed

`--model dcgan64 --precision mixed_bfloat16` checks instead that bf16 keeps
sample quality at 64x64 (issue 16): the `kgan` case with PyTorch's 64x64 DCGAN
(`kgan.networks.dcgan64(latent_dim, channels=1)`) on the same digits resized
to 64x64, its samples resized back to 28x28 for the classifier; run it with
`--precision float32` too and compare.

    .venv/bin/python scripts/bench_defaults.py --cases kgan --model dcgan64 \\
        --precision mixed_bfloat16 --epochs 4 --seeds 0,1

Each case and seed is reproducible on its own, so the seeds can run in several
processes (`--json` each) and `--merge A.json B.json ...` prints their
combined table (rows of the same case and seed must agree).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from bench_quality_common import log, mean_se  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"confidence": 0.9, "kl": 0.05, "classes": 10}
CASES = ("kgan", "keras_io")


def keras_io_gan(latent_dim: int):
    """The keras.io guide's MNIST GAN: its networks and its `train_step`, images in [0, 1]."""
    import keras
    import tensorflow as tf
    from keras import layers

    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, 7, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )

    class GAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.discriminator, self.generator = discriminator, generator
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def compile(self, d_optimizer, g_optimizer):
            super().compile()
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        def train_step(self, real_images):
            batch = tf.shape(real_images)[0]
            z = keras.random.normal((batch, latent_dim), seed=self.seed_generator)
            combined = tf.concat([self.generator(z), real_images], axis=0)
            labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
            labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            z = keras.random.normal((batch, latent_dim), seed=self.seed_generator)
            misleading = tf.zeros((batch, 1))
            with tf.GradientTape() as tape:
                g_loss = self.loss_fn(misleading, self.discriminator(self.generator(z)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": g_loss}

    return GAN()


def train_case(case: str, x: np.ndarray, seed: int, args) -> tuple[np.ndarray, float]:
    """Trains one case on uint8 digits; returns 10,000 samples in [-1, 1] and seconds."""
    import keras
    import tensorflow as tf

    import kgan

    keras.utils.set_random_seed(seed)

    def adam():
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    start = time.perf_counter()
    if case == "keras_io":
        gan = keras_io_gan(args.latent_dim)
        gan.compile(adam(), adam())
        data = tf.data.Dataset.from_tensor_slices(x.astype("float32") / 255.0)
        data = data.shuffle(len(x), seed=seed).batch(args.batch_size)
        gan.fit(data, epochs=args.epochs, shuffle=False, verbose=0)  # shuffled above
        z = np.random.default_rng(10_000 + seed).normal(size=(args.samples, args.latent_dim))
        samples = gan.generator.predict(z.astype("float32"), batch_size=500, verbose=0) * 2 - 1
    else:
        # --model dcgan64: PyTorch's 64x64 DCGAN on the digits resized to 64x64, in
        # --precision; its samples are resized back to 28x28 for the classifier.
        big = args.model == "dcgan64"
        if big:
            x = tf.image.resize(x.reshape(-1, 28, 28, 1), (64, 64), method="bilinear")
            x = tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8).numpy()
        keras.mixed_precision.set_global_policy(args.precision)
        try:
            if big:
                g, d = kgan.networks.dcgan64(args.latent_dim, channels=1)
            else:
                dcgan_kwargs = json.loads(args.dcgan_kwargs)
                build = args.build_dcgan or kgan.networks.dcgan
                g, d = build(args.latent_dim, (28, 28, 1), **dcgan_kwargs)
            gan = kgan.GAN(g, d, **json.loads(args.gan_kwargs))
            gan.compile(adam(), adam())
            gan.fit(kgan.data.from_arrays(x, batch_size=args.batch_size, seed=seed),
                    epochs=args.epochs, verbose=0)  # fmt: skip
            samples = gan.generate(args.samples, seed=10_000 + seed).astype("float32")
        finally:
            keras.mixed_precision.set_global_policy("float32")
        if big:
            samples = tf.image.resize(samples, (28, 28), method="area").numpy()
    return samples, time.perf_counter() - start


def score(clf, samples: np.ndarray) -> dict[str, float]:
    """Classes reached, KL(predicted-class histogram || uniform) in nats, mean confidence."""
    probs = clf.predict(samples.astype("float32"), batch_size=500, verbose=0)
    hist = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)
    nonzero = hist[hist > 0]
    return {
        "classes": int((hist > 0).sum()),
        "kl": float((nonzero * np.log(nonzero * probs.shape[1])).sum()),
        "confidence": float(probs.max(axis=1).mean()),
    }


def met(row: dict[str, float]) -> bool:
    return (
        row["classes"] >= TARGETS["classes"]
        and row["kl"] <= TARGETS["kl"]
        and row["confidence"] >= TARGETS["confidence"]
    )


def print_table(results: dict[str, list[dict[str, Any]]], real: dict[str, float]) -> None:
    log(
        "\n| case | seeds | classes (min) | class KL (mean ± s.e.) | confidence (mean ± s.e.) "
        "| seeds meeting all three targets |"
    )
    log("|---|---:|---:|---:|---:|---:|")
    for case, rows in results.items():
        kl, kl_se = mean_se([r["kl"] for r in rows])
        conf, conf_se = mean_se([r["confidence"] for r in rows])
        log(
            f"| {case} | {len(rows)} | {min(r['classes'] for r in rows)} | {kl:.3f} ± {kl_se:.3f} "
            f"| {conf:.3f} ± {conf_se:.3f} | {sum(met(r) for r in rows)}/{len(rows)} |"
        )
    log(
        f"| real digits (2,000 held out) | | {real['classes']} | {real['kl']:.3f} | "
        f"{real['confidence']:.3f} | |"
    )
    log(
        f"\nTargets: all {TARGETS['classes']} classes, class KL <= {TARGETS['kl']}, mean "
        f"confidence >= {TARGETS['confidence']}."
    )


def save_picture(pictures: dict[str, np.ndarray], path: Path) -> None:
    """Each case's first 100 samples of its first seed, side by side, labelled."""
    from PIL import Image, ImageDraw

    from kgan_runtime.images import make_grid

    grids = {case: make_grid(s[:100], nrow=10, scale=2) for case, s in pictures.items()}
    tiles = [
        (case, Image.fromarray(g[..., 0] if g.shape[-1] == 1 else g)) for case, g in grids.items()
    ]
    width = sum(t.width for _, t in tiles) + 10 * (len(tiles) + 1)
    canvas = Image.new("RGB", (width, tiles[0][1].height + 30), "white")
    left = 10
    for case, tile in tiles:
        canvas.paste(tile.convert("RGB"), (left, 25))
        ImageDraw.Draw(canvas).text((left, 6), case, fill="black")
        left += tile.width + 10
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    log(f"picture: {path}")


def _picture_label(label: str, case: str, args) -> str:
    """The case's label, with the kgan case's non-default arguments (so pictures say what ran)."""
    if case != "kgan":
        return label
    extra = [
        f"{name} {value}"
        for name, value in (("dcgan", args.dcgan_kwargs), ("GAN", args.gan_kwargs))
        if json.loads(value)
    ]
    return " ".join([label, *extra])


def _protocol(settings: dict[str, Any]) -> dict[str, Any]:
    """What must agree between merged runs; the JSON arguments compared as values."""
    keys = ("epochs", "images", "batch_size", "latent_dim", "samples")
    kwargs = {k: json.loads(settings[k]) for k in ("gan_kwargs", "dcgan_kwargs")}
    return {**{k: settings[k] for k in keys}, **kwargs}


def merge(paths: list[str]) -> int:
    """Prints the combined table of several `--json` files of the same protocol."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    first = _protocol(runs[0]["settings"])
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for path, run in zip(paths, runs):
        if _protocol(run["settings"]) != first:
            raise SystemExit(f"{path}: another protocol than {paths[0]}'s ({first})")
        for case, rows in run["results"].items():
            for row in rows:
                seen = results.setdefault(case, {}).get(row["seed"])
                scores = ("classes", "kl", "confidence")
                if seen and any(seen[k] != row[k] for k in scores):
                    raise SystemExit(f"{path}: {case} seed {row['seed']} disagrees with {seen}")
                results[case][row["seed"]] = row
    log(f"merged {len(paths)} runs; classifier accuracy {runs[0]['classifier_accuracy']:.2%}")
    print_table(
        {case: [rows[s] for s in sorted(rows)] for case, rows in results.items()}, runs[0]["real"]
    )
    return 0


def main(argv: list[str] | None = None, *, networks: tuple[str, Any] | None = None) -> int:
    """Runs the benchmark; `networks=(name, builder)` trains the kgan case with
    `builder(latent_dim, (28, 28, 1))` instead of `kgan.networks.dcgan`, its rows labelled
    "kgan NAME" (scripts/bench_defaults_variants.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist_dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--images", type=int, default=8000, help="training digits")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--latent_dim", type=int, default=128)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--gan_kwargs", default="{}", help="JSON: extra kgan.GAN arguments")
    parser.add_argument("--dcgan_kwargs", default="{}", help="JSON: kgan.networks.dcgan ones")
    parser.add_argument(
        "--model",
        default="dcgan",
        choices=("dcgan", "dcgan64"),
        help="the kgan case's networks: dcgan (28x28) or dcgan64 (64x64)",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        choices=("float32", "mixed_bfloat16"),
        help="with --model dcgan64",
    )
    parser.add_argument("--picture", default=None, help="PNG of each case's samples")
    parser.add_argument("--json", default=None, help="also write every figure here")
    parser.add_argument("--merge", nargs="+", default=None, help="--json files to combine")
    args = parser.parse_args(argv)
    args.networks, args.build_dcgan = networks or (None, None)
    if args.merge:
        return merge(args.merge)
    cases = args.cases.split(",")
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown --cases {unknown}; expected some of {list(CASES)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.model == "dcgan64" and cases != ["kgan"]:
        parser.error("--model dcgan64 trains the kgan case only: pass --cases kgan")
    if args.model == "dcgan64" and args.dcgan_kwargs != "{}":
        parser.error("--dcgan_kwargs applies to --model dcgan (dcgan64 is PyTorch's network)")
    if args.model == "dcgan" and args.precision != "float32":
        parser.error("--precision applies to --model dcgan64 (the issue-15 protocol is fp32)")

    from kgan.data import mnist_arrays
    from kgan.eval.stacked import train_digit_classifier

    x, y = mnist_arrays("train", data_dir=args.mnist_dir, download=False)
    holdout = len(x) - args.images
    if holdout < 1:
        parser.error(f"--images must leave held-out digits; the source has {len(x)}")
    start = time.perf_counter()
    clf, accuracy = train_digit_classifier(x, y, holdout=holdout, seed=0)
    real = score(clf, (x[args.images :].astype("float32") / 127.5) - 1)
    log(
        f"digit classifier: trained on the first {args.images} of {len(x)} digits, {accuracy:.2%} "
        f"on the other {holdout} ({time.perf_counter() - start:.0f} s)"
    )

    if args.networks and args.model != "dcgan":
        parser.error(f"{args.networks} replaces --model dcgan's networks; --model must be dcgan")
    networks = f"{args.model} {args.precision}" if args.model != "dcgan" else args.networks
    label = {c: f"{c} {networks}" if networks and c == "kgan" else c for c in cases}
    results: dict[str, list[dict[str, Any]]] = {label[case]: [] for case in cases}
    pictures: dict[str, np.ndarray] = {}
    for case in cases:
        for seed in seeds:
            samples, seconds = train_case(case, x[: args.images], seed, args)
            row = {"seed": seed, "seconds": round(seconds, 1), **score(clf, samples)}
            results[label[case]].append(row)
            pictures.setdefault(_picture_label(label[case], case, args), samples)
            log(
                f"{label[case]} seed {seed}: {row['classes']} classes, KL {row['kl']:.4f}, "
                f"confidence {row['confidence']:.4f} ({seconds:.0f} s)"
            )
    print_table(results, real)
    if args.picture:
        save_picture(pictures, Path(args.picture))
    if args.json:
        dropped = ("json", "picture", "build_dcgan")
        settings = {k: v for k, v in vars(args).items() if k not in dropped}
        payload = {"settings": settings, "classifier_accuracy": accuracy, "real": real}
        Path(args.json).write_text(json.dumps({**payload, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
