"""The MLflow pyfunc wrapper of a fitted segmentation (logged as "model from code").

``mlflow.pyfunc.load_model(uri).predict(facts)`` returns the labels table
(``metaseg.schema.LABEL_COLUMNS``). The logged model holds three things: the small
entry file :mod:`metaseg.tracking._pyfunc_entry` (MLflow runs it to build a
:class:`SegmenterModel`; no pickled wrapper), the fitted segmenter as a joblib
artifact (``segmenter``), and a small JSON artifact (``config``) with the kinds of the
input columns, the model name, version and run id written into the labels, and the
as-of date of the fit facts. It is an artifact rather than MLflow's ``model_config``
because MLflow copies a ``model_config`` into the run's params, which must hold only
the segmentation's parameters.

The input is a facts table. Every column the model reads must be there; the other
columns of the facts it was fitted on are declared optional (of any type) in the
signature, so facts pass as they are, quietly, and the model ignores what it does not
read. A column the fit facts did not have is dropped by MLflow's schema enforcement,
which logs its name.

``params={"as_of": "2026-01-31"}`` sets the reference time (needed by rules such as
``within_days``, and written into the labels); without it the labels carry the as-of
date of the facts the model was fitted on (from the logged config): score facts
computed as of another date with ``params={"as_of": ...}``. The labels' model name,
version and run id come from the logged config, else from the registry when the model
is loaded through ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS`` (MLflow writes
its ``registered_model_meta`` file beside the model; :func:`write_registry_meta` does
the same for a verified copy). Models logged by earlier metaseg versions kept this
config in MLflow's ``model_config``, which is still read.

This module imports MLflow when it is imported; it is imported only when MLflow logs
or loads a metaseg model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from metaseg.provenance import Provenance, stamp_provenance
from metaseg.tracking.integrity import REGISTRY_BOOKKEEPING
from metaseg.tracking.names import CONFIG_ARTIFACT, SEGMENTER_ARTIFACT
from metaseg.tracking.signature import restore_dtypes

#: Keys of ``model_config`` that fill the labels' model columns.
PROVENANCE_KEYS = ("model_name", "model_version", "run_id")
#: Key of ``model_config`` holding the input columns' kinds.
KINDS_KEY = "kinds"
#: Key of ``model_config`` holding the as-of date of the fit facts (ISO 8601).
AS_OF_KEY = "as_of"
#: File MLflow adds to a model downloaded through the registry (name and version).
_REGISTRY_META = REGISTRY_BOOKKEEPING


def model_config(
    kinds: Mapping[str, str], provenance: Provenance, as_of: Any = None
) -> dict[str, Any]:
    """The configuration logged with the pyfunc model (as the ``config`` artifact).

    Examples
    --------
    >>> config = model_config({"customer_id": "long"}, Provenance("shop", None, "abc"),
    ...                       as_of="2025-12-31")
    >>> config["run_id"], config["as_of"]
    ('abc', '2025-12-31T00:00:00+00:00')
    """
    config: dict[str, Any] = {KINDS_KEY: dict(kinds)}
    for key in PROVENANCE_KEYS:
        value = getattr(provenance, key)
        config[key] = None if value is None else str(value)
    config[AS_OF_KEY] = None if as_of is None else _iso(as_of)
    return config


def _iso(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return (
        stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    ).isoformat()


def write_model_config(path: Path, config: Mapping[str, Any]) -> Path:
    """Write the ``config`` artifact (JSON) and return its path."""
    from metaseg._io import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(dict(config), indent=2, sort_keys=True).encode("utf-8"))
    return path


def _logged_config(context: Any) -> dict[str, Any]:
    """The logged ``config`` artifact, then MLflow's ``model_config`` over it (older models
    logged their config there; a loader may override keys)."""
    config: dict[str, Any] = {}
    artifacts = getattr(context, "artifacts", None) or {}
    path = artifacts.get(CONFIG_ARTIFACT)
    if path is not None and Path(path).is_file():
        config.update(json.loads(Path(path).read_text(encoding="utf-8")))
    overrides = getattr(context, "model_config", None) or {}
    config.update({k: v for k, v in overrides.items() if v is not None or k not in config})
    return config


def _registry_meta(model_dir: Path) -> dict[str, Any]:
    """Name and version MLflow writes beside a model loaded through ``models:/NAME/...``."""
    import yaml

    meta = model_dir / _REGISTRY_META
    if not meta.is_file():
        return {}
    document = yaml.safe_load(meta.read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else {}


def write_registry_meta(model_dir: Path, name: str, version: str) -> Path:
    """Write the registry's name and version beside a model copy, as MLflow does when it
    loads a model through ``models:/NAME/...`` (the labels then carry them).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = write_registry_meta(folder, "shop", "3")
    >>> _registry_meta(folder)
    {'model_name': 'shop', 'model_version': '3'}
    """
    import yaml

    from metaseg._io import atomic_write_bytes

    path = model_dir / _REGISTRY_META
    document = {"model_name": str(name), "model_version": str(version)}
    atomic_write_bytes(path, yaml.safe_dump(document).encode("utf-8"))
    return path


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
        self.as_of: str | None = None

    def load_context(self, context: Any) -> None:
        """Load the segmenter artifact; apply the logged (or overridden) model_config."""
        import joblib

        path = Path(context.artifacts[SEGMENTER_ARTIFACT])
        self.segmenter = joblib.load(path)
        config = _logged_config(context)
        self.kinds = dict(config.get(KINDS_KEY) or {})
        registry = _registry_meta(path.parent.parent)
        values = {}
        for key in PROVENANCE_KEYS:
            value = config.get(key)
            if value is None:
                value = registry.get(key)
            values[key] = None if value is None else str(value)
        self.provenance = Provenance(**values)
        self.as_of = config.get(AS_OF_KEY) or None

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return the labels table of the customers in ``model_input`` (facts).

        Columns the model does not read are ignored; ``params["as_of"]`` overrides the
        logged as-of date of the fit facts.
        """
        facts = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        facts = restore_dtypes(facts, self.kinds)
        as_of = (params or {}).get("as_of") or self.as_of
        return stamp_provenance(self.segmenter.predict(facts, as_of=as_of), self.provenance)
