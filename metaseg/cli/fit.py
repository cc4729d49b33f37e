"""``metaseg fit``: read data, compute facts, fit the segmentation and log it to MLflow."""

from __future__ import annotations

import argparse

from metaseg.cli._common import (
    DEFAULT_CONFIG,
    add_data_arguments,
    cli_hooks,
    load_job_config,
    print_data_report,
)


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``fit`` verb."""
    p = sub.add_parser(
        "fit",
        parents=parents,
        help="fit a segmentation and log it as an MLflow run",
        description="Fit the segmentation a config describes and log it to MLflow.",
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"YAML config (default {DEFAULT_CONFIG})"
    )
    add_data_arguments(p)
    p.add_argument("--experiment", help="MLflow experiment (default: the config's)")
    p.add_argument("--register", metavar="NAME", help="register the model under this name")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.add_argument(
        "--artifacts-dir",
        dest="artifacts_dir",
        metavar="FOLDER",
        help="local copy of the run's files (default ./metaseg_output/<UTC timestamp>/)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fit, log and print the run id and the summary."""
    from metaseg.jobs import run_fit

    config = load_job_config(args)
    fitted = run_fit(
        config,
        events=args.events,
        customers=args.customers,
        as_of=args.as_of,
        experiment=args.experiment,
        register=args.register,
        tracking_uri=args.tracking_uri,
        artifacts_dir=args.artifacts_dir,
        hooks=cli_hooks(args),
    )
    print_data_report(fitted.inputs.report, customers_given=fitted.inputs.customers is not None)
    print(f"run_id: {fitted.run.run_id}")
    if fitted.run.registered_version is not None:
        print(f"registered: {fitted.run.registered_name} version {fitted.run.registered_version}")
    print(fitted.model.summary_text())
    return 0
