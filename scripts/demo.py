"""The main job behind `make demo`: train a DCGAN on the built-in digits, export it, sample it.

Trains on scikit-learn's 8x8 digits (offline), exports the generator to
SavedModel + ONNX with verified parity, then samples the ONNX file through
kgan-runtime in a process that never imports TensorFlow.

Run from a checkout: `python scripts/demo.py --out runs/demo`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="runs/demo", help="run folder")
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args(argv)

    from kgan.cli._common import quiet_tensorflow

    quiet_tensorflow()  # TensorFlow's start-up lines and warnings stay off the terminal
    from kgan.train import TrainConfig, train
    from kgan.train.callbacks import EpochProgress

    config = TrainConfig(
        dataset="digits",
        arch="dcgan",
        epochs=args.epochs,
        batch_size=64,
        latent_dim=32,
        ema_half_life=2000.0,
        grid_size=100,
        verbose=0,
    )
    print(f"Training a DCGAN on the 1,797 built-in 8x8 digits for {config.run.epochs} epochs ...")
    progress = EpochProgress(config.run.epochs, None, bar=sys.stdout.isatty())
    result = train(config, os.path.join(args.out, "train"), callbacks=[progress])
    if result.already_complete:
        print(f"{result.folder} already holds this finished run: not training it again")
    else:
        print(f"\ntrained in {result.seconds:.0f} s")

    from kgan.export import export_generator

    export_dir = os.path.join(args.out, "export")
    manifest = export_generator(result.gan, export_dir, overwrite=True)
    onnx_path = os.path.join(export_dir, "generator.onnx")

    # Sample through the TensorFlow-free runtime, in a process that never imports TensorFlow.
    runtime_png = os.path.join(args.out, "runtime_samples.png")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kgan_runtime.cli",
            "--model",
            onnx_path,
            "--n",
            "100",
            "--seed",
            "0",
            "--nrow",
            "10",
            "--out",
            runtime_png,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )

    print(f"Keras samples (PNG, epoch {config.run.epochs}): {result.last_samples}")
    print(f"kgan-runtime samples (PNG, ONNX):      {runtime_png}")
    print(f"model: {result.gan}")
    print(f"export: {export_dir} (SavedModel + ONNX, manifest kgan.json)")
    for fmt, figures in manifest["parity"].items():
        sizes = ", ".join(f"batch {n}: {d:.1e}" for n, d in figures["per_batch_size"].items())
        print(f"parity vs Keras, {fmt}: max abs diff {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
