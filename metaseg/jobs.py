"""Batch jobs: the steps the command line and notebooks run, with I/O at the edges.

Each function takes a validated :class:`~metaseg.config.MetasegConfig` and returns plain
objects; the command line only parses arguments, calls these and prints. :func:`run_fit`
is the whole fit job (read, facts, fit, keep the champion's sub-segment ids, log), the
same from ``metaseg fit``, ``metaseg demo`` and a notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg._messages import preview
from metaseg._progress import stage as progress_stage
from metaseg.config import MetasegConfig
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError
from metaseg.facts.category_mix import recorded_settings

log = logging.getLogger("metaseg")


@dataclass
class Inputs:
    """Standard events and customers read for a job, with what reading did to them.

    ``events`` is a DataFrame, or an :class:`~metaseg.data.engine_query.EventsQuery` when
    DuckDB read and validated CSV/Parquet files where they lie (``len()`` works on both);
    :meth:`events_frame` gives a DataFrame either way, built only when asked for.
    """

    events: Any
    customers: pd.DataFrame | None
    report: DataReport = field(default_factory=DataReport)
    source: str = ""
    truth: pd.DataFrame | None = None

    def events_frame(self) -> pd.DataFrame:
        """The events as a DataFrame (a query over files is run now, in full)."""
        if isinstance(self.events, pd.DataFrame):
            return self.events
        return self.events.to_pandas()


def load_inputs(
    config: MetasegConfig,
    *,
    events: str | Path | None = None,
    customers: str | Path | None = None,
    as_of: Any = None,
) -> Inputs:
    """Read the events and customers a configuration names (or the paths given).

    Parameters
    ----------
    config : MetasegConfig
        The job configuration; its ``data`` section says where the data come from.
    events, customers : path, optional
        Override the configured paths (``--events`` / ``--customers``); giving
        ``events`` reads files even when the config names another source.
    as_of : date-like, optional
        Events after it are handled by the validation policy (dropped and counted by
        default).
    """
    data = config.data
    as_of = as_of if as_of is not None else config.as_of
    if events is not None or data.source == "files":
        return _read_files(config, events, customers, as_of)
    if data.source == "online_retail":
        from metaseg.datasets import load_online_retail

        if data.online_retail is None:
            raise ConfigError(
                "data.online_retail: source is 'online_retail' but no online_retail section "
                "gives its path; add data.online_retail.path."
            )
        ev, cu, report = load_online_retail(
            data.online_retail.path,
            level=data.online_retail.level,
            cancellations=data.online_retail.cancellations,
            as_of=as_of,
        )
        return Inputs(ev, cu, report, source=data.online_retail.path)
    from metaseg.datasets import make_shop

    shop = make_shop(n_customers=data.synthetic.n_customers, seed=data.synthetic.seed)
    source = (
        f"synthetic shop ({data.synthetic.n_customers:,} customers, seed {data.synthetic.seed})"
    )
    return Inputs(shop.events, shop.customers, DataReport(), source=source, truth=shop.truth)


def _read_files(
    config: MetasegConfig, events: str | Path | None, customers: str | Path | None, as_of: Any
) -> Inputs:
    from metaseg.data import read_customers
    from metaseg.data.engine_read import read_events_engine

    data = config.data
    events_path = events if events is not None else data.events
    if events_path is None:
        raise ConfigError(
            "data.events: no events to read; set data.events in the config or pass --events."
        )
    customers_path = customers if customers is not None else data.customers
    ev, report = read_events_engine(
        events_path, data.mapping, policy=data.policy or None, as_of=as_of
    )
    cu = None
    if customers_path is not None:
        cu, customers_report = read_customers(
            customers_path, data.mapping, policy=data.policy or None
        )
        report.extend(customers_report)
    return Inputs(ev, cu, report, source=str(events_path))


def build_facts(
    inputs: Inputs,
    config: MetasegConfig,
    *,
    as_of: Any = None,
    model: Any = None,
) -> pd.DataFrame:
    """Compute the customer facts of a job's inputs (see :func:`metaseg.facts.compute_facts`).

    With a fitted ``model`` (scoring, drift), the facts are those it was fitted on: only
    the ones it reads (``feature_columns_``) are computed, its category mix keeps the
    categories learned at fit, and its potential-value model (``clv_``) adds its facts
    as of the same date, without refitting.
    """
    from metaseg.facts import compute_facts

    as_of = as_of if as_of is not None else config.as_of
    category_mix = config.facts.category_mix
    fitted_mix = getattr(model, "fact_category_mix_", None)
    if fitted_mix is not None:
        category_mix = recorded_settings(fitted_mix)
    facts = compute_facts(
        inputs.events,
        inputs.customers,
        as_of=as_of,
        windows=config.facts.windows,
        report=inputs.report,
        durations=config.facts.durations,
        custom=config.facts.custom,
        category_mix=category_mix,
        only=getattr(model, "feature_columns_", None),
    )
    clv = getattr(model, "clv_", None)
    if clv is not None:
        from metaseg.clv import add_clv_facts

        facts = add_clv_facts(facts, inputs.events, clv, report=inputs.report)
    return facts


def fit_clv_facts(
    inputs: Inputs, facts: pd.DataFrame, config: MetasegConfig, hooks: JobHooks | None = None
) -> tuple[pd.DataFrame, Any]:
    """Fit the potential-value model of ``facts.clv`` (its ``as_of`` ends the calibration)
    and add its facts; without ``facts.clv`` return the facts as they are and None."""
    settings = config.facts.clv
    if settings is None:
        return facts, None
    from metaseg.clv import add_clv_facts, fit_clv_model

    clv = fit_clv_model(inputs.events, facts, settings)
    bg, gg = clv.bgnbd_, clv.gamma_gamma_
    (hooks or JobHooks()).message(
        f"potential value: BG/NBD r={bg.r:.3g} alpha={bg.alpha:.3g} a={bg.a:.3g} b={bg.b:.3g} "
        f"on {bg.n_customers:,} buyers; Gamma-Gamma p={gg.p:.3g} q={gg.q:.3g} "
        f"gamma={gg.gamma:.3g} on {gg.n_customers:,} repeat buyers"
    )
    inputs.report.add(
        "clv_facts",
        "info",
        "repeat customers left out of the spend model (repeat purchases worth 0)",
        rows=gg.n_without_value,
        unit="customers",
    )
    return add_clv_facts(facts, inputs.events, clv, report=inputs.report), clv


def fit_model(
    config: MetasegConfig, facts: pd.DataFrame, *, progress: Any = None, clv: Any = None
) -> Any:
    """Fit a :class:`~metaseg.model.MetaSegmenter` from the config's segmentation block
    (``clv``: the potential-value model whose facts ``facts`` holds, kept with it)."""
    from metaseg.model import MetaSegmenter

    return MetaSegmenter.from_config(config.segmentation).fit(facts, progress=progress, clv=clv)


@dataclass(frozen=True)
class JobHooks:
    """How a job tells its caller what it is doing (it prints nothing but a progress bar).

    Attributes
    ----------
    message : callable
        ``message(text)`` for one line of progress; logged at INFO by default.
    stage : callable
        ``stage(label)`` returns a context manager around one long step; it yields
        ``advance(name)``, called as the step moves on (one base segment fitted). By
        default a ``tqdm.auto`` bar in notebooks and terminals, nothing in batch logs
        (:func:`metaseg._progress.stage`); the command line adds ``--quiet``.
    """

    message: Callable[[str], None] = log.info
    stage: Callable[[str], AbstractContextManager[Callable[[str], None]]] = progress_stage


@dataclass
class FitOutcome:
    """What :func:`run_fit` produced: the inputs, their facts, the model and its run."""

    inputs: Inputs
    facts: pd.DataFrame
    model: Any
    run: Any


def run_fit(
    config: MetasegConfig,
    *,
    events: str | Path | None = None,
    customers: str | Path | None = None,
    as_of: Any = None,
    experiment: str | None = None,
    register: str | None = None,
    tracking_uri: str | None = None,
    artifacts_dir: str | Path | None = None,
    hooks: JobHooks | None = None,
) -> FitOutcome:
    """Read the data, compute facts, fit, keep the champion's ids and log the run.

    When the registered model already has a champion, sub-segments that match one of
    its sub-segments keep its stable id and name (:func:`keep_identities`), so labels
    exported from one retrain to the next stay comparable; the config's
    ``segmentation.names`` are then keyed by those stable codes.

    Parameters
    ----------
    config : MetasegConfig
    events, customers, as_of : optional
        Override the config's data (see :func:`load_inputs`).
    experiment, register, tracking_uri : str, optional
        Override the config's ``tracking`` section.
    artifacts_dir : path, optional
        Local copy of the run's files (default ``./metaseg_output/<UTC timestamp>/``).
    hooks : JobHooks, optional
        Progress reporting; log lines by default.

    Returns
    -------
    FitOutcome
    """
    from metaseg.plots import save_all
    from metaseg.tracking import log_fit

    hooks = hooks or JobHooks()
    inputs, facts = _read_and_compute(config, events, customers, as_of, hooks)
    hooks.message(f"data: {inputs.source}: {len(inputs.events):,} events")
    hooks.message(f"facts: {len(facts):,} customers as of {facts.attrs.get('as_of')}")
    clv = None
    if config.facts.clv is not None:
        with hooks.stage("fitting the potential-value model"):
            facts, clv = fit_clv_facts(inputs, facts, config, hooks)
    tracking = config.tracking
    register = register or tracking.register_name
    uri = tracking_uri or tracking.tracking_uri
    champion = find_champion(register, uri, hooks) if register else None
    names = config.segmentation.names
    if champion is not None and names:
        # with a champion, names are keyed by the stable codes of the exported labels:
        # they are applied once the new sub-segments have their stable ids
        config = config.model_copy(
            update={"segmentation": config.segmentation.model_copy(update={"names": {}})}
        )
    with hooks.stage("sub-segmenting") as advance:
        model = fit_model(config, facts, progress=advance, clv=clv)
    if champion is not None:
        model = keep_identities(model, champion, facts, names, hooks)
    with hooks.stage("logging to MLflow"):
        run = log_fit(
            model,
            facts,
            experiment=experiment or tracking.experiment,
            run_name=config.name,
            register=register,
            tracking_uri=uri,
            config=config.model_dump(mode="json"),
            data_report=inputs.report,
            artifacts_dir=artifacts_dir,
            timeout=tracking.timeout,
            max_retries=tracking.max_retries,
            plots=save_all,
            report=fit_report_writer(config.name, champion),
        )
    return FitOutcome(inputs, facts, model, run)


def fit_report_writer(title: str, champion: Any = None) -> Callable[[Any, Path], Path]:
    """The ``report`` callback of a fit's run: the report page, with the migration since
    ``champion`` (a :class:`~metaseg.tracking.LoadedModel`) when there is one."""
    from metaseg.report import write_report

    def write(model: Any, path: Path) -> Path:
        if champion is None:
            return write_report(model, path, title=title)
        return write_report(
            model,
            path,
            title=title,
            previous=champion.training_labels(),
            previous_name=f"champion (version {champion.version})",
        )

    return write


def find_champion(name: str, tracking_uri: str | None, hooks: JobHooks | None = None) -> Any:
    """The current champion of the registered model ``name``, or None when there is none."""
    from metaseg.exceptions import ModelNotFoundError
    from metaseg.tracking import load_champion

    try:
        return load_champion(name, tracking_uri=tracking_uri)
    except ModelNotFoundError:
        (hooks or JobHooks()).message(f"no champion of {name!r} yet: sub-segment ids start fresh")
        return None


def keep_identities(
    model: Any,
    champion: Any,
    facts: pd.DataFrame,
    names: dict[str, str],
    hooks: JobHooks | None = None,
) -> Any:
    """Give sub-segments that match the champion's its ids and names, then the user's names.

    Parameters
    ----------
    model : MetaSegmenter
        The new fit.
    champion : Champion
        The promoted model it succeeds (:func:`metaseg.tracking.load_champion`).
    facts : DataFrame
        The facts ``model`` was fitted on; the champion scores them to match groups.
    names : dict
        User names keyed by stable codes (those of the exported labels).
    hooks : JobHooks, optional

    Returns
    -------
    MetaSegmenter
        A copy of ``model`` with stable ids and names.

    Raises
    ------
    ConfigError
        When ``names`` holds a code no sub-segment has after matching.
    """
    from metaseg.exceptions import MetasegError
    from metaseg.over_time import match_identities

    hooks = hooks or JobHooks()
    try:
        match = match_identities(champion.model, model, facts)
    except MetasegError as exc:
        # e.g. the champion reads a fact this config no longer computes: match on the
        # customers both models labelled instead of re-scoring them with the champion
        hooks.message(f"identities: cannot score with the champion ({exc}); matching on labels")
        match = match_identities(champion.full_model(), model)
    table = match.table
    hooks.message(
        f"identities against {champion.name} version {champion.version}: "
        f"{int((table['status'] == 'matched').sum())} kept, {len(match.new)} new, "
        f"{len(match.vanished)} vanished"
    )
    model = model.with_identities(replace(match, names={**match.names, **names}))
    codes = set(model.summary_["segment"])
    unknown = sorted(code for code in names if code not in codes)
    if unknown:
        raise ConfigError(
            f"segmentation.names: no sub-segment has the code(s) {preview(unknown)} after "
            f"matching with {champion.name} version {champion.version}; the codes are "
            f"{preview(sorted(codes), limit=40)}."
        )
    return model


@dataclass
class ScoreOutcome:
    """What :func:`run_score` produced: the champion, the inputs, their facts and labels
    (``None`` when they were streamed to the file in batches; ``exports[0].diff.segments``
    then counts them per segment)."""

    loaded: Any
    inputs: Inputs
    facts: pd.DataFrame
    labels: pd.DataFrame | None
    exports: list[Any] = field(default_factory=list)


def run_score(
    config: MetasegConfig,
    model: str,
    *,
    out: str | Path | None = None,
    events: str | Path | None = None,
    customers: str | Path | None = None,
    as_of: Any = None,
    tracking_uri: str | None = None,
    hooks: JobHooks | None = None,
    batch_size: int | None = None,
) -> ScoreOutcome:
    """Label customers with a promoted model and deliver the labels.

    Parameters
    ----------
    config : MetasegConfig
        Its ``data`` section names the customers to label (unless ``events`` is given)
        and its ``export`` section where the labels go.
    model : str
        ``models:/NAME@ALIAS`` or a registered model name (alias ``champion``).
    out : path, optional
        A labels file (.parquet or .csv) written first, atomically.
    events, customers, as_of : optional
        Override the config's data (see :func:`load_inputs`).
    tracking_uri : str, optional
    hooks : JobHooks, optional
    batch_size : int, optional
        Label this many customers at a time and stream the labels to ``out`` (a
        ``.parquet`` file); default: the config's ``score.batch_size``, else all at
        once. The labels are then never held whole, and the config may name no other
        export target (export the written file with ``metaseg export`` instead).

    Returns
    -------
    ScoreOutcome
        ``exports`` holds the result of every delivery (``out`` first), each diff
        listing at most :data:`~metaseg.export.file_diff.DEFAULT_CHANGES_LIMIT` changed
        labels (the counts cover all); a failed delivery raises
        :class:`~metaseg.exceptions.ExportError` after the others ran.

    Raises
    ------
    ConfigError
        ``batch_size`` is set without a Parquet ``out``, or with export targets.
    """
    from metaseg.export import export_labels
    from metaseg.export.file_diff import DEFAULT_CHANGES_LIMIT

    hooks = hooks or JobHooks()
    batch_size = batch_size if batch_size is not None else config.score.batch_size
    if batch_size is not None:
        _check_streamed_score(batch_size, out, config)
    with hooks.stage("loading the model"):
        loaded = _load_promoted(model, tracking_uri, hooks)
    inputs, facts = _read_and_compute(config, events, customers, as_of, hooks, model=loaded.model)
    if batch_size is not None:
        assert out is not None
        with hooks.stage("scoring and writing labels in batches"):
            streamed = _score_in_batches(loaded, facts, Path(out), batch_size)
        return ScoreOutcome(loaded, inputs, facts, None, [streamed])
    with hooks.stage("scoring"):
        labels = loaded.predict(facts)
    outcome = ScoreOutcome(loaded, inputs, facts, labels)
    targets = [] if out is None else [(str(out), {})]
    targets += [
        (t.to, {"batch_size": t.batch_size, "secret_env": t.secret_env}) for t in config.export
    ]
    with hooks.stage("exporting labels"):
        for target, options in targets:
            result = export_labels(labels, target, changes_limit=DEFAULT_CHANGES_LIMIT, **options)
            outcome.exports.append(result)
    for result in outcome.exports:
        result.raise_for_failures()
    return outcome


def _check_streamed_score(batch_size: Any, out: str | Path | None, config: MetasegConfig) -> None:
    """Refuse a streamed score that has nowhere to stream to, or other targets to feed."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"batch_size must be a positive integer, got {batch_size!r}; for example "
            "--batch-size 500000."
        )
    if out is None or Path(out).suffix.lower() != ".parquet":
        raise ConfigError(
            f"score in batches (batch_size={batch_size:_}) streams the labels to a Parquet "
            f"file, got out={None if out is None else str(out)!r}; pass --out LABELS.parquet."
        )
    if config.export:
        targets = [target.to for target in config.export]
        raise ConfigError(
            f"score in batches (batch_size={batch_size:_}) writes only --out, but the "
            f"config's export section lists {preview(targets)}; remove them and export the "
            "written file with 'metaseg export --labels LABELS.parquet --to TARGET'."
        )


