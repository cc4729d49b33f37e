"""Comparing logged segmentations: their metrics side by side, and how labels moved.

:func:`compare` reads only run data (metrics, params, tags), so it is cheap even for
many runs. :func:`label_agreement` downloads two runs' labels and measures how much
they agree (adjusted Rand index) and who moved where (a migration table).
:func:`agreement_from_labels` is the pure computation behind it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg._messages import did_you_mean, preview
from metaseg.exceptions import ConfigError, RunNotFoundError, TrackingError
from metaseg.tracking import names
from metaseg.tracking.store import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    probe,
    resolve_tracking_uri,
    tracking_error,
    tracking_failures,
    tracking_session,
)

#: Overall metrics shown by :func:`compare`, in this order.
COMPARED_OVERALL = (
    "n_customers",
    "n_base_segments",
    "n_sub_segments",
    "silhouette",
    "noise_share",
    "stability_min",
    "stability_mean",
    "catch_all_share",
    "smallest_sub_segment_share",
)
#: Per-base-segment metrics shown by :func:`compare`.
COMPARED_SEGMENT = ("n_sub_segments", "k", "silhouette", "stability", "noise_share")


@dataclass(frozen=True)
class Agreement:
    """How two segmentations of the same customers agree.

    Attributes
    ----------
    run_a, run_b : str
        The compared runs (or labels' names).
    adjusted_rand : float
        Adjusted Rand index of the segment codes on the common customers (1 = same
        partition, about 0 = chance agreement).
    base_adjusted_rand : float
        The same on the base segments only.
    same_segment_share : float
        Share of common customers whose segment code is identical.
    n_common, only_in_a, only_in_b : int
        Customers labelled by both runs, by ``run_a`` only, by ``run_b`` only.
    migration : DataFrame
        Customers per (segment in ``run_a``, segment in ``run_b``): rows ``from``,
        columns ``to``. Left out of the repr, which stays one line; its shape is shown.
    """

    run_a: str
    run_b: str
    adjusted_rand: float
    base_adjusted_rand: float
    same_segment_share: float
    n_common: int
    only_in_a: int
    only_in_b: int
    migration: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        rows, cols = self.migration.shape
        return (
            f"Agreement(run_a={self.run_a!r}, run_b={self.run_b!r}, "
            f"adjusted_rand={self.adjusted_rand:.3f}, "
            f"base_adjusted_rand={self.base_adjusted_rand:.3f}, "
            f"same_segment_share={self.same_segment_share:.1%}, n_common={self.n_common:,}, "
            f"only_in_a={self.only_in_a:,}, only_in_b={self.only_in_b:,}, "
            f"migration=<{rows} x {cols} table>)"
        )


def agreement_from_labels(
    labels_a: pd.DataFrame, labels_b: pd.DataFrame, *, run_a: str = "a", run_b: str = "b"
) -> Agreement:
    """Compare two labels tables on their common customers.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2, 3, 4], "base_segment": ["x"] * 4,
    ...                   "segment": ["x/0", "x/0", "x/1", "x/1"]})
    >>> b = pd.DataFrame({"customer_id": [2, 3, 4, 5], "base_segment": ["x"] * 4,
    ...                   "segment": ["x/1", "x/0", "x/0", "x/0"]})
    >>> result = agreement_from_labels(a, b)
    >>> result.n_common, result.only_in_a, result.only_in_b
    (3, 1, 1)
    >>> int(result.migration.loc["x/1", "x/0"])
    2
    """
    from sklearn.metrics import adjusted_rand_score

    from metaseg.alignment import align_labels, migration_table

    aligned = align_labels(
        labels_a,
        labels_b,
        (schema.BASE_SEGMENT, schema.SEGMENT),
        names=(f"labels of {run_a!r}", f"labels of {run_b!r}"),
    )
    n_common = aligned.n_common
    seg_a, seg_b = aligned.column(schema.SEGMENT, 0), aligned.column(schema.SEGMENT, 1)
    base_a, base_b = aligned.column(schema.BASE_SEGMENT, 0), aligned.column(schema.BASE_SEGMENT, 1)
    nan = float("nan")
    migration = migration_table(aligned).rename_axis(index="from", columns="to")
    return Agreement(
        run_a=run_a,
        run_b=run_b,
        adjusted_rand=float(adjusted_rand_score(seg_a, seg_b)) if n_common else nan,
        base_adjusted_rand=float(adjusted_rand_score(base_a, base_b)) if n_common else nan,
        same_segment_share=float((seg_a.to_numpy() == seg_b.to_numpy()).mean())
        if n_common
        else nan,
        n_common=n_common,
        only_in_a=aligned.n_only_first,
        only_in_b=aligned.n_only_second,
        migration=migration,
    )


def _run_id(run: Any) -> str:
    value = getattr(run, "run_id", run)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"a run must be a run id or a FitRun, got {run!r}.")
    return value


def label_agreement(
    run_a: Any,
    run_b: Any,
    *,
    tracking_uri: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> Agreement:
    """Compare the labels two logged runs gave to their common customers.

    Parameters
    ----------
    run_a, run_b : str or FitRun
        Run ids (or the :class:`~metaseg.tracking.FitRun` of :func:`log_fit`).
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.

    Returns
    -------
    Agreement

    Examples
    --------
    >>> agreement = label_agreement(run_a.run_id, run_b.run_id)  # doctest: +SKIP
    >>> agreement.migration  # doctest: +SKIP
    """
    ids = (_run_id(run_a), _run_id(run_b))
    uri = resolve_tracking_uri(tracking_uri)
    probe(uri, timeout=timeout, max_retries=max_retries)
    with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
        try:
            with tempfile.TemporaryDirectory(prefix="metaseg-labels-") as tmp:
                frames = [
                    _download_labels(client, run_id, Path(tmp) / str(i))
                    for i, run_id in enumerate(ids)
                ]
        except tracking_failures() as exc:
            raise tracking_error(uri, "read the runs' labels", exc) from exc
    return agreement_from_labels(frames[0], frames[1], run_a=ids[0], run_b=ids[1])


def _download_labels(client: Any, run_id: str, destination: Path) -> pd.DataFrame:
    from mlflow.exceptions import MlflowException

    destination.mkdir(parents=True)
    try:
        local = client.download_artifacts(run_id, names.LABELS_PATH, str(destination))
    except (MlflowException, OSError) as exc:
        raise TrackingError(
            f"run {run_id!r} has no readable {names.LABELS_PATH!r} artifact ({exc}); compare "
            "runs logged with metaseg.tracking.log_fit."
        ) from None
    return pd.read_parquet(local)


def compare(
    runs_or_experiment: str | Any | Iterable[Any],
    *,
    tracking_uri: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> pd.DataFrame:
    """Put logged segmentations side by side, one row per run, oldest first.

    Parameters
    ----------
    runs_or_experiment : str, FitRun or iterable of them
        An experiment name (all its runs), or run ids / :class:`FitRun` objects.
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.

    Returns
    -------
    DataFrame
        ``run_id``, ``run_name``, ``start_time``, ``status``, the key overall metrics
        (``overall.*``), then per base segment ``segment.<name>.algorithm``,
        ``segment.<name>.n_sub_segments``, ``segment.<name>.k`` (the chosen k; NaN when
        not split), ``segment.<name>.silhouette``, ``segment.<name>.stability``,
        ``segment.<name>.noise_share`` and ``segment.<name>.features`` (the features it
        was clustered on, comma-separated). A value a run did not log is NaN (None for
        the texts).

    Raises
    ------
    RunNotFoundError
        A name is neither an experiment nor a run id of the store (exit code 2); the
        message lists the store's experiments.
    TrackingError
        The store cannot be used.

    Examples
    --------
    >>> compare("metaseg", tracking_uri="sqlite:///mlflow.db")  # doctest: +SKIP
    """
    uri = resolve_tracking_uri(tracking_uri)
    probe(uri, timeout=timeout, max_retries=max_retries)
    with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
        try:
            runs = _fetch_runs(client, runs_or_experiment, uri)
        except tracking_failures() as exc:
            raise tracking_error(uri, "read the runs to compare", exc) from exc
    return runs_frame(runs)


def _fetch_runs(client: Any, what: Any, uri: str) -> list[Any]:
    from mlflow.exceptions import MlflowException

    if isinstance(what, str):
        experiment = client.get_experiment_by_name(what)
        if experiment is not None:
            return list(
                client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
            )
        items: Sequence[Any] = [what]
    elif hasattr(what, "run_id"):
        items = [what]
    else:
        items = list(what)
    if not items:
        raise ConfigError("compare needs at least one run id, FitRun or an experiment name.")
    runs = []
    for item in items:
        run_id = _run_id(item)
        try:
            runs.append(client.get_run(run_id))
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            raise _not_found(client, run_id, uri) from None
    return sorted(runs, key=lambda r: r.info.start_time or 0)


def _not_found(client: Any, name: str, uri: str) -> RunNotFoundError:
    """The error for a name that is neither an experiment nor a run id of a store that answered."""
    experiments = sorted(e.name for e in client.search_experiments())
    others = [e for e in experiments if e != "Default"]
    if others:
        known = f"its experiments are {preview(others, limit=10)}.{did_you_mean(name, others)}"
    else:
        known = "it holds no metaseg experiment yet; log a run first with `metaseg fit`."
    return RunNotFoundError(
        f"{name!r} is neither an experiment name nor a run id in the tracking store {uri!r}; "
        f"{known} Pass an existing experiment (--experiment NAME) or run ids, or point "
        "--tracking-uri at the store that holds the runs."
    )


def runs_frame(runs: Sequence[Any]) -> pd.DataFrame:
    """Tabulate MLflow runs as :func:`compare` returns them (pure)."""
    rows = []
    for run in runs:
        metrics, tags = run.data.metrics, run.data.tags
        row: dict[str, Any] = {
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "start_time": pd.Timestamp(run.info.start_time, unit="ms", tz="UTC")
            if run.info.start_time
            else pd.NaT,
            "status": run.info.status,
        }
        for metric in COMPARED_OVERALL:
            row[names.overall_key(metric)] = metrics.get(names.overall_key(metric), float("nan"))
        segments = sorted(
            {
                parts[0]
                for key in metrics
                if (parts := names.split_segment_key(key)) is not None and parts[1] == "n_customers"
            }
        )
        for segment in segments:
            prefix = f"{names.SEGMENT_PREFIX}{segment}."
            row[f"{prefix}algorithm"] = tags.get(f"{names.TAG_SEGMENT_ALGORITHM}{segment}")
            for metric in COMPARED_SEGMENT:
                row[f"{prefix}{metric}"] = metrics.get(f"{prefix}{metric}", float("nan"))
            row[f"{prefix}features"] = tags.get(f"{names.TAG_SEGMENT_FEATURES}{segment}")
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return pd.DataFrame(columns=["run_id", "run_name", "start_time", "status"])
    return frame
