"""Batch jobs: the steps the command line and notebooks run, with I/O at the edges.

Each function takes a validated :class:`~metaseg.config.MetasegConfig` and returns plain
objects; the command line only parses arguments, calls these and prints. :func:`run_fit`
is the whole fit job (read, facts, fit, keep the champion's sub-segment ids, log), the
same from ``metaseg fit``, ``metaseg demo`` and a notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg.config import MetasegConfig
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError

log = logging.getLogger("metaseg")


@dataclass
class Inputs:
    """Standard events and customers read for a job, with what reading did to them."""

    events: pd.DataFrame
    customers: pd.DataFrame | None
    report: DataReport = field(default_factory=DataReport)
    source: str = ""
    truth: pd.DataFrame | None = None


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
    from metaseg.data import read_customers, read_events

    data = config.data
    events_path = events if events is not None else data.events
    if events_path is None:
        raise ConfigError(
            "data.events: no events to read; set data.events in the config or pass --events."
        )
    customers_path = customers if customers is not None else data.customers
    ev, report = read_events(events_path, data.mapping, policy=data.policy or None, as_of=as_of)
    cu = None
    if customers_path is not None:
        cu, customers_report = read_customers(
            customers_path, data.mapping, policy=data.policy or None
        )
        report.extend(customers_report)
    return Inputs(ev, cu, report, source=str(events_path))


def build_facts(inputs: Inputs, config: MetasegConfig, *, as_of: Any = None) -> pd.DataFrame:
    """Compute the customer facts of a job's inputs (see :func:`metaseg.facts.compute_facts`)."""
    from metaseg.facts import compute_facts

    as_of = as_of if as_of is not None else config.as_of
    return compute_facts(
        inputs.events,
        inputs.customers,
        as_of=as_of,
        windows=config.facts.windows,
        report=inputs.report,
    )


def rules_source(config: MetasegConfig) -> Any:
    """The rules of a config as RuleSegmenter accepts them (preset names become paths)."""
    from metaseg.segmentation_spec import resolve_rules

    return resolve_rules(config.segmentation.rules)


def fit_model(config: MetasegConfig, facts: pd.DataFrame, *, progress: Any = None) -> Any:
    """Fit a :class:`~metaseg.model.MetaSegmenter` from the config's segmentation block."""
    from metaseg.model import MetaSegmenter

    return MetaSegmenter.from_config(config.segmentation).fit(facts, progress=progress)


@contextmanager
def _silent_stage(label: str) -> Iterator[Callable[[str], None]]:
    yield lambda name: None


@dataclass(frozen=True)
class JobHooks:
    """How a job tells its caller what it is doing (it never prints by itself).

    Attributes
    ----------
    message : callable
        ``message(text)`` for one line of progress; logged at INFO by default.
    stage : callable
        ``stage(label)`` returns a context manager around one long step; it yields
        ``advance(name)``, called as the step moves on (one base segment fitted). Silent
        by default; the command line draws a progress bar.
    """

    message: Callable[[str], None] = log.info
    stage: Callable[[str], AbstractContextManager[Callable[[str], None]]] = _silent_stage


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
    hooks : JobHooks, optional
        Progress reporting; log lines by default.

    Returns
    -------
    FitOutcome
    """
    from metaseg.tracking import log_fit

    hooks = hooks or JobHooks()
    with hooks.stage("reading data"):
        inputs = load_inputs(config, events=events, customers=customers, as_of=as_of)
    hooks.message(f"data: {inputs.source}: {len(inputs.events):,} events")
    with hooks.stage("computing facts"):
        facts = build_facts(inputs, config, as_of=as_of)
    hooks.message(f"facts: {len(facts):,} customers as of {facts.attrs.get('as_of')}")
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
        model = fit_model(config, facts, progress=advance)
    if champion is not None:
        model = keep_identities(model, champion, facts, names, hooks)
    run = log_fit(
        model,
        facts,
        experiment=experiment or tracking.experiment,
        run_name=config.name,
        register=register,
        tracking_uri=uri,
        config=config.model_dump(mode="json"),
        data_report=inputs.report,
        timeout=tracking.timeout,
        max_retries=tracking.max_retries,
    )
    return FitOutcome(inputs, facts, model, run)


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
    from metaseg._messages import preview
    from metaseg.exceptions import MetasegError
    from metaseg.over_time import match_identities

    hooks = hooks or JobHooks()
    try:
        match = match_identities(champion.model, model, facts)
    except MetasegError as exc:
        # e.g. the champion reads a fact this config no longer computes: match on the
        # customers both models labelled instead of re-scoring them with the champion
        hooks.message(f"identities: cannot score with the champion ({exc}); matching on labels")
        match = match_identities(champion.model, model)
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
