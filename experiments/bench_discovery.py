"""Discovery benchmark: planted structures drawn at random, metaseg against two notebooks.

Every scenario is a shop from :func:`metaseg.datasets.planted.make_planted_shop` whose
structure (1 to 5 personas per situation, shares down to 5 %, separation, spread) is
drawn from the scenario's seed. Three pipelines label the same facts:

* ``metaseg``: ``MetaSegmenter(rules="lifecycle")`` with its defaults, nothing tuned;
* ``notebook``: per base segment, the numeric facts of the ``behaviour`` preset with
  missing values at the median, ``log1p``, ``StandardScaler`` and k-means with k in
  2..8 by silhouette (the 30-line notebook);
* ``hdbscan_all``: the same matrix over all customers, HDBSCAN on every row;
* ``oracle``: a classifier trained on the planted personas (cross-validated), the
  ceiling that shows how separable each scenario's groups are.

Per base segment: adjusted Rand index against the planted personas, the split-or-not
decision and the number of groups. Usage::

    python experiments/bench_discovery.py --scenarios 30 --customers 20000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from metaseg.datasets.planted import make_planted_shop
from metaseg.facts import compute_facts
from metaseg.features.presets import PRESETS
from metaseg.model import MetaSegmenter
from metaseg.recovery import recovery_table

#: The k range of the notebook's silhouette search.
NOTEBOOK_K = range(2, 9)
#: HDBSCAN's smallest cluster in the all-rows notebook (1 % of 20k customers).
HDBSCAN_MIN_CLUSTER = 200


def notebook_matrix(facts: pd.DataFrame) -> np.ndarray:
    """The notebook's matrix: behaviour facts, median-filled, log1p, standardised."""
    from sklearn.preprocessing import StandardScaler

    frame = facts[list(PRESETS["behaviour"])].astype("float64")
    frame = frame.fillna(frame.median()).fillna(0.0)
    frame = frame.loc[:, frame.std() > 0]
    values = np.log1p(frame.clip(lower=0).to_numpy())
    return StandardScaler().fit_transform(values)


def notebook_kmeans(X: np.ndarray, seed: int) -> np.ndarray:
    """k-means with k by silhouette (on 4,000 rows, as a notebook would to keep it fast)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    best, best_labels = -np.inf, np.zeros(len(X), dtype=int)
    for k in NOTEBOOK_K:
        labels = KMeans(n_clusters=k, n_init="auto", random_state=seed).fit_predict(X)
        score = silhouette_score(X, labels, sample_size=min(4_000, len(X)), random_state=seed)
        if score > best:
            best, best_labels = score, labels
    return best_labels


def run_notebook(facts: pd.DataFrame, base: np.ndarray, seed: int) -> np.ndarray:
    """Per base segment: the notebook matrix and k-means by silhouette."""
    found = np.zeros(len(facts), dtype=int)
    for name in np.unique(base):
        rows = np.flatnonzero(base == name)
        if rows.size < 200:
            continue
        X = notebook_matrix(facts.iloc[rows])
        if X.shape[1] == 0:
            continue
        found[rows] = notebook_kmeans(X, seed)
    return found


def run_hdbscan_all(facts: pd.DataFrame, base: np.ndarray, seed: int) -> np.ndarray:
    """HDBSCAN on every customer together (no rule segments)."""
    import hdbscan

    X = notebook_matrix(facts)
    return hdbscan.HDBSCAN(min_cluster_size=HDBSCAN_MIN_CLUSTER).fit_predict(X)


def run_oracle(facts: pd.DataFrame, base: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The ceiling: a classifier that knows the personas, cross-validated per base segment.

    How separable the planted groups are on these facts; no clustering can be expected
    to do better.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_predict

    found = np.zeros(len(facts), dtype=int)
    for name in np.unique(base):
        rows = np.flatnonzero(base == name)
        codes, y = np.unique(truth[rows], return_inverse=True)
        if rows.size < 200 or codes.size < 2 or np.bincount(y).min() < 5:
            continue
        X = notebook_matrix(facts.iloc[rows])
        model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
        found[rows] = cross_val_predict(model, X, y, cv=5)
    return found


def run_metaseg(facts: pd.DataFrame, seed: int, **params: object) -> tuple[np.ndarray, np.ndarray]:
    """metaseg's defaults; returns (base segment, sub-segment) per customer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(n_bootstrap=0, random_state=seed, **params).fit(facts)
    labels = model.labels_
    return labels["base_segment"].to_numpy(), labels["sub_segment"].to_numpy()


def evaluate_scenario(
    seed: int, n_customers: int, methods: tuple[str, ...] = ("metaseg", "notebook", "hdbscan_all")
) -> pd.DataFrame:
    """Recovery of every method on one scenario, one row per (method, base segment)."""
    shop = make_planted_shop(seed, n_customers)
    facts = compute_facts(shop.events, shop.customers, as_of=shop.scenario.as_of)
    truth = shop.truth.set_index("customer_id").loc[facts["customer_id"], "persona"].to_numpy()
    start = time.perf_counter()
    base, sub = run_metaseg(facts, seed=0)
    metaseg_seconds = time.perf_counter() - start
    runners: dict[str, Callable[[], np.ndarray]] = {
        "metaseg": lambda: sub,
        "notebook": lambda: run_notebook(facts, base, seed=0),
        "hdbscan_all": lambda: run_hdbscan_all(facts, base, seed=0),
        "oracle": lambda: run_oracle(facts, base, truth),
    }
    parts = []
    for method in methods:
        start = time.perf_counter()
        found = runners[method]()
        table = recovery_table(base, found, truth)
        table.insert(0, "method", method)
        table.insert(0, "scenario", seed)
        table["seconds"] = metaseg_seconds if method == "metaseg" else time.perf_counter() - start
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: median and quartiles of ARI, split and k accuracy, wins per scenario."""
    single = results[results["k_true"] == 1]
    per_scenario = results.groupby(["scenario", "method"])["ari"].mean().unstack()
    rows = {}
    for method, part in results.groupby("method"):
        rows[method] = {
            "median ARI": part["ari"].median(),
            "ARI q25": part["ari"].quantile(0.25),
            "mean ARI": part["ari"].mean(),
            "no-split right": single.loc[single["method"] == method, "split_right"].mean(),
            "split right": part["split_right"].mean(),
            "k right": part["k_right"].mean(),
        }
    table = pd.DataFrame(rows).T
    if "metaseg" in per_scenario:
        for other in per_scenario.columns.drop("metaseg"):
            ahead = (per_scenario["metaseg"] >= per_scenario[other] - 1e-9).mean()
            table.loc[other, "metaseg at least as good"] = ahead
            strictly = (per_scenario["metaseg"] > per_scenario[other] + 1e-9).mean()
            table.loc[other, "metaseg strictly ahead"] = strictly
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--methods", default="metaseg,notebook,hdbscan_all")
    parser.add_argument("--out", default=None, help="CSV of every (scenario, method, segment)")
    args = parser.parse_args(argv)
    methods = tuple(args.methods.split(","))
    parts = []
    for seed in range(args.first_seed, args.first_seed + args.scenarios):
        start = time.perf_counter()
        part = evaluate_scenario(seed, args.customers, methods)
        parts.append(part)
        means = part.groupby("method")["ari"].mean().round(3).to_dict()
        print(f"scenario {seed}: {means} ({time.perf_counter() - start:.1f} s)", flush=True)
    results = pd.concat(parts, ignore_index=True)
    if args.out:
        results.to_csv(args.out, index=False)
    print(summarise(results).round(3).to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
