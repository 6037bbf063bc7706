"""The Python side of bench.mjs: export the benchmark generator, and time kgan-runtime.

``python bench_python.py make OUT`` exports the 28x28x1 DCGAN generator of
scripts/bench_inference.py (random weights, trained-like batch-norm statistics; speed does not
depend on training) with kgan's exporter into OUT/export and writes its web page into OUT/web.
``python bench_python.py time MODEL --repeats R`` prints JSON timings of
``kgan_runtime.OnnxGenerator``: load time, and median latency at batch 1 and 64.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def make(out: Path) -> None:
    """Export the benchmark generator and its web page into ``out``."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import keras
    import kgan
    from bench_inference import _trained_like
    from kgan.export import export_generator

    from kgan_runtime.web import write_web_folder

    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(64, (28, 28, 1))
    _trained_like(generator)
    export_generator(generator, out / "export", formats=("onnx",), overwrite=True)
    write_web_folder(out / "export" / "generator.onnx", out / "web", overwrite=True)


def timings(model: Path, repeats: int) -> dict[str, float]:
    """Load time and median latency (ms) of kgan-runtime at batch 1 and 64."""
    from kgan_runtime import OnnxGenerator, sample_latents

    started = time.perf_counter()
    gen = OnnxGenerator(model)
    result = {"load_ms": (time.perf_counter() - started) * 1000}
    for batch in (1, 64):
        z = sample_latents(batch, gen.latent_dim, seed=0)
        gen(z)  # warm-up
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            gen(z)
            times.append((time.perf_counter() - t) * 1000)
        result[f"batch{batch}_ms"] = statistics.median(times)
        result[f"batch{batch}_ms_best"] = min(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make").add_argument("out", type=Path)
    timer = sub.add_parser("time")
    timer.add_argument("model", type=Path)
    timer.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    if args.command == "make":
        make(args.out)
    else:
        print(json.dumps(timings(args.model, args.repeats)))


if __name__ == "__main__":
    main()
