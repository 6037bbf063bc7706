"""Training soak: kgan-train killed with SIGKILL at random moments and restarted, over and over.

Runs `kgan-train` once without interruption (the reference), then runs the same command
on another folder and SIGKILLs it, restarts it, and repeats until the run finishes (or
`--minutes` pass: then one last run finishes it unkilled). Most runs are killed at a
random moment in the `--kill_after` seconds after they saved their first new checkpoint
(so every run makes progress, whatever the machine's start-up time); one in
`--early_every` is killed in its first seconds instead, while TensorFlow loads. The job is
many short epochs with a checkpoint every few steps (`--deterministic`), so kills land
everywhere: between checkpoints, during a save, just after one. After every kill it checks:

- the files: at most `--keep_checkpoints` complete checkpoints (plus at most one checkpoint
  being written) and no leftover temporaries once the next run has started;
- the memory: the peak RSS of each run (VmHWM), which must stay flat from run to run (a
  resumed run reads no more than a fresh one);

and at the end that the killed-and-resumed folder equals the reference bit for bit: the
weights of `gan.keras`, the epoch records of `history.jsonl` and every sample PNG.

Prints one line per run and a summary; `--json` keeps the figures. Exit status 0 when every
check holds, 1 otherwise.

Example (a few minutes on a laptop):

    .venv/bin/python scripts/soak_train.py --epochs 30 --minutes 10
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def job(args: argparse.Namespace) -> list[str]:
    """The kgan-train flags of the soak job."""
    return [
        "--dataset=ring8", "--arch=mlp", f"--epochs={args.epochs}", "--batch_size=100",
        f"--steps_per_epoch={args.steps_per_epoch}", "--latent_dim=4",
        f"--checkpoint_every={args.checkpoint_every}",
        f"--keep_checkpoints={args.keep_checkpoints}", "--grid_size=16", "--deterministic",
        f"--seed={args.seed}",
    ]  # fmt: skip


def start(out: Path, args: argparse.Namespace) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    cmd = [sys.executable, "-m", "kgan.cli.train", *job(args), f"--out={out}"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def peak_rss(pid: int) -> int | None:
    """VmHWM (peak resident memory) of a live process, in bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def latest_step(out: Path) -> int:
    folder = out / "checkpoints"
    if not folder.is_dir():
        return 0
    return max((int(p.stem[5:]) for p in folder.glob("ckpt-*.json") if p.stem[5:].isdigit()),
               default=0)  # fmt: skip


def wait_watching(
    proc: subprocess.Popen, seconds: float | None, *, out: Path | None = None, after: int = 0
) -> int | None:
    """Waits `seconds` (None: to the end) sampling the peak RSS; returns it.

    With `out`, the `seconds` count from when a checkpoint beyond step `after` appears.
    """
    deadline = None if seconds is None or out is not None else time.monotonic() + seconds
    peak = None
    while proc.poll() is None and (deadline is None or time.monotonic() < deadline):
        peak = peak_rss(proc.pid) or peak
        if deadline is None and out is not None and latest_step(out) > after:
            deadline = time.monotonic() + seconds
        time.sleep(0.05)
    return peak


def checkpoint_files(out: Path) -> tuple[int, int, int]:
    """(complete checkpoints, .keras files, temporaries) in the run's checkpoint folder."""
    folder = out / "checkpoints"
    if not folder.is_dir():
        return 0, 0, 0
    names = [p.name for p in folder.iterdir()]
    keras_files = [n for n in names if n.startswith("ckpt-") and n.endswith(".keras")]
    complete = [n for n in keras_files if n.replace(".keras", ".json") in names]
    return len(complete), len(keras_files), sum(n.startswith(".") for n in names)


def epoch_records(out: Path) -> list[dict]:
    records = []
    for line in (out / "history.jsonl").read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "event" not in record:
            records.append(record)
    return records


