"""``metaseg demo``: the whole flow on the synthetic shop, with a readable summary."""

from __future__ import annotations

import argparse
import sys
import time


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` verb."""
    p = sub.add_parser(
        "demo",
        parents=parents,
        help="run the whole flow on the synthetic shop",
        description="Generate the synthetic shop and run the segmentation flow on it.",
    )
    p.add_argument("--customers", type=int, default=20_000, help="shop size (default 20000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its summary on stdout."""
    from metaseg.datasets import make_shop

    started = time.perf_counter()
    customers, events, truth = make_shop(n_customers=args.customers, seed=args.seed)
    print(
        f"synthetic shop: {len(customers):,} customers, {len(events):,} events "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stdout,
    )
    return 0
