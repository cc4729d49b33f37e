"""``metaseg validate``: check a configuration and its data without fitting a model."""

from __future__ import annotations

import argparse

from metaseg.cli._common import DEFAULT_CONFIG, add_data_arguments, load_job_config, say


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
    """Validate and print what was checked."""
    from metaseg import jobs
    from metaseg.model import check_feature_columns
    from metaseg.rules import RuleSegmenter

    config = load_job_config(args)
    say(args, f"config {args.config}: valid")
    inputs = jobs.load_inputs(
        config, events=args.events, customers=args.customers, as_of=args.as_of
    )
    facts = jobs.build_facts(inputs, config, as_of=args.as_of)
    rules = RuleSegmenter(rules=jobs.rules_source(config)).fit(facts)
    check_feature_columns(config.segmentation, facts, rules.segments_)
    print(f"data: {inputs.source}: {len(inputs.events):,} events, {len(facts):,} customers")
    print(inputs.report)
    print(rules.coverage_)
    print("ok: configuration and data are valid")
    return 0
