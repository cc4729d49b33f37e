"""The MLflow pyfunc wrapper of a fitted segmentation (logged as "model from code").

``mlflow.pyfunc.load_model(uri).predict(facts)`` returns the labels table
(``metaseg.schema.LABEL_COLUMNS``). The logged model holds three things: the small
entry file :mod:`metaseg.tracking._pyfunc_entry` (MLflow runs it to build a
:class:`SegmenterModel`; no pickled wrapper), the fitted segmenter as a joblib
artifact (``segmenter``), and a ``model_config`` with the kinds of the input columns
and the model name, version and run id written into the labels.

``params={"as_of": "2026-01-31"}`` sets the reference time (needed by rules such as
``within_days``, and written into the labels). The labels' model name, version and
run id come from the ``model_config`` (overridable when loading, e.g.
``mlflow.pyfunc.load_model(uri, model_config={"model_version": "3"})``), else from the
registry when the model is loaded through ``models:/NAME/VERSION`` or
``models:/NAME@ALIAS``.

This module imports MLflow when it is imported; it is imported only when MLflow logs
or loads a metaseg model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from metaseg.provenance import Provenance, stamp_provenance
from metaseg.tracking.names import SEGMENTER_ARTIFACT
from metaseg.tracking.signature import restore_dtypes

#: Keys of ``model_config`` that fill the labels' model columns.
PROVENANCE_KEYS = ("model_name", "model_version", "run_id")
#: Key of ``model_config`` holding the input columns' kinds.
KINDS_KEY = "kinds"
#: File MLflow adds to a model downloaded through the registry (name and version).
_REGISTRY_META = "registered_model_meta"


def model_config(kinds: Mapping[str, str], provenance: Provenance) -> dict[str, Any]:
    """The ``model_config`` logged with the pyfunc model.

    Examples
    --------
    >>> model_config({"customer_id": "long"}, Provenance("shop", None, "abc"))["run_id"]
    'abc'
    """
    config: dict[str, Any] = {KINDS_KEY: dict(kinds)}
    for key in PROVENANCE_KEYS:
        value = getattr(provenance, key)
        config[key] = None if value is None else str(value)
    return config


def _registry_meta(model_dir: Path) -> dict[str, Any]:
    """Name and version MLflow writes beside a model loaded through ``models:/NAME/...``."""
    import yaml

    meta = model_dir / _REGISTRY_META
    if not meta.is_file():
        return {}
    document = yaml.safe_load(meta.read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else {}


class SegmenterModel(mlflow.pyfunc.PythonModel):
    """Pyfunc model that labels customers with a fitted :class:`~metaseg.model.MetaSegmenter`.

    Examples
    --------
    >>> SegmenterModel().segmenter is None
    True
    """

    def __init__(self) -> None:
        self.segmenter: Any = None
        self.kinds: dict[str, str] = {}
        self.provenance = Provenance()

    def load_context(self, context: Any) -> None:
        """Load the segmenter artifact; apply the logged (or overridden) model_config."""
        import joblib

        path = Path(context.artifacts[SEGMENTER_ARTIFACT])
        self.segmenter = joblib.load(path)
        config = getattr(context, "model_config", None) or {}
        self.kinds = dict(config.get(KINDS_KEY) or {})
        registry = _registry_meta(path.parent.parent)
        values = {}
        for key in PROVENANCE_KEYS:
            value = config.get(key)
            if value is None:
                value = registry.get(key)
            values[key] = None if value is None else str(value)
        self.provenance = Provenance(**values)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return the labels table of the customers in ``model_input`` (facts)."""
        facts = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        facts = restore_dtypes(facts, self.kinds)
        as_of = (params or {}).get("as_of") or None
        return stamp_provenance(self.segmenter.predict(facts, as_of=as_of), self.provenance)
