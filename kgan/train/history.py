"""`history.jsonl`: reading it tolerantly, and repairing it when a run resumes.

Each line is a JSON object: an epoch's metrics (`{"epoch": 3, "d_loss": ...}`) or an
event (`{"event": "resumed", ...}`). A kill or a full disk in the middle of an append
can leave a last line cut short; `read_history` skips lines that do not parse, and
`repair_history` rewrites the file without them. On resume, `repair_history` also drops
the epoch records of epochs the checkpoint does not cover (written before a kill that
came ahead of the epoch's checkpoint), so a resumed run ends with the epoch records of
an uninterrupted one.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.jsonl"
    >>> _ = path.write_text('{"epoch": 1}\\n{"epoch": 2}\\n{"epo')
    >>> repair_history(path, epochs_done=1)
    >>> read_history(path)
    [{'epoch': 1}]
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from kgan_runtime.fileio import atomic_file


def read_history(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a `history.jsonl` file ([] when missing), skipping unparsable lines."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def repair_history(path: str | os.PathLike, *, epochs_done: int | None = None) -> None:
    """Rewrites `path` (atomically, only when needed) without unparsable lines.

    Args:
        path: the history file (nothing happens when it is missing).
        epochs_done: when given, epoch records of later epochs are dropped too (events
            stay): the run resumes from a checkpoint that has only this many epochs.
    """
    path = Path(path)
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    kept = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        epoch = record.get("epoch")
        if epochs_done is not None and "event" not in record and isinstance(epoch, int):
            if epoch > epochs_done:
                continue
        kept.append(line)
    repaired = "".join(line + "\n" for line in kept)
    if repaired != text:
        with atomic_file(path) as tmp:
            tmp.write_text(repaired, encoding="utf-8")


def append_record(path: str | os.PathLike, record: dict[str, Any]) -> None:
    """Appends `record` as one JSON line, flushed and fsync'ed; all of it or nothing.

    If the write fails (a full disk), the file is cut back to its previous length, so
    no partial line stays behind (a kill mid-write can still leave one: readers skip it
    and `repair_history` removes it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record) + "\n").encode("utf-8")
    with open(path, "ab") as f:
        size = f.tell()
        try:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                f.truncate(size)
            raise
