"""Needs-based sub-segments inside RFM / lifecycle segments: `needs` against `behaviour`.

On shops from :func:`metaseg.datasets.needs.make_needs_shop` (random number of aisles,
personas and preferences per seed; personas differ only in what they buy) the facts
get a category mix (top 8 by spend), the base segments come from a rules preset, and
every base segment is sub-segmented twice: with the ``needs`` preset and with the
``behaviour`` preset. The figure is the within-segment ARI of the sub-segments against
the personas (customers-weighted mean over the split base segments). k-means chooses k
by the silhouette (its default) or by prediction strength, and learns the sub-segments
per base segment or once across them (``fit_on: shared``). The ``oracle`` row is the
ceiling: each customer's most probable persona under the shop's true preferences, from
the categories of the same purchases.

    python experiments/needs_recovery.py --seeds 0 1 2 3 4 --customers 4000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from metaseg.datasets.needs import NeedsShop, make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.recovery import recovery_table

AS_OF = "2025-12-31"
ALGORITHM = "kmeans"
#: (feature preset, k-means criterion, fit_on) compared on every shop.
RUNS = (
    ("needs", "silhouette", "segment"),
    ("needs", "prediction_strength", "segment"),
    ("needs", "silhouette", "shared"),
    ("behaviour", "silhouette", "segment"),
    ("behaviour", "silhouette", "shared"),
)


def _weighted(labels: pd.DataFrame, sub_column: str) -> dict[str, float]:
    """Customer-weighted within-segment ARI of ``sub_column`` against the personas."""
    table = recovery_table(
        labels["base_segment"], labels[sub_column], labels["persona"], min_size=150
    )
    weights = table["n_customers"].to_numpy(dtype=float)
    return {
        "ari": float(np.average(table["ari"], weights=weights)),
        "min_ari": float(table["ari"].min()),
        "k_right": float(table["k_right"].mean()),
        "segments": len(table),
    }


def fit(
    shop: NeedsShop, rules: str, features: str, criterion: str, fit_on: str = "segment"
) -> pd.DataFrame:
    """Labels of the shop's customers (with their persona) for one configuration;
    ``features="none"`` gives the base segments only."""
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8, "basis": "spend"})
    default: dict = {"algorithm": "none"}
    if features != "none":
        default = {
            "algorithm": ALGORITHM,
            "params": {"criterion": criterion},
            "features": {"features": features},
            "fit_on": fit_on,
        }
    spec = {"rules": rules, "default": default, "n_bootstrap": 0, "min_segment_size": 150}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter.from_config(spec).fit(facts)
    return model.labels_.merge(shop.truth, on="customer_id")


def bayes_ceiling(shop: NeedsShop, labels: pd.DataFrame) -> pd.Series:
    """Each customer's most probable persona given the shop's *true* preferences and the
    categories of their purchase lines (multinomial likelihood, equal priors): what an
    oracle that knows the personas' preferences recovers from the same purchases."""
    purchases = shop.events[shop.events["event_type"] == "purchase"]
    counts = pd.crosstab(purchases["customer_id"], purchases["category"]).reindex(
        columns=shop.categories, fill_value=0
    )
    scores = counts.to_numpy(dtype=float) @ np.log(shop.preferences).T
    guess = pd.Series(scores.argmax(axis=1), index=counts.index)
    return guess.reindex(labels["customer_id"]).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--rules", nargs="+", default=["rfm", "lifecycle"])
    args = parser.parse_args()
    rows = []
    for rules in args.rules:
        for seed in args.seeds:
            shop = make_needs_shop(args.customers, seed=seed, as_of=AS_OF)
            base = fit(shop, rules, "none", "")
            base["oracle"] = bayes_ceiling(shop, base)
            result = _weighted(base, "oracle")
            result.update(rules=rules, seed=seed, features="oracle", criterion="true preferences")
            result["fit_on"] = "-"
            rows.append(result)
            print(result, flush=True)
            for features, criterion, fit_on in RUNS:
                start = time.perf_counter()
                labels = fit(shop, rules, features, criterion, fit_on)
                result = _weighted(labels, "sub_segment")
                result.update(rules=rules, seed=seed, features=features, criterion=criterion)
                result["fit_on"] = fit_on
                result["seconds"] = round(time.perf_counter() - start, 1)
                rows.append(result)
                print(result, flush=True)
    table = pd.DataFrame(rows)
    by = ["rules", "features", "criterion", "fit_on"]
    print(table.groupby(by)[["ari", "min_ari", "k_right"]].agg(["mean", "min"]).to_string())
    per_shop = table.pivot_table(index=["rules", "seed"], columns=by[1:], values="ari")
    print(per_shop.round(3).to_string())
    print("shops with ARI >= 0.9:")
    print((per_shop >= 0.9).groupby(level="rules").sum().T.to_string())


if __name__ == "__main__":
    main()
