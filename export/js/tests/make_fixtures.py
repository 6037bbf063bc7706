"""Write the fixtures of the JavaScript runtime's tests (export/js/tests/fixtures/, git-ignored).

Everything the JS tests compare with comes from the Python side:

- generators exported by kgan's real exporter (``kgan.export.export_generator``) from tiny
  ``kgan.networks.dcgan`` / ``mlp`` generators: unconditional and conditional, float and uint8,
  grey and RGB images, 2-D points; and their samples through ``kgan_runtime.OnnxGenerator``
  for several seeds (including seeds >= 2**64), labels and batch sizes, and grids;
- latents from ``numpy.random.default_rng(seed).standard_normal`` for many seeds, float32 and
  raw float64 draws;
- the latent tools of ``kgan_runtime.latent_tools`` on fixed inputs;
- toy models that break the contract in ways only the graph or a run shows
  (``kgan_runtime_testing.build_model``);
- a web folder made by ``kgan_runtime.web.write_web_folder`` for the browser test.

Arrays are raw little-endian files described in manifest.json. The script does nothing when
the fixtures are up to date (a hash of this script and of the sources they come from);
``--force`` rewrites them. Run from the repository root:
``python export/js/tests/make_fixtures.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "fixtures"
sys.path[:0] = [str(ROOT / "export" / "tests"), str(ROOT / "scripts")]

LATENT_SEEDS = [
    *range(40),
    2**31 - 1, 2**32 - 1, 2**32, 2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1,
    2**64, 2**64 + 1, 2**64 + 12345, 2**70, 2**96 + 7, 2**127 + 2**64 + 3, 2**128, 10**30,
    10**40 + 1, 123456789123456789123456789,
]  # fmt: skip
MODEL_SEEDS = [0, 1, 7, 2**64 + 1]


def _stamp() -> str:
    """A hash of this script and every source the fixtures depend on."""
    digest = hashlib.sha256()
    sources = [Path(__file__)]
    sources += sorted((ROOT / "kgan").rglob("*.py"))
    sources += sorted((ROOT / "export" / "kgan_runtime").rglob("*.py"))
    sources += [ROOT / "export" / "tests" / "kgan_runtime_testing.py"]
    sources += [ROOT / "scripts" / "bench_inference.py"]
    # The web folders copy the page and the JS runtime.
    sources += sorted((ROOT / "export" / "js" / "web").iterdir())
    sources += sorted((ROOT / "export" / "js" / "src").rglob("*.js"))
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(np.__version__.encode())
    return digest.hexdigest()


class Writer:
    """Collects arrays as raw files plus their description."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.arrays: dict[str, dict[str, Any]] = {}

    def array(self, name: str, value: np.ndarray) -> str:
        value = np.ascontiguousarray(value)
        dtype = value.dtype.newbyteorder("<")
        (self.out / f"{name}.bin").write_bytes(value.astype(dtype).tobytes())
        self.arrays[name] = {
            "file": f"{name}.bin",
            "dtype": str(value.dtype),
            "dims": list(value.shape),
        }
        return name


def _latents(w: Writer) -> dict[str, Any]:
    from kgan_runtime import sample_latents

    latents = []
    for i, seed in enumerate(LATENT_SEEDS):
        n, d = 3, 17 + i % 5
        latents.append(
            {
                "seed": str(seed),
                "n": n,
                "d": d,
                "array": w.array(f"latents_{i}", sample_latents(n, d, seed)),
            }
        )
    normals = []
    for seed in (0, 1, 2**64 + 5, 10**30):
        draws = np.random.default_rng(seed).standard_normal(50_000)
        normals.append({"seed": str(seed), "array": w.array(f"normals_{len(normals)}", draws)})
    raw = [str(int(v)) for v in np.random.default_rng(0).bit_generator.random_raw(8)]
    return {"latents": latents, "normals64": normals, "raw_uint64_seed0": raw}


