"""Images per second of the adversarial update: kgan vs plain Keras vs PyTorch, side by side.

Three implementations of one GAN update on the same networks (`--models`: the
28x28x1 DCGAN of `kgan.networks.dcgan(64, (28, 28, 1))`, the MLP pair of
`kgan.networks.mlp(64, (28, 28, 1))`, `dcgan32` on 32x32x3 and `dcgan64`, PyTorch
`examples/dcgan`'s 64x64x3 network, `kgan.networks.dcgan64()`; the Keras cases
build them with kgan's layers, `kgan.layers`; scripts/bench_train_models.py has
the PyTorch twins and the FLOP counts), batch 128, Adam(2e-4, beta_1=0.5), the
non-saturating loss:

- `kgan`: `kgan.GAN.fit` on the `tf.data` pipeline that `kgan.data.from_arrays`
  builds (cache, shuffle, batch, prefetch, tf.data autotuning off: see
  `kgan.data.prepare_dataset` and `--raw_pipeline`), with
  `kgan.optimizers.Adam` (Keras's Adam through TensorFlow's fused kernel), as
  `kgan-train` trains;
- `keras`: a plain `keras.Model` with the two-tape `train_step` of the keras.io
  DCGAN tutorial (D on concat([real, fake]), then G on fresh latents; with
  `training=True` for both networks, as kgan), trained with `fit` on the same
  pipeline;
- `torch`: the same networks and algorithm in PyTorch eager, written as the
  PyTorch DCGAN example writes it (D on the real batch, then on the fake
  batch, then G), on an in-memory tensor shuffled every epoch.

`--frameworks` also takes `kgan_xla`: `kgan` with `jit_compile=True` (XLA; on
CPU it pays for the MLP pair, whose step is many small ops, and not for the
DCGAN), `kgan_step`: `GAN.train_step` in a `tf.function` called on
in-memory batches, without `fit` (to see what `fit` costs), and
`torch_compile`: the PyTorch case with both networks through `torch.compile`
(the default inductor backend; its compile time is the warm-up column, not in
img/s).

Two variants: `fresh` (the paper's: the generator update draws fresh noise,
two generator passes per step) and `reuse` (the PyTorch DCGAN example's: the
generator update reuses the fake batch of the discriminator update).
Precisions: `fp32`, and `bf16` (`mixed_bfloat16` in Keras,
`torch.autocast("cpu", torch.bfloat16)` in PyTorch).

One long-lived worker process per runtime (TensorFlow, PyTorch) builds and warms
up every case, then the driver asks for one timed sample at a time, in a new
random order every round, so load from other processes hits every case alike;
only one worker runs at a time, and each sample waits (up to `--idle_patience`)
for other processes to leave the CPU idle: PyTorch's OpenMP threads in
particular collapse when the 2 cores are shared (10-50x slower). A sample is
`fit` over enough epochs to last `--seconds`. The table shows the best round,
the median and the range.

`--scaling` times the fresh-noise step of the 28x28x1, 32x32x3 and 64x64x3
DCGANs (kgan, PyTorch eager and compiled; fp32 and bf16) and prints images/s
and GFLOP/s per resolution next to the measured matmul and convolution peaks,
with a PNG plot (`--plot`). `--memory` runs each model's training in a fresh
process per framework and prints its peak resident memory (`ru_maxrss`).

The PyTorch worker runs under another interpreter (a virtual environment made
from `scripts/requirements-bench.txt`), so kgan never depends on torch:

    python3.11 -m venv /tmp/benchvenv
    /tmp/benchvenv/bin/pip install -r scripts/requirements-bench.txt
    .venv/bin/python scripts/bench_train.py --torch_python /tmp/benchvenv/bin/python

Run from a checkout; `--help` lists the options.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time

from bench_train_cases import BATCH, REPLY, serve
from bench_train_models import MODELS as MODEL_SHAPES
from bench_train_models import flops_per_image

FRAMEWORKS = ("kgan", "keras", "torch")
TORCH_FRAMEWORKS = ("torch", "torch_compile")
MODELS = ("dcgan", "mlp")
SCALING_MODELS = ("dcgan", "dcgan32", "dcgan64")
VARIANTS = ("fresh", "reuse")
PRECISIONS = ("fp32", "bf16")


class _Worker:
    def __init__(self, python: str, runtime: str, options: dict, log):
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [python, os.path.abspath(__file__), "--_serve", runtime, json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(REPLY):
                return json.loads(line[len(REPLY) :])
        raise RuntimeError(f"the worker died (exit code {self.process.wait()}); see its log")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _cpu_busy(interval: float = 0.5) -> float:
    """Fraction of the machine's CPU time spent busy over `interval` s (Linux; 0 elsewhere)."""

    def read():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    try:
        busy0, total0 = read()
        time.sleep(interval)
        busy1, total1 = read()
    except OSError:
        return 0.0
    return (busy1 - busy0) / max(total1 - total0, 1)