def _score_in_batches(loaded: Any, facts: pd.DataFrame, out: Path, batch_size: int) -> Any:
    """Stream the labels to ``out`` batch by batch; the result as an export of that file."""
    from metaseg.batch_score import score_batches
    from metaseg.export.result import ExportResult
    from metaseg.export.stream import write_labels_batches

    streamed = write_labels_batches(score_batches(loaded, facts, batch_size=batch_size), out)
    delivered = streamed.n_rows if streamed.written else 0
    return ExportResult(
        str(out), "file", streamed.diff, written=streamed.written, delivered=delivered
    )


@dataclass
class ReportOutcome:
    """What :func:`run_report` produced: the reported model, what it was compared with,
    and the page written."""

    loaded: Any
    previous: str | None
    path: Path


def run_report(
    model: str,
    out: str | Path,
    *,
    previous: str | None = None,
    previous_labels: str | Path | None = None,
    campaigns: str | Path | None = None,
    title: str | None = None,
    tracking_uri: str | None = None,
    hooks: JobHooks | None = None,
) -> ReportOutcome:
    """Write the segment report page of a registered model version.

    Parameters
    ----------
    model : str
        ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a registered model name
        (alias ``champion``).
    out : path
        The HTML file to write.
    previous : str, optional
        The model to measure migration against (same forms as ``model``). By default
        the champion of the same registered model, unless ``model`` is the champion.
    previous_labels : path, optional
        A labels file (.parquet/.csv) to measure migration against instead.
    campaigns : path, optional
        Campaign outcomes (.parquet/.csv, see :func:`metaseg.over_time.campaign_report`),
        joined to the model's labels.
    title : str, optional
        Page title (default: the registered name).
    tracking_uri : str, optional
    hooks : JobHooks, optional

    Returns
    -------
    ReportOutcome
    """
    from metaseg.report import write_report
    from metaseg.tracking.model_uri import parse_alias_uri

    hooks = hooks or JobHooks()
    if previous is not None and previous_labels is not None:
        raise ConfigError(
            "give either previous (a registered model) or previous_labels (a labels file), "
            f"not both: got {previous!r} and {str(previous_labels)!r}."
        )
    loaded = _load_promoted(model, tracking_uri, hooks)
    full = loaded.full_model()  # the report shows the fit's customers
    options: dict[str, Any] = {
        "title": title or f"Segments of {loaded.name}",
        "model_label": f"{loaded.name} version {loaded.version}",
    }
    compared = None
    if previous_labels is not None:
        from metaseg.data import read_table

        options["previous"] = read_table(previous_labels)
        compared = options["previous_name"] = f"labels in {Path(previous_labels).name}"
    else:
        if previous is not None:
            other = _load_promoted(previous, tracking_uri, hooks)
        elif loaded.alias == "champion" or parse_alias_uri(model).alias == "champion":
            other = None
        else:
            other = find_champion(loaded.name, tracking_uri, hooks)
        if other is not None and other.version != loaded.version:
            options["previous"] = other.training_labels()
            via = f"{other.alias}, " if other.alias else ""
            compared = options["previous_name"] = f"{via}version {other.version}".strip()
    if campaigns is not None:
        from metaseg.data import read_table
        from metaseg.over_time import campaign_report

        options["campaigns"] = campaign_report(full.labels_, read_table(campaigns))
    with hooks.stage("writing the report"):
        path = write_report(full, out, **options)
    return ReportOutcome(loaded, compared, path)


