"""Every command line answers a bad flag with one line on stderr and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CASES = [
    ("train", ["--epochs=0"], "kgan-train: error: flag --epochs=0: 0 is not a positive integer"),
    ("train", ["--batch_size=ten"], "kgan-train: error: flag --batch_size=ten: invalid literal"),
    ("train", ["--arch=gan"], "kgan-train: error: flag --arch=gan: value should be one of"),
    ("train", ["--lr=0"], "kgan-train: error: lr must be a finite number > 0; got lr=0.0."),
    ("train", ["--nosuch=1"], "kgan-train: error: Unknown command line flag 'nosuch'"),
    ("train", ["--generator_units=a,8"], "kgan-train: error: generator_units must be comma-"),
    ("export", ["--opset=99", "--model=x.keras"], "kgan-export: error: flag --opset=99"),
    ("export", ["--output=png", "--model=x.keras"], "kgan-export: error: flag --output=png"),
    ("export", ["--model=missing.keras"], "kgan-export: error: No model file at 'missing.keras'"),
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
