"""Tests of the claims behind names: the rules, and verify_names on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError
from metaseg.profile import (
    MAX_MISSING_SHARE,
    MIN_STD_DIFF,
    VIOLATION_COLUMNS,
    claim_problem,
    name_segments,
    profile_segments,
    segment_summary,
    verify_names,
)

#: Customers with one order each, and a sub-segment where five of eleven come back twice:
#: the median is one order in both and in their parent.
ONE_ORDER = [1.0] * 12
REPEATERS = [1.0] * 6 + [3.0] * 5


def two_subs(values_0: list[float], values_1: list[float], feature: str) -> pd.DataFrame:
    """The profile of base segment 'b' split into b/0 and b/1 with these values."""
    facts = pd.DataFrame({feature: values_0 + values_1})
    sub = [0] * len(values_0) + [1] * len(values_1)
    return profile_segments(facts, ["b"] * len(sub), sub, features=[feature])


def summary_named(profile: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The profile's summary with these names instead of the automatic ones."""
    return segment_summary(profile).assign(segment_name=names)


def problems(profile: pd.DataFrame, names: list[str], **kwargs) -> dict[str, str]:
    """Segment code -> the problems verify_names finds in these names, joined."""
    found = verify_names(profile, summary_named(profile, names), **kwargs)
    return found.groupby("segment")["problem"].agg(" | ".join).to_dict()


def test_margins_are_documented_constants():
    assert MIN_STD_DIFF == 0.5
    assert MAX_MISSING_SHARE == 0.5


def test_a_fact_missing_for_most_of_the_sub_segment_is_not_claimed():
    # hibernating/0 on Online Retail II: most customers have one order, so no gap between
    # orders; the known minority repeats fast, but that is no trait of the sub-segment
    gaps_0 = [20.0, 25.0, 30.0] + [np.nan] * 7
    gaps_1 = [200.0, 250.0, 300.0, 320.0, 280.0, 260.0, 240.0, 310.0, np.nan, np.nan]
    profile = two_subs(gaps_0, gaps_1, "mean_days_between_orders")
    first = profile.iloc[0]
    assert first["std_diff"] < -MIN_STD_DIFF  # the known values alone say "fast repeaters"
    assert first["missing_share"] == 0.7
    names = name_segments(profile)
    assert names["b/0"] == "b · typical"
    assert names["b/1"] == "b · slow repeaters"  # 20% missing, bounds well above
    found = problems(profile, ["b · fast repeaters", "b · slow repeaters"])
    assert found == {"b/0": "missing for 70% of the sub-segment; a claim needs at most 50% missing"}


def test_the_direction_must_hold_whatever_the_missing_values_are():
    # b/1's known values sit just above the parent's median: with 40% missing, the whole
    # sub-segment's median could be anywhere from 41 to 46
    values_0 = [10.0, 12.0, 14.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0]
    values_1 = [41.0, 44.0, 45.0, 46.0, 50.0, 95.0] + [np.nan] * 4
    profile = two_subs(values_0, values_1, "tenure_days")
    second = profile.iloc[1]
    assert second["std_diff"] >= MIN_STD_DIFF and second["median"] > second["parent_median"]
    assert second["median_lower"] < second["parent_median"]
    assert "long-standing" not in name_segments(profile)["b/1"]
    found = problems(profile, ["b · typical", "b · long-standing"])
    assert found["b/1"].startswith("with 40% missing, the median of the whole sub-segment can be")
    # the same known values with nothing missing back the claim
    complete = two_subs(values_0, values_1[:6], "tenure_days")
    assert name_segments(complete)["b/1"] == "b · long-standing"


def test_a_median_moving_against_the_mean_is_not_claimed():
    # a few whales lift b/0's mean while its typical basket is smaller than the parent's
    values_0 = [10.0] * 8 + [1000.0] * 2
    values_1 = [20.0] * 30
    profile = two_subs(values_0, values_1, "avg_order_value")
    first = profile.iloc[0]
    assert first["std_diff"] >= MIN_STD_DIFF
    assert first["median"] < first["parent_median"]
    assert name_segments(profile)["b/0"] == "b · typical"
    found = problems(profile, ["b · big baskets", "b · typical"])
    assert found == {"b/0": "the median 10 is not above the base segment's median 20"}


def test_tied_medians_let_the_mean_decide_for_discrete_facts():
    # one order is the median everywhere; b/1 still has clearly more repeat buyers
    profile = two_subs(ONE_ORDER, REPEATERS, "frequency")
    assert profile["median"].tolist() == [1.0, 1.0] and profile["parent_median"].iloc[0] == 1.0
    assert name_segments(profile).tolist() == ["b · rare buyers", "b · frequent buyers"]
    flags = two_subs([0.0] * 12, [0.0] * 6 + [1.0] * 4, "has_refund")
    assert name_segments(flags)["b/1"] == "b · has_refund high"  # a 0/1 fact: the share decides
    # a tie with missing values: the whole sub-segment's median might not move at all
    with_missing = two_subs(ONE_ORDER, [1.0] * 5 + [3.0] * 5 + [np.nan], "frequency")
    assert with_missing.iloc[1]["median_lower"] == with_missing.iloc[1]["parent_median"]
    assert name_segments(with_missing)["b/1"] == "b · typical"
    found = problems(with_missing, ["b · rare buyers", "b · frequent buyers"])
    assert found["b/1"].startswith("with 9% missing, the median of the whole sub-segment can be 1")