@dataclass
class DriftOutcome:
    """What :func:`run_drift` produced: the champion and its drift report."""

    loaded: Any
    report: Any
    logged_run_id: str | None = None


def run_drift(
    config: MetasegConfig,
    model: str,
    *,
    events: str | Path | None = None,
    customers: str | Path | None = None,
    as_of: Any = None,
    reference_facts: str | Path | None = None,
    previous_labels: str | Path | None = None,
    log: bool = False,
    tracking_uri: str | None = None,
    hooks: JobHooks | None = None,
) -> DriftOutcome:
    """Does today's data still fit the promoted model? (see :func:`metaseg.over_time.drift_report`).

    The reference is, in order: ``reference_facts`` (the facts of the fit), the
    histograms the model kept at fit time, or the fit's facts recomputed from the same
    events as of the model's as-of date.

    Parameters
    ----------
    config : MetasegConfig
    model : str
        ``models:/NAME@ALIAS`` or a registered model name.
    events, customers, as_of : optional
        Today's data (see :func:`load_inputs`).
    reference_facts, previous_labels : path, optional
        The facts the model was fitted on; the last exported labels (for migration).
    log : bool
        Log the report to MLflow (:func:`metaseg.tracking.log_drift`).
    tracking_uri : str, optional
    hooks : JobHooks, optional
    """
    import warnings

    from metaseg.data import read_table
    from metaseg.over_time import drift_report
    from metaseg.tracking import log_drift

    hooks = hooks or JobHooks()
    loaded = _load_promoted(model, tracking_uri, hooks)
    inputs, facts_now = _read_and_compute(
        config, events, customers, as_of, hooks, model=loaded.model
    )
    if reference_facts is not None:
        reference = read_table(reference_facts)
    elif getattr(loaded.model, "drift_reference_", None) is not None:
        reference = None
    else:
        with hooks.stage("computing the fit's facts"):
            reference = _fit_facts_again(inputs, config, loaded.model, hooks)
    previous = read_table(previous_labels) if previous_labels is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report lists each warning once
        report = drift_report(
            loaded.full_model(), facts_now, reference_facts=reference, previous_labels=previous
        )
    run_id = log_drift(report, loaded.name, tracking_uri=tracking_uri) if log else None
    return DriftOutcome(loaded, report, run_id)


