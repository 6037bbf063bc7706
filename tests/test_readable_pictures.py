"""Issue 13, item 7: the demo's pictures are readable (>= 256 pixels on the long side)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_writes_readable_pngs(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    command = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--epochs=1", f"--out={tmp_path}"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    runtime_png = tmp_path / "runtime_samples.png"  # kgan-sample without --scale.
    keras_png = tmp_path / "train" / "samples" / "epoch_001.png"  # the training grid.
    for path in (runtime_png, keras_png):
        with Image.open(path) as png:
            # 100 digits of 8x8, 10 per row, 1 px padding: 91 px, upscaled 3x (nearest).
            assert png.size == (273, 273), path
