"""kgan-export: export a trained generator to SavedModel + ONNX, verified against Keras.

Example:
    kgan-export --run=runs/digits --out=runs/digits/export
    kgan-export --model=generator.keras --out=export --output=uint8
    kgan-export --run=runs/digits --web     # also runs/digits/web: python runs/digits/web/serve.py
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
flags.DEFINE_bool(
    "overwrite", False, "Replace --out when it holds an earlier export (and --web_out its page)."
)
flags.DEFINE_integer(
    "max_model_bytes", None,
    "The most the .keras file may expand to uncompressed (unset: the larger of 2 GiB and 4 "
    "times its size).", lower_bound=1,
)  # fmt: skip
flags.DEFINE_bool(
    "web",
    False,
    "Also write a static web page for the ONNX generator (a grid per seed, truncation, "
    "interpolation; runs offline from any static server; its serve.py enables wasm threads).",
)
flags.DEFINE_string(
    "web_out", None, "The --web page's folder (default: a 'web' folder next to --out)."
)


def _source() -> tuple[Path, Path, dict | None]:
    if (FLAGS.run is None) == (FLAGS.model is None):
        raise ValueError("Pass exactly one of --run and --model.")
    if FLAGS.model is not None:
        model = Path(FLAGS.model)
        out = Path(FLAGS.out) if FLAGS.out else model.with_suffix("").with_name("export")
        return model, out, None
    run = Path(FLAGS.run)
    candidates = [run / "generator.keras", run / "gan.keras"]
    model = next((p for p in candidates if p.is_file()), None)
    if model is None:
        raise ValueError(f"{str(run)!r} holds neither generator.keras nor gan.keras.")
    from kgan.export.destination import run_expectations

    # The run's config.json says what its generator is: a stale file is refused.
    return model, Path(FLAGS.out) if FLAGS.out else run / "export", run_expectations(run)


def _web_out(out: Path) -> Path | None:
    """The --web folder, checked before the export starts (None without --web)."""
    if FLAGS.web_out is not None and not FLAGS.web:
        raise ValueError("--web_out needs --web.")
    if not FLAGS.web:
        return None
    if "onnx" not in FLAGS.formats:
        raise ValueError("--web needs the ONNX file: add onnx to --formats.")
    web_out = Path(FLAGS.web_out) if FLAGS.web_out else out.parent / "web"
    if web_out.resolve() == out.resolve():
        raise ValueError(f"--web_out must differ from --out ({str(out)!r}).")
    from kgan_runtime.web import check_web_folder

    page = all((web_out / name).is_file() for name in ("index.html", "generator.onnx"))
    if FLAGS.overwrite and web_out.is_dir() and any(web_out.iterdir()) and not page:
        raise FileExistsError(
            f"{str(web_out)!r} holds something other than a kgan web page; --overwrite "
            "replaces only a page (choose another --web_out)."
        )
    check_web_folder(web_out, overwrite=FLAGS.overwrite)
    return web_out


def main(argv: list[str]) -> int:
    quiet_tensorflow()
    from kgan.export import ExportError, export_generator
    from kgan_runtime.errors import KganRuntimeError
    from kgan_runtime.fileio import FolderLocked

    try:
        model, out, expect = _source()
        web_out = _web_out(out)
        check_model_file(model, max_bytes=FLAGS.max_model_bytes)  # one line, before Keras
        manifest = export_generator(
            model,
            out,
            opset=FLAGS.opset,
            formats=FLAGS.formats,
            output=FLAGS.output,
            overwrite=FLAGS.overwrite,
            max_model_bytes=FLAGS.max_model_bytes,
            expect=expect,
        )
        if web_out is not None:
            from kgan_runtime.web import write_web_folder

            write_web_folder(out / "generator.onnx", web_out, overwrite=FLAGS.overwrite)
    except (
        ValueError, FileExistsError, FileNotFoundError, ExportError, FolderLocked, KganRuntimeError
    ) as err:  # fmt: skip
        return fail("kgan-export", err)
    for name, figures in manifest["parity"].items():
        sizes = ", ".join(f"batch {n}: {d:.2e}" for n, d in figures["per_batch_size"].items())
        print(f"parity {name:<11} max abs diff vs Keras: {sizes}")
    for rel in manifest["files"]:
        if rel.endswith(".onnx") or rel.endswith("saved_model.pb"):
            print(f"wrote {out / rel}")
    print(f"manifest: {out / 'kgan.json'}")
    if web_out is not None:
        print(f"web page: {web_out} (serve it: python {web_out / 'serve.py'})")
    return 0


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=one_line_parser("kgan-export"))


if __name__ == "__main__":
    run()