def _fit_facts_again(inputs: Inputs, config: MetasegConfig, model: Any, hooks: JobHooks) -> Any:
    """The fit's facts recomputed as of the model's as-of date from the same events."""
    as_of = getattr(model, "as_of_", None)
    if as_of is None:
        raise ConfigError(
            "drift: the model has no as-of date, so the facts of its fit cannot be "
            "recomputed; pass --reference-facts FILE (the facts it was fitted on)."
        )
    events = inputs.events
    if isinstance(events, pd.DataFrame):
        before = events[events["timestamp"] < as_of]
    else:  # validated events left in their files: one more filter in the same query
        before = events.before(as_of)
    hooks.message(f"reference: facts recomputed as of the fit ({as_of:%Y-%m-%d})")
    return build_facts(Inputs(before, inputs.customers), config, as_of=as_of, model=model)


def save_drift_report(report: Any, folder: str | Path) -> list[Path]:
    """Write a drift report's tables as CSV and its heatmaps as PNG, each atomically.

    Parameters
    ----------
    report : DriftReport
    folder : path
        Created if needed.

    Returns
    -------
    list of Path
        The files written.
    """
    import io

    import matplotlib.pyplot as plt

    from metaseg._io import atomic_write_bytes
    from metaseg.plots.drift import plot_drift

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"psi.csv": report.psi, "shares.csv": report.shares}
    if report.migration is not None:
        tables["migration.csv"] = report.migration
    for name, table in tables.items():
        text = table.to_csv(index=name == "migration.csv")
        atomic_write_bytes(out / name, text.encode("utf-8"))
        written.append(out / name)
    plots = [("psi", "drift_psi.png")] if len(report.psi) else []
    if report.migration is not None:
        plots.append(("migration", "drift_migration.png"))
    for what, name in plots:
        fig = plot_drift(report, what)
        buffer = io.BytesIO()
        try:
            fig.savefig(buffer, format="png", dpi=120)
        finally:
            plt.close(fig)
        atomic_write_bytes(out / name, buffer.getvalue())
        written.append(out / name)
    return written


