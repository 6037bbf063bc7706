"""kgan's training layers and Adam against Keras's, side by side in one run.

Times one training call (forward + backward, in a `tf.function`) of each Keras
layer and of kgan's replacement on the 28x28 DCGAN's shapes (batch 128), and
one `apply_gradients` of `keras.optimizers.Adam` and `kgan.optimizers.Adam` on
the DCGAN's and the MLP pair's variables, in float32 and under
`mixed_bfloat16`; prints milliseconds (best of `--rounds` rounds, the two
implementations alternating) and the ratio. `scripts/bench_train.py` measures
the whole step.

    .venv/bin/python scripts/bench_layers.py
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=30, help="calls per timed sample")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (0: default)")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    import kgan
    from kgan.networks import layers as kl

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)

    def bn(fast, policy):
        return (kl if fast else keras.layers).BatchNormalization(dtype=policy)

    def conv(filters):
        return lambda fast, policy: (kl if fast else keras.layers).Conv2D(
            filters, 4, strides=2, padding="same", dtype=policy
        )

    def conv_t(filters):
        return lambda fast, policy: (kl if fast else keras.layers).Conv2DTranspose(
            filters, 4, strides=2, padding="same", dtype=policy
        )

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
    for policy, name in (("float32", "fp32"), ("mixed_bfloat16", "bf16")):
        cases = [
            (label, _layer_case(keras, tf, make, shape, policy))
            for label, make, shape in layer_cases
        ]
        cases += [
            (f"Adam.apply_gradients, {model} pair", _adam_case(keras, tf, kgan, model, policy))
            for model in ("dcgan", "mlp")
        ]
        for label, calls in cases:
            timers = [_timer(fn, fn_args, args.calls) for fn, fn_args in calls]
            best = [float("inf"), float("inf")]
            for _ in range(args.rounds):
                for i, timer in enumerate(timers):
                    best[i] = min(best[i], timer())
            print(
                f"| {label} | {name} | {best[0]:.2f} | {best[1]:.2f} | {best[0] / best[1]:.2f}x |"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
