"""The sha256 of a model folder: stable, and sensitive to any change."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from metaseg.exceptions import TrackingError
from metaseg.tracking import hash_directory


@pytest.fixture
def model_dir(tmp_path):
    root = tmp_path / "model"
    (root / "artifacts").mkdir(parents=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "artifacts" / "segmenter.joblib").write_bytes(b"\x80\x04pickle")
    (root / "requirements.txt").write_text("metaseg==0.1.0\n")
    return root


def test_digest_does_not_depend_on_the_folder_location(model_dir, tmp_path) -> None:
    copy = shutil.copytree(model_dir, tmp_path / "elsewhere" / "copy")
    assert hash_directory(copy) == hash_directory(model_dir)
    assert len(hash_directory(model_dir)) == 64


def test_digest_covers_paths_and_contents(model_dir) -> None:
    digest = hashlib.sha256()
    for relative in ("MLmodel", "artifacts/segmenter.joblib", "requirements.txt"):
        content = hashlib.sha256((model_dir / relative).read_bytes()).hexdigest()
        digest.update(f"{relative}\0{content}\n".encode())
    assert hash_directory(model_dir) == digest.hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "artifacts" / "segmenter.joblib").write_bytes(b"\x80\x04other"),
        lambda root: (root / "MLmodel").rename(root / "MLmodel.bak"),
        lambda root: (root / "extra.py").write_text("print('hi')\n"),
        lambda root: (root / "requirements.txt").unlink(),
    ],
    ids=["content", "rename", "added", "removed"],
)
def test_any_change_changes_the_digest(model_dir, change) -> None:
    before = hash_directory(model_dir)
    change(model_dir)
    assert hash_directory(model_dir) != before


def test_empty_folder_cannot_be_vouched_for(tmp_path) -> None:
    with pytest.raises(TrackingError, match="holds no file"):
        hash_directory(tmp_path)
