"""Names of a shared fit's sub-segments: read in each base segment, or from the whole group.

On shops from :func:`metaseg.datasets.needs.make_needs_shop` (aisles, personas and their
preferences drawn per seed; personas differ only in what they buy), RFM base segments
are sub-segmented with ``needs`` and ``fit_on: shared``. The same fitted model is named
twice: each sub-segment against its own base segment (how names were built before), and
each shared group once against the pool (``model.name_evidence()``, the default now).
Per shop: the pooled sub-segments, how many are named "typical", how many name a
category, how many groups carry more than one name across base segments, and how many
name the aisle that sets their customers' persona apart (the category whose preference
is most above the personas' average, for the persona most of them have)::

    python experiments/shared_names.py --seeds 0 1 2 3 4 5 6 7 --customers 4000
"""

from __future__ import annotations

import argparse
import re
import time
import warnings

import numpy as np
import pandas as pd

from metaseg.datasets.needs import NeedsShop, make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.profile import segment_summary, verify_names
from metaseg.profile.mix_phrases import category_words
from metaseg.profile.naming import SEPARATOR, TYPICAL

AS_OF = "2025-12-31"


def traits(name: str) -> str:
    """What a name says of its customers: without the base segment and numbering."""
    return re.sub(r" \(\d+\)$", "", name.split(SEPARATOR, 1)[1])


def fit(facts: pd.DataFrame, seed: int) -> MetaSegmenter:
    """RFM, then ``needs`` with k-means learned once across the base segments."""
    spec = {
        "rules": "rfm",
        "default": {"algorithm": "kmeans", "fit_on": "shared", "features": {"features": "needs"}},
        "n_bootstrap": 0,
        "min_segment_size": 150,
        "random_state": seed,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetaSegmenter.from_config(spec).fit(facts)


def persona_aisles(model: MetaSegmenter, shop: NeedsShop) -> dict[str, str]:
    """Pooled sub-segment -> the words of its main persona's most distinctive aisle."""
    labels = model.labels_.merge(shop.truth, on="customer_id")
    main = labels.groupby("segment")["persona"].agg(lambda p: p.value_counts().index[0])
    lift = shop.preferences - shop.preferences.mean(axis=0)
    aisle = {p: shop.categories[int(np.argmax(lift[p]))] for p in range(len(lift))}
    return {code: category_words(f"mix_{aisle[main[code]]}") for code in model.shared_groups_}


def counts(model: MetaSegmenter, names: pd.Series, aisles: dict[str, str]) -> dict[str, int]:
    """Typical, category-naming, persona-reading and inconsistent groups among the pooled
    sub-segments."""
    groups = model.shared_groups_
    said = {code: traits(names[code]) for code in groups}
    by_group: dict[str, set[str]] = {}
    for code, group in groups.items():
        by_group.setdefault(group, set()).add(said[code])
    return {
        "typical": sum(text == TYPICAL for text in said.values()),
        "names_a_category": sum(text != TYPICAL for text in said.values()),
        "names_the_persona_aisle": sum(
            aisles[code] in re.split(r" \+ |mostly |" + SEPARATOR, text)
            for code, text in said.items()
        ),
        "groups_with_several_names": sum(len(texts) > 1 for texts in by_group.values()),
    }


def main() -> None:
    """Fit a shop per seed, name it both ways and print one row per (shop, naming)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--customers", type=int, default=4_000)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for seed in args.seeds:
        shop = make_needs_shop(args.customers, seed=seed, as_of=AS_OF)
        facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8, "basis": "spend"})
        model = fit(facts, seed)
        own = segment_summary(model.profiles_).set_index("segment")["segment_name"]
        shared = model.summary_.set_index("segment")["segment_name"]
        assert verify_names(model.name_evidence(), model.summary_).empty
        base = {"seed": seed, "pooled_sub_segments": len(model.shared_groups_)}
        base["groups"] = len(set(model.shared_groups_.values()))
        aisles = persona_aisles(model, shop)
        rows.append({**base, "naming": "own segment", **counts(model, own, aisles)})
        rows.append({**base, "naming": "shared group", **counts(model, shared, aisles)})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(table.groupby("naming")[table.columns[4:]].sum().to_string())
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
