"""Batch jobs: the steps the command line and notebooks run, with I/O at the edges.

Each function takes a validated :class:`~metaseg.config.MetasegConfig` and returns plain
objects; the command line only parses arguments, calls these and prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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
