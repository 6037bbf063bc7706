"""Every command line answers a bad flag with one line and status 2, and --help with its flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = [
    ("train", ["--epochs=0"], "kgan-train: error: flag --epochs=0: 0 is not a positive integer"),
    ("train", ["--grid_size=100000000"], "kgan-train: error: flag --grid_size=100000000: 10"),
    ("train", ["--batch_size=ten"], "kgan-train: error: flag --batch_size=ten: invalid literal"),
    ("train", ["--arch=gan"], "kgan-train: error: flag --arch=gan: value should be one of"),
    ("train", ["--lr=0"], "kgan-train: error: lr must be a finite number > 0; got lr=0.0."),
    ("train", ["--nosuch=1"], "kgan-train: error: Unknown command line flag 'nosuch'"),
    ("train", ["--generator_units=a,8"], "kgan-train: error: generator_units must be comma-"),
    ("train", ["--dropout=1.0"], "kgan-train: error: dropout must be in [0, 1) or None; got dro"),
    ("train", ["--jit_compile=yes"], "kgan-train: error: flag --jit_compile=yes: value should be"),
    ("export", ["--opset=99", "--model=x.keras"], "kgan-export: error: flag --opset=99"),
    ("export", ["--output=png", "--model=x.keras"], "kgan-export: error: flag --output=png"),
    ("export", ["--model=missing.keras"], "kgan-export: error: No model file at 'missing.keras'"),
    ("export", ["--web_out=site", "--model=x.keras"], "kgan-export: error: --web_out needs --web"),
    ("export", ["--web", "--formats=saved_model", "--model=m"], "kgan-export: error: --web needs"),
    ("evaluate", ["--num_samples=0"], "kgan-evaluate: error: flag --num_samples=0: 0 is not a"),
]


@pytest.mark.parametrize("cli,args,message", CASES, ids=[" ".join(c[1]) for c in CASES])
def test_bad_flags_get_one_line_and_status_2(tmp_path, cli, args, message):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    extra = ["--dry_run"] if cli == "train" else []
    result = subprocess.run(
        [sys.executable, "-m", f"kgan.cli.{cli}", *args, *extra],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("kgan-")]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr[-1500:]
    assert "Traceback" not in result.stderr


def test_train_flags_are_generated_from_the_config_fields():
    """Help text, default, choices and bounds of each flag come from its field, once."""
    from absl import flags

    from kgan.cli._flags import config_overrides, define_config_flags
    from kgan.train.config import SETTINGS

    values = flags.FlagValues()
    define_config_flags(values)
    flagged = {name: s for name, s in SETTINGS.items() if s.flag}
    assert set(values) == set(flagged)
    assert {"preset", "verbose"}.isdisjoint(values)  # not flags: --preset is kgan-train's own
    for name, s in flagged.items():
        assert s.help in values[name].help, name
    assert values["epochs"].default == 10 and values["latent_dim"].parser.lower_bound == 1
    assert values["strategy"].parser.enum_values == ["default", "mirrored", "multi_worker", "tpu"]
    assert values["jit_compile"].parser.enum_values == ["auto", "true", "false"]
    assert "Must be a finite number > 0." in values["lr"].help  # an open bound: in words
    values(["kgan-train", "--jit_compile=false", "--generator_units=16,8", "--lr=0.001"])
    assert config_overrides(values) == {
        "jit_compile": False, "generator_units": [16, 8], "lr": 0.001,
    }  # fmt: skip


HELP = {
    "train": ["--dataset", "--latent_dim", "--out", "--preset", "--[no]resume", "--jit_compile",
              "(default: '64')", "digits, grid25, ring8", "wgan_gp", "sngan_hinge", "grid25",
              "data (DataConfig)", "optimizer (OptimizerConfig)"],
    "export": ["--run", "--model", "--opset", "--formats", "(default: '17')"],
    "evaluate": ["--model", "--data", "--metrics", "--inception_weights", "ring8, grid25, digits"],
}  # fmt: skip


@pytest.mark.parametrize("cli", sorted(HELP))
def test_help_lists_the_programs_flags_without_loading_tensorflow(cli):
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('loaded:', [m for m in ('tensorflow', 'keras') "
        "if m in sys.modules]))\n"
        f"sys.argv = ['kgan-{cli}', '--help']\n"
        f"from kgan.cli.{cli} import run\n"
        "run()\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.startswith(f"kgan-{cli}: ")  # the program's docstring first
    for text in HELP[cli]:
        assert text in out, text
    for absl_flag in ("--logtostderr", "--verbosity", "--test_tmpdir", "--only_check_args"):
        assert absl_flag not in out
    assert out.rstrip().endswith("loaded: []")
    # The console script answers the same way.
    script = Path(sys.executable).parent / f"kgan-{cli}"
    again = subprocess.run([script, "-h"], capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and HELP[cli][0] in again.stdout
