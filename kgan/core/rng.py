"""Random draws for the training step that are identical with and without XLA.

TensorFlow's stateless Philox gives different numbers inside XLA clusters
than in its plain CPU/GPU kernels (for the same seed and algorithm), so a
`jit_compile=True` step would not reproduce the plain step. These draws use a
counter-based integer hash (Wellons' "lowbias32") and the Box-Muller
transform, built from plain integer and float ops that every backend
compiles to the same numbers (up to the last ulp of `log`/`cos`).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

_MASK = 0xFFFFFFFF


def _hash(x):
    """lowbias32: a 32-bit integer hash with good avalanche, on uint32 tensors."""
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))
    x = x * tf.constant(0x7FEB352D, tf.uint32)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 15))
    x = x * tf.constant(0x846CA68B, tf.uint32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))


def _bits(shape, seed_generator: keras.random.SeedGenerator, streams: int):
    """`streams` independent uint32 tensors of `shape` from the next seed."""
    seed = tf.cast(tf.bitwise.bitwise_and(seed_generator.next(), _MASK), tf.uint32)
    size = tf.reduce_prod(tf.cast(shape, tf.int32))
    counter = tf.cast(tf.range(size * streams), tf.uint32)
    key = _hash(
        tf.bitwise.bitwise_xor(seed[0], _hash(seed[1] + tf.constant(0x9E3779B9, tf.uint32)))
    )
    bits = _hash(_hash(counter ^ key) + key)
    return [tf.reshape(b, shape) for b in tf.split(bits, streams)]


def _to_unit(bits):
    """uint32 -> float32 in (0, 1], from the top 24 bits."""
    top = tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32)
    return (top + 1.0) * (1.0 / 16777216.0)


def normal(shape, seed_generator: keras.random.SeedGenerator, dtype: str = "float32"):
    """A standard-normal draw of `shape`, reproducible under XLA and plain TF."""
    b1, b2 = _bits(shape, seed_generator, 2)
    radius = tf.sqrt(-2.0 * tf.math.log(_to_unit(b1)))
    return tf.cast(radius * tf.cos((2.0 * math.pi) * _to_unit(b2)), dtype)


def uniform(shape, seed_generator: keras.random.SeedGenerator, dtype: str = "float32"):
    """A U(0, 1] draw of `shape`, reproducible under XLA and plain TF."""
    (bits,) = _bits(shape, seed_generator, 1)
    return tf.cast(_to_unit(bits), dtype)
