"""Which clustering model and which rule for k find the planted groups? The study behind `gmm`.

For every base segment of every planted shop (:mod:`metaseg.datasets.planted`), the
matrix metaseg's default featurizer builds is clustered with k-means and with Gaussian
mixtures (diagonal and full covariances) for every k from 1 to 8, and each partition is
scored against the planted personas (ARI). Rules for k are then compared on the same
fits: the k the criterion picks, the ARI that k gets, how often it is the planted k and
how often a single population stays whole. "planted k" shows the ceiling of each model.

Usage::

    python experiments/study_k_selection.py --scenarios 30 --customers 20000
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture

from metaseg.datasets.planted import make_planted_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

K_RANGE = range(1, 9)
MODELS = ("kmeans", "gmm_diag", "gmm_full")


def segment_matrices(seed: int, n_customers: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(segment, matrix, planted persona codes) for every featurized base segment."""
    shop = make_planted_shop(seed, n_customers)
    facts = compute_facts(shop.events, shop.customers, as_of=shop.scenario.as_of)
    truth = shop.truth.set_index("customer_id").loc[facts["customer_id"], "persona"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    base = model.labels_["base_segment"].to_numpy()
    out = []
    for name, seg in model.segments_.items():
        rows = np.flatnonzero(base == name)
        if seg.featurizer is None or rows.size == 0:
            continue
        X = seg.featurizer.transform(facts.iloc[rows]).to_numpy(dtype=np.float64)
        out.append((name, X, np.unique(truth[rows], return_inverse=True)[1]))
    return out


def score_partitions(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """One row per (model, k): ARI against ``y`` and the criteria each rule reads."""
    rng = np.random.default_rng(0)
    sample = rng.choice(len(X), size=min(3_000, len(X)), replace=False)
    records = []
    for k in K_RANGE:
        fits: dict[str, tuple[np.ndarray, dict[str, float]]] = {}
        labels = np.zeros(len(X), dtype=int)
        if k > 1:
            labels = KMeans(k, n_init=4, random_state=0).fit_predict(X)
        fits["kmeans"] = (labels, {})
        for cov in ("diag", "full"):
            gmm = GaussianMixture(k, covariance_type=cov, reg_covar=0.05, random_state=0).fit(X)
            posterior = gmm.predict_proba(X)
            entropy = float(-(posterior * np.log(np.clip(posterior, 1e-300, None))).sum())
            bic = float(gmm.bic(X))
            fits[f"gmm_{cov}"] = (gmm.predict(X), {"bic": bic, "icl": bic + 2 * entropy})
        for model, (found, extra) in fits.items():
            distinct = len(np.unique(found[sample]))
            silhouette = silhouette_score(X[sample], found[sample]) if distinct > 1 else np.nan
            records.append(
                {
                    "model": model,
                    "k": k,
                    "ari": adjusted_rand_score(y, found),
                    "silhouette": silhouette,
                    **extra,
                }
            )
    return pd.DataFrame.from_records(records)


def _best(column: str, lowest: bool) -> Callable[[pd.DataFrame], int]:
    def rule(table: pd.DataFrame) -> int:
        values = table.set_index("k")[column].dropna()
        return int(values.idxmin() if lowest else values.idxmax())

    return rule


#: (model, rule name) -> how the rule picks k from that model's table.
RULES: dict[tuple[str, str], Callable[[pd.DataFrame], int]] = {
    ("kmeans", "silhouette (k >= 2)"): _best("silhouette", lowest=False),
    ("gmm_diag", "BIC"): _best("bic", lowest=True),
    ("gmm_diag", "ICL"): _best("icl", lowest=True),
    ("gmm_full", "BIC"): _best("bic", lowest=True),
    ("gmm_full", "ICL"): _best("icl", lowest=True),
    ("gmm_full", "silhouette (k >= 2)"): _best("silhouette", lowest=False),
}


def compare_rules(partitions: pd.DataFrame) -> pd.DataFrame:
    """Per (model, rule): median ARI, planted k found, single populations left whole."""
    rows = []
    for _, part in partitions.groupby(["scenario", "segment"]):
        planted = int(part["k_true"].iloc[0])
        for model in MODELS:
            table = part[part["model"] == model]
            ari = table.set_index("k")["ari"]
            rows.append(
                {
                    "model": model,
                    "rule": "planted k",
                    "ari": ari[planted],
                    "k": planted,
                    "k_true": planted,
                }
            )
            for (rule_model, name), rule in RULES.items():
                if rule_model == model:
                    k = rule(table)
                    rows.append(
                        {"model": model, "rule": name, "ari": ari[k], "k": k, "k_true": planted}
                    )
    found = pd.DataFrame(rows)
    found["k_right"] = found["k"] == found["k_true"]
    single = found[found["k_true"] == 1]
    summary = found.groupby(["model", "rule"]).agg(
        median_ari=("ari", "median"), mean_ari=("ari", "mean"), k_right=("k_right", "mean")
    )
    summary["single_whole"] = single.groupby(["model", "rule"])["k_right"].mean()
    return summary.round(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--out", help="CSV of every (scenario, segment, model, k)")
    args = parser.parse_args(argv)
    parts = []
    for seed in range(args.first_seed, args.first_seed + args.scenarios):
        for segment, X, y in segment_matrices(seed, args.customers):
            table = score_partitions(X, y)
            table.insert(0, "segment", segment)
            table.insert(0, "scenario", seed)
            table["k_true"] = int(y.max()) + 1
            parts.append(table)
        print(f"scenario {seed} done", flush=True)
    partitions = pd.concat(parts, ignore_index=True)
    if args.out:
        partitions.to_csv(args.out, index=False)
    print(compare_rules(partitions).to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
