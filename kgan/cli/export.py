"""kgan-export: export a trained generator to SavedModel + ONNX, verified against Keras.

Example:
    kgan-export --run=runs/digits --out=runs/digits/export
    kgan-export --model=generator.keras --out=export --output=uint8
"""

from __future__ import annotations

from pathlib import Path

from absl import app, flags

from kgan import rules
from kgan.cli._common import check_model_file, fail, quiet_tensorflow
from kgan.cli._flags import one_line_parser

FLAGS = flags.FLAGS

flags.DEFINE_string("run", None, "A run folder written by kgan-train (uses its generator.keras).")
flags.DEFINE_string("model", None, "A .keras file (a kgan.GAN or a generator).")
flags.DEFINE_string("out", None, "Export folder (default: RUN/export).")
flags.DEFINE_integer(
    "opset", 17,
    f"ONNX opset: {rules.MIN_ONNX_OPSET} to {rules.max_onnx_opset()}, the newest the installed "
    "tf2onnx converts.",
    lower_bound=rules.MIN_ONNX_OPSET, upper_bound=rules.max_onnx_opset(),
)  # fmt: skip
flags.DEFINE_enum("output", "float", ["float", "uint8"], "float in [-1, 1] or uint8 in [0, 255].")
flags.DEFINE_list("formats", ["saved_model", "onnx"], "Formats to write.")
flags.DEFINE_bool("overwrite", False, "Replace a non-empty --out folder.")


def _source() -> tuple[Path, Path]:
    if (FLAGS.run is None) == (FLAGS.model is None):
        raise ValueError("Pass exactly one of --run and --model.")
    if FLAGS.model is not None:
        model = Path(FLAGS.model)
        out = Path(FLAGS.out) if FLAGS.out else model.with_suffix("").with_name("export")
        return model, out
    run = Path(FLAGS.run)
    candidates = [run / "generator.keras", run / "gan.keras"]
    model = next((p for p in candidates if p.is_file()), None)
    if model is None:
        raise ValueError(f"{str(run)!r} holds neither generator.keras nor gan.keras.")
    return model, Path(FLAGS.out) if FLAGS.out else run / "export"


def main(argv: list[str]) -> int:
    try:
        model, out = _source()
        check_model_file(model)
    except ValueError as err:
        return fail("kgan-export", err)
    quiet_tensorflow()
    from kgan.export import ExportError, export_generator

    try:
        manifest = export_generator(
            model,
            out,
            opset=FLAGS.opset,
            formats=FLAGS.formats,
            output=FLAGS.output,
            overwrite=FLAGS.overwrite,
        )
    except (ValueError, FileExistsError, FileNotFoundError, ExportError) as err:
        return fail("kgan-export", err)
    for name, figures in manifest["parity"].items():
        sizes = ", ".join(f"batch {n}: {d:.2e}" for n, d in figures["per_batch_size"].items())
        print(f"parity {name:<11} max abs diff vs Keras: {sizes}")
    for rel in manifest["files"]:
        if rel.endswith(".onnx") or rel.endswith("saved_model.pb"):
            print(f"wrote {out / rel}")
    print(f"manifest: {out / 'kgan.json'}")
    return 0


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=one_line_parser("kgan-export"))


if __name__ == "__main__":
    run()