def same_weights(a: Path, b: Path) -> bool:
    import keras
    import numpy as np

    import kgan  # noqa: F401  (registers the GAN class)

    wa = keras.models.load_model(a).get_weights()
    wb = keras.models.load_model(b).get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--steps_per_epoch", type=int, default=6)
    parser.add_argument("--checkpoint_every", type=int, default=4)
    parser.add_argument("--keep_checkpoints", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--kill_after", type=float, nargs=2, default=(0.0, 6.0),
                        help="A run is killed at a moment drawn uniformly in [A, B] s after "
                             "its first new checkpoint.")  # fmt: skip
    parser.add_argument(
        "--early_every",
        type=int,
        default=5,
        help="Every Nth run is killed 1-5 s after it starts instead.",
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="Give up after this long.")
    parser.add_argument("--random_seed", type=int, default=0, help="Seed of the kill delays.")
    parser.add_argument("--folder", type=Path, help="Work folder (default: a temporary one).")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args()
    rng = random.Random(args.random_seed)
    root = args.folder or Path(tempfile.mkdtemp(prefix="kgan-soak-train-"))
    ref, out = root / "reference", root / "killed"
    began = time.monotonic()

    proc = start(ref, args)
    ref_peak = wait_watching(proc, None)
    if proc.returncode != 0:
        print(f"reference run failed:\n{proc.stderr.read().decode()[-2000:]}")
        return 1
    ref_seconds = time.monotonic() - began
    print(f"reference: {ref_seconds:.1f} s, peak RSS {ref_peak / 2**20:.0f} MiB")

    runs, problems, last_step = [], [], latest_step(out)
    while time.monotonic() - began < args.minutes * 60:
        early = args.early_every and (len(runs) + 1) % args.early_every == 0
        delay = rng.uniform(1.0, 5.0) if early else rng.uniform(*args.kill_after)
        proc = start(out, args)
        peak = wait_watching(proc, delay, out=None if early else out, after=last_step)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        stderr = proc.stderr.read().decode()
        complete, keras_files, temporaries = checkpoint_files(out)
        step = latest_step(out)
        runs.append({"delay_s": round(delay, 2), "killed": killed, "exit": proc.returncode,
                     "peak_rss": peak, "checkpoints": complete, "keras_files": keras_files,
                     "temporaries": temporaries, "step": step,
                     "trained": step > last_step or not killed})  # fmt: skip
        last_step = step
        when = "killed at start +" if early else "killed, checkpoint +"
        print(f"run {len(runs):3d}: {when if killed else 'ended'} "
              f"{delay:4.1f} s, at step {step:4d}, peak RSS "
              f"{(peak or 0) / 2**20:5.0f} MiB, checkpoints {complete} "
              f"(.keras {keras_files}, temporaries {temporaries})")  # fmt: skip
        if complete > args.keep_checkpoints or keras_files > args.keep_checkpoints + 1:
            problems.append(f"run {len(runs)}: {keras_files} checkpoint files")
        if not killed:
            if proc.returncode != 0:
                problems.append(f"run {len(runs)} exited {proc.returncode}: {stderr[-500:]}")
            break
    else:  # time is up: one last run, not killed, finishes the job
        proc = start(out, args)
        peak = wait_watching(proc, None)
        runs.append({"delay_s": None, "killed": False, "exit": proc.returncode,
                     "peak_rss": peak, "trained": True, "step": latest_step(out),
                     **dict(zip(("checkpoints", "keras_files", "temporaries"),
                                checkpoint_files(out)))})  # fmt: skip
        print(f"run {len(runs):3d}: not killed (--minutes passed), exit {proc.returncode}, "
              f"peak RSS {(peak or 0) / 2**20:5.0f} MiB")  # fmt: skip
        if proc.returncode != 0:
            problems.append(f"the last run exited {proc.returncode}: "
                            f"{proc.stderr.read().decode()[-500:]}")  # fmt: skip

    finished = (out / "gan.keras").exists()
    if finished:
        if not same_weights(ref / "gan.keras", out / "gan.keras"):
            problems.append("gan.keras differs from the reference")
        if epoch_records(ref) != epoch_records(out):
            problems.append("history.jsonl's epoch records differ from the reference")
        for png in sorted((ref / "samples").glob("*.png")):
            if (out / "samples" / png.name).read_bytes() != png.read_bytes():
                problems.append(f"samples/{png.name} differs from the reference")
        if checkpoint_files(out)[2]:
            problems.append("temporaries left in checkpoints/ after the last run")
    # Runs killed while TensorFlow loads peak lower: compare the runs that trained.
    peaks = [r["peak_rss"] for r in runs if r["peak_rss"] and r["trained"]] or [0]
    kills = sum(r["killed"] for r in runs)
    growth = (max(peaks[len(peaks) // 2:]) / max(peaks[: max(len(peaks) // 2, 1)]) - 1) * 100 \
        if len(peaks) >= 2 else 0.0  # fmt: skip
    summary = {
        "kills": kills, "runs": len(runs), "finished": finished,
        "kills_after_training_began": sum(r["killed"] and r["trained"] for r in runs),
        "bit_identical": finished and not problems,
        "peak_rss_mib": [round(p / 2**20) for p in peaks],
        "reference_peak_rss_mib": round(ref_peak / 2**20),
        "rss_growth_second_half_pct": round(growth, 1),
        "max_checkpoint_files": max((r["keras_files"] for r in runs), default=0),
        "keep_checkpoints": args.keep_checkpoints, "seconds": round(time.monotonic() - began),
        "job": job(args), "problems": problems,
    }  # fmt: skip
    if growth > 10:
        problems.append(f"peak RSS grew {growth:.1f}% from the first half of the runs")
    print(f"{kills} SIGKILLs over {len(runs)} runs in {summary['seconds']} s; finished: "
          f"{finished}; end state equal to the reference: {summary['bit_identical']}; peak RSS "
          f"{min(peaks) / 2**20:.0f}-{max(peaks) / 2**20:.0f} MiB (reference "
          f"{ref_peak / 2**20:.0f}); at most {summary['max_checkpoint_files']} .keras "
          f"checkpoint files with keep_checkpoints={args.keep_checkpoints}")  # fmt: skip
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
