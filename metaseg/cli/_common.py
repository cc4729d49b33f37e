"""Helpers shared by the command-line verbs: config loading, progress bars, printing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metaseg.data import DataReport

DEFAULT_CONFIG = "configs/shop.yaml"


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments that override where a job's data come from."""
    p.add_argument("--events", help="events file or folder (CSV/Parquet); overrides the config")
    p.add_argument("--customers", help="customers file (CSV/Parquet); overrides the config")
    p.add_argument("--as-of", dest="as_of", help="reference date, e.g. 2025-12-31")


def load_job_config(args: argparse.Namespace) -> Any:
    """Load and validate ``--config`` (exit code 2 on mistakes)."""
    from pathlib import Path

    from metaseg.config import load_config

    return load_config(Path(args.config))


@contextmanager
def step(args: argparse.Namespace, label: str, total: int | None = None) -> Iterator[Any]:
    """A progress bar on stderr for one long step; silent with ``--quiet``."""
    from metaseg._progress import progress_bar

    bar = progress_bar(
        total=total,
        desc=label,
        # None: shown on a terminal only, so logs of batch jobs stay clean
        progress=False if getattr(args, "quiet", False) else None,
        bar_format="{desc}: {n_fmt}/{total_fmt} {postfix} [{elapsed}]"
        if total
        else "{desc} [{elapsed}]",
    )
    try:
        yield bar
    finally:
        bar.close()


def say(args: argparse.Namespace, text: str) -> None:
    """Print a progress line on stderr unless ``--quiet`` (user text made printable)."""
    from metaseg.display import printable

    if not getattr(args, "quiet", False):
        print(printable(text), file=sys.stderr)


def cli_hooks(args: argparse.Namespace) -> Any:
    """Job hooks that print progress lines and draw progress bars (silent with ``--quiet``)."""
    from metaseg._progress import stage as progress_stage
    from metaseg.jobs import JobHooks

    def stage(label: str) -> Any:
        return progress_stage(label, progress=False if getattr(args, "quiet", False) else None)

    return JobHooks(message=lambda text: say(args, text), stage=stage)


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


def print_data_report(report: DataReport, *, customers_given: bool) -> None:
    """On stderr: the data report when reading changed anything, and who was left unlabelled."""
    if report.rows_dropped or report.rows_changed or report.customers_dropped:
        print(report, file=sys.stderr)
    unlabelled = unlabelled_summary(report, customers_given=customers_given)
    if unlabelled:
        print(unlabelled, file=sys.stderr)
