"""``metaseg report``: the segment report page of a registered model, for the CRM team."""

from __future__ import annotations

import argparse

from metaseg.cli._common import cli_hooks


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``report`` verb."""
    p = sub.add_parser(
        "report",
        parents=parents,
        help="write the segment report page (HTML) of a registered model",
        description=(
            "Write one self-contained HTML page about a registered segmentation: for each "
            "base segment and sub-segment its size and share, its name and the numbers "
            "behind it, its profile against the parent, example customers, stability, the "
            "migration since the champion (or --previous) and, with --campaigns, campaign "
            "results. The page loads nothing from the network."
        ),
    )
    p.add_argument(
        "--model",
        required=True,
        help="models:/NAME@ALIAS, models:/NAME/VERSION (e.g. models:/shop/3) or NAME",
    )
    p.add_argument(
        "--out", default="segment_report.html", help="HTML file (default: segment_report.html)"
    )
    p.add_argument(
        "--previous",
        help="model to measure migration against (default: the champion, unless --model is it)",
    )
    p.add_argument(
        "--previous-labels",
        dest="previous_labels",
        help="labels file (.parquet/.csv) to measure migration against instead",
    )
    p.add_argument(
        "--campaigns", help="campaign outcomes (.parquet/.csv): customer_id, campaign, ..."
    )
    p.add_argument("--title", help="page title (default: 'Segments of NAME')")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the report and say where it is."""
    from metaseg.jobs import run_report

    outcome = run_report(
        args.model,
        args.out,
        previous=args.previous,
        previous_labels=args.previous_labels,
        campaigns=args.campaigns,
        title=args.title,
        tracking_uri=args.tracking_uri,
        hooks=cli_hooks(args),
    )
    loaded = outcome.loaded
    compared = f", migration since {outcome.previous}" if outcome.previous else ""
    print(f"report of {loaded.name} version {loaded.version}{compared} -> {outcome.path}")
    return 0