def _tools(w: Writer) -> list[dict[str, Any]]:
    from kgan_runtime import (
        interpolate,
        lerp,
        sample_latents,
        slerp,
        truncate,
        truncated_latents,
        walk,
    )

    rng = np.random.default_rng(42)
    cases: list[dict[str, Any]] = []

    def add(fn: str, args: dict[str, Any], result: np.ndarray) -> None:
        cases.append({"fn": fn, "args": args, "array": w.array(f"tool_{len(cases)}", result)})

    a, b = sample_latents(2, 64, seed=3)
    ts = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.9, 1.0, *rng.uniform(-0.5, 1.5, 9).tolist()]
    for name, fn in (("lerp", lerp), ("slerp", slerp)):
        add(name, {"a": a.tolist(), "b": b.tolist(), "t": ts}, fn(a, b, ts))
        add(name, {"a": a.tolist(), "b": b.tolist(), "t": 0.3}, fn(a, b, 0.3))
    parallel = (a * 2).astype(np.float32)
    add("slerp", {"a": a.tolist(), "b": parallel.tolist(), "t": ts}, slerp(a, parallel, ts))
    zero = np.zeros(64, np.float32)
    add("slerp", {"a": zero.tolist(), "b": b.tolist(), "t": ts}, slerp(zero, b, ts))
    add("slerp", {"a": [1.0, 0.0], "b": [0.0, 1.0], "t": ts}, slerp([1.0, 0.0], [0.0, 1.0], ts))
    for i in range(12):  # random pairs, random t: the float64 sums, acos and sin of both sides
        x, y = rng.standard_normal((2, 5 + i * 11)).astype(np.float32)
        t = rng.uniform(0, 1, 7).tolist()
        add("slerp", {"a": x.tolist(), "b": y.tolist(), "t": t}, slerp(x, y, t))
    for seeds, steps, d, method in (
        ((0, 1), 7, 64, "slerp"),
        ((5, 2**64 + 3), 4, 32, "lerp"),
        ((9, 9), 3, 8, "slerp"),
    ):
        args = {
            "seed_a": str(seeds[0]),
            "seed_b": str(seeds[1]),
            "steps": steps,
            "latent_dim": d,
            "method": method,
        }
        add("interpolate", args, interpolate(*seeds, steps, d, method=method))
    for loop in (False, True):
        for method in ("slerp", "lerp"):
            args = {
                "seeds": ["3", "1", "4", "1", "5"],
                "steps": 6,
                "latent_dim": 16,
                "method": method,
                "loop": loop,
            }
            add("walk", args, walk([3, 1, 4, 1, 5], 6, 16, method=method, loop=loop))
    z = sample_latents(8, 32, seed=0)
    for psi in (0.0, 0.5, 0.7, 1.0, 1.5):
        add("truncate", {"z": z.tolist(), "psi": psi}, truncate(z, psi))
    for seed in (0, 11, 2**64):
        for threshold in (0.1, 0.5, 1.0, 2.0):
            args = {"n": 64, "latent_dim": 32, "seed": str(seed), "threshold": threshold}
            add("truncated_latents", args, truncated_latents(64, 32, seed, threshold))
    return cases


def _export_models(out: Path) -> dict[str, dict[str, Any]]:
    """Tiny generators through kgan's real exporter."""
    import keras
    import kgan
    from bench_inference import _trained_like
    from kgan.export import export_generator

    specs = {
        "dcgan": dict(arch="dcgan", shape=(8, 8, 1), num_classes=None, output="float"),
        "dcgan_rgb": dict(arch="dcgan", shape=(16, 16, 3), num_classes=None, output="float"),
        "dcgan_cond_uint8": dict(arch="dcgan", shape=(8, 8, 1), num_classes=3, output="uint8"),
        "mlp_cond": dict(arch="mlp", shape=(8, 8, 1), num_classes=4, output="float"),
        "mlp_points": dict(arch="mlp", shape=(2,), num_classes=None, output="float"),
    }
    models = {}
    for name, spec in specs.items():
        keras.utils.set_random_seed(0)
        if spec["arch"] == "dcgan":
            g, _ = kgan.networks.dcgan(8, spec["shape"], width=8, num_classes=spec["num_classes"])
            _trained_like(g)  # varied images from random weights
        else:
            g, _ = kgan.networks.mlp(
                8, spec["shape"], generator_units=(32, 32), num_classes=spec["num_classes"]
            )
        folder = out / f"export_{name}"
        manifest = export_generator(
            g, folder, formats=("onnx",), output=spec["output"], overwrite=True
        )
        shutil.copy(folder / "generator.onnx", out / f"{name}.onnx")
        shutil.rmtree(folder)
        models[name] = {"file": f"{name}.onnx", "onnx_graph": manifest["onnx_graph"]}
    return models


