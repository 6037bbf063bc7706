"""Builders of (generator, discriminator) pairs as functional `keras.Model`s.

Every builder returns two models:

- the generator maps latents `z` of shape `(batch, latent_dim)` (and, when
  `num_classes` is given, int labels of shape `(batch,)`) to samples;
- the discriminator maps samples (and labels) to one float32 *logit* per
  sample, shape `(batch, 1)`.

Generators end in float32 (`tanh` for images in [-1, 1]), and discriminators
produce float32 logits, so both are safe under mixed precision.

Example:
    >>> g, d = dcgan(latent_dim=32, image_shape=(28, 28, 1))
    >>> g.output_shape, d.output_shape
    ((None, 28, 28, 1), (None, 1))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from kgan import rules
from kgan.networks.layers import BatchNormalization, Conv2D, Conv2DTranspose, Maxout

DCGAN_SIZES = (8, 16, 28, 32, 64)
UPSAMPLE_MODES = rules.UPSAMPLE_MODES


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")


def _check_num_classes(num_classes: int | None) -> None:
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
        raise ValueError(f"num_classes must be None or an integer >= 2; got {num_classes!r}.")


def _generator_inputs(latent_dim: int, num_classes: int | None, embed_dim: int):
    """Returns (model inputs, the tensor the generator body starts from)."""
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return z, z
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, embed_dim, name="label_embedding")(labels)
    return [z, labels], layers.Concatenate(name="z_and_label")([z, embedded])


def _projection_head(features, labels, num_classes: int | None, spectral_norm: bool):
    """Logit = w.h + b (+ <embed(y), h> for the projection discriminator)."""
    logit = _maybe_sn(layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(features)
    if num_classes is None:
        return logit
    # Projection discriminator (Miyato & Koyama, 2018): adds <embed(y), h>.
    embedded = layers.Embedding(num_classes, features.shape[-1], name="class_projection")(labels)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, features])
    return layers.Add(dtype="float32", name="logits")([logit, projection])


def _maybe_sn(layer: layers.Layer, spectral_norm: bool) -> layers.Layer:
    return layers.SpectralNormalization(layer, name=f"sn_{layer.name}") if spectral_norm else layer


def _discriminator_inputs(sample_shape: Sequence[int], num_classes: int | None):
    x = keras.Input(tuple(sample_shape), name="samples")
    if num_classes is None:
        return x, x, None
    labels = keras.Input((), dtype="int32", name="labels")
    return [x, labels], x, labels


def mlp(
    latent_dim: int,
    sample_shape: Sequence[int],
    *,
    generator_units: Sequence[int] = (256, 256),
    discriminator_units: Sequence[int] = (128, 128),
    maxout_pieces: int = 5,
    dropout: float = 0.2,
    output_activation: str | None = "auto",
    num_classes: int | None = None,
    spectral_norm: bool = False,
) -> tuple[keras.Model, keras.Model]:
    """The multilayer-perceptron pair of Goodfellow et al. (2014).

    The generator has ReLU hidden layers; the discriminator has maxout hidden
    units (Goodfellow et al., 2013) with dropout, and outputs a logit.

    Args:
        latent_dim: size of the latent vector z.
        sample_shape: shape of one sample, e.g. `(2,)` for 2-D points or
            `(8, 8, 1)` for small images.
        generator_units: widths of the generator's ReLU hidden layers.
        discriminator_units: number of maxout units in each hidden layer.
        maxout_pieces: linear pieces per maxout unit.
        dropout: dropout rate after each maxout layer (0 disables it).
        output_activation: the generator's output activation; "auto" is
            `tanh` for images (rank-3 samples, in [-1, 1]) and linear otherwise.
        num_classes: makes a conditional pair (label embedding in G,
            projection in D) when given.
        spectral_norm: wraps the discriminator's dense layers in
            `keras.layers.SpectralNormalization`.

    Returns:
        `(generator, discriminator)`.

    Example:
        >>> g, d = mlp(latent_dim=8, sample_shape=(2,))
        >>> g.output_shape
        (None, 2)
    """
    _check_positive(latent_dim=latent_dim, maxout_pieces=maxout_pieces)
    _check_num_classes(num_classes)
    sample_shape = tuple(int(s) for s in sample_shape)
    if not sample_shape or min(sample_shape) < 1:
        raise ValueError(f"sample_shape must be non-empty and positive; got {sample_shape!r}.")
    if output_activation == "auto":
        output_activation = "tanh" if len(sample_shape) == 3 else None
    rules.DROPOUT.check("dropout", dropout)

    inputs, h = _generator_inputs(latent_dim, num_classes, embed_dim=min(latent_dim, 32))
    for i, units in enumerate(generator_units):
        h = layers.Dense(units, activation="relu", name=f"dense_{i}")(h)
    h = layers.Dense(math.prod(sample_shape), name="out")(h)
    h = layers.Activation(output_activation or "linear", dtype="float32", name="out_act")(h)
    out = layers.Reshape(sample_shape, dtype="float32", name="samples")(h)
    generator = keras.Model(inputs, out, name="mlp_generator")

    inputs, x, labels = _discriminator_inputs(sample_shape, num_classes)
    h = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(discriminator_units):
        h = Maxout(units, maxout_pieces, name=f"maxout_{i}")(h)
        if dropout:
            h = layers.Dropout(dropout, name=f"dropout_{i}")(h)
    logits = _projection_head(h, labels, num_classes, spectral_norm)
    discriminator = keras.Model(inputs, logits, name="mlp_discriminator")
    return generator, discriminator


def dcgan(
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    width: int = 64,
    d_width: int | None = None,
    dropout: float = 0.0,
    upsample: str = "transpose",
    refine: bool = False,
    num_classes: int | None = None,
    spectral_norm: bool = False,
) -> tuple[keras.Model, keras.Model]:
    """A DCGAN pair (Radford et al., 2016) for square images (H, H, C).

    Generator: dense projection to an `H/2^n x H/2^n` map, then `n` stride-2
    upsamplings (transposed convolutions, or nearest resize + convolution with
    `upsample="resize"`), batch norm and ReLU, `tanh` output; with `refine=True`
    the last upsampling gives `width // 2` channels (batch norm, ReLU) and a 3x3
    convolution at full resolution maps them to the image. `n` is 2 for
    H <= 32 and 4 for H = 64. Discriminator: `n` stride-2 convolutions with
    leaky ReLU, then a dense logit.

    Args:
        latent_dim: size of the latent vector z.
        image_shape: `(H, W, C)` with H = W in {8, 16, 28, 32, 64}.
        width: channels of the generator's last hidden feature map and (unless
            `d_width` is given) of the discriminator's first layer; the others double
            from there.
        d_width: channels of the discriminator's first layer, when it should differ
            from the generator's `width`.
        dropout: dropout before the discriminator's logit.
        upsample: "transpose" or "resize".
        refine: adds that full-resolution convolution (for 28x28 images, a
            third generator convolution). On issue 15's MNIST protocol it was the
            best generator tried, with `upsample="resize"` and the
            least-squares loss (README, "kgan's defaults against the keras.io
            tutorial GAN").
        num_classes: makes a conditional pair (label embedding in G,
            projection in D) when given.
        spectral_norm: wraps the discriminator's layers in
            `keras.layers.SpectralNormalization` (SNGAN).

    Returns:
        `(generator, discriminator)`.

    Example:
        >>> g, d = dcgan(latent_dim=16, image_shape=(8, 8, 1), width=16)
        >>> g.output_shape
        (None, 8, 8, 1)
    """
    d_width = width if d_width is None else d_width
    _check_positive(latent_dim=latent_dim, width=width, d_width=d_width)
    _check_num_classes(num_classes)
    image_shape = tuple(int(s) for s in image_shape)
    if (
        len(image_shape) != 3
        or image_shape[0] != image_shape[1]
        or image_shape[0] not in DCGAN_SIZES
    ):
        raise ValueError(
            f"image_shape must be (H, H, C) with H in {DCGAN_SIZES}; got {image_shape!r}."
        )
    if upsample not in UPSAMPLE_MODES:
        raise ValueError(f"Unknown upsample={upsample!r}. Expected one of {list(UPSAMPLE_MODES)}.")
    if not isinstance(refine, bool):
        raise ValueError(f"refine must be True or False; got {refine!r}.")
    rules.DROPOUT.check("dropout", dropout)
    size, _, channels = image_shape
    n_up = 2 if size <= 32 else 4
    start = size // 2**n_up
    widths = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. [128, 64]

    inputs, h = _generator_inputs(latent_dim, num_classes, embed_dim=min(latent_dim, 32))
    h = layers.Dense(start * start * widths[0], use_bias=False, name="project")(h)
    h = BatchNormalization(name="project_bn")(h)
    h = layers.ReLU(name="project_relu")(h)
    h = layers.Reshape((start, start, widths[0]), name="reshape")(h)
    for i in range(n_up):
        last = i == n_up - 1 and not refine
        if i < n_up - 1:
            filters = widths[i + 1]
        else:
            filters = channels if last else max(width // 2, 1)
        if upsample == "transpose":
            conv = Conv2DTranspose(
                filters, 4, strides=2, padding="same", use_bias=last, name=f"up_{i}"
            )
            h = conv(h)
        else:
            h = layers.UpSampling2D(2, interpolation="nearest", name=f"resize_{i}")(h)
            h = Conv2D(filters, 3, padding="same", use_bias=last, name=f"up_{i}")(h)
        if not last:
            h = BatchNormalization(name=f"up_{i}_bn")(h)
            h = layers.ReLU(name=f"up_{i}_relu")(h)
    if refine:
        h = Conv2D(channels, 3, padding="same", name="refine")(h)
    out = layers.Activation("tanh", dtype="float32", name="samples")(h)
    generator = keras.Model(inputs, out, name="dcgan_generator")

    inputs, x, labels = _discriminator_inputs(image_shape, num_classes)
    h = x
    for i in range(n_up):
        conv = Conv2D(d_width * 2**i, 4, strides=2, padding="same", name=f"down_{i}")
        h = _maybe_sn(conv, spectral_norm)(h)
        h = layers.LeakyReLU(0.2, name=f"down_{i}_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    if dropout:
        h = layers.Dropout(dropout, name="dropout")(h)
    logits = _projection_head(h, labels, num_classes, spectral_norm)
    discriminator = keras.Model(inputs, logits, name="dcgan_discriminator")
    return generator, discriminator


def dcgan64(
    latent_dim: int = 100, channels: int = 3, *, width: int = 64
) -> tuple[keras.Model, keras.Model]:
    """The 64x64 DCGAN of Radford et al. (2016) exactly as PyTorch's `examples/dcgan` builds it.

    Generator (`ngf = width`): `z` -> 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 ->
    `channels`x64x64, each step a 4x4 transposed convolution without bias (the first a
    stride-1 "valid" one from 1x1, written as the equivalent bias-free dense projection
    reshaped to 4x4, then stride 2), batch norm per channel and ReLU; `tanh` output.
    Discriminator (`ndf = width`): 4x4 stride-2 convolutions without bias 64 -> 128 -> 256
    -> 512 channels, batch norm on all but the first, LeakyReLU(0.2), and a 4x4 "valid"
    convolution to one logit (the equivalent bias-free dense layer on the flattened 4x4 map;
    no sigmoid: kgan's losses take logits). Weights start as the example's `weights_init`
    does: kernels N(0, 0.02), batch-norm scales N(1, 0.02), offsets 0.

    With `latent_dim=100, channels=3, width=64` the trainable weights number exactly
    PyTorch's parameters: 3,576,704 in G and 2,765,568 in D. Batch norm keeps Keras's
    epsilon (1e-3) and momentum: TensorFlow's fused kernel needs epsilon > 1e-5, PyTorch's
    default (scripts/bench_train.py builds the PyTorch twin with the same values).

    Args:
        latent_dim: size of `z` (the example's `nz`).
        channels: image channels (`nc`).
        width: `ngf` = `ndf`: the widths are 8, 4, 2 and 1 times it.

    Returns:
        `(generator, discriminator)`, built from kgan's fast layers (`kgan.layers`).

    Example:
        >>> g, d = dcgan64()
        >>> g.output_shape, d.output_shape
        ((None, 64, 64, 3), (None, 1))
    """
    _check_positive(latent_dim=latent_dim, channels=channels, width=width)
    init = keras.initializers.RandomNormal(0.0, 0.02, seed=None)

    def norm(name: str) -> BatchNormalization:
        return BatchNormalization(
            gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name
        )

    widths = [width * 8, width * 4, width * 2, width]
    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense(16 * widths[0], use_bias=False, kernel_initializer=init, name="project")(z)
    h = layers.Reshape((4, 4, widths[0]), name="reshape")(h)
    h = layers.ReLU(name="project_relu")(norm("project_bn")(h))
    for i, filters in enumerate([*widths[1:], channels]):
        h = Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init,
            name=f"up_{i}",
        )(h)  # fmt: skip
        if i < 3:
            h = layers.ReLU(name=f"up_{i}_relu")(norm(f"up_{i}_bn")(h))
    out = layers.Activation("tanh", dtype="float32", name="samples")(h)
    generator = keras.Model(z, out, name="dcgan64_generator")

    x = keras.Input((64, 64, channels), name="samples")
    h = x
    for i, filters in enumerate(reversed(widths)):
        h = Conv2D(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init,
            name=f"down_{i}",
        )(h)  # fmt: skip
        if i > 0:
            h = norm(f"down_{i}_bn")(h)
        h = layers.LeakyReLU(0.2, name=f"down_{i}_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    logits = layers.Dense(
        1, use_bias=False, kernel_initializer=init, dtype="float32", name="logit"
    )(h)
    discriminator = keras.Model(x, logits, name="dcgan64_discriminator")
    return generator, discriminator


SMALL_DCGAN_SIZES = (8, 16, 28, 32)


def small_dcgan(
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    width: int = 8,
    d_width: int | None = None,
    dropout: float = 0.0,
    num_classes: int | None = None,
    spectral_norm: bool = False,
) -> tuple[keras.Model, keras.Model]:
    """The small DCGAN pair of the Unrolled-GAN paper's Stacked MNIST test (Metz et al., 2017).

    Their appendix's networks, as PacGAN's `stacked_MNIST_experiments` code
    builds them: the generator projects z to a 4x4 map of `8 * width`
    channels, then upsamples through `4 * width`, `2 * width` and `width`
    channels (7x7, 14x14, 28x28 for H = 28: the first step is a 4x4 transposed
    convolution without stride, 4 -> 7; the others 3x3, stride 2), with batch
    norm and ReLU, and ends in a 3x3 convolution to C channels and `tanh`.
    The discriminator is three 3x3 stride-2 convolutions of `d_width`,
    `2 * d_width` and `4 * d_width` channels, each with batch norm and leaky
    ReLU (slope 0.3), then a dense logit. With the defaults (width 8: G
    64/32/16/8; d_width 2: D 2/4/8) the discriminator is the paper's "1/4 of
    the generator"; d_width 4 is its "1/2".

    Args:
        latent_dim: size of z (the paper's is 256).
        image_shape: `(H, H, C)` with H in {8, 16, 28, 32} (8 and 16: fewer upsamplings).
        width: channels of the generator's last hidden map.
        d_width: channels of the discriminator's first convolution (default
            `width // 4`, at least 1).
        dropout: dropout before the discriminator's logit.
        num_classes: makes a conditional pair (label embedding in G,
            projection in D) when given.
        spectral_norm: wraps the discriminator's layers in spectral normalization.

    Returns:
        `(generator, discriminator)`.

    Example:
        >>> g, d = small_dcgan(latent_dim=16, image_shape=(28, 28, 3))
        >>> g.output_shape, d.output_shape
        ((None, 28, 28, 3), (None, 1))
    """
    d_width = max(width // 4, 1) if d_width is None else d_width
    _check_positive(latent_dim=latent_dim, width=width, d_width=d_width)
    _check_num_classes(num_classes)
    image_shape = tuple(int(s) for s in image_shape)
    if (
        len(image_shape) != 3
        or image_shape[0] != image_shape[1]
        or image_shape[0] not in SMALL_DCGAN_SIZES
    ):
        raise ValueError(
            f"image_shape must be (H, H, C) with H in {SMALL_DCGAN_SIZES}; got {image_shape!r}."
        )
    rules.DROPOUT.check("dropout", dropout)
    size, _, channels = image_shape

    halving = {"kernel_size": 3, "strides": 2, "padding": "same"}
    # 4x4 up to H: 4 -> 7 -> 14 -> 28 (a 4x4 "valid" step first), else doubling 4 -> 8 -> ... H.
    count = 3 if size == 28 else int(math.log2(size // 4))
    widths = [width * 2 ** (count - 1 - i) for i in range(count)]
    kinds = [halving] * count
    if size == 28:
        kinds[0] = {"kernel_size": 4, "strides": 1, "padding": "valid"}
    steps = list(zip(widths, kinds, strict=True))
    inputs, h = _generator_inputs(latent_dim, num_classes, embed_dim=min(latent_dim, 32))
    h = layers.Dense(4 * 4 * 2 * widths[0], use_bias=False, name="project")(h)
    h = BatchNormalization(name="project_bn")(h)
    h = layers.ReLU(name="project_relu")(h)
    h = layers.Reshape((4, 4, 2 * widths[0]), name="reshape")(h)
    for i, (filters, kw) in enumerate(steps):
        h = Conv2DTranspose(filters, use_bias=False, name=f"up_{i}", **kw)(h)
        h = BatchNormalization(name=f"up_{i}_bn")(h)
        h = layers.ReLU(name=f"up_{i}_relu")(h)
    h = Conv2D(channels, 3, padding="same", name="to_image")(h)
    out = layers.Activation("tanh", dtype="float32", name="samples")(h)
    generator = keras.Model(inputs, out, name="small_dcgan_generator")

    inputs, x, labels = _discriminator_inputs(image_shape, num_classes)
    h = x
    for i, filters in enumerate((d_width, 2 * d_width, 4 * d_width)):
        conv = Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name=f"down_{i}")
        h = _maybe_sn(conv, spectral_norm)(h)
        h = BatchNormalization(name=f"down_{i}_bn")(h)
        h = layers.LeakyReLU(0.3, name=f"down_{i}_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    if dropout:
        h = layers.Dropout(dropout, name="dropout")(h)
    logits = _projection_head(h, labels, num_classes, spectral_norm)
    discriminator = keras.Model(inputs, logits, name="small_dcgan_discriminator")
    return generator, discriminator


def rescale(
    generator: keras.Model, discriminator: keras.Model, scale: float
) -> tuple[keras.Model, keras.Model]:
    """Lets both networks work on data divided by `scale` (e.g. grid25's +-4 -> +-1).

    The generator's output is multiplied by `scale` and the discriminator's
    input divided by it (two `keras.layers.Rescaling` layers), so the GAN
    still generates and judges samples in data space while the networks see
    values of order 1.

    Example:
        >>> g, d = rescale(*mlp(latent_dim=2, sample_shape=(2,)), scale=4.0)
        >>> [layer.name for layer in g.layers][-1]
        'to_data_scale'
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0; got {scale!r}.")
    if isinstance(discriminator.input_shape, list):
        raise ValueError("rescale supports unconditional networks only.")
    g_out = layers.Rescaling(scale, dtype="float32", name="to_data_scale")(generator.output)
    scaled_g = keras.Model(generator.input, g_out, name=generator.name)
    x = keras.Input(discriminator.input_shape[1:], name="samples")
    logits = discriminator(layers.Rescaling(1.0 / scale, name="from_data_scale")(x))
    return scaled_g, keras.Model(x, logits, name=discriminator.name)


ARCHITECTURES = {"mlp": mlp, "dcgan": dcgan, "small_dcgan": small_dcgan}
assert tuple(ARCHITECTURES) == rules.ARCHITECTURES, "kgan.rules names the architectures"
