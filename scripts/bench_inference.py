"""Inference speed of one generator through Keras, the SavedModel and kgan-runtime, side by side.

For the 28x28x1 DCGAN generator (random weights with trained-like batch-norm
statistics: speed does not depend on training), prints the latency at batch 1
and the time per batch of 256 for

1. `model.predict`,
2. the Keras model called directly,
3. the exported SavedModel's `serving_default` signature,
4. kgan-runtime (`OnnxGenerator`, ONNX Runtime) on the plain tf2onnx export
   (`export_generator(..., onnx_optimize=False)`),
5. kgan-runtime on the default, optimized export (`kgan.export_optimize`:
   sub-pixel convolutions instead of ConvTranspose, folded batch norms), and
   on the optimized export without its polyphase image layer and as one
   convolution per layer (`split_phases=False`), to show what each part buys,
6. the optimized export under other ONNX Runtime session options than
   kgan-runtime's (ENABLE_ALL, default threads, idle threads sleeping): one
   intra-op thread; idle threads spinning (ONNX Runtime's default
   `session.intra_op.allow_spinning` 1); `ORT_ENABLE_EXTENDED`, which leaves
   out the NCHWc layout transformer,

with ratios against the SavedModel, for each generator variant (`--upsample
transpose` is the DCGAN default; `resize` is nearest-resize + 3x3 conv), and
then the import time and peak memory of kgan-runtime against TensorFlow, each
measured in a fresh process.

Timing: every path is timed in `--rounds` interleaved rounds (each the median
of `--repeats` calls at batch 1, `--big_repeats` at batch 256); the table shows
the best round and, in brackets, the median round, both against the
SavedModel's, and the process CPU time per batch of 256 (all threads, least
over the rounds). On a shared machine the best round is the least disturbed
one, and the CPU time is the cost other processes disturb least; compare rows
of one run only.

`--runtimes` prints instead, for the 28x28x1 DCGAN generator and the 64x64x3
one of `kgan.networks.dcgan64` (issue 16), both exported by kgan (optimized),
the latency at batch 1, 64 and 256 of kgan-runtime, the SavedModel, and the
JavaScript runtime (export/js, after `npm ci`) on onnxruntime-node and on
onnxruntime-web's wasm backend with 1 and 2 threads under Node, each Node
backend in a fresh process (export/js/bench/latency.mjs), with ratios against
the SavedModel and the targets (kgan-runtime <= 0.5x at batch 1, <= 0.8x at
256). Both modes print the load average before and after: on a busy machine
the ratios move (kgan-runtime at batch 256 measured 1.06x the SavedModel on a
loaded machine against 0.71-0.75x on a quiet one), so state the load with them.

Run from a checkout: `python scripts/bench_inference.py [--upsample transpose]` or
`python scripts/bench_inference.py --runtimes`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TARGET_BATCH_1 = 0.5  # kgan-runtime latency at batch 1, as a fraction of the SavedModel's
TARGET_BATCH_256 = 0.8  # and time per batch of 256
RUNTIME = "kgan-runtime"  # the default: optimized export, default session options
PLAIN = "runtime, plain export"


def _time_round(fn, repeats: int) -> tuple[float, float]:
    """(median wall seconds, mean process CPU seconds) of `fn()` over `repeats` calls.

    The CPU time counts every thread of this process (TensorFlow's and ONNX Runtime's
    pools, spinning included): the work a call costs, which other processes on a
    shared machine disturb much less than its wall time.
    """
    fn()
    times = []
    cpu = time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (time.process_time() - cpu) / repeats


def _time_interleaved(fns: dict, repeats: int, rounds: int) -> dict[str, tuple]:
    """{name: (best round, median round, least CPU per call)} in seconds, the paths
    taking turns each round."""
    for fn in fns.values():  # Warm-up: graph tracing, thread pools, caches.
        for _ in range(3):
            fn()
    per_round: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            per_round[name].append(_time_round(fn, repeats))
    results = {}
    for name, rounds_ in per_round.items():
        wall = [w for w, _ in rounds_]
        results[name] = (min(wall), statistics.median(wall), min(c for _, c in rounds_))
    return results


def _peak_rss_mib() -> str:
    """Python code printing the process's peak RSS in MiB (VmHWM: reset by exec, unlike
    ru_maxrss, which a child started from a big parent inherits on Linux)."""
    return (
        "import resource\n"
        "try:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "    rss = int(hwm[0].split()[1]) / 1024\n"
        "except (OSError, IndexError):\n"
        "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    )


def _import_cost(statement: str) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of running `statement` in a fresh interpreter (best of 3)."""
    code = (
        "import time\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "dt = time.perf_counter() - t\n" + _peak_rss_mib() + "print(dt, rss)\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    best = None
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        seconds, rss = (float(v) for v in out.stdout.split())
        best = (seconds, rss) if best is None or seconds < best[0] else best
    return best


def _trained_like(generator, seed: int = 0) -> None:
    """Non-trivial batch-norm statistics, so that no op folds away as it would untrained."""
    import keras
    import numpy as np

    rng = np.random.default_rng(seed)
    for layer in generator.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, c))
            layer.beta.assign(rng.normal(0.0, 0.3, c))
            layer.moving_mean.assign(rng.normal(0.0, 0.5, c))
            layer.moving_variance.assign(rng.uniform(0.2, 2.0, c))


