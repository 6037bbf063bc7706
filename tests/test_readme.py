"""The READMEs' commands, run as a user types them, in the order written (shortened).

Every command of README.md and export/README.md runs here in a fresh folder, in
document order, with this environment's `kgan-*` scripts and `python` first on
PATH (what `source .venv/bin/activate` gives), except those in `SKIPPED` (set-up,
the test suite itself, the network and what needs it (`--web` pages need
export/js's npm packages), GPUs, a second host, a server that runs until
stopped). Long ones are shortened, each as the README allows:

- `make demo` runs the make target's command with `DEMO_EPOCHS=2` (documented);
- `kgan-train` lines get `--epochs=2 --steps_per_epoch=2` appended (later flags win);
- the Python example trains `epochs=1` instead of 5;
- export/README.md's examples name the user's own generator files
  (`generator.onnx`, `cgan.onnx`, `points.onnx`): the run's export and two small
  exported generators are put there first.

A command that fails shows its output in the assertion message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Command prefix -> why the test does not run it.
SKIPPED = {
    "pip install": "set-up: this environment is that set-up",
    "source .venv/bin/activate": "set-up: this environment's scripts come first on PATH",
    "make test": "the test suite itself",
    "pytest ": "the test suite itself",
    "KGAN_HOSTILE_PROFILE=": "the test suite itself",
    "ONNXRUNTIME_NODE_INSTALL=skip npm": "the npm registry (network)",
    "cd export/js && ": "the npm registry (network)",
    "python runs/digits/web/serve.py": "a server that runs until stopped",
    "kgan-export --run=runs/digits --web": "export/js's npm packages (npm ci: the network)",
    "kgan-train --strategy=mirrored --dataset=mnist": "GPUs, and MNIST's download",
    "export TF_CONFIG=": "a second host",
    "kgan-train --strategy=multi_worker": "a second host",
    "strategy = kgan.distribute.get_strategy": "GPUs, and MNIST's download",
}
SHORTEN_TRAIN = ["--epochs=2", "--steps_per_epoch=2"]


def _blocks(path: Path) -> list[tuple[str, str]]:
    """The README's (language, code) blocks of bash and python, in order."""
    found = re.findall(r"```(bash|python)\n(.*?)```", path.read_text(), flags=re.S)
    return [(lang, code) for lang, code in found]


def _skipped(text: str) -> bool:
    return any(text.lstrip().startswith(prefix) for prefix in SKIPPED)


def _env() -> dict[str, str]:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "export"),
                                         env.get("PYTHONPATH", "")])  # fmt: skip
    return env


def _run(command: list[str] | str, cwd: Path, timeout: float = 600) -> str:
    shell = isinstance(command, str)
    result = subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout,
        shell=shell, executable="/bin/bash" if shell else None,
    )  # fmt: skip
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _shell_line(line: str, cwd: Path) -> None:
    command = line.split(" #")[0].strip()
    if not command or command.startswith("#") or _skipped(command):
        return
    if command.startswith("make demo"):
        _run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", "runs/demo",
              "--epochs", "2"], cwd)  # fmt: skip
        return
    if command.startswith("kgan-train"):
        command += " " + " ".join(SHORTEN_TRAIN)
    if command.startswith("kgan-sample") and not (cwd / "generator.onnx").exists():
        _user_generators(cwd)
    _run(command, cwd)


def _user_generators(cwd: Path) -> None:
    """generator.onnx (the digits run's), cgan.onnx and points.onnx: export/README's files."""
    shutil.copy(cwd / "runs" / "digits" / "export" / "generator.onnx", cwd / "generator.onnx")
    code = (
        "import keras, kgan\n"
        "from kgan.export import export_generator\n"
        "keras.utils.set_random_seed(0)\n"
        "g, _ = kgan.networks.dcgan(8, (8, 8, 1), width=8, num_classes=10)\n"
        "export_generator(g, 'cgan_export', formats=('onnx',))\n"
        "g, _ = kgan.networks.mlp(2, (2,), generator_units=(16,))\n"
        "export_generator(g, 'points_export', formats=('onnx',))\n"
    )
    _run([sys.executable, "-c", code], cwd)
    shutil.copy(cwd / "cgan_export" / "generator.onnx", cwd / "cgan.onnx")
    shutil.copy(cwd / "points_export" / "generator.onnx", cwd / "points.onnx")


def _python(code: str, earlier: list[str], cwd: Path) -> None:
    if _skipped(code):
        return
    code = code.replace("epochs=5)", "epochs=1)")  # the shortened fit
    _run([sys.executable, "-c", "\n".join([*earlier, code])], cwd)
    earlier.append(code)


def test_every_readme_command_runs_in_order(tmp_path):
    ran = []
    for readme in (ROOT / "README.md", ROOT / "export" / "README.md"):
        earlier: list[str] = []  # a README's Python examples build on each other
        for lang, code in _blocks(readme):
            if lang == "python":
                if readme.parent == ROOT / "export" and not (tmp_path / "cgan.onnx").exists():
                    _user_generators(tmp_path)
                _python(code, earlier, tmp_path)
                ran.append(code)
                continue
            for line in code.splitlines():
                _shell_line(line, tmp_path)
                ran.append(line)
    # What the first hour produces is there.
    assert (tmp_path / "runs" / "demo" / "runtime_samples.png").is_file()
    assert (tmp_path / "runs" / "digits" / "export" / "generator.onnx").is_file()
    assert (tmp_path / "runs" / "ring8" / "samples" / "epoch_002.png").is_file()
    assert (tmp_path / "gan.keras").is_file() and (tmp_path / "morph.gif").is_file()
    assert len(ran) > 20
