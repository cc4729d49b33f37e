"""name_evidence and segment_summary(evidence=...): the rows a name is built from."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import DataError
from metaseg.profile import (
    NAMED_FROM,
    name_evidence,
    profile_segments,
    segment_summary,
    verify_names,
)
from metaseg.profile.naming import claimed_traits


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base segment "a" (sub-segments 0 and 1) and its pool with "b" (groups 0 and 1).

    Inside "a", sub-segment 0 is only a little more frequent than the rest of "a"; the
    whole group 0 of the pool is far more frequent than the pool.
    """
    a = pd.DataFrame({"frequency": [3.0, 3.0, 3.0, 2.0, 2.0, 2.0], "monetary": 1.0})
    b = pd.DataFrame({"frequency": [9.0, 9.0, 1.0, 1.0], "monetary": 1.0})
    own = profile_segments(a, ["a"] * 6, [0, 0, 0, 1, 1, 1], features=["frequency", "monetary"])
    pool = profile_segments(
        pd.concat([a, b], ignore_index=True),
        ["a + b"] * 10,
        [0, 0, 0, 1, 1, 1, 0, 0, 1, 1],
        features=["frequency", "monetary"],
    )
    return own, pool


def test_without_groups_the_evidence_is_the_profile_itself(tables):
    own, _ = tables
    evidence = name_evidence(own)
    pd.testing.assert_frame_equal(evidence.drop(columns=NAMED_FROM), own)
    assert (evidence[NAMED_FROM] == own["segment"]).all()


def test_a_grouped_sub_segment_reads_its_group_against_the_pool(tables):
    own, pool = tables
    evidence = name_evidence(own, pool, {"a/0": "a + b/0", "c/4": "a + b/1"})  # c/4: absent
    assert evidence["segment"].tolist() == own["segment"].tolist()
    assert evidence["feature"].tolist() == own["feature"].tolist()
    assert evidence.dtypes.drop(NAMED_FROM).equals(own.dtypes)
    grouped = evidence[evidence["segment"] == "a/0"].set_index("feature")
    group = pool[pool["segment"] == "a + b/0"].set_index("feature")
    for column in ("size", "mean", "parent_mean", "std_diff", "median", "parent_median"):
        assert grouped[column].tolist() == group[column].tolist(), column
    assert (grouped["base_segment"] == "a").all() and (grouped["sub_segment"] == 0).all()
    assert set(grouped[NAMED_FROM]) == {"a + b/0"}
    alone = evidence[evidence["segment"] == "a/1"]
    pd.testing.assert_frame_equal(
        alone.drop(columns=NAMED_FROM).reset_index(drop=True),
        own[own["segment"] == "a/1"].reset_index(drop=True),
    )


def test_the_summary_names_from_the_evidence_and_sizes_from_the_profile(tables):
    own, pool = tables
    plain = segment_summary(own)
    evidence = name_evidence(own, pool, {"a/0": "a + b/0", "a/1": "a + b/1"})
    shared = segment_summary(own, evidence=evidence)
    # +1 std inside "a", but the whole groups differ far more in the pool
    assert plain["segment_name"].tolist() == ["a · frequent buyers", "a · rare buyers"]
    assert shared["segment_name"].tolist() == ["a · frequent buyers", "a · rare buyers"]
    pd.testing.assert_frame_equal(
        shared.drop(columns="segment_name"), plain.drop(columns="segment_name")
    )
    assert verify_names(evidence, shared).empty


def test_a_name_that_only_the_group_supports_fails_against_the_own_profile():
    # inside "a" sub-segment 0 is as frequent as sub-segment 1; its group is not
    a = pd.DataFrame({"frequency": [2.0, 4.0, 2.0, 4.0]})
    b = pd.DataFrame({"frequency": [9.0, 9.0, 1.0, 1.0]})
    own = profile_segments(a, ["a"] * 4, [0, 0, 1, 1], features=["frequency"])
    pool = profile_segments(
        pd.concat([a, b], ignore_index=True),
        ["a + b"] * 8,
        [0, 0, 1, 1, 0, 0, 1, 1],
        features=["frequency"],
    )
    evidence = name_evidence(own, pool, {"a/0": "a + b/0", "a/1": "a + b/1"})
    summary = segment_summary(own, evidence=evidence)
    assert summary["segment_name"].tolist() == ["a · frequent buyers", "a · rare buyers"]
    assert segment_summary(own)["segment_name"].str.contains("typical").all()
    assert verify_names(evidence, summary).empty
    wrong = verify_names(own, summary)
    assert sorted(wrong["claim"]) == ["frequent buyers", "rare buyers"]


def test_unknown_groups_other_features_and_other_sub_segments_are_refused(tables):
    own, pool = tables
    with pytest.raises(DataError, match=r"'a \+ b/7'.*not in the shared profile.*a \+ b/0"):
        name_evidence(own, pool, {"a/0": "a + b/7"})
    narrow = pool[pool["feature"] == "frequency"]
    with pytest.raises(DataError, match=r"'a \+ b/0' has no profile row for \['monetary'\]"):
        name_evidence(own, narrow, {"a/0": "a + b/0"})
    with pytest.raises(DataError, match=r"shared profile|profile lacks"):
        name_evidence(own, pool.drop(columns="std_diff"), {"a/0": "a + b/0"})
    other = name_evidence(own[own["segment"] == "a/0"])
    with pytest.raises(DataError, match=r"evidence must hold.*\['a/1'\] are missing"):
        segment_summary(own, evidence=other)


def test_claimed_traits_read_ordinary_and_mix_phrases_and_ignore_user_names():
    rows = pd.DataFrame({"feature": ["frequency", "avg_order_value", "mix_garden", "mix_other"]})
    name = "b · mostly garden · big baskets"
    assert claimed_traits(rows, name, "b") == {("mix_garden", "high"), ("avg_order_value", "high")}
    assert claimed_traits(rows, "b · other categories + garden", "b") == {
        ("mix_other", "high"),
        ("mix_garden", "high"),
    }
    assert claimed_traits(rows, "b · typical", "b") == frozenset()
    assert claimed_traits(rows, "Gardeners", "b") == frozenset()
