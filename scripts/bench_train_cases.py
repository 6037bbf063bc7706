"""The worker side of scripts/bench_train.py: the cases each runtime builds, warms up and times.

One worker process per runtime (TensorFlow, PyTorch) runs `serve`, which answers
the driver's JSON requests (`prepare`, `time`, `peak`, `rss`) one line each,
prefixed with `REPLY`. `_KerasCase` is the kgan / plain-Keras update,
`_TorchCase` the PyTorch DCGAN example's; the networks are those of
scripts/bench_train_models.py. Kept apart from the driver (bench_train.py: case
list, scheduling, tables) so each file stays small; the driver starts a worker
as `bench_train.py --_serve RUNTIME OPTIONS`, which calls `serve`.

Example (a TensorFlow worker asked for its peak resident memory, by hand):

    echo '{"cmd": "rss"}' | python scripts/bench_train.py --_serve tf \\
        '{"device": "cpu", "threads": 2, "inter_op": 0}'
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

from bench_train_models import MODELS as MODEL_SHAPES
from bench_train_models import keras_pair, torch_pair

BATCH = 128
REPLY = "@@bench "
"""Prefix of the workers' reply lines (anything else on stdout is ignored)."""


# ------------------------------------------------------------ shared by workers


def _images(n: int, model: str, seed: int = 0):
    """uint8 (n, H, W, C) images: smooth random blobs (content does not change speed)."""
    import numpy as np

    h, w, c = MODEL_SHAPES[model]["image"]
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(n, h // 4, w // 4, c)).astype(np.float32)
    return np.repeat(np.repeat(coarse, 4, axis=1), 4, axis=2).astype(np.uint8)


class _Case:
    """A built, warmed-up case that can time itself."""

    def run(self, epochs: int) -> None:
        raise NotImplementedError

    def timed(self, epochs: int) -> float:
        start = time.perf_counter()
        self.run(epochs)
        return time.perf_counter() - start


# ------------------------------------------------------------ TensorFlow side


def _tf_setup(options: dict) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if options["device"] == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import tensorflow as tf

    if options["threads"]:
        tf.config.threading.set_intra_op_parallelism_threads(options["threads"])
    if options["inter_op"]:
        tf.config.threading.set_inter_op_parallelism_threads(options["inter_op"])


def _keras_two_tape_class():
    import keras
    import tensorflow as tf
    from keras import ops

    class TwoTapeGAN(keras.Model):
        """The keras.io DCGAN tutorial's train_step (fresh) and its reuse-fake twin."""

        def __init__(self, generator, discriminator, reuse_fake: bool):
            super().__init__()
            self.generator = generator
            self.discriminator = discriminator
            self.reuse_fake = reuse_fake
            self.seed_generator = keras.random.SeedGenerator(0)
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def compile(self, d_optimizer, g_optimizer, **kwargs):
            super().compile(**kwargs)
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real_images):
            batch_size = ops.shape(real_images)[0]
            latent = self.generator.input_shape[-1]
            z = keras.random.normal((batch_size, latent), seed=self.seed_generator)
            labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], 0)
            misleading = ops.ones((batch_size, 1))
            d_vars = self.discriminator.trainable_weights
            g_vars = self.generator.trainable_weights
            if self.reuse_fake:
                with tf.GradientTape() as g_tape:
                    fake = self.generator(z, training=True)
                    with tf.GradientTape() as d_tape:
                        both = ops.concatenate([real_images, ops.stop_gradient(fake)], 0)
                        d_loss = self.loss_fn(labels, self.discriminator(both, training=True))
                    grads = d_tape.gradient(d_loss, d_vars)
                    self.d_optimizer.apply_gradients(zip(grads, d_vars))
                    g_loss = self.loss_fn(misleading, self.discriminator(fake, training=True))
                self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
            else:
                fake = self.generator(z, training=True)
                both = ops.concatenate([real_images, fake], 0)
                with tf.GradientTape() as tape:
                    d_loss = self.loss_fn(labels, self.discriminator(both, training=True))
                self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
                z = keras.random.normal((batch_size, latent), seed=self.seed_generator)
                with tf.GradientTape() as tape:
                    fake = self.generator(z, training=True)
                    g_loss = self.loss_fn(misleading, self.discriminator(fake, training=True))
                self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
            self.d_loss_metric.update_state(d_loss)
            self.g_loss_metric.update_state(g_loss)
            return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

    return TwoTapeGAN


