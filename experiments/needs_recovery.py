"""Needs-based sub-segments inside RFM / lifecycle segments: `needs` against `behaviour`.

On shops from :func:`metaseg.datasets.needs.make_needs_shop` (random number of aisles,
personas and preferences per seed; personas differ only in what they buy) the facts
get a category mix (top 8 by spend), the base segments come from a rules preset, and
every base segment is sub-segmented twice: with the ``needs`` preset and with the
``behaviour`` preset. The figure is the within-segment ARI of the sub-segments against
the personas (customers-weighted mean over the split base segments). k-means chooses k
by the silhouette (its default) or by prediction strength.

    python experiments/needs_recovery.py --seeds 0 1 2 3 4 --customers 4000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from metaseg.datasets.needs import make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.recovery import recovery_table

AS_OF = "2025-12-31"
ALGORITHM = "kmeans"
#: (feature preset, k-means criterion) pairs compared on every shop.
RUNS = (
    ("needs", "silhouette"),
    ("needs", "prediction_strength"),
    ("behaviour", "silhouette"),
    ("behaviour", "prediction_strength"),
)


def recover(
    seed: int, n_customers: int, rules: str, features: str, criterion: str
) -> dict[str, float]:
    """Weighted within-segment ARI of one shop, one rules preset, one feature preset and
    one k-means criterion."""
    shop = make_needs_shop(n_customers, seed=seed, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8, "basis": "spend"})
    spec = {
        "rules": rules,
        "default": {
            "algorithm": ALGORITHM,
            "params": {"criterion": criterion},
            "features": {"features": features},
        },
        "n_bootstrap": 0,
        "min_segment_size": 150,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter.from_config(spec).fit(facts)
    labels = model.labels_.merge(shop.truth, on="customer_id")
    table = recovery_table(
        labels["base_segment"], labels["sub_segment"], labels["persona"], min_size=150
    )
    weights = table["n_customers"].to_numpy(dtype=float)
    return {
        "ari": float(np.average(table["ari"], weights=weights)),
        "min_ari": float(table["ari"].min()),
        "k_right": float(table["k_right"].mean()),
        "segments": len(table),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--rules", nargs="+", default=["rfm", "lifecycle"])
    args = parser.parse_args()
    rows = []
    for rules in args.rules:
        for seed in args.seeds:
            for features, criterion in RUNS:
                start = time.perf_counter()
                result = recover(seed, args.customers, rules, features, criterion)
                result.update(rules=rules, seed=seed, features=features, criterion=criterion)
                result["seconds"] = round(time.perf_counter() - start, 1)
                rows.append(result)
                print(result, flush=True)
    table = pd.DataFrame(rows)
    by = ["rules", "features", "criterion"]
    print(table.groupby(by)[["ari", "min_ari", "k_right"]].agg(["mean", "min"]).to_string())


if __name__ == "__main__":
    main()
