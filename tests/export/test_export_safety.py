"""kgan-export's destination and source checks: locks, overwrite, stale generators, bombs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import keras
import pytest

import kgan
from kgan import keras_file
from kgan.export import export_generator
from kgan.export.destination import run_expectations
from kgan_runtime.fileio import FolderLocked


def _gan(latent_dim=8):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(latent_dim, (8, 8, 1), width=4)
    gan = kgan.GAN(g, d, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


_HOLDER = (
    "import sys, time\n"
    "from kgan_runtime.fileio import folder_lock\n"
    "with folder_lock(sys.argv[1], 'x'):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(600)\n"
)


def test_a_second_export_to_the_same_folder_is_refused_with_the_holders_pid(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / ".export.lock")],
                              stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderLocked, match=f"is in use by process {holder.pid}"):
            export_generator(_gan(), tmp_path / "export", formats=("onnx",), verify=False)
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "export").exists()


def test_overwrite_never_deletes_a_folder_that_is_not_an_export(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "history.jsonl").write_text('{"epoch": 1}\n')
    gan = _gan()
    gan.save(run / "gan.keras")
    with pytest.raises(FileExistsError, match="is not a kgan export .no kgan.json manifest."):
        export_generator(run / "gan.keras", run, formats=("onnx",), verify=False, overwrite=True)
    assert sorted(p.name for p in run.iterdir()) == ["gan.keras", "history.jsonl"]
    export_generator(gan, run / "export", formats=("onnx",), verify=False)
    manifest = json.loads((run / "export" / "kgan.json").read_text())
    export_generator(gan, run / "export", formats=("onnx",), verify=False, overwrite=True)
    assert (
        json.loads((run / "export" / "kgan.json").read_text())["contract"] == manifest["contract"]
    )


def test_an_export_cleans_the_temporaries_of_killed_exports(tmp_path):
    stale = [tmp_path / ".export.0123456789ab.tmp", tmp_path / ".export.ba9876543210.old"]
    for folder in stale:
        folder.mkdir()
        (folder / "generator.onnx").write_bytes(b"half")
    (tmp_path / ".export.lock").write_text("99999\n")  # of a killed export: not held
    export_generator(_gan(), tmp_path / "export", formats=("onnx",), verify=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_a_generator_that_does_not_match_its_run_is_refused(tmp_path):
    from kgan.train import TrainConfig

    run = tmp_path / "run"
    run.mkdir()
    record = TrainConfig(dataset="digits", latent_dim=8).to_json()
    record["resolved"] = {"sample_shape": [8, 8, 1], "num_classes": None}
    (run / "config.json").write_text(json.dumps(record))
    _gan(latent_dim=16).generator.save(run / "generator.keras")  # an earlier run's leftover
    expect = run_expectations(run)
    assert expect["latent_dim"] == 8 and expect["sample_shape"] == (8, 8, 1)
    with pytest.raises(ValueError, match="latent_dim 16 in the model, 8 in config.json"):
        export_generator(run / "generator.keras", run / "export", expect=expect, verify=False)
    assert not (run / "export").exists()
    _gan(latent_dim=8).generator.save(run / "generator.keras")
    export_generator(run / "generator.keras", run / "export", expect=expect, verify=False,
                     formats=("onnx",))  # fmt: skip


@pytest.mark.parametrize(
    "content, match",
    [(None, "config.json' is missing"), ("[1, 2]", "not a readable kgan config .a JSON list")],
)
def test_bad_run_folders_give_one_line(tmp_path, content, match):
    if content is not None:
        (tmp_path / "config.json").write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        run_expectations(tmp_path)
    assert "\n" not in str(info.value)


def test_a_corrupt_keras_file_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "generator.keras"
    _gan().generator.save(path)
    path.write_bytes(path.read_bytes()[:200])  # truncated
    with pytest.raises(ValueError, match="generator.keras' is corrupt") as info:
        export_generator(path, tmp_path / "export")
    assert "File not found" not in str(info.value)
    with pytest.raises(FileNotFoundError, match="No model file"):
        export_generator(tmp_path / "missing.keras", tmp_path / "export")


def _bomb(path, expanded: int):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(expanded >> 20):
                member.write(block)


def test_a_keras_file_that_expands_too_much_is_refused_before_keras_reads_it(tmp_path, monkeypatch):
    path = tmp_path / "bomb.keras"
    _bomb(path, 32 << 20)  # 32 MiB of zeros in ~32 KiB
    assert path.stat().st_size < (64 << 10)
    monkeypatch.setattr(keras_file, "DEFAULT_MAX_BYTES", 16 << 20)  # the default rule, scaled
    monkeypatch.setattr(keras.models, "load_model", lambda *a, **k: pytest.fail("Keras read it"))
    with pytest.raises(ValueError, match="would expand to 33,554,43[0-9] bytes, more than") as info:
        export_generator(path, tmp_path / "export")
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="more than max_bytes=1,000"):
        keras_file.check_keras_file(path, max_bytes=1000)
    assert keras_file.check_keras_file(path, max_bytes=64 << 20) == path
