"""Where a labels table came from: stamped on the labels when they are scored or logged.

A fitted :class:`~metaseg.model.MetaSegmenter` does not know whether, or under which
name, it was logged: its labels leave ``model_name``, ``model_version`` and ``run_id``
empty. Whoever knows them stamps them: :func:`metaseg.tracking.log_fit` on the labels it
logs, a loaded champion (:func:`metaseg.tracking.load_champion`) and the MLflow pyfunc
model on the labels they score.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metaseg import schema

__all__ = ["Provenance", "stamp_provenance"]


@dataclass(frozen=True)
class Provenance:
    """The logged model a labels table comes from (every field optional)."""

    model_name: str | None = None
    model_version: str | None = None
    run_id: str | None = None


def stamp_provenance(
    labels: pd.DataFrame, provenance: Provenance, *, scored_at: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Return ``labels`` with the model name, version and run id of ``provenance``.

    Parameters
    ----------
    labels : DataFrame
        A labels table (``metaseg.schema.LABEL_COLUMNS``).
    provenance : Provenance
    scored_at : Timestamp, optional
        Also set the scoring time (UTC); left as it is when omitted.

    Examples
    --------
    >>> labels = pd.DataFrame({"customer_id": ["a"], "model_name": [None]})
    >>> stamp_provenance(labels, Provenance("shop", "3", "abc"))["model_version"].tolist()
    ['3']
    """
    values: dict[str, object] = {
        schema.MODEL_NAME: provenance.model_name,
        schema.MODEL_VERSION: (
            None if provenance.model_version is None else str(provenance.model_version)
        ),
        schema.RUN_ID: provenance.run_id,
    }
    if scored_at is not None:
        stamp = pd.Timestamp(scored_at)
        values[schema.SCORED_AT] = (
            stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        )
    return labels.assign(**values)
