"""``metaseg runs``: list and compare segmentation runs of an experiment."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``runs`` verb with its ``list`` and ``compare`` actions."""
    p = sub.add_parser(
        "runs",
        parents=parents,
        help="list or compare segmentation runs",
        description="List the runs of an experiment, or compare runs and their labels.",
    )
    p.add_argument("action", choices=["list", "compare"])
    p.add_argument("runs", nargs="*", help="run ids to compare (default: the whole experiment)")
    p.add_argument("--experiment", default="metaseg", help="experiment name (default metaseg)")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the runs side by side (and the label agreement of two runs)."""
    import pandas as pd

    from metaseg.tracking import compare, label_agreement

    table = compare(args.runs or args.experiment, tracking_uri=args.tracking_uri)
    if args.action == "list":
        keep = [
            c
            for c in (
                "run_id",
                "run_name",
                "start_time",
                "overall.n_sub_segments",
                "overall.silhouette",
                "overall.stability_min",
            )
            if c in table.columns
        ]
        table = table[keep]
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(table.to_string(index=False))
    if args.action == "compare" and len(args.runs) == 2:
        print(label_agreement(args.runs[0], args.runs[1], tracking_uri=args.tracking_uri))
    return 0
