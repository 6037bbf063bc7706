"""The main job behind `make demo`: train the DCGAN on the built-in digits and show the images.

Run from a checkout: `python scripts/demo.py --out runs/demo`.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="runs/demo", help="run folder")
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args(argv)

    from kgan.training import TrainConfig, train_and_evaluate

    config = TrainConfig(
        dataset="digits",
        arch="dcgan",
        epochs=args.epochs,
        batch_size=64,
        latent_dim=32,
        ema_half_life=2000.0,
        grid_size=100,
        verbose=2,
    )
    print(f"Training a DCGAN on the 1,797 built-in 8x8 digits for {config.epochs} epochs ...")
    result = train_and_evaluate(config, os.path.join(args.out, "train"))
    print(f"\ntrained in {result['seconds']:.0f} s")
    print(f"samples (PNG): {result['samples'][-1]}")
    print(f"model:         {result['gan']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