@dataclass
class ValidateOutcome:
    """What :func:`run_validate` checked: the inputs, their facts and the rules' coverage."""

    inputs: Inputs
    facts: pd.DataFrame
    coverage: pd.DataFrame


def run_validate(
    config: MetasegConfig,
    *,
    events: str | Path | None = None,
    customers: str | Path | None = None,
    as_of: Any = None,
    hooks: JobHooks | None = None,
) -> ValidateOutcome:
    """Read and validate the data, compute the facts and check every rule and feature.

    Nothing is fitted. Raises the error a fit would raise (a rule or a feature naming a
    fact that does not exist, bad data), without the wait.
    """
    from metaseg.model import check_feature_columns
    from metaseg.rules import rule_segmenter

    hooks = hooks or JobHooks()
    inputs, facts = _read_and_compute(config, events, customers, as_of, hooks)
    facts, _ = fit_clv_facts(inputs, facts, config, hooks)
    rules = rule_segmenter(config.segmentation.rules).fit(facts)
    check_feature_columns(config.segmentation, facts, rules.segments_)
    return ValidateOutcome(inputs, facts, rules.coverage_)


@dataclass
class DemoOutcome:
    """What :func:`run_demo` did: the fit, the promotion, the champion's labels, the exports."""

    fit: FitOutcome
    promotion: Any
    labels: pd.DataFrame
    exports: list[Any]


