"""Endurance run: does a long training run keep its memory flat and never retrace?

Trains a `kgan.GAN` for many epochs (the MLP pair on `ring8` by default, or the DCGAN on the
built-in 8x8 `digits`), exports the generator every `--export_every` epochs with
`kgan.export.export_generator(gan, dir, overwrite=True)` (SavedModel + ONNX, with the parity
check) and samples the fresh ONNX file through `kgan_runtime.OnnxGenerator`. After every
epoch it prints:

- the process RSS (psutil, else `VmRSS` of /proc/self/status), measured after `gc.collect()`;
- the number of times TensorFlow has traced the training step so far. Two honest counters:
  `step traces` counts the executions of the Python body of `GAN.train_step` (in graph mode
  that body only runs while a `tf.function` traces it, whatever `tf.function` object does
  the tracing, so a rebuilt train function counts too); `tf traces` sums
  `experimental_get_tracing_count()` over the `tf.function`s that Keras 3's TensorFlow
  trainer keeps in the closure of `model.train_function` (in Keras 3.15 `train_function`
  itself is a plain Python function wrapping them, so it has no tracing count of its own);
- leak hints: the number of live Python objects the garbage collector tracks, and of live
  Keras layers and Keras variables among them (a run that only trains, exports and samples
  should create none that outlive the export).

Then a summary: RSS growth per 10 epochs after `--warmup` epochs (least-squares slope over
the post-warm-up epochs, relative to the RSS at the end of the warm-up; target < 1%), and
the retraces after the first epoch (target 0), and the growth of live Keras layers and
variables after the warm-up (reported as a warning). Exit status 0 when the RSS and retrace
targets are met, 1 otherwise.

Two ways to drive `fit` (`--mode`): `callback` (default) runs one `fit(epochs=E)` with a
callback that does the export, the sampling and the measurement at each epoch end, as
`kgan-train` does; `loop` calls `fit(epochs=1)` E times, as a script that trains piecewise
does.

Run from a checkout:

    .venv/bin/python scripts/soak.py                       # 60 epochs of the MLP on ring8
    .venv/bin/python scripts/soak.py --dataset digits --epochs 40
    .venv/bin/python scripts/soak.py --mode loop --json /tmp/soak.json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET_GROWTH_PCT = 1.0  # per 10 epochs, after the warm-up


# ------------------------------------------------------------------- measurements


def rss_bytes() -> int:
    """Resident set size of this process, in bytes."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no psutil and no VmRSS in /proc/self/status") from None
    return psutil.Process().memory_info().rss


