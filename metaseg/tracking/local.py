"""Saving a fit's outputs to a local folder first, so a tracking outage loses nothing.

Every file is written atomically (temporary file in the same folder, fsync,
``os.replace``) with the layout the run's artifacts will have: ``labels/``,
``profiles/``, ``summary/``, ``config/``, ``data_report/``, ``plots/`` and
``model/segmenter.joblib``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg._io import atomic_write_bytes
from metaseg._yaml import load_yaml
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError
from metaseg.tracking import names

#: Base folder of the default output folders, relative to the working directory.
DEFAULT_OUTPUT_BASE = "metaseg_output"

#: Draws a fitted model's figures into a folder (e.g. :func:`metaseg.plots.save_all`).
PlotWriter = Callable[[Any, Path], object]
#: Writes a fitted model's report page to a file (e.g. :func:`metaseg.report.write_report`).
ReportWriter = Callable[[Any, Path], object]


def new_output_dir(artifacts_dir: str | Path | None = None) -> Path:
    """Create the folder a fit's outputs go to and return it.

    Parameters
    ----------
    artifacts_dir : path, optional
        Used as it is (created if needed). By default a new
        ``./metaseg_output/<UTC timestamp>/`` folder (``-2``, ``-3``, ... appended
        when two fits start in the same second).

    Examples
    --------
    >>> import tempfile
    >>> new_output_dir(tempfile.mkdtemp()).is_dir()
    True
    """
    if artifacts_dir is not None:
        folder = Path(artifacts_dir)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"artifacts_dir {str(folder)!r} is a file, not a folder; pass a folder path."
            )
        folder.mkdir(parents=True, exist_ok=True)
        return folder.resolve()
    base = Path.cwd() / DEFAULT_OUTPUT_BASE
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 1000):
        folder = base / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise ConfigError(f"could not create a new output folder under {str(base)!r}.")


def config_document(config: Any, model: Any) -> dict[str, Any]:
    """The configuration to save: the given config, or the model's resolved segmentation.

    ``config`` may be a :class:`~metaseg.config.MetasegConfig` (or any pydantic model),
    a mapping, or a path to a YAML file.
    """
    if config is None:
        return {"segmentation": model.spec_.model_dump(mode="json")}
    if hasattr(config, "model_dump"):
        return dict(config.model_dump(mode="json"))
    if isinstance(config, Mapping):
        return json.loads(json.dumps(dict(config), default=str))
    if isinstance(config, str | Path):
        document = load_yaml(config, what="configuration")
        if not isinstance(document, dict):
            raise ConfigError(
                f"config {str(config)!r} must be a YAML mapping of sections, got "
                f"{type(document).__name__}."
            )
        return document
    raise ConfigError(
        f"config must be a MetasegConfig, a mapping or a YAML path, got {type(config).__name__}."
    )


def _write(folder: Path, relative: str, data: bytes) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _yaml(document: Any) -> bytes:
    import yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")


def save_labels(folder: Path, labels: pd.DataFrame) -> Path:
    """Write (or rewrite) ``labels/labels.parquet`` atomically."""
    return _write(folder, names.LABELS_PATH, _parquet(labels))


def save_model(folder: Path, model: Any) -> Path:
    """Write ``model/segmenter.joblib`` atomically and return its path."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return _write(folder, names.LOCAL_MODEL_PATH, buffer.getvalue())


def save_outputs(
    folder: Path,
    model: Any,
    labels: pd.DataFrame,
    *,
    config: dict[str, Any],
    data_report: DataReport | None = None,
    plots: PlotWriter | None = None,
    report: ReportWriter | None = None,
    scoring: Any = None,
) -> dict[str, Path]:
    """Save everything a fit produced under ``folder``; return the files by artifact path.

    ``scoring`` is the model pickled as ``model/segmenter.joblib`` (default ``model``;
    :func:`metaseg.tracking.log_fit` passes its scoring copy).

    ``plots(model, folder)`` draws the figures into ``plots/`` (for example
    :func:`metaseg.plots.save_all`) and ``report(model, path)`` writes the report page
    to ``report/segment_report.html`` (for example :func:`metaseg.report.write_report`);
    tracking itself draws and renders nothing.
    """
    files = {
        names.LABELS_PATH: save_labels(folder, labels),
        names.PROFILES_PARQUET_PATH: _write(
            folder, names.PROFILES_PARQUET_PATH, _parquet(model.profiles_)
        ),
        names.PROFILES_CSV_PATH: _write(folder, names.PROFILES_CSV_PATH, _csv(model.profiles_)),
        names.SUMMARY_PATH: _write(folder, names.SUMMARY_PATH, _csv(model.summary_)),
        names.SEGMENT_METRICS_PATH: _write(
            folder, names.SEGMENT_METRICS_PATH, _csv(model.metrics_.reset_index())
        ),
        names.K_SELECTION_PATH: _write(
            folder, names.K_SELECTION_PATH, _csv(model.k_selection_.reset_index())
        ),
        names.OVERALL_METRICS_PATH: _write(
            folder,
            names.OVERALL_METRICS_PATH,
            json.dumps(model.overall_metrics_, indent=2, default=str).encode("utf-8"),
        ),
        names.CONFIG_PATH: _write(folder, names.CONFIG_PATH, _yaml(config)),
        names.SPEC_PATH: _write(
            folder, names.SPEC_PATH, _yaml(model.spec_.model_dump(mode="json"))
        ),
    }
    if data_report is not None:
        files[names.DATA_REPORT_PATH] = _write(
            folder, names.DATA_REPORT_PATH, _csv(data_report.to_frame())
        )
    if getattr(model, "shared_groups_", None):
        evidence = model.name_evidence()
        files[names.NAME_EVIDENCE_PATH] = _write(folder, names.NAME_EVIDENCE_PATH, _csv(evidence))
    identity = getattr(model, "identity_", None)
    if identity is not None:
        files[names.IDENTITY_PATH] = _write(folder, names.IDENTITY_PATH, _csv(identity.table))
    if plots is not None:
        files.update(_save_plots(folder, model, plots))
    if report is not None:
        page = folder / names.REPORT_PATH
        page.parent.mkdir(parents=True, exist_ok=True)
        report(model, page)
        if not page.is_file():
            raise ConfigError(
                f"the report callback {report!r} wrote no file at {str(page)!r}; it must "
                "write the page to the path it is given (see metaseg.report.write_report)."
            )
        files[names.REPORT_PATH] = page
    files[names.LOCAL_MODEL_PATH] = save_model(folder, model if scoring is None else scoring)
    return files


def _save_plots(folder: Path, model: Any, draw: PlotWriter) -> dict[str, Path]:
    plots = folder / names.PLOTS_DIR
    plots.mkdir(parents=True, exist_ok=True)
    draw(model, plots)
    return {
        f"{names.PLOTS_DIR}/{p.relative_to(plots).as_posix()}": p
        for p in sorted(plots.rglob("*"))
        if p.is_file()
    }
