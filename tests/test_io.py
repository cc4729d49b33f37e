"""Atomic file replacement."""

from __future__ import annotations

import os
import stat

import pytest

from metaseg._io import atomic_write, atomic_write_bytes


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if "metaseg-tmp" in p.name]


def test_replaces_content_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "labels.csv"
    target.write_text("old\n")
    with atomic_write(target, "w", encoding="utf-8") as fh:
        fh.write("new\n")
        # while writing, readers still see the old file
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n"
    assert _leftovers(tmp_path) == []


def test_failure_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "labels.parquet"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as fh:
        fh.write(b"partial new content")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "labels.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_files_get_the_usual_permissions_not_the_temp_files(tmp_path):
    target = tmp_path / "fresh.csv"
    atomic_write_bytes(target, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_rejects_append_mode(tmp_path):
    with pytest.raises(ValueError, match="'wb' or 'w'"), atomic_write(tmp_path / "x", "a"):
        pass


def test_a_killed_writer_leaves_a_temp_file_that_the_next_write_removes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "labels.csv"
    script = (
        "import sys, time\n"
        "from metaseg._io import atomic_write\n"
        "with atomic_write(sys.argv[1], 'w') as fh:\n"
        "    fh.write('half'); fh.flush(); print('writing', flush=True); time.sleep(60)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        live = _leftovers(tmp_path)
        assert len(live) == 1 and str(writer.pid) in live[0]
        # a write while the other writer still runs leaves its temporary file alone
        atomic_write_bytes(target, b"first")
        assert _leftovers(tmp_path) == live
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    time.sleep(0.1)
    other = tmp_path / ".other.csv.metaseg-tmp-999999999-x"  # another target's leftover
    other.write_text("x")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert _leftovers(tmp_path) == [other.name]


def test_an_unwritable_folder_is_named_with_the_target_not_the_temp_file(tmp_path):
    target = tmp_path / "missing" / "labels.csv"
    with pytest.raises(FileNotFoundError) as caught:
        atomic_write_bytes(target, b"x")
    message = str(caught.value)
    assert f"cannot write {target}" in message
    assert "metaseg-tmp" not in message
    assert "choose another target" in message
