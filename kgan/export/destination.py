"""Where an export may go, and what a run folder says its generator must be.

`check_out_dir` decides whether `export_generator` may write a folder: absent or
empty, or (with `overwrite`) an earlier kgan export, recognised by its `kgan.json`
manifest; anything else (a run folder, a home folder) is refused, never deleted.
`run_expectations` reads a run folder's `config.json` for the generator's latent size,
sample shape and classes; `check_expectations` compares them with the contract of the
generator about to be exported, so a stale `generator.keras` of an earlier run is
refused instead of shipped.

Example:
    >>> expect = run_expectations("runs/digits")  # doctest: +SKIP
    >>> expect  # doctest: +SKIP
    {'latent_dim': 64, 'sample_shape': (8, 8, 1), 'num_classes': None}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MANIFEST_NAME = "kgan.json"


def is_export(folder: Path) -> bool:
    """Whether `folder` holds a kgan export manifest (a JSON object with a contract)."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and isinstance(manifest.get("contract"), dict)


def check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Raises FileExistsError unless `export_generator` may write `out_dir`."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{str(out_dir)!r} exists and is not a folder.")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise FileExistsError(
            f"{str(out_dir)!r} exists and is not empty; pass overwrite=True (--overwrite) "
            "to replace it."
        )
    if out_dir.is_symlink() or not is_export(out_dir):
        raise FileExistsError(
            f"{str(out_dir)!r} is not a kgan export (no {MANIFEST_NAME} manifest): overwrite "
            "replaces only an earlier export or an empty folder; choose another folder."
        )


def run_expectations(run: str | os.PathLike) -> dict[str, Any]:
    """What the run folder's `config.json` says its generator is.

    Returns:
        `{"latent_dim": int, "sample_shape": tuple | None, "num_classes": int | None}`
        (`sample_shape` is None for kgan 0.1's config files, which do not record it).

    Raises:
        ValueError: `config.json` is missing, unreadable, or not a kgan config (one line).
    """
    from kgan.train.config import TrainConfig

    path = Path(run) / "config.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError(f"a JSON {type(record).__name__}, not an object")
        config = TrainConfig.from_json(record)
    except FileNotFoundError:
        raise ValueError(
            f"{str(path)!r} is missing: {str(run)!r} is not a complete kgan-train run folder "
            "(use --model=FILE.keras to export a model file)."
        ) from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(f"{str(path)!r} is not a readable kgan config ({err}).") from None
    resolved = record.get("resolved") if isinstance(record.get("resolved"), dict) else {}
    shape = resolved.get("sample_shape")
    conditional = config.model.conditional
    return {
        "latent_dim": config.model.latent_dim,
        "sample_shape": tuple(shape) if isinstance(shape, list) else None,
        "num_classes": resolved.get("num_classes") if conditional else None,
        "conditional": conditional,
    }


def check_expectations(contract: Any, expect: Mapping[str, Any], source: str) -> None:
    """Raises ValueError naming each difference between `contract` and `expect`."""
    found = {
        "latent_dim": contract.latent_dim,
        "sample_shape": tuple(contract.sample_shape),
        "num_classes": contract.num_classes,
        "conditional": contract.num_classes is not None,
    }
    differences = [
        f"{key} {found[key]!r} in the model, {value!r} in config.json"
        for key, value in expect.items()
        if key in found and value is not None and found[key] != value
    ]
    if expect.get("conditional") is False and found["num_classes"] is not None:
        differences.append(
            f"num_classes {found['num_classes']!r} in the model, none in config.json"
        )
    if differences:
        raise ValueError(
            f"{source} does not belong to its run ({'; '.join(dict.fromkeys(differences))}): "
            "a leftover of an earlier run? Train the run again, or export the file with --model."
        )
