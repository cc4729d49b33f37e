"""The per-customer state of a fit, kept in its run rather than in its registered model.

A registered model is the scoring copy of the fit (:meth:`MetaSegmenter.for_scoring
<metaseg.model.MetaSegmenter.for_scoring>`): no row per customer. The training labels
(``labels_``) go to the run as ``training/fit_labels.parquet``, unstamped, exactly as the
model held them; the model records their sha256 in ``training_digests_``, so what is
fetched back is checked against the model the registry vouched for.
:class:`~metaseg.tracking.LoadedModel` fetches them on request
(:meth:`~metaseg.tracking.LoadedModel.training_labels`,
:meth:`~metaseg.tracking.LoadedModel.full_model`); scoring never does.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg.exceptions import TrackingError
from metaseg.tracking import names
from metaseg.tracking.integrity import file_sha256


def save_training_state(folder: Path, model: Any) -> tuple[dict[str, Path], dict[str, str]]:
    """Write the fit's per-customer state under ``folder``; return files and sha256s.

    Both are keyed by artifact path (``training/fit_labels.parquet``).
    """
    from metaseg._io import atomic_write_bytes

    buffer = io.BytesIO()
    model.labels_.to_parquet(buffer, index=False)
    path = folder / names.TRAINING_LABELS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return {names.TRAINING_LABELS_PATH: path}, {names.TRAINING_LABELS_PATH: file_sha256(path)}


def fetch_training_labels(client: Any, run_id: str, model: Any, what: str) -> pd.DataFrame:
    """Download a run's training labels and check them against the model's digest.

    Parameters
    ----------
    client : MlflowClient
    run_id : str
        The run the model was logged in.
    model : MetaSegmenter
        The scoring copy (its ``training_digests_`` names the expected sha256).
    what : str
        The model, named in messages (``'shop' version 3``).

    Raises
    ------
    TrackingError
        The model records no digest of its training labels, the run holds no such
        artifact, or the file differs from the digest.
    """
    from mlflow.exceptions import MlflowException

    path = names.TRAINING_LABELS_PATH
    expected = (getattr(model, "training_digests_", None) or {}).get(path)
    if not expected:
        raise TrackingError(
            f"model {what} records no sha256 of its training labels, so they cannot be "
            "fetched and verified; log the fit again with metaseg.tracking.log_fit."
        )
    with tempfile.TemporaryDirectory(prefix="metaseg-training-") as tmp:
        try:
            local = Path(client.download_artifacts(run_id, path, tmp))
        except (MlflowException, OSError) as exc:
            raise TrackingError(
                f"model {what}: its run {run_id} holds no readable {path!r} ({exc}); the "
                "run's artifacts were deleted or moved. Log the fit again."
            ) from None
        actual = file_sha256(local)
        if actual != expected:
            raise TrackingError(
                f"model {what}: {path!r} of run {run_id} does not match the sha256 the model "
                f"recorded ({actual[:12]}... instead of {expected[:12]}...); it was modified "
                "after logging. Refusing to use it; log the fit again."
            )
        return pd.read_parquet(local)
