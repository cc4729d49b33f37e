"""Tests of metaseg/profile/naming.py: automatic names, uniqueness and overrides."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.profile import PHRASES, PROFILE_COLUMNS, name_segments, phrase, profile_segments

FEATURES = ["recency_days", "frequency", "avg_order_value", "top_category_share", "n_views"]


def hand_profile(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    """A profile table from (base, sub, feature, std_diff) where every claim holds.

    Nothing is missing and the median moves like the mean (``median = std_diff`` against
    a parent median of 0); the other statistics are filler.
    """
    frame = pd.DataFrame(rows, columns=["base_segment", "sub_segment", "feature", "std_diff"])
    frame["segment"] = frame["base_segment"] + "/" + frame["sub_segment"].astype("str")
    for column in ("median", "median_lower", "median_upper"):
        frame[column] = frame["std_diff"]
    for column in ("missing_share", "parent_missing_share", "parent_median"):
        frame[column] = 0.0
    for column in PROFILE_COLUMNS:
        if column not in frame:
            frame[column] = 1.0
    return frame[list(PROFILE_COLUMNS)]


def test_planted_phrases_appear_in_the_names(planted):
    facts, base, sub = planted
    names = name_segments(profile_segments(facts, base, sub, features=FEATURES))
    assert names.name == "segment_name"
    assert names.index.tolist() == [
        "active/0",
        "active/1",
        "dormant/0",
        "dormant/1",
        "dormant/2",
        "dormant/-1",
    ]
    assert names["dormant/1"].startswith("dormant · ")
    assert {"big baskets", "single category"} <= set(names["dormant/1"].split(" · "))
    assert "frequent buyers" in names["dormant/2"]
    assert {"heavy browsers", "recent"} <= set(names["active/1"].split(" · "))
    assert names["dormant/-1"] == "dormant · unassigned"
    assert names.groupby(names.index.str.split("/").str[0]).apply(lambda s: s.is_unique).all()


def test_phrases_are_ordered_by_strength_and_capped():
    profile = hand_profile(
        [
            ("dormant", 0, "frequency", -0.9),
            ("dormant", 0, "avg_order_value", 2.0),
            ("dormant", 0, "top_category_share", 1.1),
            ("dormant", 0, "n_views", 0.7),
        ]
    )
    assert name_segments(profile)["dormant/0"] == (
        "dormant · big baskets · single category · rare buyers"
    )
    assert name_segments(profile, max_phrases=1)["dormant/0"] == "dormant · big baskets"
    assert name_segments(profile, min_std_diff=1.5)["dormant/0"] == "dormant · big baskets"


def test_below_threshold_is_typical_and_fallback_phrase():
    profile = hand_profile(
        [
            ("active", 0, "frequency", 0.3),
            ("active", 1, "loyalty_points", -1.2),
            ("active", 1, "frequency", float("nan")),
        ]
    )
    names = name_segments(profile)
    assert names["active/0"] == "active · typical"
    assert names["active/1"] == "active · loyalty_points low"


def test_names_are_unique_inside_a_base_segment():
    profile = hand_profile(
        [
            ("dormant", 0, "avg_order_value", 2.0),
            ("dormant", 1, "avg_order_value", 1.8),
            ("dormant", 1, "frequency", 0.6),
            ("dormant", 2, "avg_order_value", 1.5),
            ("dormant", 3, "frequency", 0.1),
            ("dormant", 4, "frequency", -0.1),
            ("active", 0, "avg_order_value", 2.0),
        ]
    )
    names = name_segments(profile, max_phrases=1)
    assert names["dormant/0"] == "dormant · big baskets"  # the largest keeps the short name
    assert names["dormant/1"] == "dormant · big baskets · frequent buyers"  # extended
    assert names["dormant/2"] == "dormant · big baskets (2)"  # nothing left to add
    assert names["dormant/3"] == "dormant · typical"
    assert names["dormant/4"] == "dormant · typical (2)"
    assert names["active/0"] == "active · big baskets"  # other bases may repeat phrases
    shuffled = profile.sample(frac=1.0, random_state=0)
    pd.testing.assert_series_equal(name_segments(shuffled, max_phrases=1), names)


def test_every_colliding_name_grows_by_its_next_trait():
    profile = hand_profile(
        [
            ("dormant", 0, "tenure_days", 2.0),
            ("dormant", 0, "frequency", 0.9),
            ("dormant", 1, "tenure_days", 1.5),
            ("dormant", 1, "avg_order_value", -0.8),
        ]
    )
    names = name_segments(profile, max_phrases=1)
    assert names.tolist() == [
        "dormant · long-standing · frequent buyers",
        "dormant · long-standing · small baskets",
    ]


def test_a_smaller_segment_without_more_traits_keeps_the_short_name():
    profile = hand_profile(
        [
            ("dormant", 0, "tenure_days", 2.0),
            ("dormant", 0, "frequency", 0.9),
            ("dormant", 1, "tenure_days", 1.5),
        ]
    )
    names = name_segments(profile, max_phrases=1)
    # never "dormant · long-standing" next to "dormant · long-standing (2)" when a trait
    # tells them apart
    assert names.tolist() == [
        "dormant · long-standing · frequent buyers",
        "dormant · long-standing",
    ]


def test_numbers_are_the_last_resort_and_names_keep_one_shape():
    profile = hand_profile(
        [(base, sub, "tenure_days", 1.0 + sub) for base in ("a", "b") for sub in range(3)]
        + [("a", -1, "tenure_days", 3.0)]
    )
    names = name_segments(profile)
    assert names[["a/0", "a/1", "a/2"]].tolist() == [
        "a · long-standing",
        "a · long-standing (2)",
        "a · long-standing (3)",
    ]
    assert names["a/-1"] == "a · unassigned"  # noise claims nothing, even with a difference
    for code, name in names.items():
        assert name.startswith(code.split("/")[0] + " · "), name
    assert names.groupby(names.index.str.split("/").str[0]).apply(lambda s: s.is_unique).all()


def test_a_name_taken_by_a_user_name_grows_or_is_numbered():
    profile = hand_profile(
        [
            ("dormant", 0, "tenure_days", 2.0),
            ("dormant", 0, "frequency", 0.9),
            ("dormant", 1, "tenure_days", 1.5),
            ("dormant", 2, "frequency", 1.0),
        ]
    )
    names = name_segments(profile, max_phrases=1, names={"dormant/2": "dormant · long-standing"})
    assert names.tolist() == [
        "dormant · long-standing · frequent buyers",
        "dormant · long-standing (2)",
        "dormant · long-standing",
    ]


def test_user_names_override_and_are_reserved():
    profile = hand_profile(
        [
            ("dormant", 0, "avg_order_value", 2.0),
            ("dormant", 1, "avg_order_value", 1.0),
            ("dormant", 2, "frequency", 3.0),
            ("dormant", -1, "frequency", 0.0),
        ]
    )
    names = name_segments(
        profile,
        names={"dormant/2": "Sleeping whales", "dormant/0": "dormant · big baskets (2)"},
    )
    assert names["dormant/2"] == "Sleeping whales"
    assert names["dormant/0"] == "dormant · big baskets (2)"
    assert names["dormant/1"] == "dormant · big baskets"  # free again
    assert names["dormant/-1"] == "dormant · unassigned"
    renamed_noise = name_segments(profile, names={"dormant/-1": "Unclear"})
    assert renamed_noise["dormant/-1"] == "Unclear"


def test_unknown_override_code_lists_the_existing_codes():
    profile = hand_profile([("dormant", 0, "frequency", 1.0), ("dormant", 1, "frequency", -1.0)])
    with pytest.raises(ConfigError) as info:
        name_segments(profile, names={"dormant/7": "Ghosts"})
    message = str(info.value)
    assert "'dormant/7'" in message
    assert "['dormant/0', 'dormant/1']" in message


@pytest.mark.parametrize(
    ("names", "pattern"),
    [
        ({"dormant/0": "Whales", "dormant/1": "Whales"}, r"both named 'Whales'"),
        ({"dormant/0": "  "}, r"names\['dormant/0'\] must be a non-empty name"),
        (["dormant/0"], r"names must map segment codes"),
    ],
)
def test_bad_overrides(names, pattern):
    profile = hand_profile([("dormant", 0, "frequency", 1.0), ("dormant", 1, "frequency", -1.0)])
    with pytest.raises(ConfigError, match=pattern):
        name_segments(profile, names=names)


def test_vocabulary_extends_and_replaces_phrases():
    profile = hand_profile(
        [("dormant", 0, "loyalty_points", 1.2), ("dormant", 0, "frequency", -0.8)]
    )
    names = name_segments(
        profile,
        vocabulary={"loyalty_points": {"high": "point collectors"}, "frequency": {"low": "once"}},
    )
    assert names["dormant/0"] == "dormant · point collectors · once"


@pytest.mark.parametrize(
    ("vocabulary", "pattern"),
    [
        ({"frequency": {"up": "x"}}, r"direction 'up'"),
        ({"frequency": {"high": ""}}, r"non-empty phrase"),
        ({"frequency": "often"}, r"vocabulary\['frequency'\] must be a mapping"),
        (["frequency"], r"vocabulary must map"),
    ],
)
def test_bad_vocabulary(vocabulary, pattern):
    profile = hand_profile([("dormant", 0, "frequency", 1.0)])
    with pytest.raises(ConfigError, match=pattern):
        name_segments(profile, vocabulary=vocabulary)


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        ({"min_std_diff": -1}, "min_std_diff"),
        ({"min_std_diff": float("nan")}, "min_std_diff"),
        ({"max_missing_share": 0.7}, r"max_missing_share must be a number in \[0, 0.5\].*0.7"),
        ({"max_missing_share": True}, "max_missing_share"),
        ({"max_phrases": 0}, "max_phrases"),
        ({"max_phrases": 1.5}, "max_phrases"),
    ],
)
def test_bad_arguments(arguments, pattern):
    profile = hand_profile([("dormant", 0, "frequency", 1.0)])
    with pytest.raises(ConfigError, match=pattern):
        name_segments(profile, **arguments)


def test_phrase_vocabulary():
    assert phrase("avg_order_value", "high") == "big baskets"
    assert phrase("avg_order_value", "low") == "small baskets"
    assert phrase("frequency", "high") == "frequent buyers"
    assert phrase("recency_days", "high") == "long gone"
    assert phrase("carts_since_last_purchase", "high") == "cart abandoners"
    assert phrase("views_30d", "low") == "quiet browsers (30d)"
    assert phrase("revenue_365d", "high") == "high spend (365d)"
    assert phrase("age_band", "high") == "age_band high"
    with pytest.raises(ConfigError, match="direction"):
        phrase("frequency", "up")
    for feature, entry in PHRASES.items():
        assert set(entry) == {"high", "low"}, feature
        assert entry["high"] != entry["low"], feature
