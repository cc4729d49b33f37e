"""``metaseg score``: label customers with a registered segmentation (the champion)."""

from __future__ import annotations

import argparse
from pathlib import Path

from metaseg.cli._common import add_data_arguments, cli_hooks, print_data_report


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
    p.add_argument(
        "--batch-size",
        dest="batch_size",
        type=int,
        metavar="N",
        help=(
            "label N customers at a time and stream the labels to the Parquet --out file "
            "(default: the config's score.batch_size, else all at once)"
        ),
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Score, write the labels atomically, deliver them and print what happened."""
    from metaseg.config import load_config
    from metaseg.display import printable
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
        batch_size=args.batch_size,
    )
    if outcome.labels is None:  # streamed: the file's diff counts the labels per segment
        segments = outcome.exports[0].diff.segments
        counts = segments[segments["after"] > 0].set_index("segment")["after"]
        counts = counts.rename_axis("segment").rename("count")
        print(f"scored {int(counts.sum()):,} customers in batches -> {args.out}")
    else:
        counts = outcome.labels["segment"].value_counts().sort_index()
        print(f"scored {len(outcome.labels):,} customers -> {args.out}")
    print_data_report(outcome.inputs.report, customers_given=outcome.inputs.customers is not None)
    # segment codes hold base segment names from the rules file: user text
    print(counts.rename(index=printable).to_string())
    for result in outcome.exports[1:] if outcome.labels is not None else outcome.exports:
        print(result)
    return 0
