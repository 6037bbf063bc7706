"""Fake MNIST for tests: digit-like 28x28 images whose class is easy to read, and IDX files.

Tests never read the real MNIST; `fake_digits` draws images where class k is a
bright 6x6 block at one of ten places, plus noise, so a tiny classifier learns
them in a few steps.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

SIZE = 28


def fake_digits(n: int, seed: int = 0, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """`n` uint8 images (n, size, size, 1) and their labels 0-9 (every class present)."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) + rng.integers(0, 10)) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(n, size, size), dtype=np.uint8)
    step = (size - 6) // 4
    for i, k in enumerate(labels):
        row, col = divmod(int(k), 4)
        images[i, row * step : row * step + 6, col * step : col * step + 6] = 255
    return images[..., None], labels.astype(np.int32)


def write_idx(folder: Path, images: np.ndarray, labels: np.ndarray, *, prefix: str = "t10k",
              gz: bool = True) -> tuple[Path, Path]:  # fmt: skip
    """Writes MNIST-format IDX files `{prefix}-images-idx3-ubyte[.gz]` and labels into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    opener = gzip.open if gz else open
    n, rows, cols = images.shape[:3]
    image_path = folder / f"{prefix}-images-idx3-ubyte{suffix}"
    label_path = folder / f"{prefix}-labels-idx1-ubyte{suffix}"
    header = b"".join(int(v).to_bytes(4, "big") for v in (2051, n, rows, cols))
    with opener(image_path, "wb") as f:
        f.write(header + np.ascontiguousarray(images, np.uint8).tobytes())
    with opener(label_path, "wb") as f:
        header = (2049).to_bytes(4, "big") + n.to_bytes(4, "big")
        f.write(header + labels.astype(np.uint8).tobytes())
    return image_path, label_path