def run_demo(
    *,
    n_customers: int = 20_000,
    seed: int = 0,
    out: str | Path = "metaseg_output",
    name: str = "shop",
    tracking_uri: str | None = None,
    hooks: JobHooks | None = None,
) -> DemoOutcome:
    """The whole flow on the synthetic shop with the shipped ``shop.yaml``.

    Generate the shop, fit and log it (registered as ``name``), promote it behind the
    default quality gates, score every customer with the champion and export the labels
    to ``out/labels.parquet`` and the SQLite table ``out/labels.db?table=segment_labels``.
    """
    from metaseg._paths import PRESETS_DIR
    from metaseg.config import load_config
    from metaseg.export import export_labels
    from metaseg.tracking import load_champion, promote

    hooks = hooks or JobHooks()
    base = load_config(PRESETS_DIR / "shop.yaml").model_dump(by_alias=True)
    base["data"]["synthetic"] = {"n_customers": n_customers, "seed": seed}
    base["tracking"]["register"] = name
    if tracking_uri:
        base["tracking"]["tracking_uri"] = tracking_uri
    config = load_config(base)
    fitted = run_fit(config, hooks=hooks)
    run = fitted.run
    hooks.message(f"logged run {run.run_id} to {run.tracking_uri}")
    promotion = promote(
        name, run.registered_version, gates=config.gates, tracking_uri=run.tracking_uri
    )
    champion = load_champion(name, tracking_uri=run.tracking_uri)
    with hooks.stage("scoring with the champion"):
        labels = champion.predict(fitted.facts)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [
        str(folder / "labels.parquet"),
        f"sqlite:///{folder / 'labels.db'}?table=segment_labels",
    ]
    exports = [export_labels(labels, target) for target in targets]
    for result in exports:
        result.raise_for_failures()
    return DemoOutcome(fitted, promotion, labels, exports)


