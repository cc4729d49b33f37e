"""Atomic file replacement."""

from __future__ import annotations

import os
import stat

import pytest

from metaseg.export.atomic import atomic_write, atomic_write_bytes


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
