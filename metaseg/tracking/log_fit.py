"""Logging one fitted segmentation as one MLflow run (and optionally a registered version).

:func:`log_fit` first saves the labels, profiles, summaries, config and the pickled
segmenter to a local folder (atomic writes), then logs the run: params, metrics,
tags, the input dataset, the artifacts and the pyfunc model. The pyfunc model holds
the scoring copy of the segmenter (:meth:`~metaseg.model.MetaSegmenter.for_scoring`:
no row per customer); the training labels go to the run as
``training/fit_labels.parquet``, their sha256 recorded in the model
(:mod:`metaseg.tracking.training_state`). If the tracking store
cannot be reached, it fails within a bounded time with one :class:`TrackingError`
that says where the local copy is.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg._progress import steps
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError, TrackingError
from metaseg.provenance import Provenance, stamp_provenance
from metaseg.tracking import names
from metaseg.tracking.dataset import facts_dataset
from metaseg.tracking.local import (
    PlotWriter,
    ReportWriter,
    config_document,
    new_output_dir,
    save_labels,
    save_model,
    save_outputs,
)
from metaseg.tracking.run_data import fit_metrics, fit_params, fit_tags
from metaseg.tracking.signature import column_kinds, input_signature
from metaseg.tracking.store import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    probe,
    resolve_tracking_uri,
    tracking_error,
    tracking_failures,
    tracking_session,
)
from metaseg.tracking.training_state import save_training_state

_GIT_TIMEOUT = 2.0
#: The file MLflow runs to build the pyfunc model ("models from code").
_ENTRY_FILE = Path(__file__).with_name("_pyfunc_entry.py")
#: The steps of :func:`log_fit` its progress bar shows.
LOG_STEPS = (
    "saving outputs",
    "contacting MLflow",
    "logging the run",
    "logging the model",
    "uploading artifacts",
)
#: Distributions pinned in the logged model's requirements (pickles need the same versions).
_PINNED = ("metaseg", "scikit-learn", "pandas", "numpy", "joblib")


@dataclass(frozen=True)
class FitRun:
    """Where a fit was logged.

    Attributes
    ----------
    run_id, experiment_id : str
        The MLflow run and its experiment.
    model_uri : str
        URI of the logged pyfunc model (``models:/m-...``).
    local_dir : Path
        The local copy of the outputs.
    tracking_uri : str
        The store the run went to.
    registered_name, registered_version : str, optional
        The registered model version, when ``register`` was given.
    model_sha256 : str, optional
        Digest of the logged model's files (see :mod:`metaseg.tracking.integrity`).
    """

    run_id: str
    experiment_id: str
    model_uri: str
    local_dir: Path
    tracking_uri: str
    registered_name: str | None = None
    registered_version: str | None = None
    model_sha256: str | None = None

    @property
    def provenance(self) -> Provenance:
        """The registered name, version and run id to stamp on this model's labels.

        Examples
        --------
        >>> from pathlib import Path
        >>> FitRun("abc", "1", "models:/m-1", Path("."), "sqlite:///x.db", "shop", "2").provenance
        Provenance(model_name='shop', model_version='2', run_id='abc')
        """
        return Provenance(self.registered_name, self.registered_version, self.run_id)


def log_fit(
    model: Any,
    facts: pd.DataFrame,
    *,
    experiment: str = "metaseg",
    run_name: str | None = None,
    register: str | None = None,
    tracking_uri: str | None = None,
    config: Any = None,
    data_report: DataReport | None = None,
    events_digest: str | None = None,
    artifacts_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    tags: Mapping[str, str] | None = None,
    plots: PlotWriter | None = None,
    report: ReportWriter | None = None,
    progress: bool | Callable[[str], None] | None = None,
) -> FitRun:
    """Log a fitted segmentation as one MLflow run, saving its outputs locally first.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted segmenter; it is not modified. The logged labels carry the new run id,
        the registered name and version (None when not registered); labels scored
        later by the registered model carry them too.
    facts : DataFrame
        The facts it was fitted on (logged as the run's training dataset; its
        ``feature_columns_`` define the model signature).
    experiment : str
        MLflow experiment, created when missing. For a local ``sqlite:///`` store its
        artifacts go to ``mlruns/`` beside the database file.
    run_name : str, optional
        Name of the run.
    register : str, optional
        Register the logged model under this name (a new version), tagged with the
        run's key metrics.
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.
    config : MetasegConfig, mapping or YAML path, optional
        Saved as ``config/config.yaml``; its ``tracking.tracking_uri`` is used when no
        other URI is given.
    data_report : DataReport, optional
        Saved as ``data_report/data_report.csv``.
    events_digest : str, optional
        A digest of the raw events, recorded as a tag.
    artifacts_dir : path, optional
        Local output folder (default ``./metaseg_output/<UTC timestamp>/``).
    timeout : float
        Seconds per request to a tracking server.
    max_retries : int
        Retries per request to a tracking server.
    tags : mapping of str to str, optional
        Extra run tags (keys must not start with ``metaseg.``).
    plots : callable, optional
        ``plots(model, folder)`` draws the run's figures into ``plots/``: pass
        :func:`metaseg.plots.save_all` (as ``metaseg fit`` and :func:`metaseg.jobs.run_fit`
        do). None (the default) logs no figure; tracking never imports the plots.
    report : callable, optional
        ``report(model, path)`` writes the segment report page to ``path``
        (``report/segment_report.html``): pass :func:`metaseg.report.write_report`, or
        a closure that adds the champion's labels (as :func:`metaseg.jobs.run_fit`
        does). None (the default) logs no report; tracking never imports the report.
    progress : bool or callable, optional
        A bar over the steps (saving, contacting MLflow, logging the run and the model,
        uploading): None (default) in notebooks and terminals only, True / False always
        / never; a callable gets each step's name instead.

    Returns
    -------
    FitRun

    Raises
    ------
    TrackingError
        When the store cannot be reached or refuses the run; the outputs are in
        ``local_dir`` already and the message says so.

    Examples
    --------
    >>> from metaseg.tracking import log_fit
    >>> run = log_fit(model, facts, tracking_uri="sqlite:///mlflow.db",
    ...               register="shop")  # doctest: +SKIP
    >>> run.registered_version  # doctest: +SKIP
    '1'
    """
    from metaseg.model import check_fitted

    check_fitted("log_fit", model)
    kinds = _check_inputs(model, facts, experiment, run_name, register, tags)
    uri = resolve_tracking_uri(tracking_uri, config)
    document = config_document(config, model)
    folder = new_output_dir(artifacts_dir)
    with steps(progress, len(LOG_STEPS), "logging the fit", owner="log_fit") as step:
        step(LOG_STEPS[0])
        training, digests = save_training_state(folder, model)
        scoring = model.for_scoring(digests)
        files = save_outputs(
            folder,
            model,
            model.labels_,
            config=document,
            data_report=data_report,
            plots=plots,
            report=report,
            scoring=scoring,
        )
        files.update(training)
        step(LOG_STEPS[1])
        try:
            probe(uri, timeout=timeout, max_retries=max_retries)
        except TrackingError as exc:
            raise TrackingError(
                f"{exc} Nothing is lost: the labels, profiles and model were saved in "
                f"{str(folder)!r} before contacting MLflow."
            ) from None
        with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
            try:
                return _log(
                    client,
                    uri,
                    model,
                    scoring,
                    facts,
                    kinds,
                    files,
                    folder,
                    experiment=experiment,
                    run_name=run_name,
                    register=register,
                    events_digest=events_digest,
                    extra_tags=tags,
                    step=step,
                )
            except tracking_failures() as exc:
                raise tracking_error(uri, "log the fit", exc, folder) from exc


def _check_inputs(
    model: Any,
    facts: Any,
    experiment: Any,
    run_name: Any,
    register: Any,
    tags: Mapping[str, str] | None,
) -> dict[str, str]:
    if not isinstance(facts, pd.DataFrame):
        raise DataError(
            f"facts must be the DataFrame the model was fitted on, got {type(facts).__name__}."
        )
    for label, value, optional in (
        ("experiment", experiment, False),
        ("run_name", run_name, True),
        ("register", register, True),
    ):
        if value is None and optional:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{label} must be a non-empty string, got {value!r}.")
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key or key.startswith("metaseg."):
            raise ConfigError(
                f"tags: key {key!r} is not allowed; use a non-empty string that does not start "
                "with 'metaseg.' (metaseg writes those itself)."
            )
        if not isinstance(value, str | int | float):
            raise ConfigError(
                f"tags: value of {key!r} must be a string or a number, got {value!r}."
            )
    return column_kinds(facts, list(model.feature_columns_))


def _log(
    client: Any,
    uri: str,
    model: Any,
    scoring: Any,
    facts: pd.DataFrame,
    kinds: dict[str, str],
    files: dict[str, Path],
    folder: Path,
    *,
    experiment: str,
    run_name: str | None,
    register: str | None,
    events_digest: str | None,
    extra_tags: Mapping[str, str] | None,
    step: Callable[[str], None],
) -> FitRun:
    import mlflow
    import mlflow.data
    from mlflow.entities import Metric, Param

    from metaseg.tracking.pyfunc import model_config, write_model_config
    from metaseg.tracking.registry import register_version

    experiment_id = _experiment_id(client, uri, experiment)
    dataset = facts_dataset(facts, input_signature(column_kinds(facts, list(facts.columns))).inputs)
    run_tags = {str(k): str(v) for k, v in (extra_tags or {}).items()}
    run_tags.update(_provenance_tags(model, dataset.digest, events_digest, folder))
    nested = mlflow.active_run() is not None
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=run_name, tags=run_tags, nested=nested
    ) as run:
        step(LOG_STEPS[2])
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        metrics = fit_metrics(model)
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in fit_params(model).items()],
        )
        mlflow.log_input(dataset, context="training")
        edits = list(getattr(model, "edits_", []))
        if edits:
            mlflow.log_dict(edits, names.EDITS_PATH)
        step(LOG_STEPS[3])
        # the registered model is the scoring copy: no row per customer (training_state)
        segmenter_path = save_model(folder, scoring)
        # the config travels as an artifact: a model_config would be copied into the params
        config_path = write_model_config(
            folder / names.LOCAL_MODEL_CONFIG_PATH,
            model_config(kinds, Provenance(register, None, run_id), getattr(model, "as_of_", None)),
        )
        info = mlflow.pyfunc.log_model(
            name=names.MODEL_NAME,
            python_model=str(_ENTRY_FILE),
            artifacts={
                names.SEGMENTER_ARTIFACT: str(segmenter_path),
                names.CONFIG_ARTIFACT: str(config_path),
            },
            signature=input_signature(kinds, optional=list(facts.columns)),
            pip_requirements=_requirements(),
        )
        digest = _logged_model_digest(client, uri, info.model_id)
        client.set_tag(run_id, names.TAG_MODEL_SHA256, digest)
        client.set_tag(run_id, names.TAG_MODEL_ID, info.model_id)
        version = None
        if register is not None:
            version = register_version(client, register, info.model_uri, run_id, metrics)
        labels = stamp_provenance(model.labels_, Provenance(register, version, run_id))
        save_labels(folder, labels)
        step(LOG_STEPS[4])
        _upload(client, run_id, folder, files)
    return FitRun(
        run_id=run_id,
        experiment_id=experiment_id,
        model_uri=info.model_uri,
        local_dir=folder,
        tracking_uri=uri,
        registered_name=register,
        registered_version=version,
        model_sha256=digest,
    )


def _experiment_id(client: Any, uri: str, name: str) -> str:
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage != "active":
            raise TrackingError(
                f"experiment {name!r} at {uri!r} is deleted; restore it "
                f"(MlflowClient().restore_experiment({found.experiment_id!r})) or log to "
                "another experiment name."
            )
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name, artifact_location=_artifact_location(uri, name)))
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return str(client.get_experiment_by_name(name).experiment_id)


def _artifact_location(uri: str, name: str) -> str | None:
    """Artifacts of a local sqlite store live beside the database, not in the cwd."""
    if not uri.startswith("sqlite:///"):
        return None
    from urllib.parse import unquote

    database = Path(unquote(uri[len("sqlite:///") :]))
    base = database.parent / "mlruns" / names.safe_key(name).replace(" ", "_")
    location = base
    suffix = 1
    while location.exists():
        suffix += 1
        location = base.with_name(f"{base.name}-{suffix}")
    return location.resolve().as_uri()


def _provenance_tags(
    model: Any, facts_digest: str, events_digest: str | None, folder: Path
) -> dict[str, str]:
    import metaseg

    tags = {
        names.TAG_VERSION: metaseg.__version__,
        names.TAG_FACTS_DIGEST: str(facts_digest),
        names.TAG_LOCAL_DIR: str(folder),
    }
    commit = git_commit()
    if commit:
        tags[names.TAG_GIT_COMMIT] = commit
    if events_digest is not None:
        tags[names.TAG_EVENTS_DIGEST] = str(events_digest)
    tags.update(fit_tags(model))
    tags[names.TAG_N_EDITS] = str(len(getattr(model, "edits_", [])))
    return tags


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The ``HEAD`` commit of the git repository around ``cwd`` (None outside one).

    Examples
    --------
    >>> import tempfile
    >>> git_commit(tempfile.mkdtemp()) is None
    True
    """
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or os.getcwd(),
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    import metaseg

    out = []
    for dist in _PINNED:
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            if dist == "metaseg":
                out.append(f"metaseg=={metaseg.__version__}")
    return out


def _logged_model_digest(client: Any, uri: str, model_id: str) -> str:
    from metaseg.tracking.integrity import download_model_dir, hash_directory

    location = client.get_logged_model(model_id).artifact_location
    with tempfile.TemporaryDirectory(prefix="metaseg-model-") as tmp:
        return hash_directory(download_model_dir(location, tmp, uri))


def _upload(client: Any, run_id: str, folder: Path, files: Mapping[str, Path]) -> None:
    """Log every local output except the pickled model (it is inside the logged model)."""
    for artifact_path, path in sorted(files.items()):
        if artifact_path == names.LOCAL_MODEL_PATH:
            continue
        parent = Path(artifact_path).parent.as_posix()
        client.log_artifact(run_id, str(path), artifact_path=None if parent == "." else parent)