class _KerasCase(_Case):
    """kgan.GAN.fit, the plain two-tape Keras model, or GAN.train_step without fit."""

    def __init__(self, case: dict, options: dict):
        import keras

        import kgan

        keras.mixed_precision.set_dtype_policy(
            "mixed_bfloat16" if case["precision"] == "bf16" else "float32"
        )
        try:
            keras.utils.set_random_seed(0)
            generator, discriminator = keras_pair(case["model"])
            self.dataset = kgan.data.from_arrays(
                _images(BATCH * options["steps"], case["model"]), batch_size=BATCH, seed=0
            )
            if options["raw_pipeline"]:
                self.dataset = kgan.data.prepare_dataset(self.dataset, autotune=True)
            reuse = case["variant"] == "reuse"
            kgan_case = case["framework"] in ("kgan", "kgan_xla", "kgan_step")
            adam = kgan.optimizers.Adam if kgan_case else keras.optimizers.Adam
            optimizers = [adam(2e-4, beta_1=0.5) for _ in range(2)]
            compile_options = {
                "jit_compile": options["xla"] or case["framework"] == "kgan_xla",
                "steps_per_execution": options["steps_per_execution"],
            }
            if kgan_case:
                self.model = kgan.GAN(generator, discriminator, seed=0, reuse_fake=reuse)
            else:
                self.model = _keras_two_tape_class()(generator, discriminator, reuse)
            self.model.compile(*optimizers, **compile_options)
        finally:
            keras.mixed_precision.set_dtype_policy("float32")
        self.direct = case["framework"] == "kgan_step"
        if self.direct:
            import tensorflow as tf

            self.step = tf.function(self.model.train_step, jit_compile=options["xla"])
            self.batches = list(self.dataset)

    def run(self, epochs: int) -> None:
        if not self.direct:
            self.model.fit(self.dataset, epochs=epochs, verbose=0)
            return
        for _ in range(epochs):
            for batch in self.batches:
                logs = self.step(batch)
        float(logs["d_loss"])


_PEAK_SIZES = (1024, 2048)  # small enough that the peaks take seconds on a busy machine


def _tf_peak(options: dict) -> dict:
    """GFLOP/s of large matmuls in TensorFlow, fp32 and bf16."""
    import tensorflow as tf

    result = {}
    for name, dtype in (("fp32", tf.float32), ("bf16", tf.bfloat16)):
        best = 0.0
        for n in _PEAK_SIZES:
            a = tf.cast(tf.random.normal((n, n)), dtype)
            matmul = tf.function(lambda x: tf.matmul(x, x))
            matmul(a).numpy()
            for _ in range(2):
                start = time.perf_counter()
                for _ in range(4):
                    out = matmul(a)
                out.numpy()
                best = max(best, 4 * 2 * n**3 / (time.perf_counter() - start) / 1e9)
        result[name] = best
    for name, dtype in (("conv_fp32", tf.float32), ("conv_bf16", tf.bfloat16)):
        x = tf.cast(tf.random.normal(_CONV_PEAK["input"]), dtype)
        kernel = tf.cast(tf.random.normal(_CONV_PEAK["kernel"]), dtype)
        conv = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
        conv(x, kernel).numpy()
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            conv(x, kernel).numpy()
            best = max(best, _CONV_PEAK["flops"] / (time.perf_counter() - start) / 1e9)
        result[name] = best
    return result


# A 3x3 stride-1 convolution, 128 -> 128 channels on 32x32 maps, batch 32: the "peak" of
# convolutions (large, dense, what oneDNN and PyTorch's kernels are tuned for).
_CONV_PEAK = {
    "input": (32, 32, 32, 128),
    "kernel": (3, 3, 128, 128),
    "flops": 2.0 * 32 * 32 * 32 * 128 * 128 * 9,
}


# --------------------------------------------------------------- PyTorch side