def _session_variant(path: str, threads: int | None, **options):
    """An OnnxGenerator whose session is rebuilt with other options (same wrapper, same checks)."""
    import onnxruntime as ort

    from kgan_runtime import OnnxGenerator

    runtime = OnnxGenerator(path, threads=threads)
    settings = ort.SessionOptions()
    settings.log_severity_level = 3
    settings.graph_optimization_level = options.get(
        "level", ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    )
    if threads is not None:
        settings.intra_op_num_threads = threads
    if "spinning" in options:
        settings.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if options["spinning"] else "0"
        )
    runtime._session = ort.InferenceSession(  # benchmark only: swap the session's options
        path, settings, providers=["CPUExecutionProvider"]
    )
    return runtime


def bench_variant(upsample: str, args) -> tuple[dict, dict]:
    """({batch: {path: (best, median)}}, facts about the exports)."""
    import keras
    import numpy as np
    import onnx
    import onnxruntime as ort
    import tensorflow as tf

    import kgan
    from kgan.export import export_generator
    from kgan.export.onnx_rewrite import conv_transpose_macs, subpixel_generator
    from kgan_runtime import OnnxGenerator

    keras.utils.set_random_seed(0)
    generator, _ = kgan.networks.dcgan(64, (28, 28, 1), upsample=upsample)
    _trained_like(generator)
    facts: dict = {"macs": {}}
    for layer in generator.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            facts["macs"][layer.name] = conv_transpose_macs(layer, layer.input.shape)
    with tempfile.TemporaryDirectory() as tmp:
        exports = {
            "optimized": ({}, ("saved_model", "onnx")),
            "plain": ({"onnx_optimize": False}, ("onnx",)),
        }
        paths = {}
        for name, (kwargs, formats) in exports.items():
            out = os.path.join(tmp, name)
            manifest = export_generator(generator, out, formats=formats, **kwargs)
            paths[name] = os.path.join(out, "generator.onnx")
            facts[name] = {
                "ops": [n.op_type for n in onnx.load(paths[name]).graph.node],
                "parity": manifest["parity"]["onnx"]["max_abs_diff"],
            }
        # Ablations of the optimized export, converted like export_generator does.
        for name, options in (
            ("no polyphase", {"polyphase_max_filters": 0}),
            ("single conv", {"split_phases": False}),
        ):
            rewritten = subpixel_generator(generator, **options)
            out = os.path.join(tmp, name.replace(" ", "_"))
            export_generator(rewritten, out, formats=("onnx",), onnx_optimize=False)
            paths[name] = os.path.join(out, "generator.onnx")

        saved = tf.saved_model.load(os.path.join(tmp, "optimized", "saved_model"))
        signature = saved.signatures["serving_default"]
        level = ort.GraphOptimizationLevel
        runtimes = {
            PLAIN: OnnxGenerator(paths["plain"], threads=args.threads),
            RUNTIME: OnnxGenerator(paths["optimized"], threads=args.threads),
            "  no polyphase": OnnxGenerator(paths["no polyphase"], threads=args.threads),
            "  single conv": OnnxGenerator(paths["single conv"], threads=args.threads),
            "  1 thread": _session_variant(paths["optimized"], 1),
            "  spinning on": _session_variant(paths["optimized"], args.threads, spinning=True),
            "  ENABLE_EXTENDED": _session_variant(
                paths["optimized"], args.threads, level=level.ORT_ENABLE_EXTENDED
            ),
            "plain, 1 thread": _session_variant(paths["plain"], 1),
        }
        results = {}
        for batch, repeats in ((1, args.repeats), (256, args.big_repeats)):
            z = kgan.sample_latents(batch, 64, seed=0)
            zt = tf.constant(z)
            fns = {
                "model.predict": lambda z=z: generator.predict(z, verbose=0),
                "Keras call": lambda zt=zt: generator(zt, training=False),
                "SavedModel": lambda zt=zt: signature(z=zt),
            }
            expected = signature(z=zt)["samples"].numpy()
            for name, runtime in runtimes.items():
                np.testing.assert_allclose(runtime(z), expected, atol=1e-4)
                fns[name] = lambda z=z, runtime=runtime: runtime(z)
            results[batch] = _time_interleaved(fns, repeats, args.rounds)
    return results, facts