def test_a_weak_or_opposite_mean_is_not_claimed():
    profile = two_subs([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], "frequency")
    assert profile["std_diff"].abs().max() < MIN_STD_DIFF
    assert name_segments(profile).tolist() == ["b · typical", "b · typical (2)"]
    assert name_segments(profile, min_std_diff=0.3).tolist() == [
        "b · rare buyers",
        "b · frequent buyers",
    ]
    found = problems(profile, ["b · frequent buyers", "b · frequent buyers"])
    assert "std_diff is -0.41; claiming 'high' needs +0.50 or beyond" in found["b/0"]
    assert "std_diff is +0.41" in found["b/1"]
    assert "name shared with ['b/1']" in found["b/0"]


def test_claim_problem_reads_one_profile_row():
    row = {
        "std_diff": -0.8,
        "missing_share": 0.2,
        "median_lower": 10.0,
        "median_upper": 30.0,
        "parent_median": 40.0,
    }
    assert claim_problem(row, "low") == ""
    assert claim_problem(row, "low", max_missing_share=0.1).startswith("missing for 20%")
    assert claim_problem(row, "low", min_std_diff=1.0).startswith("std_diff is -0.80")
    assert claim_problem(row, "high").startswith("std_diff is -0.80")
    assert "unbounded" in claim_problem(row | {"median_upper": np.nan}, "low")
    assert "unknown" in claim_problem(row | {"std_diff": np.nan}, "low")
    assert "base segment's median is unknown" in claim_problem(
        row | {"parent_median": np.nan}, "low"
    )
    with pytest.raises(ConfigError, match=r"direction must be one of .*'up'"):
        claim_problem(row, "up")


def test_verify_names_accepts_the_automatic_names(planted):
    facts, base, sub = planted
    features = ["recency_days", "frequency", "avg_order_value", "top_category_share", "n_views"]
    profile = profile_segments(facts, base, sub, features=features)
    summary = segment_summary(profile)
    violations = verify_names(profile, summary)
    assert tuple(violations.columns) == VIOLATION_COLUMNS
    assert violations.empty
    assert violations["problem"].dtype == "str" and violations["std_diff"].dtype == "float64"
    tight = segment_summary(profile, min_std_diff=1.0, max_phrases=1)
    assert verify_names(profile, tight, min_std_diff=1.0).empty


def test_verify_names_reports_each_kind_of_violation():
    profile = two_subs(ONE_ORDER, REPEATERS, "frequency")
    found = problems(profile, ["rare buyers (2)", "b · frequent buyers · loyal · unassigned"])
    assert found["b/0"] == (
        "does not start with its base segment: automatic names read 'b · <traits>'"
    )
    assert found["b/1"] == (
        "is the phrase of no profiled fact of this sub-segment | only the noise "
        "sub-segment is unassigned"
    )
    table = verify_names(profile, summary_named(profile, ["b · frequent buyers", "b · typical"]))
    row = table.iloc[0]
    assert (row["segment"], row["claim"], row["feature"], row["direction"]) == (
        "b/0",
        "frequent buyers",
        "frequency",
        "high",
    )
    assert row["std_diff"] == profile.iloc[0]["std_diff"]
    assert row["parent_median"] == 1.0


def test_verify_names_skips_user_names_and_reads_suffixes_and_vocabulary():
    profile = two_subs(ONE_ORDER, REPEATERS, "frequency")
    summary = summary_named(profile, ["Quiet ones", "b · regulars (2)"])
    vocabulary = {"frequency": {"high": "regulars"}}
    assert verify_names(profile, summary, names={"b/0": "Quiet ones"}, vocabulary=vocabulary).empty
    assert len(verify_names(profile, summary, vocabulary=vocabulary)) == 1  # b/0 not automatic
    windows = two_subs([0.0] * 8 + [1.0] * 2, [5.0] * 6 + [9.0] * 4, "views_30d")
    assert name_segments(windows)["b/1"] == "b · active browsers (30d)"
    assert verify_names(windows, segment_summary(windows)).empty


def test_verify_names_finds_shared_names_even_among_user_names():
    profile = two_subs(ONE_ORDER, REPEATERS, "frequency")
    summary = summary_named(profile, ["Same", "Same"])
    found = verify_names(profile, summary, names={"b/0": "Same", "b/1": "Same"})
    assert found["problem"].tolist() == [
        "name shared with ['b/1'] in base segment 'b'",
        "name shared with ['b/0'] in base segment 'b'",
    ]


@pytest.mark.parametrize(
    ("arguments", "error", "pattern"),
    [
        ({"summary": "names"}, DataError, r"summary must be the DataFrame.*got str"),
        ({"drop": "segment_name"}, DataError, r"summary lacks column\(s\) \['segment_name'\]"),
        ({"names": ["b/0"]}, ConfigError, r"names must map segment codes.*got list"),
        ({"max_missing_share": 0.6}, ConfigError, r"max_missing_share .*got 0.6"),
        ({"min_std_diff": -0.1}, ConfigError, r"min_std_diff must be .*got -0.1"),
        ({"vocabulary": {"frequency": "often"}}, ConfigError, r"vocabulary\['frequency'\]"),
    ],
)
def test_verify_names_argument_errors(arguments, error, pattern):
    profile = two_subs([1.0] * 4, [3.0] * 4, "frequency")
    summary = segment_summary(profile)
    if "drop" in arguments:
        summary = summary.drop(columns=arguments.pop("drop"))
    summary = arguments.pop("summary", summary)
    with pytest.raises(error, match=pattern):
        verify_names(profile, summary, **arguments)
    with pytest.raises(DataError, match="lacks column"):
        verify_names(profile.drop(columns="median_lower"), segment_summary(profile))
