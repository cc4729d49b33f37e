"""``metaseg demo``: the whole flow on the synthetic shop, with a readable summary.

Generate the shop, compute facts, fit the segmentation of ``configs/shop.yaml``, log it
to the local MLflow store (``sqlite:///mlflow.db`` in the working directory unless
``MLFLOW_TRACKING_URI`` says otherwise), register and promote it, score the customers
with the champion and export the labels to a Parquet file and a SQLite table.
"""

from __future__ import annotations

import argparse
import time


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` verb."""
    p = sub.add_parser(
        "demo",
        parents=parents,
        help="run the whole flow on the synthetic shop",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("--customers", type=int, default=20_000, help="shop size (default 20000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="metaseg_output", help="folder for the exported labels")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.add_argument("--name", default="shop", help="registered model name (default shop)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its summary on stdout."""
    from metaseg.cli._common import cli_hooks
    from metaseg.jobs import run_demo

    started = time.perf_counter()
    outcome = run_demo(
        n_customers=args.customers,
        seed=args.seed,
        out=args.out,
        name=args.name,
        tracking_uri=args.tracking_uri,
        hooks=cli_hooks(args),
    )
    fitted, run_info = outcome.fit, outcome.fit.run
    print(f"metaseg demo: {fitted.inputs.source}")
    print(f"  {len(fitted.inputs.events):,} events -> {len(fitted.facts):,} customers' facts")
    print()
    print(fitted.model.summary_text())
    print()
    print(f"MLflow run {run_info.run_id} ({run_info.tracking_uri})")
    print(f"registered {args.name} version {run_info.registered_version}; promoted:")
    print(outcome.promotion)
    print(f"scored {len(outcome.labels):,} customers with models:/{args.name}@champion")
    for result in outcome.exports:
        print(f"exported to {result.target}: {result.delivered:,} labels")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
