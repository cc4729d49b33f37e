"""``metaseg drift``: do today's customers still fit the promoted segmentation?"""

from __future__ import annotations

import argparse

from metaseg.cli._common import add_data_arguments, say, step


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
    import warnings

    from metaseg import jobs
    from metaseg.cli.score import parse_model_uri
    from metaseg.config import load_config
    from metaseg.data import read_table
    from metaseg.over_time import drift_report
    from metaseg.tracking import load_champion, log_drift

    name, alias = parse_model_uri(args.model)
    config = load_config(args.config) if args.config else load_config({})
    loaded = load_champion(name, alias=alias, tracking_uri=args.tracking_uri)
    model = loaded.model
    say(args, f"model: {loaded.name} version {loaded.version} ({alias}), run {loaded.run_id}")
    with step(args, "reading data"):
        inputs = jobs.load_inputs(
            config, events=args.events, customers=args.customers, as_of=args.as_of
        )
    with step(args, "computing facts"):
        facts_now = jobs.build_facts(inputs, config, as_of=args.as_of)
        if args.reference_facts:
            reference = read_table(args.reference_facts)
        elif getattr(model, "drift_reference_", None) is not None:
            reference = None
        else:
            reference = _reference_from_events(inputs, config, model, args)
    previous = read_table(args.previous_labels) if args.previous_labels else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report prints each warning once
        report = drift_report(model, facts_now, reference_facts=reference, previous_labels=previous)
    print(report)
    if args.out:
        _save(report, args.out)
        print(f"tables and heatmaps -> {args.out}")
    if args.log:
        run_id = log_drift(report, name, tracking_uri=args.tracking_uri)
        print(f"logged to MLflow run {run_id}")
    return 1 if args.fail_on_warning and report.warnings else 0


def _reference_from_events(inputs, config, model, args):
    """The fit's facts recomputed as of the model's as-of date from the same events."""
    from metaseg import jobs
    from metaseg.exceptions import ConfigError

    as_of = getattr(model, "as_of_", None)
    if as_of is None:
        raise ConfigError(
            "drift: the model has no as-of date, so the facts of its fit cannot be "
            "recomputed; pass --reference-facts FILE (the facts it was fitted on)."
        )
    events = inputs.events
    before = events[events["timestamp"] < as_of]
    say(args, f"reference: facts recomputed as of the fit ({as_of:%Y-%m-%d})")
    return jobs.build_facts(jobs.Inputs(before, inputs.customers), config, as_of=as_of)


def _save(report, folder: str) -> None:
    """Tables as CSV and heatmaps as PNG, each written atomically."""
    import io
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metaseg._io import atomic_write_bytes
    from metaseg.plots.drift import plot_drift

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"psi.csv": report.psi, "shares.csv": report.shares}
    if report.migration is not None:
        tables["migration.csv"] = report.migration
    for name, table in tables.items():
        text = table.to_csv(index=name == "migration.csv")
        atomic_write_bytes(out / name, text.encode("utf-8"))
    plots = [("psi", "drift_psi.png")] if len(report.psi) else []
    if report.migration is not None:
        plots.append(("migration", "drift_migration.png"))
    for what, name in plots:
        fig = plot_drift(report, what)
        buffer = io.BytesIO()
        try:
            fig.savefig(buffer, format="png", dpi=120)
        finally:
            plt.close(fig)
        atomic_write_bytes(out / name, buffer.getvalue())
