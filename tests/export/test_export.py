"""kgan.export: SavedModel + ONNX with verified parity, the manifest, and the runtime round trip."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import keras
import numpy as np
import onnx
import pytest
import tensorflow as tf

import kgan
import kgan_runtime
from kgan.export import ExportError, export_generator
from kgan.export import exporter as export_lib


def _gan(num_classes=None, ema=None, shape=(8, 8, 1)):
    keras.utils.set_random_seed(0)
    g, d = kgan.networks.dcgan(8, shape, width=4, num_classes=num_classes)
    gan = kgan.GAN(g, d, seed=0, ema_half_life=ema, ema_rampup=None)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def _train_a_little(gan):
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype(np.float32)
    if gan.num_classes:
        gan.fit(
            kgan.data.from_arrays(x, np.arange(64) % gan.num_classes, batch_size=32),
            epochs=1,
            verbose=0,
        )
    else:
        gan.fit(x, batch_size=32, epochs=1, verbose=0)
    return gan


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    gan = _train_a_little(_gan())
    out = tmp_path_factory.mktemp("exp") / "export"
    manifest = export_generator(gan, out)
    return gan, out, manifest


def test_export_writes_both_formats_and_a_manifest(exported):
    _, out, manifest = exported
    assert sorted(p.name for p in out.iterdir()) == ["generator.onnx", "kgan.json", "saved_model"]
    on_disk = json.loads((out / "kgan.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest))
    for rel, entry in manifest["files"].items():
        data = (out / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert (
        "generator.onnx" in manifest["files"] and "saved_model/saved_model.pb" in manifest["files"]
    )
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_parity_is_measured_at_three_batch_sizes(exported):
    _, _, manifest = exported
    for fmt in ("onnx", "saved_model"):
        figures = manifest["parity"][fmt]
        assert set(figures["per_batch_size"]) == {"1", "7", "64"}
        assert 0.0 <= figures["max_abs_diff"] <= 1e-4


def test_onnx_carries_its_contract(exported):
    gan, out, manifest = exported
    model = onnx.load(out / "generator.onnx")
    props = {p.key: p.value for p in model.metadata_props}
    contract = json.loads(props["kgan.contract"])
    assert contract == manifest["contract"]
    assert contract["latent_dim"] == 8 and contract["layout"] == "NHWC"
    assert contract["outputs"]["samples"] == {"dtype": "float32", "shape": [None, 8, 8, 1]}
    assert contract["value_range"] == [-1.0, 1.0] and contract["num_classes"] is None
    assert contract["opset"] == 17 and contract["versions"]["kgan"] == kgan.__version__
    assert {"tensorflow", "tf2onnx"} <= set(contract["versions"])
    assert [i.name for i in model.graph.input] == ["z"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch
    assert [o.name for o in model.graph.output] == ["samples"]
    # The bytes are the runtime Contract's JSON: one writer, one reader.
    from kgan_runtime.contract import Contract

    typed = Contract.from_dict(manifest["contract"])
    assert props["kgan.contract"] == typed.to_json()
    assert kgan_runtime.OnnxGenerator(out / "generator.onnx").typed_contract == typed
    assert kgan.export.CONTRACT_KEY == kgan_runtime.CONTRACT_KEY == "kgan.contract"


def test_generator_contract_is_the_runtime_contract(exported):
    from kgan_runtime.contract import Contract

    gan, _, manifest = exported
    contract = export_lib.generator_contract(gan.inference_generator)
    assert isinstance(contract, Contract)
    assert contract.to_dict() == {
        **manifest["contract"],
        "versions": contract.to_dict()["versions"],
    }


def test_the_onnx_file_is_verified_through_kgan_runtime(tmp_path, monkeypatch):
    """A file the runtime refuses (here: a contract that lies about the labels) is no export."""
    gan = _gan()
    real = export_lib._write_onnx

    def lying(generator, contract, path, **kwargs):
        graph = real(generator, contract, path, **kwargs)
        model = onnx.load(path)
        props = {p.key: p.value for p in model.metadata_props}
        raw = json.loads(props["kgan.contract"])
        raw["num_classes"] = 3
        raw["inputs"]["labels"] = {"dtype": "int32", "shape": [None]}
        onnx.helper.set_model_props(model, {"kgan.contract": json.dumps(raw)})
        onnx.save(model, path)
        return graph

    monkeypatch.setattr(export_lib, "_write_onnx", lying)
    with pytest.raises(ExportError, match=r"kgan-runtime cannot load .* declares inputs"):
        export_generator(gan, tmp_path / "lie", formats=("onnx",))
    assert list(tmp_path.iterdir()) == []


def test_saved_model_follows_serving_conventions(exported):
    gan, out, _ = exported
    loaded = tf.saved_model.load(str(out / "saved_model"))
    signature = loaded.signatures["serving_default"]
    assert list(signature.structured_outputs) == ["samples"]
    z = kgan.sample_latents(5, 8, seed=3)
    samples = signature(z=tf.constant(z))["samples"].numpy()
    np.testing.assert_allclose(samples, gan.generate(5, seed=3), atol=1e-5)


def test_runtime_reproduces_keras_from_the_same_seed(exported):
    import kgan_runtime

    gan, out, _ = exported
    runtime = kgan_runtime.OnnxGenerator(out / "generator.onnx")
    for n in (1, 7, 64):
        np.testing.assert_allclose(
            runtime.sample(n, seed=11, batch_size=5), gan.generate(n, seed=11), atol=1e-4
        )


def test_uint8_output_is_baked_into_both_graphs(tmp_path):
    import kgan_runtime

    gan = _gan()
    manifest = export_generator(gan, tmp_path / "u8", output="uint8")
    assert manifest["contract"]["outputs"]["samples"]["dtype"] == "uint8"
    assert manifest["contract"]["value_range"] == [0, 255]
    images = kgan_runtime.OnnxGenerator(tmp_path / "u8" / "generator.onnx").sample(4, seed=0)
    assert images.dtype == np.uint8
    expected = np.round(np.clip((gan.generate(4, seed=0) + 1) * 127.5, 0, 255))
    assert np.abs(images.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_generator_exports_as_its_float32_twin(tmp_path, policy):
    import kgan_runtime

    keras.mixed_precision.set_dtype_policy(policy)
    try:
        gan = _train_a_little(_gan(num_classes=3))
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert gan.generator.get_layer("project").compute_dtype != "float32"
    manifest = export_generator(gan, tmp_path / "mixed")
    assert manifest["source_dtype_policy"] == policy
    assert max(entry["max_abs_diff"] for entry in manifest["parity"].values()) <= 1e-4
    onnx_model = onnx.load(str(tmp_path / "mixed" / "generator.onnx"))
    half = {onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
    assert not {t.data_type for t in onnx_model.graph.initializer} & half
    casts = [n for n in onnx_model.graph.node if n.op_type == "Cast"]
    assert not {a.i for n in casts for a in n.attribute if a.name == "to"} & half
    # Same weights: the float32 files give the mixed-precision model's samples up to its rounding.
    runtime = kgan_runtime.OnnxGenerator(tmp_path / "mixed" / "generator.onnx")
    labels = np.array([0, 1, 2, 2, 1])
    got = runtime.sample(5, seed=3, labels=labels)
    want = gan.generate(5, seed=3, labels=labels)
    assert np.abs(got - want).max() <= 0.05
    assert gan.generator.get_layer("project").compute_dtype != "float32"  # the source is intact


def test_conditional_generator_exports_a_labels_input(tmp_path):
    import kgan_runtime

    gan = _train_a_little(_gan(num_classes=3, ema=500.0))
    export_generator(gan, tmp_path / "cond", formats=("onnx",))
    runtime = kgan_runtime.OnnxGenerator(tmp_path / "cond" / "generator.onnx")
    assert runtime.num_classes == 3 and runtime.input_names == ("z", "labels")
    labels = np.array([2, 0, 1, 1])
    np.testing.assert_allclose(
        runtime.sample(4, seed=1, labels=labels), gan.generate(4, seed=1, labels=labels), atol=1e-4
    )


def test_export_from_a_keras_file_uses_the_ema_generator(tmp_path):
    gan = _train_a_little(_gan(ema=100.0))
    path = tmp_path / "gan.keras"
    gan.save(path)
    manifest = export_generator(path, tmp_path / "from_file", formats=("saved_model",))
    assert manifest["source"] == str(path)
    loaded = tf.saved_model.load(str(tmp_path / "from_file" / "saved_model"))
    z = kgan.sample_latents(3, 8, seed=0)
    out = loaded.signatures["serving_default"](z=tf.constant(z))["samples"].numpy()
    np.testing.assert_allclose(out, np.asarray(gan.ema_generator(z)), atol=1e-5)
    assert not np.allclose(out, np.asarray(gan.generator(z)), atol=1e-5)


def test_a_non_empty_folder_is_refused_unless_overwrite(tmp_path):
    gan = _gan()
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty; pass overwrite=True"):
        export_generator(gan, out, formats=("onnx",))
    assert (out / "keep.txt").read_text() == "mine"
    with pytest.raises(FileExistsError, match="not a kgan export"):  # overwrite: exports only
        export_generator(gan, out, formats=("onnx",), overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    export_generator(gan, out, formats=("onnx",))
    export_generator(gan, out, formats=("onnx",), overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["generator.onnx", "kgan.json"]


def test_parity_failure_raises_and_leaves_nothing(tmp_path, monkeypatch):
    gan = _gan()
    real = export_lib._keras_reference
    monkeypatch.setattr(
        export_lib, "_keras_reference", lambda *args: real(*args) + np.float32(0.01)
    )
    out = tmp_path / "bad"
    with pytest.raises(ExportError, match=r"onnx differs from Keras by 0\.01.* at batch size 1"):
        export_generator(gan, out, formats=("onnx",))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_mutation_of_the_source_model_is_caught(tmp_path, monkeypatch):
    gan = _gan()
    real = export_lib._write_onnx

    def mutating(generator, contract, path):
        real(generator, contract, path)
        generator.weights[0].assign(generator.weights[0] + 1.0)

    monkeypatch.setattr(export_lib, "_write_onnx", mutating)
    with pytest.raises(ExportError, match="changed during export"):
        export_generator(gan, tmp_path / "m", formats=("onnx",), verify=False)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"formats": ("tflite",)}, ValueError, "Unknown formats"),
        ({"output": "int16"}, ValueError, "Unknown output='int16'"),
        ({"opset": 7}, ValueError, "opset must be"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        export_generator(_gan(), tmp_path / "x", **kwargs)


def test_uint8_needs_an_image_generator(tmp_path):
    g, _ = kgan.networks.mlp(4, (2,))
    with pytest.raises(ValueError, match="for image generators"):
        export_generator(g, tmp_path / "x", output="uint8")


def test_bad_model_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file"):
        export_generator(tmp_path / "missing.keras", tmp_path / "x")
    with pytest.raises(TypeError, match="kgan.GAN, a keras.Model or a .keras path"):
        export_generator(42, tmp_path / "x")


def test_kgan_export_cli_on_a_run_folder(tmp_path):
    from kgan.train import TrainConfig, train_and_evaluate

    run = tmp_path / "run"
    train_and_evaluate(
        TrainConfig(
            dataset="digits",
            epochs=1,
            batch_size=64,
            latent_dim=8,
            width=4,
            steps_per_epoch=2,
            grid_size=4,
            verbose=0,
        ),
        run,
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    cmd = [sys.executable, "-m", "kgan.cli.export", f"--run={run}", "--output=uint8"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        "parity onnx" in result.stdout
        and f"manifest: {run / 'export' / 'kgan.json'}" in result.stdout
    )
    manifest = json.loads((run / "export" / "kgan.json").read_text())
    assert manifest["contract"]["outputs"]["samples"]["dtype"] == "uint8"
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 2 and "not empty; pass overwrite=True (--overwrite)" in again.stderr
    assert "Traceback" not in again.stderr
    before = sorted(p.name for p in run.iterdir())
    into_run = [*cmd[:3], f"--model={run / 'generator.keras'}", f"--out={run}", "--overwrite"]
    refused = subprocess.run(into_run, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2 and "is not a kgan export" in refused.stderr.splitlines()[-1]
    assert sorted(p.name for p in run.iterdir()) == before  # the run folder is untouched
    neither = subprocess.run(cmd[:3], capture_output=True, text=True, env=env, timeout=300)
    assert neither.returncode == 2 and "Pass exactly one of --run and --model" in neither.stderr


def test_keras_files_with_code_are_refused_by_safe_mode(tmp_path):
    z = keras.Input((4,), name="z")
    out = keras.layers.Lambda(lambda t: t * 2.0)(keras.layers.Dense(2)(z))
    path = tmp_path / "lambda.keras"
    keras.Model(z, out).save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        export_generator(path, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_repeated_exports_leave_no_graph_links_behind(tmp_path):
    gan = _gan()
    layers = list(gan.generator._flatten_layers(include_self=False))

    def links():
        return sum(len(x._inbound_nodes) + len(x._outbound_nodes) for x in layers)

    before = links()
    for _ in range(2):
        export_generator(gan, tmp_path / "e", formats=("onnx",), verify=False, overwrite=True)
    assert links() == before