def _load_promoted(model: str, tracking_uri: str | None, hooks: JobHooks) -> Any:
    """The promoted version ``model`` names (``models:/NAME@ALIAS`` or ``NAME``), verified."""
    from metaseg.tracking import load_champion
    from metaseg.tracking.model_uri import parse_alias_uri

    ref = parse_alias_uri(model)
    if ref.version is not None:
        loaded = load_champion(ref.name, version=ref.version, tracking_uri=tracking_uri)
    else:
        loaded = load_champion(ref.name, alias=ref.alias, tracking_uri=tracking_uri)
    via = f" ({ref.alias})" if ref.alias else ""
    hooks.message(f"model: {loaded.name} version {loaded.version}{via}, run {loaded.run_id}")
    return loaded


def _read_and_compute(
    config: MetasegConfig,
    events: str | Path | None,
    customers: str | Path | None,
    as_of: Any,
    hooks: JobHooks,
    model: Any = None,
) -> tuple[Inputs, pd.DataFrame]:
    """The job's inputs and their facts (those ``model`` was fitted on, when given),
    each step reported as a stage."""
    with hooks.stage("reading data"):
        inputs = load_inputs(config, events=events, customers=customers, as_of=as_of)
    with hooks.stage("computing facts"):
        facts = build_facts(inputs, config, as_of=as_of, model=model)
    return inputs, facts
