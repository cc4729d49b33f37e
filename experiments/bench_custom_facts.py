"""Benchmark: the time custom facts add to ``compute_facts`` on a generated shop.

Generates ``metaseg.datasets.make_shop`` (100,000 customers by default), adds two extra
event columns (``product_id``, ``on_sale``) and times ``compute_facts`` from pandas
with no custom facts, then with the issue's examples (five aggregates and a ratio),
alternating the two ``--repeats`` times and reporting the median of each.

Usage::

    python experiments/bench_custom_facts.py --customers 100000 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from metaseg.datasets import make_shop
from metaseg.facts import compute_facts

AS_OF = "2025-12-31"
CUSTOM = {
    "shoes_bought_30d": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "category", "op": "==", "value": "fashion"},
        "window_days": 30,
    },
    "views_of_x": {
        "aggregate": "count",
        "event_type": "view",
        "where": {"column": "product_id", "op": "==", "value": "X"},
    },
    "purchases_of_x": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "product_id", "op": "==", "value": "X"},
    },
    "sale_spend_90d": {
        "aggregate": "sum",
        "of": "amount",
        "event_type": "purchase",
        "where": {"column": "on_sale", "op": "==", "value": True},
        "window_days": 90,
    },
    "days_since_app_view": {
        "aggregate": "days_since",
        "event_type": "view",
        "where": {"column": "channel", "op": "in", "value": ["app"]},
    },
    "x_conversion": {"ratio": ["purchases_of_x", "views_of_x"]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    customers, events, _ = make_shop(n_customers=args.customers, seed=0, as_of=AS_OF)
    rng = np.random.default_rng(0)
    events["product_id"] = np.where(rng.random(len(events)) < 0.05, "X", "other")
    events["on_sale"] = rng.random(len(events)) < 0.3
    print(f"{args.customers:,} customers, {len(events):,} events")
    times: dict[str, list[float]] = {"registry only": [], "with 6 custom facts": []}
    for _ in range(args.repeats):
        for label, custom in (("registry only", None), ("with 6 custom facts", CUSTOM)):
            start = time.perf_counter()
            compute_facts(events, customers, as_of=AS_OF, threads=args.threads, custom=custom)
            times[label].append(time.perf_counter() - start)
    base = statistics.median(times["registry only"])
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:>20}: median {median:.2f} s ({median / base - 1:+.0%}) over {values}")


if __name__ == "__main__":
    main()
