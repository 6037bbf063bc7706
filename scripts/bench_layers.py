"""kgan's training layers and Adam against Keras's, side by side in one run.

Times one training call (forward + backward, in a `tf.function`) of each Keras
layer and of kgan's replacement on the 28x28 DCGAN's shapes (batch 128), and
one `apply_gradients` of `keras.optimizers.Adam` and `kgan.optimizers.Adam` on
the DCGAN's and the MLP pair's variables, in float32 and under
`mixed_bfloat16`; prints milliseconds (best of `--rounds` rounds, the two
implementations alternating) and the ratio. `scripts/bench_train.py` measures
the whole step.

`--model dcgan64` profiles PyTorch `examples/dcgan`'s 64x64 network
(`kgan.networks.dcgan64()`) instead: every layer of G and D on its own shapes
(batch 128, bias-free convolutions as there), with the number of batches it
runs on in one fresh-noise step (G: 2, D: 3) and its share of the step as
that estimates it (forward + backward each time, so an upper bound for the
generator's extra forward), to say where the step's time goes.

    .venv/bin/python scripts/bench_layers.py
    .venv/bin/python scripts/bench_layers.py --model dcgan64
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def _timer(fn, args, calls: int):
    fn(*args)  # trace and warm up

    def run() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            out = fn(*args)
        [o.numpy() for o in out]
        return (time.perf_counter() - start) / calls * 1e3

    return run


def _layer_case(keras, tf, make, shape, policy):
    """(training call of the Keras layer, of kgan's), on the same weights and input."""
    import numpy as np

    x = tf.constant(np.random.default_rng(0).normal(size=shape).astype("float32"))
    calls = []
    reference = None
    for kgan_layer in (False, True):
        layer = make(kgan_layer, policy)
        layer.build(shape)
        if reference is None:
            reference = layer
        else:
            layer.set_weights(reference.get_weights())

        @tf.function
        def step(x, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.square(tf.cast(layer(x, training=True), "float32")))
            return tape.gradient(loss, [x, *layer.trainable_weights])

        calls.append((step, (x,)))
    return calls


def _apply_fn(tf, opt, variables):
    @tf.function
    def step(grads):
        opt.apply_gradients(zip(grads, variables))
        return [opt.iterations]

    return step


def _adam_case(keras, tf, kgan, model: str, policy):
    """(apply_gradients of keras Adam, of kgan Adam) on a GAN pair's variables."""
    calls = []
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        for adam in (keras.optimizers.Adam, kgan.optimizers.Adam):
            build = kgan.networks.dcgan if model == "dcgan" else kgan.networks.mlp
            g, d = build(64, (28, 28, 1))
            variables = g.trainable_variables + d.trainable_variables
            grads = [tf.ones_like(v) * 1e-3 for v in variables]
            opt = adam(2e-4, beta_1=0.5)
            opt.build(variables)

            calls.append((_apply_fn(tf, opt, variables), (grads,)))
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    return calls


def _policies(precisions: str) -> list[tuple[str, str]]:
    names = {"fp32": "float32", "bf16": "mixed_bfloat16"}
    return [(names[p], p) for p in precisions.split(",")]


def _best(timers, rounds: int) -> list[float]:
    best = [float("inf")] * len(timers)
    for _ in range(rounds):
        for i, timer in enumerate(timers):
            best[i] = min(best[i], timer())
    return best


def _profile_dcgan64(args, keras, tf, bn, conv, conv_t) -> int:
    """Every layer of dcgan64, Keras's and kgan's, and its estimated share of one step."""

    def dense(units):
        return lambda fast, policy: keras.layers.Dense(units, use_bias=False, dtype=policy)

    def act(kind):
        def make(fast, policy):
            if kind == "relu":
                return keras.layers.ReLU(dtype=policy)
            return keras.layers.LeakyReLU(0.2, dtype=policy)

        return make

    n = 128
    g_cases = [
        ("G Dense 100 -> 4x4x512", dense(8192), (n, 100)),
        ("G BatchNorm 4x4x512", bn, (n, 4, 4, 512)),
        ("G Conv2DTranspose 512 -> 256, 4x4 -> 8x8", conv_t(256, False), (n, 4, 4, 512)),
        ("G BatchNorm 8x8x256", bn, (n, 8, 8, 256)),
        ("G Conv2DTranspose 256 -> 128, 8x8 -> 16x16", conv_t(128, False), (n, 8, 8, 256)),
        ("G BatchNorm 16x16x128", bn, (n, 16, 16, 128)),
        ("G Conv2DTranspose 128 -> 64, 16x16 -> 32x32", conv_t(64, False), (n, 16, 16, 128)),
        ("G BatchNorm 32x32x64", bn, (n, 32, 32, 64)),
        ("G ReLU, all four (122,880 values an image)", act("relu"), (n, 122880)),
        ("G Conv2DTranspose 64 -> 3, 32x32 -> 64x64", conv_t(3, False), (n, 32, 32, 64)),
    ]
    d_cases = [
        ("D Conv2D 3 -> 64, 64x64 -> 32x32", conv(64, False), (n, 64, 64, 3)),
        ("D LeakyReLU, all four (122,880 values an image)", act("lrelu"), (n, 122880)),
        ("D Conv2D 64 -> 128, 32x32 -> 16x16", conv(128, False), (n, 32, 32, 64)),
        ("D BatchNorm 16x16x128", bn, (n, 16, 16, 128)),
        ("D Conv2D 128 -> 256, 16x16 -> 8x8", conv(256, False), (n, 16, 16, 128)),
        ("D BatchNorm 8x8x256", bn, (n, 8, 8, 256)),
        ("D Conv2D 256 -> 512, 8x8 -> 4x4", conv(512, False), (n, 8, 8, 256)),
        ("D BatchNorm 4x4x512", bn, (n, 4, 4, 512)),
        ("D Dense 4x4x512 -> 1", dense(1), (n, 8192)),
    ]
    print(
        f"dcgan64, batch {n}; {args.threads or os.cpu_count()} threads; best of {args.rounds} "
        f"rounds of {args.calls} calls; ms per forward + backward call; 'x' is the batches a "
        "layer runs on in one fresh-noise step (G: one forward for D's update, one forward + "
        "backward for its own; D: real and fake for its update, fake for G's); 'share' is "
        "kgan ms x batches over the sum of those for all layers\n"
    )
    print("| layer | precision | Keras | kgan | Keras / kgan | x | kgan share |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for policy, name in _policies(args.precisions):
        rows = []
        for label, make, shape in g_cases + d_cases:
            calls = _layer_case(keras, tf, make, shape, policy)
            best = _best([_timer(fn, fn_args, args.calls) for fn, fn_args in calls], args.rounds)
            rows.append((label, best, 2 if label.startswith("G") else 3))
        total = sum(best[1] * times for _, best, times in rows)
        for label, best, times in rows:
            share = best[1] * times / total
            print(
                f"| {label} | {name} | {best[0]:.2f} | {best[1]:.2f} | "
                f"{best[0] / best[1]:.2f}x | {times} | {share:.0%} |"
            )
        print(f"| sum (ms per step, estimated) | {name} | | {total:.0f} | | | |")
        sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=30, help="calls per timed sample")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (0: default)")
    parser.add_argument("--model", choices=("dcgan", "dcgan64"), default="dcgan")
    parser.add_argument("--precisions", default="fp32,bf16")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    import kgan
    from kgan.networks import layers as kl

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)

    def bn(fast, policy):
        return (kl if fast else keras.layers).BatchNormalization(dtype=policy)

    def conv(filters, use_bias=True):
        return lambda fast, policy: (kl if fast else keras.layers).Conv2D(
            filters, 4, strides=2, padding="same", use_bias=use_bias, dtype=policy
        )

    def conv_t(filters, use_bias=True):
        return lambda fast, policy: (kl if fast else keras.layers).Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=use_bias, dtype=policy
        )

    if args.model == "dcgan64":
        return _profile_dcgan64(args, keras, tf, bn, conv, conv_t)

    layer_cases = [
        ("BatchNormalization (128, 6272)", bn, (128, 6272)),
        ("BatchNormalization (128, 14, 14, 64)", bn, (128, 14, 14, 64)),
        ("Conv2D 64 -> 128, 14x14 -> 7x7", conv(128), (128, 14, 14, 64)),
        ("Conv2D 1 -> 64, 28x28 -> 14x14", conv(64), (128, 28, 28, 1)),
        ("Conv2DTranspose 128 -> 64, 7x7 -> 14x14", conv_t(64), (128, 7, 7, 128)),
        ("Conv2DTranspose 64 -> 1, 14x14 -> 28x28", conv_t(1), (128, 14, 14, 64)),
    ]
    print(
        f"batch 128; {args.threads or os.cpu_count()} threads; best of {args.rounds} rounds "
        f"of {args.calls} calls; ms per call (forward + backward for layers)\n"
    )
    print("| what | precision | Keras | kgan | Keras / kgan |")
    print("|---|---|---:|---:|---:|")
    for policy, name in _policies(args.precisions):
        cases = [
            (label, _layer_case(keras, tf, make, shape, policy))
            for label, make, shape in layer_cases
        ]
        cases += [
            (f"Adam.apply_gradients, {model} pair", _adam_case(keras, tf, kgan, model, policy))
            for model in ("dcgan", "mlp")
        ]
        for label, calls in cases:
            best = _best([_timer(fn, fn_args, args.calls) for fn, fn_args in calls], args.rounds)
            print(
                f"| {label} | {name} | {best[0]:.2f} | {best[1]:.2f} | {best[0] / best[1]:.2f}x |"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
