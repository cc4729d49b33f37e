"""``metaseg score``: label customers with a registered segmentation (the champion)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from metaseg.cli._common import add_data_arguments, cli_hooks

if TYPE_CHECKING:
    from metaseg.data import DataReport


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``score`` verb."""
    p = sub.add_parser(
        "score",
        parents=parents,
        help="label customers with the promoted model",
        description=(
            "Compute facts as of a date, then apply the model's rules cut points, feature "
            "scalers and clusterers; write the labels table."
        ),
    )
    p.add_argument(
        "--model",
        required=True,
        help="models:/NAME@ALIAS (e.g. models:/shop@champion) or a registered model NAME",
    )
    p.add_argument("--config", help="YAML config for the data section (default: synthetic shop)")
    add_data_arguments(p)
    p.add_argument(
        "--out",
        required=True,
        help="labels file to write (.parquet or .csv); the config's export targets follow",
    )
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def unlabelled_summary(report: DataReport, *, customers_given: bool) -> str | None:
    """One line counting, by reason, the input customers left with no event (or ``None``).

    Parameters
    ----------
    report : DataReport
        The data report of the job (readers and facts).
    customers_given : bool
        Whether a customers table was read: customers it lists are labelled even when
        none of their events is left.

    Examples
    --------
    >>> from metaseg.data import DataReport
    >>> report = DataReport()
    >>> report.add("validate_events", "dropped", "every event after as_of (2024-01-31)",
    ...            rows=1999, unit="customers")
    >>> print(unlabelled_summary(report, customers_given=False))
    not labelled: 1,999 customers of the input have no event left (every event after as_of (2024-01-31): 1,999); pass --customers with every customer to label them as customers without activity, or a later --as-of.
    """
    lost = report.customers_by_reason()
    if not lost:
        return None
    total = sum(lost.values())
    reasons = "; ".join(
        f"{reason.split(': customer left', 1)[0]}: {n:,}" for reason, n in lost.items()
    )
    if customers_given:
        return (
            f"{total:,} customers of the events have no event left ({reasons}); those the "
            "customers table lists are labelled as customers without events, the others "
            "have no label."
        )
    return (
        f"not labelled: {total:,} customers of the input have no event left ({reasons}); "
        "pass --customers with every customer to label them as customers without "
        "activity, or a later --as-of."
    )


def run(args: argparse.Namespace) -> int:
    """Score, write the labels atomically, deliver them and print what happened."""
    from metaseg.config import load_config
    from metaseg.exceptions import ConfigError
    from metaseg.jobs import run_score
    from metaseg.tracking.model_uri import parse_alias_uri

    parse_alias_uri(args.model)  # a malformed --model is refused before anything is read
    if not args.config and not args.events:
        raise ConfigError(
            "score needs the customers to label: pass --events FILE (and --customers FILE), "
            "or --config CONFIG whose data section names them."
        )
    config = load_config(Path(args.config)) if args.config else load_config({})
    outcome = run_score(
        config,
        args.model,
        out=args.out,
        events=args.events,
        customers=args.customers,
        as_of=args.as_of,
        tracking_uri=args.tracking_uri,
        hooks=cli_hooks(args),
    )
    report = outcome.inputs.report
    if report.rows_dropped or report.rows_changed or report.customers_dropped:
        print(report, file=sys.stderr)
    labels = outcome.labels
    print(f"scored {len(labels):,} customers -> {args.out}")
    customers_given = outcome.inputs.customers is not None
    unlabelled = unlabelled_summary(report, customers_given=customers_given)
    if unlabelled:
        print(unlabelled, file=sys.stderr)
    print(labels["segment"].value_counts().sort_index().to_string())
    for result in outcome.exports[1:]:
        print(result)
    return 0