def _tf_functions(obj: Any, seen: set[int] | None = None, depth: int = 0) -> list[Any]:
    """The `tf.function`s reachable from `obj` through closures (a few levels deep)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 4:
        return []
    seen.add(id(obj))
    found = []
    if hasattr(obj, "experimental_get_tracing_count"):
        found.append(obj)
        obj = getattr(obj, "python_function", None)
        if obj is None:
            return found
    wrapped = getattr(obj, "__wrapped__", None)
    if wrapped is not None:
        found += _tf_functions(wrapped, seen, depth + 1)
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(content):
            found += _tf_functions(content, seen, depth + 1)
    return found


def live_objects() -> tuple[int, int, int]:
    """(Python objects tracked by gc, live Keras layers, live Keras variables)."""
    import keras

    objects = gc.get_objects()
    layers = sum(isinstance(o, keras.layers.Layer) for o in objects)
    variables = sum(isinstance(o, keras.Variable) for o in objects)
    return len(objects), layers, variables


class TraceCounter:
    """Counts traces of `gan.train_step`: its Python body only runs while TF traces it."""

    def __init__(self, gan: Any) -> None:
        self.count = 0
        step = gan.train_step  # the bound method

        def counting_train_step(data):
            self.count += 1
            return step(data)

        gan.train_step = counting_train_step  # Keras builds train_function from this attribute

    @staticmethod
    def tf_count(gan: Any) -> int | None:
        train_function = getattr(gan, "train_function", None)
        if train_function is None:
            return None
        functions = _tf_functions(train_function)
        if not functions:
            return None
        return sum(int(f.experimental_get_tracing_count()) for f in functions)


# --------------------------------------------------------------------------- model


def build(args: argparse.Namespace):
    import keras

    import kgan

    keras.utils.set_random_seed(args.seed)
    if args.dataset == "digits":
        generator, discriminator = kgan.networks.dcgan(args.latent_dim, (8, 8, 1))
    else:
        generator, discriminator = kgan.networks.mlp(args.latent_dim, (2,))
    gan = kgan.GAN(generator, discriminator, d_steps=1, loss="non_saturating", seed=args.seed)
    adam = {"learning_rate": 2e-4, "beta_1": 0.5}
    gan.compile(
        d_optimizer=keras.optimizers.Adam(**adam),
        g_optimizer=keras.optimizers.Adam(**adam),
        jit_compile=args.jit_compile,
    )
    dataset = kgan.data.load(args.dataset, batch_size=args.batch_size, seed=args.seed)
    return gan, dataset


def _jit(text: str) -> Any:
    return {"auto": "auto", "true": True, "false": False}[text.lower()]


# ---------------------------------------------------------------------------- soak


class Soak:
    """Per-epoch work and bookkeeping, shared by both modes."""

    def __init__(self, gan: Any, args: argparse.Namespace, export_dir: str) -> None:
        self.gan, self.args, self.export_dir = gan, args, export_dir
        self.traces = TraceCounter(gan)
        self.rows: list[dict[str, Any]] = []
        self.exports = 0
        self.last_diff: float | None = None
        self.t0 = time.perf_counter()

    def export_and_sample(self) -> None:
        from kgan.export import export_generator
        from kgan_runtime import OnnxGenerator

        export_generator(self.gan, self.export_dir, overwrite=True)
        runtime = OnnxGenerator(os.path.join(self.export_dir, "generator.onnx"))
        samples = runtime.sample(self.args.sample_n, seed=self.exports)
        keras_samples = self.gan.generate(self.args.sample_n, seed=self.exports)
        self.last_diff = float(abs(samples - keras_samples).max())
        self.exports += 1

    def epoch_end(self, epoch: int, logs: dict[str, Any] | None) -> None:
        exported = (epoch + 1) % self.args.export_every == 0
        if exported:
            self.export_and_sample()
        gc.collect()
        objects, layers, variables = live_objects()
        row = {
            "epoch": epoch + 1,
            "seconds": round(time.perf_counter() - self.t0, 2),
            "rss_mib": rss_bytes() / 2**20,
            "step_traces": self.traces.count,
            "tf_traces": TraceCounter.tf_count(self.gan),
            "gc_objects": objects,
            "keras_layers": layers,
            "keras_variables": variables,
            "exported": exported,
            "d_loss": float((logs or {}).get("d_loss", math.nan)),
            "g_loss": float((logs or {}).get("g_loss", math.nan)),
        }
        self.rows.append(row)
        previous = self.rows[-2]["rss_mib"] if len(self.rows) > 1 else row["rss_mib"]
        export_note = f"  export+sample (|onnx-keras| {self.last_diff:.1e})" if exported else ""
        print(
            f"epoch {row['epoch']:4d}  {row['seconds']:7.1f} s  "
            f"d_loss {row['d_loss']:.3f}  g_loss {row['g_loss']:.3f}  "
            f"RSS {row['rss_mib']:8.1f} MiB ({row['rss_mib'] - previous:+6.1f})  "
            f"step traces {row['step_traces']}  tf traces {row['tf_traces']}  "
            f"objects {row['gc_objects']} (layers {layers}, variables {variables}){export_note}",
            flush=True,
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    import keras

    gan, dataset = build(args)
    export_dir = tempfile.mkdtemp(prefix="kgan-soak-")
    soak = Soak(gan, args, export_dir)
    print(
        f"soak: {args.dataset} ({'DCGAN' if args.dataset == 'digits' else 'MLP'}), "
        f"{args.epochs} epochs, batch {args.batch_size}, mode {args.mode}, "
        f"export+sample every {args.export_every} epochs, warm-up {args.warmup} epochs; "
        f"RSS at start {rss_bytes() / 2**20:.1f} MiB",
        flush=True,
    )

    class Callback(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            soak.epoch_end(epoch, logs)

    try:
        if args.mode == "callback":
            gan.fit(dataset, epochs=args.epochs, callbacks=[Callback()], verbose=0)
        else:
            for epoch in range(args.epochs):
                history = gan.fit(dataset, epochs=1, verbose=0)
                logs = {key: values[-1] for key, values in history.history.items()}
                soak.epoch_end(epoch, logs)
    finally:
        shutil.rmtree(export_dir, ignore_errors=True)
    return summarize(soak.rows, args)


def summarize(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    after = [row for row in rows if row["epoch"] > args.warmup]
    base = rows[args.warmup - 1]["rss_mib"] if 0 < args.warmup <= len(rows) else rows[0]["rss_mib"]
    slope = 0.0
    if len(after) >= 2:
        xs = [row["epoch"] for row in after]
        ys = [row["rss_mib"] for row in after]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
    growth_pct = 100.0 * slope * 10 / base
    retraces = rows[-1]["step_traces"] - rows[0]["step_traces"]
    tf_retraces = (
        rows[-1]["tf_traces"] - rows[0]["tf_traces"]
        if rows[-1]["tf_traces"] is not None and rows[0]["tf_traces"] is not None
        else None
    )
    summary = {
        "epochs": len(rows),
        "warmup": args.warmup,
        "rss_start_mib": rows[0]["rss_mib"],
        "rss_after_warmup_mib": base,
        "rss_end_mib": rows[-1]["rss_mib"],
        "rss_min_after_warmup_mib": min((row["rss_mib"] for row in after), default=math.nan),
        "rss_max_after_warmup_mib": max((row["rss_mib"] for row in after), default=math.nan),
        "growth_mib_per_10_epochs": slope * 10,
        "growth_pct_per_10_epochs": growth_pct,
        "step_traces_first_epoch": rows[0]["step_traces"],
        "retraces_after_first_epoch": retraces,
        "tf_retraces_after_first_epoch": tf_retraces,
        "gc_objects_after_warmup": rows[args.warmup - 1]["gc_objects"],
        "gc_objects_end": rows[-1]["gc_objects"],
        "keras_layers_after_warmup": rows[args.warmup - 1]["keras_layers"],
        "keras_layers_end": rows[-1]["keras_layers"],
        "keras_variables_after_warmup": rows[args.warmup - 1]["keras_variables"],
        "keras_variables_end": rows[-1]["keras_variables"],
        "memory_ok": growth_pct < TARGET_GROWTH_PCT,
        "retrace_ok": retraces == 0 and not tf_retraces,
    }
    print("\nsummary")
    print(
        f"  RSS: {summary['rss_start_mib']:.1f} MiB after epoch 1, "
        f"{base:.1f} MiB after the {args.warmup}-epoch warm-up, "
        f"{summary['rss_end_mib']:.1f} MiB at the end "
        f"(range after warm-up {summary['rss_min_after_warmup_mib']:.1f}"
        f"-{summary['rss_max_after_warmup_mib']:.1f} MiB)"
    )
    print(
        f"  RSS growth after warm-up: {slope * 10:+.2f} MiB per 10 epochs = "
        f"{growth_pct:+.3f}% (target < {TARGET_GROWTH_PCT}%): "
        f"{'OK' if summary['memory_ok'] else 'FAIL'}"
    )
    print(
        f"  traces of train_step: {summary['step_traces_first_epoch']} in epoch 1, "
        f"{retraces} after it (tf.function tracing count: {tf_retraces} after epoch 1) "
        f"(target 0): {'OK' if summary['retrace_ok'] else 'FAIL'}"
    )
    leaking = (
        summary["keras_layers_end"] > summary["keras_layers_after_warmup"]
        or summary["keras_variables_end"] > summary["keras_variables_after_warmup"]
    )
    summary["keras_objects_ok"] = not leaking
    print(
        f"  live objects after warm-up -> end: Python {summary['gc_objects_after_warmup']} -> "
        f"{summary['gc_objects_end']}, Keras layers {summary['keras_layers_after_warmup']} -> "
        f"{summary['keras_layers_end']}, Keras variables "
        f"{summary['keras_variables_after_warmup']} -> {summary['keras_variables_end']}"
        + ("  WARNING: Keras layers/variables accumulate (a leak)" if leaking else "")
    )
    return {"summary": summary, "epochs": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--dataset", choices=("ring8", "digits"), default="ring8")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch_size", type=int, default=None, help="default 256 ring8, 64 digits")
    parser.add_argument("--latent_dim", type=int, default=None, help="default 64 ring8, 32 digits")
    parser.add_argument("--export_every", type=int, default=5, help="epochs between exports")
    parser.add_argument("--sample_n", type=int, default=256, help="samples drawn per export")
    parser.add_argument("--warmup", type=int, default=10, help="epochs excluded from the slope")
    parser.add_argument("--mode", choices=("callback", "loop"), default="callback")
    parser.add_argument("--jit_compile", type=_jit, default="auto", help="auto, true or false")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.batch_size is None:
        args.batch_size = 64 if args.dataset == "digits" else 256
    if args.latent_dim is None:
        args.latent_dim = 32 if args.dataset == "digits" else 64
    for name in ("epochs", "batch_size", "latent_dim", "export_every", "sample_n"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if not 1 <= args.warmup < args.epochs - 1:
        parser.error("--warmup must be >= 1 and leave at least 2 epochs after it")

    result = run(args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"args": vars(args), **result}, f, indent=1)
    summary = result["summary"]
    return 0 if summary["memory_ok"] and summary["retrace_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