def _wait_for_idle(threshold: float, patience: float) -> float:
    """Waits up to `patience` s for an idle CPU; returns the share other processes kept busy."""
    deadline = time.monotonic() + patience
    busy = _cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        time.sleep(2.0)
        busy = _cpu_busy()
    return busy


def _table(
    cases: list[dict], samples: dict[str, list[float]], peak: dict, args, warmups: dict
) -> str:
    def key(case):
        return json.dumps(case, sort_keys=True)

    def best(case):
        values = samples.get(key(case))
        return max(values) if values else None

    lines = [
        f"batch {BATCH}; {args.threads or os.cpu_count()} threads; XLA "
        f"{'on' if args.xla else 'off'}; steps_per_execution {args.steps_per_execution}; "
        f"{args.rounds} rounds of ~{args.seconds:g} s per case; img/s: best round "
        "(median, min-max)",
        "measured peak (best large matmul, TF or torch, at the start or the end): "
        f"fp32 {peak.get('fp32', 0):.0f} GFLOP/s, bf16 {peak.get('bf16', 0):.0f} GFLOP/s; "
        f"3x3 convolution: fp32 {peak.get('conv_fp32', 0):.0f}, bf16 "
        f"{peak.get('conv_bf16', 0):.0f} GFLOP/s",
        "warm-up: building, tracing or compiling, plus one epoch (torch.compile's compile "
        "time is here, not in img/s)",
        "",
        "| model | variant | precision | framework | img/s | median (min-max) | GFLOP/s "
        "| of peak | vs torch fp32 | vs torch.compile fp32 | warm-up (s) |",
        "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        rate = best(case)
        if rate is None:
            continue
        values = samples[key(case)]
        flops = flops_per_image(case["model"], case["variant"]) * rate / 1e9
        ratios = []
        for framework in TORCH_FRAMEWORKS:
            reference = best(dict(case, framework=framework, precision="fp32"))
            ratios.append(f"{rate / reference:.2f}x" if reference else "n/a")
        of_peak = f"{100 * flops / peak[case['precision']]:.0f}%" if peak else "n/a"
        warmup = warmups.get(key(case))
        lines.append(
            f"| {case['model']} | {case['variant']} | {case['precision']} | {case['framework']} "
            f"| {rate:.0f} | {statistics.median(values):.0f} ({min(values):.0f}-"
            f"{max(values):.0f}) | {flops:.0f} | {of_peak} | {' | '.join(ratios)} "
            f"| {warmup:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help="and kgan_xla, kgan_step, torch_compile",
    )
    parser.add_argument("--models", default=",".join(MODELS), help="and dcgan32, dcgan64")
    parser.add_argument(
        "--model",
        default=None,
        help="one model (dcgan64: the rows of issue 16, frameworks kgan, kgan_xla, keras, "
        "torch, torch_compile unless --frameworks is given)",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="the fresh step of the 28x28x1, 32x32x3 and 64x64x3 DCGANs (kgan, torch, "
        "torch_compile; fp32 and bf16): img/s and GFLOP/s per resolution, and a PNG plot",
    )
    parser.add_argument("--plot", default="bench_scaling.png", help="--scaling's PNG plot")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="peak resident memory of each model's training, one fresh process per case",
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--precisions", default=",".join(PRECISIONS))
    parser.add_argument("--rounds", type=int, default=5, help="timed samples of each case")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one sample")
    parser.add_argument("--steps", type=int, default=20, help="batches in the dataset (an epoch)")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (0: default)")
    parser.add_argument("--inter_op", type=int, default=0, help="TF inter-op threads (0: default)")
    parser.add_argument("--steps_per_execution", type=int, default=1)
    parser.add_argument("--xla", action="store_true", help="jit_compile=True in the Keras cases")
    parser.add_argument(
        "--raw_pipeline",
        action="store_true",
        help="kgan.data's pipeline with tf.data autotuning turned back on (epochs can stall "
        "when their iterator is destroyed; see kgan.distribute.prepare_dataset)",
    )
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--torch_python", default=None, help="an interpreter with torch")
    parser.add_argument("--seed", type=int, default=0, help="of the order of the samples")
    parser.add_argument("--log", default=os.devnull, help="the workers' stderr goes here")
    parser.add_argument(
        "--idle_threshold",
        type=float,
        default=0.2,
        help="before each sample, wait until other processes use less than this share of the CPU",
    )
    parser.add_argument(
        "--idle_patience", type=float, default=120.0, help="longest wait for that (s)"
    )
    parser.add_argument("--json", default=None, help="also write every sample here")
    parser.add_argument("--verbose", action="store_true", help="print every sample")
    parser.add_argument("--_serve", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._serve is not None:
        serve(args._serve[0], json.loads(args._serve[1]))
        return 0

    explicit = "--frameworks" in " ".join(argv if argv is not None else sys.argv[1:])
    if args.model is not None:
        args.models = args.model
        if args.model == "dcgan64" and not explicit:
            args.frameworks = "kgan,kgan_xla,keras,torch,torch_compile"
    if args.scaling:
        args.models, args.variants = ",".join(SCALING_MODELS), "fresh"
        if not explicit:
            args.frameworks = "kgan,torch,torch_compile"
    unknown = set(args.models.split(",")) - set(MODEL_SHAPES)
    if unknown:
        parser.error(f"unknown model {sorted(unknown)[0]!r}; expected one of {list(MODEL_SHAPES)}")
    frameworks = args.frameworks.split(",")
    torch_python = args.torch_python or sys.executable
    if any(f in TORCH_FRAMEWORKS for f in frameworks):
        probe = subprocess.run([torch_python, "-c", "import torch"], capture_output=True)
        if probe.returncode:
            print(f"no torch under {torch_python}: pass --torch_python (see --help); skipped.")
            frameworks = [f for f in frameworks if f not in TORCH_FRAMEWORKS]
    options = {
        key: getattr(args, key)
        for key in (
            "steps",
            "seconds",
            "threads",
            "inter_op",
            "steps_per_execution",
            "xla",
            "raw_pipeline",
        )
    }
    options["device"] = args.device
    cases = [
        {"model": m, "variant": v, "precision": p, "framework": f}
        for m, v, p, f in itertools.product(
            args.models.split(","),
            args.variants.split(","),
            args.precisions.split(","),
            frameworks,
        )
    ]
    print(f"load average before: {_load()}", flush=True)
    with open(args.log, "a") as log:
        if args.memory:
            _memory(cases, options, torch_python, log)
            print(f"load average after: {_load()}")
            return 0
        workers = {"tf": _Worker(sys.executable, "tf", options, log)}
        if any(f in TORCH_FRAMEWORKS for f in frameworks):
            workers["torch"] = _Worker(torch_python, "torch", options, log)
        try:
            code = _measure(cases, workers, args)
        finally:
            for worker in workers.values():
                worker.close()
    print(f"load average after: {_load()}")
    return code


def _load() -> str:
    """The 1, 5 and 15-minute load averages, and the CPU count (other jobs slow every row)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def _runtime(case: dict) -> str:
    return "torch" if case["framework"] in TORCH_FRAMEWORKS else "tf"


def _memory(cases: list[dict], options: dict, torch_python: str, log) -> None:
    """Peak resident memory of training each case, each in a fresh worker process."""
    print(
        "\n| model | variant | precision | framework | after import (MiB) | peak training (MiB) |"
    )
    print("|---|---|---|---|---:|---:|")
    for case in cases:
        python = torch_python if _runtime(case) == "torch" else sys.executable
        worker = _Worker(python, _runtime(case), options, log)
        try:
            base = worker.ask({"cmd": "rss"})["max_rss_mib"]
            worker.ask({"cmd": "prepare", "case": case, "key": "memory"})  # two epochs
            peak = worker.ask({"cmd": "rss"})["max_rss_mib"]
        finally:
            worker.close()
        print(
            f"| {case['model']} | {case['variant']} | {case['precision']} | {case['framework']} "
            f"| {base:.0f} "
            f"| {peak:.0f} |",
            flush=True,
        )


def _write_json(path, peak, peaks, samples, warmups, args) -> None:
    with open(path, "w") as f:
        json.dump(
            {
                "peak": peak,
                "peaks": peaks,
                "samples": samples,
                "warmup_s": warmups,
                "load_average": os.getloadavg(),
                "args": vars(args),
            },
            f,
        )


def _measure(cases: list[dict], workers: dict, args) -> int:
    runtime = _runtime

    def measure_peaks():
        results = []
        for worker in workers.values():
            _wait_for_idle(args.idle_threshold, args.idle_patience)
            results.append(worker.ask({"cmd": "peak"}))
        return results

    peaks = measure_peaks()
    peak = {p: max(result[p] for result in peaks) for p in peaks[0]}
    print(
        "peak GFLOP/s:",
        {name: {k: round(v) for k, v in p.items()} for name, p in zip(workers, peaks)},
    )
    warmups: dict[str, float] = {}
    for case in cases:
        key = json.dumps(case, sort_keys=True)
        reply = workers[runtime(case)].ask({"cmd": "prepare", "case": case, "key": key})
        warmups[key] = reply["warmup_s"]
        print(
            f"prepared {case}: warm-up {reply['warmup_s']:.1f} s, {reply['epochs']} epochs/sample"
        )
    samples: dict[str, list[float]] = {}
    busy_before: list[float] = []
    order = random.Random(args.seed)
    for round_ in range(args.rounds):
        for case in order.sample(cases, len(cases)):
            key = json.dumps(case, sort_keys=True)
            busy = _wait_for_idle(args.idle_threshold, args.idle_patience)
            reply = workers[runtime(case)].ask({"cmd": "time", "key": key})
            samples.setdefault(key, []).append(reply["img_s"])
            busy_before.append(busy)
            if args.verbose:
                print(f"  {case}: {reply['img_s']:.0f} img/s (CPU busy {busy:.0%})", flush=True)
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
        if args.json:  # after every round, so that a cut-short run keeps its samples
            _write_json(args.json, peak, peaks, samples, warmups, args)
        if round_ + 1 < args.rounds and args.verbose:
            print(_table(cases, samples, peak, args, warmups), flush=True)
    # Measured again at the end: the best of both, as load from other processes lowers it.
    peaks += measure_peaks()
    peak = {p: max(result[p] for result in peaks) for p in peaks[0]}
    if args.json:
        _write_json(args.json, peak, peaks, samples, warmups, args)
    print()
    print(_table(cases, samples, peak, args, warmups))
    if args.scaling:
        from bench_train_report import scaling_plot, scaling_table

        print()
        print(scaling_table(cases, samples, peak))
        scaling_plot(cases, samples, peak, args.plot)
        print(f"\nplot: {args.plot}")
    quiet = sum(b <= args.idle_threshold for b in busy_before)
    print(
        f"\n{quiet} of {len(busy_before)} samples started on an idle machine (other processes "
        f"< {args.idle_threshold:.0%} of the CPU over the 0.5 s before); the rest waited "
        f"{args.idle_patience:g} s for it in vain."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
