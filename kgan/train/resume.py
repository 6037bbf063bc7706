"""Resuming a run folder: which checkpoint, whether its config matches, and the clean-up first.

`resume_point` picks the newest intact checkpoint (refusing when every checkpoint is
corrupt) and checks the folder's `config.json` against the new config; `drop_after`
brings the folder back to that checkpoint before training goes on.

Example:
    >>> latest = resume_point(folder, config, resume=True)  # doctest: +SKIP
    >>> latest["step"]  # doctest: +SKIP
    400
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kgan.train.config import RESUMABLE_CHANGES, TrainConfig
from kgan.train.history import repair_history

if TYPE_CHECKING:
    from kgan.train.run import RunFolder


def config_differences(saved: TrainConfig, config: TrainConfig) -> list[str]:
    """The settings that differ between the folder's config and the new one, in words
    (those that may change on resume, `RESUMABLE_CHANGES`, left out)."""
    # lr_decay's schedule spans the run's steps as first configured.
    resumable = [k for k in RESUMABLE_CHANGES if not (k == "epochs" and config.optimizer.lr_decay)]
    old, new = saved.flat(), config.flat()
    return [
        f"{key}: {old[key]!r} in the run folder, {new[key]!r} now"
        for key in new
        if key not in resumable and old[key] != new[key]
    ]


def resume_point(folder: RunFolder, config: TrainConfig, resume: bool) -> dict[str, Any] | None:
    """The folder's last checkpoint to resume from (None: start over), once the config matches.

    Raises:
        CheckpointsCorrupt: the folder has checkpoints and none is intact.
    """
    latest = folder.checkpoints.latest_or_refuse() if resume else None
    if latest is None:
        return None
    try:
        record = json.loads(folder.config.read_text())
        if not isinstance(record, dict):
            raise ValueError(f"a JSON {type(record).__name__}, not an object")
        saved = TrainConfig.from_json(record)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(
            f"Cannot resume from {str(folder.root)!r}: its config.json is unreadable ({err}). "
            "Use resume=False (--noresume) to start over."
        ) from None
    differences = config_differences(saved, config)
    if differences:
        raise ValueError(
            f"{str(folder.root)!r} holds a checkpoint of a run with a different config ("
            + "; ".join(differences)
            + "). Use another output folder, or resume=False (--noresume) to start over."
        )
    return latest


def drop_after(folder: RunFolder, latest: dict[str, Any], steps_per_epoch: int) -> None:
    """Before resuming from `latest`: the history and checkpoints go back to its step.

    Checkpoints after it (corrupt ones: it is the newest intact) are removed, so pruning
    never counts them; epoch records it does not cover (a kill between an epoch's
    history line and its checkpoint) are dropped, to be written again; an unparsable
    last line (a kill or a full disk mid-append) is removed.
    """
    step = int(latest["step"])
    for meta_path in folder.checkpoints.folder.glob("ckpt-[0-9]*.json"):
        if meta_path.stem[5:].isdigit() and int(meta_path.stem[5:]) > step:
            meta_path.unlink(missing_ok=True)
            meta_path.with_suffix(".keras").unlink(missing_ok=True)
    folder.checkpoints.prune()  # a lowered keep_checkpoints frees space before training
    repair_history(folder.history, epochs_done=step // steps_per_epoch)