def _print_table(results: dict) -> None:
    sm1, sm256 = results[1]["SavedModel"], results[256]["SavedModel"]
    print(
        f"{'path':<22} {'batch 1 (ms)':>13} {'vs SM':>15} {'batch 256 (ms)':>15} {'vs SM':>15}"
        f" {'CPU ms/256':>11} {'vs SM':>7}"
    )
    for path in results[1]:
        (b1, m1, _), (b256, m256, c256) = results[1][path], results[256][path]
        print(
            f"{path:<22} {b1 * 1e3:>13.3f} {b1 / sm1[0]:>6.2f}x ({m1 / sm1[1]:4.2f}x) "
            f"{b256 * 1e3:>15.2f} {b256 / sm256[0]:>6.2f}x ({m256 / sm256[1]:4.2f}x)"
            f" {c256 * 1e3:>11.2f} {c256 / sm256[2]:>6.2f}x"
        )


def _verdict(results: dict, path: str) -> str:
    cpu256 = results[256][path][2] / results[256]["SavedModel"][2]
    best1 = results[1][path][0] / results[1]["SavedModel"][0]
    best256 = results[256][path][0] / results[256]["SavedModel"][0]
    med1 = results[1][path][1] / results[1]["SavedModel"][1]
    med256 = results[256][path][1] / results[256]["SavedModel"][1]
    met = best1 <= TARGET_BATCH_1 and best256 <= TARGET_BATCH_256
    met_median = med1 <= TARGET_BATCH_1 and med256 <= TARGET_BATCH_256
    note = ""
    if met != met_median:
        note = f" (the median rounds {'meet' if met_median else 'miss'} them)"
    return (
        f"{path}: <= {TARGET_BATCH_1:.2f}x SavedModel at batch 1 (best {best1:.2f}x, "
        f"median {med1:.2f}x), <= {TARGET_BATCH_256:.2f}x at batch 256 (best {best256:.2f}x, "
        f"median {med256:.2f}x): {'meets' if met else 'misses'} the targets{note}; "
        f"CPU time per batch of 256 {cpu256:.2f}x the SavedModel's"
    )


JS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "export", "js")
NODE_BACKENDS = {
    "onnxruntime-node": "node",
    "onnxruntime-web wasm, 1 thread": "wasm1",
    "onnxruntime-web wasm, 2 threads": "wasm2",
}
BATCHES = (1, 64, 256)


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    busy = "busy" if one > 0.5 * (os.cpu_count() or 1) else "idle"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs ({busy})"


