"""Stacked MNIST: the builder from arrays, IDX files and by name (fake digits, never real MNIST)."""

from __future__ import annotations

import numpy as np
import pytest
from mnist_testing import fake_digits, write_idx

import kgan
from kgan.data import stacked
from kgan.train import TrainConfig


def test_each_channel_is_a_drawn_digit_and_the_label_is_its_triple():
    digits, labels = fake_digits(50, seed=1)
    x, y = stacked.stacked_mnist_arrays(digits, labels, num_examples=200, seed=3)
    assert x.shape == (200, 28, 28, 3) and x.dtype == np.uint8 and y.dtype == np.int32
    flat = digits[..., 0].reshape(50, -1)
    for image, mode in zip(x[:20], y[:20], strict=True):
        for c, digit in enumerate(stacked.triples([mode])[0]):
            match = np.flatnonzero((flat == image[..., c].ravel()).all(axis=1))
            assert match.size and labels[match[0]] == digit
    assert len(np.unique(y)) > 100  # triples of independent draws


def test_the_draw_is_seeded():
    digits, labels = fake_digits(30)
    a = stacked.stacked_mnist_arrays(digits, labels, num_examples=40, seed=5)
    b = stacked.stacked_mnist_arrays(digits[..., 0], labels, num_examples=40, seed=5)
    c = stacked.stacked_mnist_arrays(digits, labels, num_examples=40, seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_triple_index_round_trip():
    index = np.arange(1000)
    np.testing.assert_array_equal(stacked.triple_index(stacked.triples(index)), index)
    assert stacked.triples([407]).tolist() == [[4, 0, 7]]
    with pytest.raises(ValueError, match="digits 0-9"):
        stacked.triple_index([[1, 2, 10]])


@pytest.mark.parametrize(
    ("images", "labels", "match"),
    [
        (np.zeros((4, 28, 28, 3), np.uint8), np.zeros(4, int), "grayscale uint8"),
        (np.zeros((4, 28, 28), np.float32), np.zeros(4, int), "grayscale uint8"),
        (np.zeros((4, 28, 28), np.uint8), np.full(4, 10), "digits 0-9"),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(3, int), "labels must be 4"),
    ],
)
def test_bad_digits_are_refused(images, labels, match):
    with pytest.raises(ValueError, match=match):
        stacked.stacked_mnist_arrays(images, labels, num_examples=2)


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_reads_what_was_written(tmp_path, gz):
    digits, labels = fake_digits(12)
    image_path, label_path = write_idx(tmp_path, digits, labels, gz=gz)
    np.testing.assert_array_equal(stacked.read_idx(image_path), digits)
    np.testing.assert_array_equal(stacked.read_idx(label_path), labels)
    cut = tmp_path / "cut-images-idx3-ubyte"
    cut.write_bytes(image_path.read_bytes()[:100] if not gz else b"\x00\x00\x08\x03" + b"\0" * 8)
    with pytest.raises(ValueError, match="not a complete IDX file"):
        stacked.read_idx(cut)


def test_load_by_name_from_an_idx_folder(tmp_path):
    test_digits, test_labels = fake_digits(40, seed=2)
    write_idx(tmp_path, test_digits, test_labels, prefix="t10k")
    folder = str(tmp_path)
    # Only the t10k files: "train" reads them too.
    x, y = kgan.data.load_arrays(
        "stacked_mnist", data_dir=folder, num_examples=64, seed=4, with_labels=True
    )
    expected = stacked.stacked_mnist_arrays(test_digits, test_labels, num_examples=64, seed=4)
    np.testing.assert_array_equal(x, expected[0])
    np.testing.assert_array_equal(y, expected[1])
    # With train files, "train" reads them and "test" the t10k ones.
    train_digits, train_labels = fake_digits(60, seed=3)
    write_idx(tmp_path, train_digits, train_labels, prefix="train", gz=False)
    x_train, _ = kgan.data.load_arrays("stacked_mnist", data_dir=folder, num_examples=8)
    np.testing.assert_array_equal(
        x_train, stacked.stacked_mnist_arrays(train_digits, train_labels, num_examples=8)[0]
    )
    x_test, _ = kgan.data.load_arrays("stacked_mnist", split="test", data_dir=folder,
                                      num_examples=8)  # fmt: skip
    assert x_test.shape == (8, 28, 28, 3) and not np.array_equal(x_test, x_train)

    info = kgan.data.describe("stacked_mnist", data_dir=folder, num_examples=64)
    assert (info.sample_shape, info.num_examples, info.num_classes, info.on_disk) == (
        (28, 28, 3), 64, 1000, True,
    )  # fmt: skip
    assert kgan.data.describe("stacked_mnist", data_dir=folder).num_examples == 128_000
    ds = kgan.data.load("stacked_mnist", data_dir=folder, num_examples=64, batch_size=16)
    assert ds.element_spec.shape.as_list() == [16, 28, 28, 3]
    with pytest.raises(ValueError, match="Unknown split"):
        kgan.data.load_arrays("stacked_mnist", split="validation", data_dir=folder)


def test_num_examples_belongs_to_the_drawn_sets():
    assert TrainConfig(dataset="stacked_mnist", num_examples=100).data.num_examples == 100
    with pytest.raises(ValueError, match="num_examples applies to ring8, grid25, stacked_mnist"):
        TrainConfig(dataset="digits", num_examples=100).validate()
    with pytest.raises(ValueError, match="num_examples applies to"):
        kgan.data.load_arrays("digits", num_examples=5)


def test_the_module_examples_run():
    import doctest

    result = doctest.testmod(stacked, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 5
