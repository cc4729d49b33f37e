"""``metaseg validate``: check a configuration and its data without fitting a model."""

from __future__ import annotations

import argparse

from metaseg.cli._common import DEFAULT_CONFIG, add_data_arguments, cli_hooks, load_job_config


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``validate`` verb."""
    p = sub.add_parser(
        "validate",
        parents=parents,
        help="check a config and its data without fitting",
        description=(
            "Validate the configuration, read and validate the data, compute the facts and "
            "check that every rule and feature refers to an existing fact."
        ),
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"YAML config (default {DEFAULT_CONFIG})"
    )
    add_data_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate and print what was checked; "valid" only once everything passed."""
    from metaseg.jobs import run_validate

    config = load_job_config(args)
    outcome = run_validate(
        config,
        events=args.events,
        customers=args.customers,
        as_of=args.as_of,
        hooks=cli_hooks(args),
    )
    inputs = outcome.inputs
    print(f"data: {inputs.source}: {len(inputs.events):,} events, {len(outcome.facts):,} customers")
    print(inputs.report)
    print(outcome.coverage)
    print(f"ok: configuration {args.config} and its data are valid")
    return 0
