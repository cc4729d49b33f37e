"""Tests of metaseg/profile/profiles.py: the profile table and the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaseg.exceptions import ConfigError, DataError
from metaseg.profile import PROFILE_COLUMNS, SUMMARY_COLUMNS, profile_segments, segment_summary

FEATURES = ["recency_days", "frequency", "avg_order_value", "top_category_share", "n_views"]


def whole_median(values, missing_at):
    """Median of ``values`` with every NaN replaced by ``missing_at`` (±inf); NaN if infinite."""
    median = np.median(np.where(np.isnan(values), missing_at, values))
    return median if np.isfinite(median) else np.nan


def expected_row(facts, base, sub, b, s, feature):
    """The statistics of one (base, sub, feature), computed row by row with masks."""
    values = facts[feature].to_numpy(dtype="float64")
    in_base = (base == b).to_numpy()
    inside = in_base & (sub == s).to_numpy()
    mine, parent = values[inside], values[in_base]
    mean, parent_mean = np.nanmean(mine), np.nanmean(parent)
    parent_std = np.nanstd(parent)
    return {
        "size": inside.sum(),
        "share_of_base": inside.sum() / in_base.sum(),
        "share_of_all": inside.sum() / len(values),
        "mean": mean,
        "median": np.nanmedian(mine),
        "median_lower": whole_median(mine, -np.inf),
        "median_upper": whole_median(mine, np.inf),
        "missing_share": np.isnan(mine).mean(),
        "parent_mean": parent_mean,
        "parent_median": np.nanmedian(parent),
        "parent_missing_share": np.isnan(parent).mean(),
        "parent_std": parent_std,
        "lift": mean / parent_mean,
        "std_diff": (mean - parent_mean) / parent_std,
    }


def test_profile_values_match_a_direct_computation(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    assert tuple(profile.columns) == PROFILE_COLUMNS
    assert len(profile) == 6 * len(FEATURES)
    for row in profile.itertuples(index=False):
        expected = expected_row(facts, base, sub, row.base_segment, row.sub_segment, row.feature)
        for name, value in expected.items():
            assert getattr(row, name) == pytest.approx(value, rel=1e-9), (row.segment, name)


def test_median_bounds_cover_every_value_the_missing_ones_could_take(planted):
    facts, base, sub = planted
    rng = np.random.default_rng(0)
    facts = facts.assign(age=facts["age"].mask(rng.random(len(facts)) < 0.3))
    profile = profile_segments(facts, base, sub, features=["age"])
    for row in profile.itertuples(index=False):
        expected = expected_row(facts, base, sub, row.base_segment, row.sub_segment, "age")
        assert row.parent_missing_share == pytest.approx(expected["parent_missing_share"])
        assert row.median_lower == pytest.approx(expected["median_lower"], nan_ok=True)
        assert row.median_upper == pytest.approx(expected["median_upper"], nan_ok=True)
        assert 0.0 < row.missing_share < 0.5
        assert row.median_lower <= row.median <= row.median_upper
        inside = ((base == row.base_segment) & (sub == row.sub_segment)).to_numpy()
        values = facts.loc[inside, "age"].to_numpy()
        for _ in range(20):  # any guess for the missing values
            guess = rng.normal(40.0, 30.0, len(values))
            guessed = np.median(np.where(np.isnan(values), guess, values))
            assert row.median_lower <= guessed <= row.median_upper


def test_median_bounds_by_hand():
    facts = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan, 5.0] + [6.0, np.nan, np.nan, np.nan, 10.0]})
    profile = profile_segments(facts, ["a"] * 10, [0] * 5 + [1] * 5, features=["x"])
    first, second = profile.iloc[0], profile.iloc[1]
    # a/0: known 1, 2, 3, 5 and one missing: its median is 2 (missing lowest) to 3 (highest)
    assert (first["median_lower"], first["median"], first["median_upper"]) == (2.0, 2.5, 3.0)
    # a/1: 3 of 5 missing: a missing value is the median whatever happens, unbounded
    assert np.isnan(second["median_lower"]) and np.isnan(second["median_upper"])
    assert first["parent_missing_share"] == second["parent_missing_share"] == 0.4
    # exactly half missing: a missing value is one of the two middle values
    half = profile_segments(
        pd.DataFrame({"x": [1.0, np.nan, np.nan, 4.0]}), ["a"] * 4, [0] * 4, features=["x"]
    ).iloc[0]
    assert half["missing_share"] == 0.5
    assert np.isnan(half["median_lower"]) and np.isnan(half["median_upper"])


def test_profile_order_codes_and_dtypes(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    segments = profile.drop_duplicates("segment")
    assert segments["segment"].tolist() == [
        "active/0",
        "active/1",
        "dormant/0",
        "dormant/1",
        "dormant/2",
        "dormant/-1",
    ]
    assert profile["feature"].tolist()[: len(FEATURES)] == FEATURES
    assert profile["sub_segment"].dtype == "int64"
    assert profile["size"].dtype == "int64"
    assert segments.groupby("base_segment")["share_of_base"].sum().tolist() == pytest.approx(
        [1.0, 1.0]
    )
    assert segments["share_of_all"].sum() == pytest.approx(1.0)


def test_planted_differences_rank_first(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    top = (
        profile.assign(strength=profile["std_diff"].abs())
        .sort_values("strength", ascending=False)
        .groupby("segment")
        .head(2)
    )
    top_of = top.groupby("segment")["feature"].agg(set)
    assert top_of["dormant/1"] == {"avg_order_value", "top_category_share"}
    assert "frequency" in top_of["dormant/2"]
    assert top_of["active/1"] == {"n_views", "recency_days"}
    big = profile.set_index(["segment", "feature"]).loc[("dormant/1", "avg_order_value")]
    # 4x baskets for 200 of 600 customers: lift ~ 4 / (400/600 + 4 * 200/600) = 2
    assert big["lift"] == pytest.approx(2.0, rel=0.1)
    assert big["std_diff"] > 1.0
    recent = profile.set_index(["segment", "feature"]).loc[("active/1", "recency_days")]
    assert recent["std_diff"] < -1.0


def test_noise_is_profiled_and_counted_in_the_parent(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=["age"])
    noise = profile[profile["segment"] == "dormant/-1"].iloc[0]
    assert noise["size"] == 20
    dormant_age = facts.loc[(base == "dormant").to_numpy(), "age"]
    assert noise["parent_mean"] == pytest.approx(dormant_age.mean())


def test_missing_values_and_degenerate_parents():
    facts = pd.DataFrame(
        {
            "avg_order_value": [10.0, np.nan, 30.0, np.nan, np.nan, 5.0],
            "zero": [0.0] * 6,
            "flag": [True, False, True, True, False, False],
        }
    )
    base = ["a", "a", "a", "a", "b", "b"]
    sub = [0, 0, 1, 1, 0, 0]
    profile = profile_segments(facts, base, sub, features=["avg_order_value", "zero", "flag"])
    cell = profile.set_index(["segment", "feature"])
    a0 = cell.loc[("a/0", "avg_order_value")]
    assert a0["mean"] == 10.0
    assert a0["missing_share"] == 0.5
    assert a0["parent_mean"] == 20.0
    assert a0["lift"] == 0.5
    assert a0["std_diff"] == pytest.approx(-1.0)  # parent values 10, 30: std 10
    b0 = cell.loc[("b/0", "avg_order_value")]
    assert (b0["mean"], b0["missing_share"], b0["parent_std"]) == (5.0, 0.5, 0.0)
    assert b0["std_diff"] == 0.0  # constant in its base: no difference
    zero = cell.loc[("a/1", "zero")]
    assert np.isnan(zero["lift"])  # parent mean 0: lift undefined, never inf
    assert zero["std_diff"] == 0.0
    assert cell.loc[("a/0", "flag"), "mean"] == 0.5
    assert np.isfinite(profile["lift"].fillna(0)).all()


def test_a_sub_segment_missing_a_fact_entirely():
    facts = pd.DataFrame({"recency_days": [np.nan, np.nan, 4.0, 8.0]})
    profile = profile_segments(facts, ["a"] * 4, [0, 0, 1, 1], features=["recency_days"])
    first = profile.iloc[0]
    assert first["missing_share"] == 1.0
    assert np.isnan(first["mean"]) and np.isnan(first["lift"]) and np.isnan(first["std_diff"])
    assert profile.iloc[1]["std_diff"] == 0.0  # all known values are in a/1


def test_labels_are_aligned_on_the_facts_index(planted):
    facts, base, sub = planted
    shuffled = profile_segments(facts, base.sample(frac=1.0, random_state=1), sub, features=["age"])
    pd.testing.assert_frame_equal(shuffled, profile_segments(facts, base, sub, features=["age"]))
    as_arrays = profile_segments(facts, base.to_numpy(), sub.tolist(), features=["age"])
    pd.testing.assert_frame_equal(as_arrays, shuffled)


@pytest.mark.parametrize(
    ("labels", "pattern"),
    [
        (lambda b, s: (b.where(b.index != b.index[0]), s), r"base_segments is missing for 1"),
        (lambda b, s: (b, s.astype("float64").where(s.index != s.index[3])), r"sub_segments is"),
        (lambda b, s: (b.iloc[:-1], s), r"not indexed like the facts: 1 customer"),
        (lambda b, s: (b.to_numpy()[:-2], s), r"998 labels for 1,000 customers"),
        (lambda b, s: (b, s.astype("float64") + 0.5), r"must be integers >= -1.*0.5"),
        (lambda b, s: (b, s - 5), r"must be integers >= -1"),
    ],
)
def test_bad_labels_are_data_errors(planted, labels, pattern):
    facts, base, sub = planted
    bad_base, bad_sub = labels(base, sub)
    with pytest.raises(DataError, match=pattern):
        profile_segments(facts, bad_base, bad_sub, features=["age"])


def test_integral_float_sub_segments_are_accepted(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub.astype("float64"), features=["age"])
    assert profile["sub_segment"].dtype == "int64"


def test_feature_errors(planted):
    facts, base, sub = planted
    with pytest.raises(ConfigError, match=r"'frequncy' is not a column.*Did you mean 'frequency'"):
        profile_segments(facts, base, sub, features=["frequncy"])
    with pytest.raises(ConfigError, match=r"'monetary' \(from preset 'rfm'\)"):
        profile_segments(facts, base, sub, features="rfm")
    with pytest.raises(ConfigError, match=r"'region' has dtype str.*numeric"):
        profile_segments(facts.assign(region="north"), base, sub, features=["region"])
    with pytest.raises(ConfigError, match="at least one"):
        profile_segments(facts, base, sub, features=[])


def test_summary_one_row_per_sub_segment(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    summary = segment_summary(profile, top_n=2)
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert summary["segment"].tolist() == profile["segment"].unique().tolist()
    counts = sub.groupby([base, sub]).size()
    for row in summary.itertuples(index=False):
        assert row.size == counts[(row.base_segment, row.sub_segment)]
    big = summary.set_index("segment").loc["dormant/1"]
    features = [part.split(" (")[0] for part in big["top_features"].split(", ")]
    assert set(features) == {"avg_order_value", "top_category_share"}
    strongest = profile[profile["segment"] == "dormant/1"]
    strongest = strongest.loc[strongest["std_diff"].abs().idxmax()]
    assert big["top_features"].startswith(f"{strongest['feature']} ({strongest['std_diff']:+.2f})")
    assert "big baskets" in big["segment_name"] and "single category" in big["segment_name"]
    assert summary.set_index("segment").loc["dormant/-1", "segment_name"] == "dormant · unassigned"


def test_summary_does_not_depend_on_profile_row_order(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    shuffled = profile.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(segment_summary(shuffled), segment_summary(profile))


def test_summary_argument_and_input_checks(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=["age"])
    with pytest.raises(ConfigError, match="top_n"):
        segment_summary(profile, top_n=0)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['std_diff'\]"):
        segment_summary(profile.drop(columns="std_diff"))
    with pytest.raises(DataError, match="returned by profile_segments"):
        segment_summary(facts.to_numpy())


def test_summary_passes_user_names(planted):
    facts, base, sub = planted
    profile = profile_segments(facts, base, sub, features=FEATURES)
    summary = segment_summary(profile, names={"dormant/2": "Sleeping whales"})
    assert summary.set_index("segment").loc["dormant/2", "segment_name"] == "Sleeping whales"
    with pytest.raises(ConfigError, match="dormant/9"):
        segment_summary(profile, names={"dormant/9": "Ghosts"})


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(-1, 3),
            st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_profile_invariants(rows):
    base = [r[0] for r in rows]
    sub = [r[1] for r in rows]
    facts = pd.DataFrame({"x": [np.nan if r[2] is None else r[2] for r in rows]})
    profile = profile_segments(facts, base, sub, features=["x"])
    assert profile["size"].sum() == len(rows)
    assert profile.groupby("base_segment")["share_of_base"].sum().to_numpy() == pytest.approx(1.0)
    known = profile.dropna(subset=["mean", "parent_mean"])
    diff = known["mean"] - known["parent_mean"]
    clear = diff.abs() > 1e-9 * (1.0 + known["parent_mean"].abs())
    assert (np.sign(known.loc[clear, "std_diff"]) == np.sign(diff[clear])).all()
    assert not np.isinf(profile[["lift", "std_diff"]].to_numpy()).any()
    assert profile["missing_share"].between(0.0, 1.0).all()
    assert profile["parent_missing_share"].between(0.0, 1.0).all()
    bounded = profile.dropna(subset=["median_lower"])
    assert (bounded["median_lower"] <= bounded["median"]).all()
    assert (bounded["median"] <= bounded["median_upper"]).all()
    complete = profile["missing_share"] == 0
    pd.testing.assert_series_equal(
        profile.loc[complete, "median_lower"], profile.loc[complete, "median"], check_names=False
    )
    assert profile.loc[profile["missing_share"] > 0.5, "median_upper"].isna().all()
    for row in profile.itertuples(index=False):
        mine = facts["x"].to_numpy()[
            (np.array(base) == row.base_segment) & (np.array(sub) == row.sub_segment)
        ]
        assert row.median_lower == pytest.approx(whole_median(mine, -np.inf), nan_ok=True)
        assert row.median_upper == pytest.approx(whole_median(mine, np.inf), nan_ok=True)
