"""Names that read the category mix, held to the naming evidence rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from metaseg.datasets.needs import make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.profile import profile_segments, segment_summary, verify_names
from metaseg.profile.mix_phrases import category_words

AS_OF = "2025-12-31"


def _mix_facts(n: int = 120) -> tuple[pd.DataFrame, list[int]]:
    """Three sub-segments of one base: garden-mostly, tools + toys, lunch box + other."""
    rng = np.random.default_rng(3)
    sub = [0] * n + [1] * n + [2] * n
    shares = np.concatenate(
        [
            rng.dirichlet([16, 2, 2, 2, 2], n),  # mostly garden
            rng.dirichlet([2, 7, 6, 2, 2], n),  # tools and toys, neither a majority
            rng.dirichlet([1, 1, 1, 6, 5], n),  # lunch box and the rest
        ]
    )
    columns = ["mix_garden", "mix_tools", "mix_toys", "mix_lunch_box", "mix_other"]
    return pd.DataFrame(shares, columns=columns), sub


def test_mix_phrases_say_mostly_or_join_the_categories_most_above_the_parent() -> None:
    facts, sub = _mix_facts()
    profile = profile_segments(facts, ["loyal"] * len(sub), sub, features=list(facts.columns))
    summary = segment_summary(profile)
    names = summary.set_index("segment")["segment_name"]
    assert names["loyal/0"] == "loyal · mostly garden"
    assert names["loyal/1"] == "loyal · tools + toys"
    assert names["loyal/2"] == "loyal · lunch box + other categories"
    # lower shares (garden in loyal/1 and loyal/2, ...) are never named
    assert not any("low" in name or "mix_" in name for name in names)
    assert verify_names(profile, summary).empty


def test_verify_names_refuses_unfounded_mix_claims() -> None:
    facts, sub = _mix_facts()
    profile = profile_segments(facts, ["loyal"] * len(sub), sub, features=list(facts.columns))
    summary = segment_summary(profile)
    wrong = summary.assign(
        segment_name=["loyal · garden + tools", "loyal · mostly tools", "loyal · mostly garden"]
    )
    found = verify_names(profile, wrong).set_index("segment")
    assert found.loc["loyal/0", "feature"] == "mix_tools"  # tools is lower in loyal/0
    assert "std_diff" in found.loc["loyal/0", "problem"]
    assert "'mostly' needs the median customer's majority" in found.loc["loyal/1", "problem"]
    assert found.loc["loyal/2", "claim"] == "mostly garden"
    assert len(found) == 3


def test_a_vocabulary_entry_makes_a_mix_column_an_ordinary_fact() -> None:
    facts, sub = _mix_facts()
    profile = profile_segments(facts, ["loyal"] * len(sub), sub, features=list(facts.columns))
    vocabulary = {"mix_garden": {"high": "green thumbs", "low": "no garden"}}
    names = segment_summary(profile, vocabulary=vocabulary).set_index("segment")["segment_name"]
    assert names["loyal/0"].startswith("loyal · green thumbs")


def test_needs_sub_segments_are_named_by_their_preferred_categories() -> None:
    shop = make_needs_shop(2_000, seed=5, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8})
    spec = {
        "rules": "lifecycle",
        "default": {"algorithm": "kmeans", "features": {"features": "needs"}},
        "n_bootstrap": 0,
        "min_segment_size": 150,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter.from_config(spec).fit(facts)
    assert verify_names(model.profiles_, model.summary_).empty
    labels = model.labels_.merge(shop.truth, on="customer_id")
    names = model.summary_.set_index("segment")["segment_name"]
    checked = 0
    for code, part in labels.groupby("segment"):
        if names[code].endswith("typical"):
            continue
        persona = part["persona"].mode().iloc[0]
        favourite = shop.categories[int(np.argmax(shop.preferences[persona]))]
        assert category_words("mix_" + favourite) in names[code], (code, names[code])
        checked += 1
    assert checked >= 6  # every split base segment's sub-segments name their aisle
