"""Tests for kgan.callbacks: SampleGrid, JsonlLogger and MetricsCallback write what they say."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from PIL import Image

import kgan
from kgan.eval import features, metrics
from kgan.train.callbacks import JsonlLogger, MetricsCallback, SampleGrid


def ring8_batches(n: int = 512, batch_size: int = 128):
    x, _ = kgan.data.mixture_arrays("ring8", num_examples=n)
    return kgan.data.from_arrays(x, batch_size=batch_size, seed=0)


def test_metrics_callback_puts_values_into_logs_history_and_jsonl(tiny_gan, tmp_path):
    path = tmp_path / "metrics.jsonl"
    callback = MetricsCallback(
        ["mode_coverage"], dataset="ring8", every=2, num_samples=300, seed=5, path=path
    )
    logger = JsonlLogger(tmp_path / "history.jsonl")
    history = tiny_gan.fit(ring8_batches(), epochs=3, verbose=0, callbacks=[callback, logger])

    # Epochs 2 (every=2) and 3 (the last one, at_end=True) were evaluated.
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["epoch"] for r in records] == [2, 3]
    assert set(records[0]) == {
        "epoch",
        "mode_coverage/modes",
        "mode_coverage/num_modes",
        "mode_coverage/high_quality",
        "mode_coverage/kl",
    }
    assert callback.history == records

    # The values match the metric computed by hand on the same sample stream.
    expected = metrics.mode_coverage(features.sampler(tiny_gan, 5)(300), "ring8")
    assert records[-1]["mode_coverage/modes"] == expected["modes"]
    assert records[-1]["mode_coverage/kl"] == pytest.approx(expected["kl"])

    # History saw them (only on the evaluated epochs), and so did the logger after it.
    assert history.history["mode_coverage/num_modes"] == [8.0, 8.0]
    logged = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert "mode_coverage/modes" not in logged[0]
    assert logged[1]["mode_coverage/modes"] == records[0]["mode_coverage/modes"]


def test_metrics_callback_with_a_classifier_on_images(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    x, y = kgan.data.digits_arrays("test")
    x_in = keras.Input((8, 8, 1))
    h = keras.layers.Dense(6, activation="relu")(keras.layers.Flatten()(x_in))
    clf = keras.Model(x_in, keras.layers.Dense(10, activation="softmax")(h))
    evaluator = features.Evaluator(
        ["fcd", "class_coverage", "precision_recall"],
        real=x[:200],
        real_labels=y[:200],
        classifier=clf,
        extractor=features.ClassifierFeatures(clf),
    )
    callback = MetricsCallback(evaluator, num_samples=64)
    history = gan.fit(
        kgan.data.from_arrays(x, batch_size=64), epochs=1, verbose=0, callbacks=[callback]
    )
    logs = {k: v[-1] for k, v in history.history.items()}
    assert logs["fcd"] > 0 and 1 <= logs["class_coverage/classes"] <= 10
    assert 0.0 <= logs["precision_recall/precision"] <= 1.0
    assert callback.path is None and len(callback.history) == 1


def test_metrics_callback_argument_errors():
    with pytest.raises(ValueError, match="every must be a positive integer"):
        MetricsCallback(["mode_coverage"], dataset="ring8", every=0)
    with pytest.raises(ValueError, match="Unknown metric='nope'"):
        MetricsCallback(["nope"])
    evaluator = features.Evaluator(["mode_coverage"], dataset="ring8")
    with pytest.raises(ValueError, match="either an Evaluator or metric names"):
        MetricsCallback(evaluator, dataset="ring8")


def test_sample_grid_writes_pngs_and_tensorboard_images(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    x, _ = kgan.data.digits_arrays("test")
    grid = SampleGrid(
        tmp_path / "samples", num_samples=16, every=2, tensorboard_dir=tmp_path / "tb"
    )
    gan.fit(
        kgan.data.from_arrays(x, batch_size=64),
        epochs=2,
        steps_per_epoch=1,
        verbose=0,
        callbacks=[grid],
    )
    assert grid.paths == [tmp_path / "samples" / "epoch_002.png"]
    with Image.open(grid.paths[0]) as png:
        # 4 x 4 tiles of 8 px + 1 px padding = 37 px, upscaled 7x (nearest) to reach 256.
        assert png.size == (259, 259)
        pixels = np.asarray(png)
    assert (pixels.reshape(37, 7, 37, 7) == pixels[::7, ::7][:, None, :, None]).all()
    assert _tensorboard_image_sizes(tmp_path / "tb" / "images") == [(259, 259)]


def _tensorboard_image_sizes(folder):
    import tensorflow as tf

    sizes = []
    for events in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.tag == "samples":
                    width, height = tf.make_ndarray(value.tensor)[:2]
                    sizes.append((int(width), int(height)))
    return sizes


def test_sample_grid_scale_overrides_the_readable_default(tmp_path):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    grid = SampleGrid(tmp_path, num_samples=4, scale=1, tensorboard_dir=tmp_path / "tb")
    grid.set_model(gan)
    with Image.open(grid.save(1)) as png:
        assert png.size == (19, 19)
    assert _tensorboard_image_sizes(tmp_path / "tb" / "images") == [(19, 19)]


def test_sample_grid_writes_no_grid_of_nan_samples(tmp_path):
    class Diverged:
        num_classes = None

        def generate(self, n, seed=None):
            return np.full((n, 8, 8, 1), np.nan, np.float32)

    grid = SampleGrid(tmp_path / "samples", num_samples=4)
    grid.set_model(Diverged())
    with pytest.warns(RuntimeWarning, match="epoch 3: the samples hold NaN/Inf values"):
        assert grid.save(3) is None
    assert grid.paths == [] and list((tmp_path / "samples").iterdir()) == []


def test_sample_grid_scatter_for_2d_samples(tiny_gan, tmp_path):
    from kgan_runtime.scatter import GENERATED_COLOR, REAL_COLOR, scatter_frame

    real, _ = kgan.data.mixture_arrays("ring8", num_examples=200)
    grid = SampleGrid(tmp_path, num_samples=100, real=real)
    grid.set_model(tiny_gan)
    path = grid.save(7)
    with Image.open(path) as png:
        assert png.size == (512, 512) and png.mode == "RGB"
        pixels = np.asarray(png)
    assert path.name == "epoch_007.png"
    # Both series are drawn, and the frame holds every real point and every sample.
    assert (pixels == GENERATED_COLOR).all(-1).sum() > 100
    assert (pixels == REAL_COLOR).all(-1).sum() > 100
    frame = scatter_frame(tiny_gan.generate(100, seed=0), real)
    assert frame.generated_outside == 0 and frame.nonfinite == 0


def test_jsonl_logger_appends_and_keeps_non_finite_values_readable(tmp_path):
    logger = JsonlLogger(tmp_path / "sub" / "log.jsonl")
    logger.on_epoch_end(0, {"d_loss": np.float32(0.5), "g_loss": float("nan")})
    logger.on_epoch_end(1, {"d_loss": 0.25})
    lines = [json.loads(line) for line in (tmp_path / "sub" / "log.jsonl").read_text().splitlines()]
    assert lines == [{"epoch": 1, "d_loss": 0.5, "g_loss": "nan"}, {"epoch": 2, "d_loss": 0.25}]
