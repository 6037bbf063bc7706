"""kgan.data.tfds: a real TFDS dataset built and read offline, and fast, clear refusals.

`KganTinyDigits` is a TFDS dataset defined here and prepared by kgan.data.load
itself through `download_and_prepare`, the path every TFDS dataset takes on
first use: a missing undeclared dependency of tensorflow-datasets
(importlib_resources, in 4.9) breaks this test as it broke every dataset.
The network is simulated away deterministically by making every socket
connection and name lookup fail.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from kgan import data
from kgan.data import tfds as tfds_lib

NAME = "kgan_tiny_digits"


class KganTinyDigits(tfds.core.GeneratorBasedBuilder):
    """12 8x8 grey images in 3 classes, 9 for train and 3 for test; no downloads."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(8, 8, 1)),
                    "label": tfds.features.ClassLabel(num_classes=3),
                }
            ),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        return {
            "train": self._generate_examples(range(9)),
            "test": self._generate_examples(range(9, 12)),
        }

    def _generate_examples(self, indices):
        for i in indices:
            yield i, {"image": np.full((8, 8, 1), 20 * i, np.uint8), "label": i % 3}


@pytest.fixture
def no_network(monkeypatch):
    """Every name lookup and connection fails at once, as on a machine without a network."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:1])
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (simulated)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for variable in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    return attempts


@pytest.fixture
def network_answers(monkeypatch):
    """The probe sees a network (the tiny dataset downloads nothing anyway)."""
    monkeypatch.setattr(tfds_lib, "network_problem", lambda *a, **k: None)


def test_a_tfds_dataset_is_prepared_and_loaded_through_kgan_data_load(tmp_path, network_answers):
    ds = data.load(NAME, data_dir=str(tmp_path), batch_size=3, with_labels=True, shuffle=False)
    batches = [(np.asarray(x), np.asarray(y)) for x, y in ds]
    assert len(batches) == 3
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.shape == (9, 8, 8, 1) and x.dtype == np.float32 and y.dtype == np.int32
    expected = data.uint8_to_float(20 * np.arange(9, dtype=np.uint8))
    np.testing.assert_array_equal(np.sort(x[:, 0, 0, 0]), expected)
    assert sorted(y.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert (tmp_path / NAME / "1.0.0" / "dataset_info.json").is_file()


def test_a_prepared_dataset_loads_offline_without_touching_the_network(tmp_path, no_network):
    KganTinyDigits(data_dir=str(tmp_path)).download_and_prepare()
    no_network.clear()
    x, y = data.load_arrays(NAME, split="test", data_dir=str(tmp_path), with_labels=True)
    assert x.shape == (3, 8, 8, 1) and x.dtype == np.uint8 and sorted(y.tolist()) == [0, 1, 2]
    x, _ = data.load_arrays(NAME, split="train[:4]", data_dir=str(tmp_path), download=False)
    assert len(x) == 4
    info = data.describe(NAME, data_dir=str(tmp_path))
    assert (info.source, info.sample_shape, info.num_examples, info.num_classes, info.on_disk) == (
        "tfds",
        (8, 8, 1),
        9,
        3,
        True,
    )
    assert info.has_labels
    with pytest.raises(ValueError, match=r"Unknown split='dev' for 'kgan_tiny_digits'"):
        data.load_arrays(NAME, split="dev", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"would take .* more than max_bytes=100"):
        tfds_lib.tfds_arrays(
            NAME, "train", data_dir=str(tmp_path), download=False, with_labels=False, max_bytes=100
        )
    assert no_network == []


def test_not_on_disk_and_no_network_fails_within_seconds_with_one_line(tmp_path, no_network):
    start = time.perf_counter()
    with pytest.raises(ValueError) as raised:
        data.load(NAME, data_dir=str(tmp_path), batch_size=3)
    elapsed = time.perf_counter() - start
    message = str(raised.value)
    assert elapsed < 10, elapsed
    assert "\n" not in message
    assert message.startswith(
        f"Dataset {NAME!r} is not on disk (no {tmp_path / NAME / '1.0.0'}) and the network is "
        "unreachable (cannot reach storage.googleapis.com:443: "
    )
    assert "--data_dir" in message and "--download" in message
    assert no_network, "the probe never tried the network"
    assert not (tmp_path / NAME / "1.0.0" / "dataset_info.json").exists()


def test_not_on_disk_without_download_fails_without_the_network(tmp_path, no_network):
    with pytest.raises(ValueError, match=r"is not on disk .* and download=False: .*--data_dir"):
        data.load_arrays(NAME, data_dir=str(tmp_path), download=False)
    assert no_network == []


def test_describe_never_downloads(tmp_path, no_network):
    info = data.describe(NAME, data_dir=str(tmp_path))
    assert (info.sample_shape, info.num_examples, info.num_classes, info.on_disk) == (
        (8, 8, 1),
        None,
        3,
        False,
    )
    assert "not on disk" in info.summary()
    assert no_network == [] and not (tmp_path / NAME).exists()


def test_the_probe_is_bounded_and_honours_an_https_proxy(monkeypatch):
    seen = []

    def slow(address, timeout=None):
        seen.append(address)
        time.sleep(3)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", slow)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    start = time.perf_counter()
    problem = tfds_lib.network_problem(timeout=0.2)
    assert time.perf_counter() - start < 2
    assert problem == "no answer from proxy.example:3128 within 0.2 s"
    assert seen == [("proxy.example", 3128)]


def test_tfds_mock_data_still_works_when_the_network_answers(network_answers):
    with tfds.testing.mock_data(num_examples=40, policy=tfds.testing.MockPolicy.USE_CODE):
        ds = data.load("mnist", batch_size=16, with_labels=True)
        x, y = next(iter(ds))
        x = np.asarray(x)
        assert x.shape == (16, 28, 28, 1) and x.dtype == np.float32
        assert -1.0 <= x.min() and x.max() <= 1.0
        assert np.asarray(y).dtype == np.int32
        assert sum(1 for _ in ds) == 40 // 16
        with pytest.raises(ValueError, match="has no image feature"):
            data.load("wine_quality", batch_size=4)


def test_unknown_dataset_names_the_builtins():
    with pytest.raises(ValueError, match=r"Unknown dataset='no_such_set_kgan'.*'ring8'"):
        data.load("no_such_set_kgan", batch_size=4)