def _model_outputs(w: Writer, out: Path, models: dict[str, dict[str, Any]]) -> None:
    from kgan_runtime import OnnxGenerator, make_grid

    for name, info in models.items():
        gen = OnnxGenerator(out / info["file"])
        info.update(
            latent_dim=gen.latent_dim,
            num_classes=gen.num_classes,
            output_shape=list(gen.output_shape),
            output_dtype=str(gen.output_dtype),
            value_range=list(gen.value_range),
            layout=gen.layout,
        )
        runs = []
        for i, seed in enumerate(MODEL_SEEDS):
            n = (16, 5, 64, 9)[i]
            batch_size = (256, 2, 7, 4)[i]
            labels = None
            if gen.num_classes and i == 1:
                labels = [(k * 2 + 1) % gen.num_classes for k in range(n)]
            samples = gen.sample(n, seed=seed, labels=labels, batch_size=batch_size)
            runs.append(
                {
                    "n": n,
                    "seed": str(seed),
                    "labels": labels,
                    "batch_size": batch_size,
                    "array": w.array(f"{name}_samples_{i}", samples),
                }
            )
            if gen.layout == "NHWC" and i == 0:
                grid = make_grid(samples, nrow=4, padding=1, value_range=gen.value_range)
                info["grid"] = {"seed": str(seed), "n": n, "nrow": 4, "padding": 1,
                                "array": w.array(f"{name}_grid", grid)}  # fmt: skip
        info["runs"] = runs


def _hostile_models(w: Writer, out: Path) -> dict[str, Any]:
    """Toy models (onnx.helper) that only the graph or a run shows to be broken."""
    import onnx
    from kgan_runtime_testing import build_model
    from onnx import numpy_helper

    hostile: dict[str, Any] = {}
    build_model(out / "toy_no_contract.onnx", metadata=False)
    z8 = {"z": {"dtype": "float32", "shape": [None, 8]}}
    build_model(
        out / "toy_lying_latent_dim.onnx",
        latent_dim=9,
        contract_overrides={"latent_dim": 8, "inputs": z8},
    )
    build_model(out / "toy_symbolic_latent.onnx", graph_z_shape=["N", "d"])
    build_model(out / "toy_fails_at_run.onnx", fail_unless_batch_multiple_of=3)
    build_model(
        out / "toy_lying_output.onnx",
        # A declared shape that conflicts with the inferred one: onnxruntime reports an unknown
        # rank, so only running shows the lie.
        graph_out_shape=["N", 16, 1],
        contract_overrides={"outputs": {"samples": {"dtype": "float32", "shape": [None, 2, 8, 1]}}},
    )
    build_model(out / "toy_bad_json.onnx", raw_contract="{not json")
    toy = build_model(out / "toy_uint8.onnx", dtype="uint8", seed=2)
    z = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    hostile["toy_uint8_z"] = w.array("toy_uint8_z", z)
    from kgan_runtime import OnnxGenerator

    hostile["toy_uint8_out"] = w.array("toy_uint8_out", OnnxGenerator(toy.path)(z))
    model = onnx.load(out / "toy_uint8.onnx")
    nan = build_model(out / "toy_nan.onnx")
    model = onnx.load(nan.path)
    for init in model.graph.initializer:
        if init.name == "W":
            weight = numpy_helper.to_array(init).copy()
            weight[0, 0] = np.nan
            init.CopyFrom(numpy_helper.from_array(weight, "W"))
    onnx.save(model, out / "toy_nan.onnx")
    return hostile


def _web(out: Path, model: str, name: str) -> dict[str, Any]:
    from kgan_runtime.web import write_web_folder

    folder = write_web_folder(out / model, out / name, overwrite=True)
    return {"folder": folder.name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="rewrite up-to-date fixtures")
    args = parser.parse_args()
    out: Path = args.out
    stamp = _stamp()
    manifest_path = out / "manifest.json"
    if not args.force and manifest_path.is_file():
        if json.loads(manifest_path.read_text()).get("stamp") == stamp:
            print(f"fixtures up to date in {out}")
            return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    w = Writer(tmp)
    doc: dict[str, Any] = {}
    doc.update(_latents(w))
    doc["tools"] = _tools(w)
    doc["hostile"] = _hostile_models(w, tmp)
    doc["models"] = _export_models(tmp)
    _model_outputs(w, tmp, doc["models"])
    doc["web"] = _web(tmp, "dcgan.onnx", "web")
    doc["web_cond"] = _web(tmp, "dcgan_cond_uint8.onnx", "web_cond")
    doc["arrays"] = w.arrays
    doc["stamp"] = stamp
    (tmp / "manifest.json").write_text(json.dumps(doc, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"wrote fixtures to {out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
