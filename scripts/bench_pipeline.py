"""Images per second of kgan's input pipelines on a folder of image files, epoch 1 and epoch 2.

Writes a folder of `--num_images` (default 20,000) `--size`x`--size` RGB
images (default 64: the DCGAN users train) as PNG and/or JPEG into a
temporary folder, then times each pipeline alone (no training step), reading
every batch of two epochs:

- `from_folder`: `kgan.data.from_folder`, the Python API (and `kgan.data.load`
  of a folder path): headers scanned first, then files decoded on
  `--threads` threads as the first epoch streams, kept as uint8 in memory,
  and read from there in the second;
- `kgan-train`: what `kgan-train --dataset=FOLDER` runs: `kgan.data.load_arrays`
  decodes the folder in parallel before training, then
  `kgan.data.resumable_batches` serves the resumable stream (its "epoch 1"
  includes that decoding);
- `in memory`: `kgan.data.from_arrays` on the decoded uint8 array: the cached
  in-memory figure the others are compared with.

Each row shows the images per second of epoch 1 and epoch 2 and the seconds
before the first batch. The pipeline keeps up with training when its rate is
at least 3x the training step's after the first epoch (or within 5% of the
step's rate from the first epoch). With `--train_steps N` (for 64x64 images)
the script also times `kgan.GAN.fit` of `kgan.networks.dcgan64()` (fp32,
batch `--batch_size`) for N steps fed by `from_folder` in its first epoch
(decoding as it trains) and by the in-memory pipeline, and prints both
rates and their ratio. The machine's load average is printed before and
after: figures taken on a loaded machine are not comparable.

Run from a checkout: `.venv/bin/python scripts/bench_pipeline.py` (`--help`
lists the options).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _write_image(path: Path, index: int, size: int, fmt: str) -> None:
    from PIL import Image

    rng = np.random.default_rng(index)
    coarse = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((size, size), Image.Resampling.BILINEAR), np.int16)
    pixels = np.clip(smooth + rng.integers(-8, 9, smooth.shape), 0, 255).astype(np.uint8)
    options = {"quality": 90} if fmt == "jpeg" else {"compress_level": 1}
    Image.fromarray(pixels).save(
        path / f"{index:06d}.{'jpg' if fmt == 'jpeg' else 'png'}", **options
    )


def make_folder(path: Path, num_images: int, size: int, fmt: str) -> float:
    """Writes the images (smooth colour blobs with noise); returns the seconds it took."""
    path.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(lambda i: _write_image(path, i, size, fmt), range(num_images)))
    return time.perf_counter() - start


def _epochs(dataset, steps: int, batch_size: int) -> tuple[float, float, float]:
    """(epoch 1 img/s, epoch 2 img/s, seconds to the first batch) over `steps` batches each."""
    iterator = iter(dataset)
    rates, first = [], None
    for _ in range(2):
        start = time.perf_counter()
        for step in range(steps):
            next(iterator)
            if first is None and step == 0:
                first = time.perf_counter() - start
        rates.append(steps * batch_size / (time.perf_counter() - start))
    return rates[0], rates[1], first


def _two_epochs(dataset, batch_size: int) -> tuple[float, float, float]:
    """As `_epochs`, for a finite dataset whose iterator restarts every epoch (as Keras does)."""
    rates, first = [], None
    for _ in range(2):
        start, count = time.perf_counter(), 0
        for batch in dataset:
            if first is None:
                first = time.perf_counter() - start
            count += int(batch.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return rates[0], rates[1], first


def measure(folder: Path, batch_size: int, threads: int | None, seed: int) -> list[dict]:
    import keras

    import kgan

    rows = []
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    dataset = kgan.data.from_folder(folder, batch_size=batch_size, seed=seed, num_threads=threads)
    build = time.perf_counter() - start
    e1, e2, first = _two_epochs(dataset, batch_size)
    rows.append({"pipeline": "from_folder", "epoch1": e1, "epoch2": e2, "first": build + first})

    start = time.perf_counter()
    x, _ = kgan.data.load_arrays(str(folder))
    decode = time.perf_counter() - start
    steps = len(x) // batch_size
    stream = kgan.data.resumable_batches(x, batch_size=batch_size, seed=seed)
    start = time.perf_counter()
    e1, e2, first = _epochs(stream, steps, batch_size)
    epoch1 = steps * batch_size / (decode + steps * batch_size / e1)
    first += decode
    rows.append({"pipeline": "kgan-train", "epoch1": epoch1, "epoch2": e2, "first": first})
    rows[-1]["decode"] = len(x) / decode

    in_memory = kgan.data.from_arrays(x, batch_size=batch_size, seed=seed)
    e1, e2, first = _two_epochs(in_memory, batch_size)
    rows.append({"pipeline": "in memory", "epoch1": e1, "epoch2": e2, "first": first})
    return rows


def train_rates(folder: Path, batch_size: int, steps: int, seed: int) -> dict[str, float]:
    """Images/s of dcgan64's `GAN.fit` fed by `from_folder` (first epoch) and from memory."""
    import keras

    import kgan

    rates = {}
    x, _ = kgan.data.load_arrays(str(folder))
    sources = {
        "from_folder": lambda: kgan.data.from_folder(folder, batch_size=batch_size, seed=seed),
        "in memory": lambda: kgan.data.from_arrays(x, batch_size=batch_size, seed=seed),
    }
    for name, make in sources.items():
        keras.utils.set_random_seed(seed)
        gan = kgan.GAN(*kgan.networks.dcgan64(), seed=seed)
        gan.compile(kgan.optimizers.Adam(2e-4, beta_1=0.5), kgan.optimizers.Adam(2e-4, beta_1=0.5))
        gan.fit(make(), epochs=1, steps_per_epoch=2, verbose=0)  # traces the step
        dataset = make()  # a new pipeline: its first epoch decodes while the GAN trains
        start = time.perf_counter()
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        rates[name] = steps * batch_size / (time.perf_counter() - start)
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--num_images", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=64, help="image height and width")
    parser.add_argument("--formats", default="png,jpeg", help="png, jpeg or both")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument(
        "--threads", type=int, default=None, help="decoding threads (default: cores)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--folder", default=None, help="write the images here (default: a temp dir)"
    )
    parser.add_argument(
        "--train_steps", type=int, default=0, help="also time dcgan64's fit for this many steps"
    )
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.train_steps and args.size != 64:
        parser.error("--train_steps trains dcgan64: it needs --size 64")

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or set(formats) - {"png", "jpeg"}:
        parser.error(f"--formats takes png and/or jpeg; got {args.formats!r}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory(prefix="kgan_bench_pipeline_") as tmp:
        root = Path(args.folder) if args.folder else Path(tmp)
        for fmt in formats:
            folder = root / f"{fmt}_{args.num_images}_{args.size}"
            if not folder.is_dir():
                seconds = make_folder(folder, args.num_images, args.size, fmt)
                print(f"wrote {args.num_images} {fmt} files in {seconds:.1f} s")
            rows = measure(folder, args.batch_size, args.threads, args.seed)
            results[fmt] = rows
            print(f"\n{fmt}, {args.num_images} images of {args.size}x{args.size}x3, "
                  f"batch {args.batch_size}, images/s:")  # fmt: skip
            print(f"  {'pipeline':<12} {'epoch 1':>10} {'epoch 2':>10} {'first batch':>12}")
            for row in rows:
                print(f"  {row['pipeline']:<12} {row['epoch1']:>10,.0f} {row['epoch2']:>10,.0f} "
                      f"{row['first']:>10.2f} s")  # fmt: skip
            decode = next(r["decode"] for r in rows if "decode" in r)
            print(f"  (kgan-train decodes the folder before training at {decode:,.0f} images/s)")
            if args.train_steps:
                rates = train_rates(folder, args.batch_size, args.train_steps, args.seed)
                results[f"{fmt}_train"] = rates
                print(f"  dcgan64 GAN.fit, fp32, {args.train_steps} steps: "
                      f"{rates['from_folder']:.1f} images/s fed by from_folder (first epoch), "
                      f"{rates['in memory']:.1f} from memory: "
                      f"{rates['from_folder'] / rates['in memory']:.1%}")  # fmt: skip
                pipe = next(r["epoch1"] for r in rows if r["pipeline"] == "from_folder")
                print(
                    f"  from_folder alone, epoch 1: {pipe / rates['in memory']:.1f}x the "
                    "training step's rate"
                )
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
