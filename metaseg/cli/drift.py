"""``metaseg drift``: do today's customers still fit the promoted segmentation?"""

from __future__ import annotations

import argparse

from metaseg.cli._common import add_data_arguments, cli_hooks


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``drift`` verb."""
    p = sub.add_parser(
        "drift",
        parents=parents,
        help="compare today's customers with the promoted model's fit",
        description=(
            "Compute today's facts, label them with the model and report: the population "
            "stability index of each fact against the fit, the share of every sub-segment "
            "then and now, the migration since the last exported labels, and warnings when "
            "the model no longer fits. The fit's facts are recomputed from the same events "
            "as of the model's as-of date unless --reference-facts is given. Exit code 0 "
            "even with warnings, unless --fail-on-warning."
        ),
    )
    p.add_argument(
        "--model", required=True, help="models:/NAME@ALIAS (e.g. models:/shop@champion) or NAME"
    )
    p.add_argument("--config", help="YAML config for the data section (default: synthetic shop)")
    add_data_arguments(p)
    p.add_argument(
        "--previous-labels", dest="previous_labels", help="last exported labels (.parquet/.csv)"
    )
    p.add_argument(
        "--reference-facts", dest="reference_facts", help="facts of the fit (.parquet/.csv)"
    )
    p.add_argument("--out", help="folder for psi.csv, shares.csv, migration.csv and heatmaps")
    p.add_argument("--log", action="store_true", help="log the report to MLflow as a drift run")
    p.add_argument("--fail-on-warning", dest="fail_on_warning", action="store_true")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the drift report, print it, optionally save and log it."""
    from metaseg.config import load_config
    from metaseg.display import printable
    from metaseg.jobs import run_drift, save_drift_report

    config = load_config(args.config) if args.config else load_config({})
    outcome = run_drift(
        config,
        args.model,
        events=args.events,
        customers=args.customers,
        as_of=args.as_of,
        reference_facts=args.reference_facts,
        previous_labels=args.previous_labels,
        log=args.log,
        tracking_uri=args.tracking_uri,
        hooks=cli_hooks(args),
    )
    report = outcome.report
    print("\n".join(printable(line) for line in str(report).splitlines()))
    if args.out:
        import matplotlib

        matplotlib.use("Agg")  # a batch job draws into files only
        save_drift_report(report, args.out)
        print(f"tables and heatmaps -> {args.out}")
    if outcome.logged_run_id is not None:
        print(f"logged to MLflow run {outcome.logged_run_id}")
    return 1 if args.fail_on_warning and report.warnings else 0