def _node_rows(model: str, repeats: int) -> dict[str, dict]:
    """{backend: latency.mjs's JSON, or {"error": why}} (each in a fresh Node process)."""
    node = shutil.which("node")
    script = os.path.join(JS_DIR, "bench", "latency.mjs")
    if node is None or not os.path.isdir(os.path.join(JS_DIR, "node_modules")):
        why = "no node" if node is None else "no export/js/node_modules (run npm ci there)"
        return {name: {"error": why} for name in NODE_BACKENDS}
    rows = {}
    for name, backend in NODE_BACKENDS.items():
        cmd = [node, script, model, "--backend", backend, "--repeats", str(repeats)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=JS_DIR)
        if out.returncode:
            rows[name] = {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
        else:
            rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
    return rows


def bench_runtimes(args) -> None:
    """The issue-16 table: every runtime at batch 1, 64 and 256 for two generators."""
    import keras
    import tensorflow as tf

    import kgan
    from kgan.export import export_generator
    from kgan_runtime import OnnxGenerator

    generators = {
        "28x28x1 DCGAN (kgan.networks.dcgan)": lambda: kgan.networks.dcgan(64, (28, 28, 1)),
        "64x64x3 DCGAN (kgan.networks.dcgan64)": kgan.networks.dcgan64,
    }
    for title, build in generators.items():
        keras.utils.set_random_seed(0)
        generator, _ = build()
        _trained_like(generator)
        latent = generator.input_shape[-1]
        with tempfile.TemporaryDirectory() as tmp:
            export_generator(generator, tmp, overwrite=True)
            model = os.path.join(tmp, "generator.onnx")
            signature = tf.saved_model.load(os.path.join(tmp, "saved_model")).signatures[
                "serving_default"
            ]
            runtime = OnnxGenerator(model, threads=args.threads)
            python: dict[int, dict] = {}
            for batch in BATCHES:
                z = kgan.sample_latents(batch, latent, seed=0)
                zt = tf.constant(z)
                repeats = args.repeats if batch == 1 else max(3, args.big_repeats)
                python[batch] = _time_interleaved(
                    {
                        "SavedModel": lambda zt=zt, sig=signature: sig(z=zt),
                        RUNTIME: lambda z=z, rt=runtime: rt(z),
                    },
                    repeats,
                    args.rounds,
                )
            node = _node_rows(model, args.node_repeats)
        print(f"\n{title}; ms per call: best round (median round) for Python, median (best) "
              "for Node; ratio to the SavedModel's best")  # fmt: skip
        print(f"{'runtime':<34}" + "".join(f"{f'batch {b}':>27}" for b in BATCHES))
        for name in ("SavedModel", RUNTIME):
            cells = []
            for batch in BATCHES:
                best, median, _ = python[batch][name]
                ratio = best / python[batch]["SavedModel"][0]
                cells.append(f"{best * 1e3:.2f} ({median * 1e3:.2f}) {ratio:.2f}x")
            print(f"{name:<34}" + "".join(f"{c:>27}" for c in cells))
        for name, row in node.items():
            if "error" in row:
                print(f"{'JS, ' + name:<34} not run: {row['error']}")
                continue
            cells = []
            for batch in BATCHES:
                cell = row["batches"][str(batch)]
                ratio = cell["median_ms"] / 1e3 / python[batch]["SavedModel"][0]
                cells.append(f"{cell['median_ms']:.2f} ({cell['best_ms']:.2f}) {ratio:.2f}x")
            print(f"{'JS, ' + name:<34}" + "".join(f"{c:>27}" for c in cells))
        b1 = python[1][RUNTIME][0] / python[1]["SavedModel"][0]
        b256 = python[256][RUNTIME][0] / python[256]["SavedModel"][0]
        met = b1 <= TARGET_BATCH_1 and b256 <= TARGET_BATCH_256
        print(
            f"kgan-runtime vs SavedModel: batch 1 {b1:.2f}x (target <= {TARGET_BATCH_1}), "
            f"batch 256 {b256:.2f}x (target <= {TARGET_BATCH_256}): "
            f"{'met' if met else 'missed'} on this run"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100, help="calls per round at batch 1")
    parser.add_argument("--big_repeats", type=int, default=5, help="calls per round at batch 256")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per path")
    parser.add_argument("--upsample", nargs="+", default=["transpose", "resize"])
    parser.add_argument("--threads", type=int, default=None, help="ONNX Runtime intra-op threads")
    parser.add_argument(
        "--runtimes",
        action="store_true",
        help="28x28 and 64x64 generators in every runtime (Python, SavedModel, Node: "
        "onnxruntime-node, wasm 1 and 2 threads) at batch 1, 64 and 256",
    )
    parser.add_argument("--node_repeats", type=int, default=20, help="Node calls at batch 1")
    args = parser.parse_args(argv)
    print(f"load average before: {_load_average()}", flush=True)
    if args.runtimes:
        bench_runtimes(args)
        print(f"\nload average after: {_load_average()}")
        return 0

    print(
        f"CPU cores: {os.cpu_count()}; ONNX Runtime threads: {args.threads or 'default'}; "
        f"best (median) of {args.rounds} interleaved rounds"
    )
    for upsample in args.upsample:
        results, facts = bench_variant(upsample, args)
        print(f"\n28x28x1 DCGAN generator, upsample={upsample!r}")
        for name in ("plain", "optimized"):
            ops = facts[name]["ops"]
            heavy = {op: ops.count(op) for op in ("ConvTranspose", "Conv", "DepthToSpace")}
            print(
                f"  {name} ONNX: {len(ops)} nodes {heavy}; parity vs Keras "
                f"{facts[name]['parity']:.1e}"
            )
        for layer, macs in facts["macs"].items():
            print(
                f"  {layer}: multiply-adds per sample: ConvTranspose {macs['transpose']:,}, "
                f"split phases {macs['split_phases']:,}, single conv {macs['single_conv']:,}"
            )
        _print_table(results)
        print(_verdict(results, RUNTIME))
        print(_verdict(results, PLAIN))

    rt_s, rt_mb = _import_cost("import kgan_runtime")
    tf_s, tf_mb = _import_cost("import tensorflow")
    print("\nimport (fresh process, best of 3)   seconds   peak RSS (MiB)")
    print(f"kgan_runtime                        {rt_s:7.2f}   {rt_mb:10.0f}")
    print(f"tensorflow                          {tf_s:7.2f}   {tf_mb:10.0f}")
    print(f"ratio                               {rt_s / tf_s:7.2f}x  {rt_mb / tf_mb:9.2f}x")
    print(f"\nload average after: {_load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
