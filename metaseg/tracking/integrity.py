"""Integrity of a logged model: one sha256 over every file of its artifact folder.

The digest covers each file's path (relative, with ``/``) and content, visited in
sorted path order, so it does not depend on the file system's listing order or on
where the folder was downloaded to. It is recorded when a model version is promoted
and checked before a model is unpickled by :func:`metaseg.tracking.load_champion`.

One file is left out: ``registered_model_meta`` at the top of the folder. MLflow writes
it (the registered name and version, no code or data) into the model's own folder when
the model is loaded through a ``models:/`` URI from a local store, so counting it would
make every such load look like tampering.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from metaseg.exceptions import TrackingError

_CHUNK = 1 << 20
#: Written by MLflow into a model's folder when it is loaded by ``models:/`` URI.
REGISTRY_BOOKKEEPING = "registered_model_meta"


def file_sha256(path: str | Path) -> str:
    """Return the hex sha256 of one file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_directory(folder: str | Path) -> str:
    """Return one sha256 over the relative paths and contents of every file in ``folder``.

    Raises
    ------
    TrackingError
        If ``folder`` holds no file (nothing to vouch for).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "MLmodel").write_text("flavors: {}")
    >>> before = hash_directory(root)
    >>> _ = (root / "registered_model_meta").write_text("model_name: shop")  # MLflow's
    >>> hash_directory(root) == before
    True
    """
    root = Path(folder)
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and p != root / REGISTRY_BOOKKEEPING),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    if not files:
        raise TrackingError(
            f"the model folder {str(root)!r} holds no file, so its integrity cannot be "
            "checked; log the model again."
        )
    digest = hashlib.sha256()
    for path in files:
        relative = path.relative_to(root).as_posix()
        digest.update(relative.encode("utf-8"))
        digest.update(b"\0")
        digest.update(file_sha256(path).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def download_model_dir(artifact_uri: str, destination: str | Path, tracking_uri: str) -> Path:
    """Download the files of a logged model (its storage location) into ``destination``.

    Parameters
    ----------
    artifact_uri : str
        Where the model's files are stored (a logged model's artifact location or
        ``MlflowClient.get_model_version_download_uri``), not a ``models:/`` URI,
        which would add registry bookkeeping files to the download.
    destination : path
        An empty folder.
    tracking_uri : str
        The tracking URI, used to resolve ``mlflow-artifacts:/`` locations.
    """
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri, dst_path=str(destination), tracking_uri=tracking_uri
    )
    return Path(local)