class _TorchCase(_Case):
    def __init__(self, case: dict, options: dict):
        import torch
        from torch import nn

        torch.manual_seed(0)
        generator, discriminator = torch_pair(case["model"])
        self.generator, self.discriminator = generator, discriminator
        self.opt_d = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
        if case["framework"] == "torch_compile":  # inductor; compiled during the warm-up
            self.generator = torch.compile(generator)
            self.discriminator = torch.compile(discriminator)
        self.criterion = nn.BCEWithLogitsLoss()
        images = _images(BATCH * options["steps"], case["model"])
        images = torch.from_numpy(images).permute(0, 3, 1, 2)
        self.images = (images.float() / 127.5 - 1.0).contiguous()
        self.ones, self.zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
        self.latent = MODEL_SHAPES[case["model"]]["latent"]
        self.bf16 = case["precision"] == "bf16"
        self.reuse = case["variant"] == "reuse"
        self.steps = options["steps"]

    def step(self, real):
        # The PyTorch DCGAN example: D on real, D on fake.detach(), then G.
        import torch

        def autocast():
            return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)

        generator, discriminator, criterion = self.generator, self.discriminator, self.criterion
        discriminator.zero_grad(set_to_none=True)
        with autocast():
            d_real = criterion(discriminator(real).float(), self.ones)
        d_real.backward()
        with autocast():
            fake = generator(torch.randn(BATCH, self.latent))
            d_fake = criterion(discriminator(fake.detach()).float(), self.zeros)
        d_fake.backward()
        self.opt_d.step()
        generator.zero_grad(set_to_none=True)
        if not self.reuse:
            with autocast():
                fake = generator(torch.randn(BATCH, self.latent))
        with autocast():
            g_loss = criterion(discriminator(fake).float(), self.ones)
        g_loss.backward()
        self.opt_g.step()
        return d_real.item() + d_fake.item(), g_loss.item()

    def run(self, epochs: int) -> None:
        import torch

        for _ in range(epochs):
            order = torch.randperm(len(self.images))
            for i in range(self.steps):
                self.step(self.images[order[i * BATCH : (i + 1) * BATCH]])


def _torch_setup(options: dict) -> None:
    import torch

    torch.set_num_threads(options["threads"] or os.cpu_count())
    torch.set_num_interop_threads(1)


def _torch_peak(options: dict) -> dict:
    import torch

    result = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        best = 0.0
        for n in _PEAK_SIZES:
            a = torch.randn(n, n).to(dtype)
            a @ a
            for _ in range(2):
                start = time.perf_counter()
                for _ in range(4):
                    a @ a
                best = max(best, 4 * 2 * n**3 / (time.perf_counter() - start) / 1e9)
        result[name] = best
    n, h, w, c = _CONV_PEAK["input"]
    for name, dtype in (("conv_fp32", torch.float32), ("conv_bf16", torch.bfloat16)):
        x = torch.randn(n, c, h, w).to(dtype).contiguous(memory_format=torch.channels_last)
        conv = torch.nn.Conv2d(c, _CONV_PEAK["kernel"][3], 3, padding=1, bias=False).to(dtype)
        best = 0.0
        with torch.no_grad():
            conv(x)
            for _ in range(3):
                start = time.perf_counter()
                conv(x)
                best = max(best, _CONV_PEAK["flops"] / (time.perf_counter() - start) / 1e9)
        result[name] = best
    return result


# ------------------------------------------------------------------- workers


def serve(runtime: str, options: dict) -> None:
    """Answers the driver's requests, one JSON line each, until stdin closes."""
    if runtime == "torch":
        _torch_setup(options)
        make, peak = _TorchCase, _torch_peak
    else:
        _tf_setup(options)
        make, peak = _KerasCase, _tf_peak
    cases: dict[str, tuple[_Case, int]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "peak":
            reply = peak(options)
        elif request["cmd"] == "rss":  # peak resident memory of this process so far
            import resource

            reply = {"max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        elif request["cmd"] == "prepare":
            start = time.perf_counter()
            case = make(request["case"], options)
            case.run(1)  # traces, builds, warms up
            warmup = time.perf_counter() - start
            epoch = case.timed(1)
            epochs = max(1, math.ceil(options["seconds"] / epoch))
            cases[request["key"]] = (case, epochs)
            reply = {"warmup_s": warmup, "epochs": epochs}
        else:
            case, epochs = cases[request["key"]]
            seconds = case.timed(epochs)
            reply = {"img_s": epochs * options["steps"] * BATCH / seconds, "seconds": seconds}
        print(REPLY + json.dumps(reply), flush=True)
