"""Record a drift report in MLflow: metrics to follow over time, tables as artifacts."""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from metaseg.exceptions import ConfigError

#: Experiment of the drift runs of a model name.
EXPERIMENT_PREFIX = "metaseg-drift/"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def log_drift(report: Any, run_or_model_name: str, tracking_uri: str | None = None) -> str:
    """Log a :class:`~metaseg.over_time.DriftReport` to MLflow and return the run id.

    Parameters
    ----------
    report : DriftReport
    run_or_model_name : str
        An existing run id (32 hex characters; the report is added to that run), or a
        registered model name: a new run is started in the experiment
        ``metaseg-drift/<name>`` and tagged ``metaseg.model_name``.
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.

    Returns
    -------
    str
        The run id.

    Raises
    ------
    ConfigError
        If ``report`` is not a DriftReport or the name is empty.
    TrackingError
        If the store cannot be used.

    Examples
    --------
    >>> run_id = log_drift(report, "shop", tracking_uri="sqlite:///mlflow.db")  # doctest: +SKIP
    """
    from metaseg.over_time.drift import DriftReport
    from metaseg.tracking.store import (
        probe,
        resolve_tracking_uri,
        tracking_error,
        tracking_failures,
        tracking_session,
    )

    if not isinstance(report, DriftReport):
        raise ConfigError(
            f"report must be the DriftReport returned by drift_report, got {type(report).__name__}."
        )
    if not isinstance(run_or_model_name, str) or not run_or_model_name.strip():
        raise ConfigError(
            f"run_or_model_name must be a run id or a registered model name, got "
            f"{run_or_model_name!r}."
        )
    uri = resolve_tracking_uri(tracking_uri)
    probe(uri)
    with (
        tracking_session(uri) as client,
        tempfile.TemporaryDirectory(prefix="metaseg-drift-") as tmp,
    ):
        try:
            return _log(client, report, run_or_model_name.strip(), Path(tmp))
        except tracking_failures() as exc:
            raise tracking_error(uri, "log the drift report", exc) from exc


def _log(client: Any, report: Any, target: str, folder: Path) -> str:
    from mlflow.entities import Metric

    if _RUN_ID.match(target):
        run_id = client.get_run(target).info.run_id
    else:
        name = EXPERIMENT_PREFIX + target
        found = client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found else client.create_experiment(name)
        run_id = client.create_run(
            experiment_id,
            tags={"metaseg.model_name": target, "metaseg.kind": "drift"},
            run_name="drift",
        ).info.run_id
    metrics = {k: v for k, v in report.metrics().items() if v == v}  # NaN is not logged
    now = int(time.time() * 1000)
    batch = [
        Metric(key=_metric_key(k), value=float(v), timestamp=now, step=0)
        for k, v in metrics.items()
    ]
    for start in range(0, len(batch), 500):
        client.log_batch(run_id, metrics=batch[start : start + 500])
    report.psi.to_csv(folder / "psi.csv", index=False)
    report.shares.to_csv(folder / "shares.csv", index=False)
    if report.migration is not None:
        report.migration.to_csv(folder / "migration.csv")
    summary = {
        "overall": {
            k: (v if isinstance(v, str | int | float) else str(v))
            for k, v in report.overall.items()
        },
        "warnings": report.warnings,
        "skipped": report.skipped,
    }
    (folder / "drift.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    (folder / "drift.txt").write_text(str(report), encoding="utf-8")
    client.log_artifacts(run_id, str(folder), artifact_path="drift")
    if not _RUN_ID.match(target):
        client.set_terminated(run_id)
    return run_id


def _metric_key(key: str) -> str:
    """MLflow metric names allow letters, digits, ``_ - . /`` and spaces."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", key)
