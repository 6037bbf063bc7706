"""kgan_runtime.fileio: atomic files, folders and JSON; permissions, fsync and clean-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kgan_runtime import fileio
from kgan_runtime.fileio import atomic_dir, atomic_file, write_json

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def test_atomic_file_renames_into_place_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_file(target, suffix=".keras") as tmp:
        assert tmp.parent == tmp_path and tmp.exists() and tmp.stat().st_size == 0
        assert tmp.name.startswith(".a.txt.") and tmp.name.endswith(".keras")
        assert not target.exists()  # Readers never see a partial file under the name.
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_atomic_file_keeps_the_old_file_and_removes_the_temporary_on_error(tmp_path, error):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(type(error)):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise error
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_atomic_file_syncs_before_renaming(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    with atomic_file(tmp_path / "a.bin") as tmp:
        tmp.write_bytes(b"x")
    assert events[:2] == ["fsync", "replace"]  # Then the folder, on POSIX.


def test_atomic_file_needs_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        with atomic_file(tmp_path / "missing" / "a.txt"):
            pass
    assert not (tmp_path / "missing").exists()


@posix_only
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_and_folders_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_file(tmp_path / "f") as tmp:
            tmp.write_text("x")
        write_json({}, tmp_path / "j.json")
        with atomic_dir(tmp_path / "d"):
            pass
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == mode
    assert (tmp_path / "j.json").stat().st_mode & 0o777 == mode
    assert (tmp_path / "d").stat().st_mode & 0o777 == mode | 0o111 & ~umask


def test_write_json_is_indented_sorted_and_creates_folders(tmp_path):
    path = write_json({"b": 1, "a": [1, 2]}, tmp_path / "new" / "sub" / "x.json")
    assert path == tmp_path / "new" / "sub" / "x.json"
    assert path.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert json.loads(path.read_text()) == {"a": [1, 2], "b": 1}


def test_write_json_of_something_unserializable_writes_nothing(tmp_path):
    (tmp_path / "x.json").write_text("old")
    with pytest.raises(TypeError):
        write_json({"a": object()}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text() == "old"
    assert os.listdir(tmp_path) == ["x.json"]


def test_atomic_dir_replaces_a_folder_only_when_complete(tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_dir(out) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".export.")
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").exists()
    assert sorted(os.listdir(out)) == ["new.txt"]
    assert os.listdir(tmp_path) == ["export"]


def test_atomic_dir_error_keeps_the_old_folder(tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(out) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("verification failed")
    assert os.listdir(out) == ["old.txt"] and os.listdir(tmp_path) == ["export"]


def test_atomic_dir_puts_the_old_folder_back_if_the_rename_fails(tmp_path, monkeypatch):
    out = tmp_path / "export"
    out.mkdir()
    (out / "old.txt").write_text("old")
    real_replace = os.replace

    def replace(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError("cross-device")
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    monkeypatch.setattr(fileio, "_exchange", lambda a, b: False)  # the two-rename fallback
    with pytest.raises(OSError, match="cross-device"):
        with atomic_dir(out) as tmp:
            (tmp / "new.txt").write_text("new")
    assert os.listdir(out) == ["old.txt"] and os.listdir(tmp_path) == ["export"]


def test_atomic_dir_creates_the_parent(tmp_path):
    with atomic_dir(tmp_path / "a" / "b") as tmp:
        (tmp / "x").write_text("x")
    assert (tmp_path / "a" / "b" / "x").read_text() == "x"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_atomic_dir_swaps_the_folders_in_one_step_on_linux(tmp_path, monkeypatch):
    out = tmp_path / "export"
    out.mkdir()
    (out / "old.txt").write_text("old")

    def no_rename(src, dst):  # the two-rename path would leave `out` missing in between
        raise AssertionError(f"renamed {src} -> {dst}: a window without {out}")

    monkeypatch.setattr(fileio.os, "replace", no_rename)
    with atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert os.listdir(out) == ["new.txt"] and os.listdir(tmp_path) == ["export"]


def test_clean_temporaries_removes_only_the_leftovers_of_that_folder(tmp_path):
    for name in (".export.0123456789ab.tmp", ".export.0123456789ab.old"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.onnx").write_text("x")
    keep = [".export.lock", ".exports.0123456789ab.tmp", "export", ".export.notes.tmp"]
    for name in keep:
        (tmp_path / name).mkdir()
    removed = fileio.clean_temporaries(tmp_path / "export")
    assert sorted(p.name for p in removed) == [
        ".export.0123456789ab.old",
        ".export.0123456789ab.tmp",
    ]
    assert sorted(os.listdir(tmp_path)) == sorted(keep)


_HOLDER = (
    "import sys, time\n"
    "from kgan_runtime.fileio import folder_lock\n"
    "with folder_lock(sys.argv[1], 'x'):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(600)\n"
)


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_folder_lock_names_the_holder_and_dies_with_it(tmp_path):
    lock = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(
            fileio.FolderLocked, match=f"^the folder is in use by process {holder.pid} "
        ) as info:
            with fileio.folder_lock(lock, "the folder"):
                pass
        assert info.value.pid == holder.pid and "\n" not in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    with fileio.folder_lock(lock, "the folder"):  # SIGKILL released it
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(fileio.FolderLocked):  # also within one process
            with fileio.folder_lock(lock, "the folder"):
                pass
