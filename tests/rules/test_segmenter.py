"""Tests of RuleSegmenter: the scikit-learn contract, scores, tags mode and coverage."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from metaseg.data.report import DataReport
from metaseg.exceptions import DataError, RuleError, RuleWarning
from metaseg.rules import RuleSegmenter

RF_RULES = {
    "scores": {
        "R": {"fact": "recency_days", "bins": 5, "direction": "descending"},
        "F": {
            "fact": "frequency",
            "bins": 5,
            "ties": "first",
            "labels": ["f1", "f2", "f3", "f4", "f5"],
        },
    },
    "codes": {"RF": ["R", "F"]},
    "segments": [
        {"name": "best", "condition": {"code": "RF", "matches": "5[4-5]"}},
        {"name": "recent", "condition": {"code": "R", "matches": "[4-5]"}},
        {"name": "rest", "condition": {"code": "RF", "matches": "[1-3][1-5]"}},
    ],
}

LIFE = """
segments:
  - name: active
    condition: {fact: recency_days, op: "<=", value: 90}
  - name: new
    condition: {fact: signup_at, op: within_days, value: 30}
"""


def _facts(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "recency_days": rng.permutation(np.arange(n, dtype=float) * 2.0),
            "frequency": rng.permutation(np.arange(1, n + 1)),
        },
        index=pd.RangeIndex(1000, 1000 + n),
    )


def test_init_only_stores_and_rules_are_checked_in_fit():
    seg = RuleSegmenter(rules={"segments": "nonsense"}, catch_all="rest")
    assert seg.get_params() == {"rules": {"segments": "nonsense"}, "catch_all": "rest"}
    with pytest.raises(RuleError, match="segments"):
        seg.fit(_facts())


@pytest.mark.parametrize("method", ["predict", "transform", "coverage"])
def test_not_fitted_error_before_fit(method):
    with pytest.raises(NotFittedError):
        getattr(RuleSegmenter(rules=RF_RULES), method)(_facts())


def test_predict_returns_ordered_categorical_indexed_like_facts():
    facts = _facts()
    seg = RuleSegmenter(rules=RF_RULES).fit(facts)
    out = seg.predict(facts)
    assert isinstance(out, pd.Series)
    assert out.name == "base_segment"
    assert out.index.equals(facts.index)
    assert list(out.cat.categories) == ["best", "recent", "rest", "other"]
    assert seg.segments_ == ("best", "recent", "rest", "other")
    # priority: R in 4-5 with F in 4-5 is "best" even though "recent" matches too
    frame = seg.transform(facts)
    best = (frame["R"] == 5) & frame["F"].isin([4, 5])
    assert (out[best] == "best").all()
    assert (out[~best & frame["R"].isin([4, 5])] == "recent").all()
    assert (out[frame["R"] <= 3] == "rest").all()
    assert seg.coverage_.table.loc["recent", "matched"] > seg.coverage_.table.loc["recent", "size"]


def test_fit_predict_equals_fit_then_predict():
    facts = _facts()
    a = RuleSegmenter(rules=RF_RULES).fit_predict(facts)
    b = RuleSegmenter(rules=RF_RULES).fit(facts).predict(facts)
    pd.testing.assert_series_equal(a, b)
    c = RuleSegmenter(rules=RF_RULES).fit_transform(facts)
    pd.testing.assert_series_equal(c["base_segment"], a)


def test_learned_cut_points_are_reused_on_new_customers():
    month1 = _facts(200)
    seg = RuleSegmenter(rules=RF_RULES).fit(month1)
    # recency in month 1 spans 0..398 days; quintile cut points near 79, 159, 239, 319.
    np.testing.assert_allclose(seg.cut_points_["R"], [78.0, 158.0, 238.0, 318.0])
    month2 = pd.DataFrame(
        {
            "customer_id": ["n1", "n2", "n3", "n4"],
            "recency_days": [1.0, 2.0, 3.0, 500.0],
            "frequency": [1, 1, 1, 1],
        }
    )
    scores = seg.transform(month2)["R"].tolist()
    # Scored against month 1: the three recent customers all get R=5 and the old one R=1,
    # where re-ranking month 2 on its own would have spread them over 1..5.
    assert scores == [5, 5, 5, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuleWarning)  # month 2 alone leaves 'best' empty
        refit = RuleSegmenter(rules=RF_RULES).fit(month2).transform(month2)["R"].tolist()
    assert refit != scores
    # and the stored cut points did not move
    np.testing.assert_allclose(seg.cut_points_["R"], [78.0, 158.0, 238.0, 318.0])


def test_transform_has_scores_codes_labels_and_segment():
    facts = _facts(50)
    out = RuleSegmenter(rules=RF_RULES).fit(facts).transform(facts)
    assert list(out.columns) == ["customer_id", "R", "F", "F_label", "RF", "base_segment"]
    assert out.index.equals(facts.index)
    assert (out["customer_id"] == facts["customer_id"]).all()
    assert (out["RF"] == out["R"].astype(str) + out["F"].astype(str)).all()
    assert (out["F_label"].astype(str) == "f" + out["F"].astype(str)).all()
    assert set(out["R"]) == {1, 2, 3, 4, 5}


def test_missing_score_fact_gets_the_configured_score_and_is_counted():
    facts = _facts(20)
    facts.loc[facts.index[:3], "recency_days"] = np.nan
    seg = RuleSegmenter(rules=RF_RULES).fit(facts)
    assert seg.missing_counts_ == {"R": 3, "F": 0}
    assert (seg.transform(facts)["R"].iloc[:3] == 1).all()
    assert seg.report_.to_frame()["rows"].tolist() == [3]
    report = DataReport()
    seg.predict(facts.iloc[:5], report=report)
    assert report.to_frame()["rows"].tolist() == [3]
    assert "recency_days" in str(report)


def test_among_limits_who_is_ranked():
    rules = {
        "scores": {
            "M": {
                "fact": "monetary",
                "bins": 2,
                "missing": 0,
                "among": {"fact": "monetary", "op": ">", "value": 0},
            }
        },
        "segments": [{"name": "big", "condition": {"code": "M", "matches": "2"}}],
        "catch_all": "small",
    }
    facts = pd.DataFrame({"monetary": [0.0, 0.0, 0.0, 0.0, 10.0, 20.0, 30.0, 40.0]})
    seg = RuleSegmenter(rules=rules).fit(facts)
    # Ranked among the four spenders only: the median cut is 20, not 0.
    assert seg.cut_points_["M"].tolist() == [20.0]
    assert seg.transform(facts)["M"].tolist() == [0, 0, 0, 0, 1, 1, 2, 2]
    assert "outside 'among'" in str(seg.report_)


def test_tags_mode_gives_overlapping_memberships_and_overlaps():
    rules = {
        "mode": "tags",
        "segments": [
            {"name": "recent", "condition": {"fact": "recency_days", "op": "<=", "value": 30}},
            {"name": "frequent", "condition": {"fact": "frequency", "op": ">=", "value": 3}},
            {"name": "big", "condition": {"fact": "monetary", "op": ">", "value": 1000}},
        ],
        "catch_all": "untagged",
    }
    facts = pd.DataFrame(
        {
            "recency_days": [5.0, 10.0, 100.0, 200.0, 20.0],
            "frequency": [5, 1, 4, 1, 3],
            "monetary": [50.0, 20.0, 2000.0, 10.0, 5000.0],
        }
    )
    seg = RuleSegmenter(rules=rules).fit(facts)
    tags = seg.predict(facts)
    assert isinstance(tags, pd.DataFrame)
    assert list(tags.columns) == ["recent", "frequent", "big", "untagged"]
    assert tags.to_numpy().tolist() == [
        [True, True, False, False],
        [True, False, False, False],
        [False, True, True, False],
        [False, False, False, True],
        [True, True, True, False],
    ]
    cov = seg.coverage_
    assert cov.table["size"].tolist() == [3, 3, 2, 1]
    assert cov.overlaps.loc["recent", "frequent"] == 2
    assert cov.overlaps.loc["frequent", "big"] == 2
    assert cov.overlaps.loc["recent", "big"] == 1
    assert cov.overlaps.loc["big", "big"] == 2
    assert cov.table["share"].sum() > 1
    out = seg.transform(facts)
    assert list(out.columns) == ["recent", "frequent", "big", "untagged"]


def test_coverage_reports_sizes_shares_and_warns_on_empty_segments():
    rules = {
        "segments": [
            {"name": "young", "condition": {"fact": "age", "op": "<", "value": 30}},
            {"name": "ancient", "condition": {"fact": "age", "op": ">", "value": 150}},
        ]
    }
    facts = pd.DataFrame({"age": [20.0, 25.0, 40.0, np.nan]})
    with pytest.warns(RuleWarning, match="'ancient'"):
        seg = RuleSegmenter(rules=rules).fit(facts)
    table = seg.coverage_.table
    assert table["size"].tolist() == [2, 0, 2]
    assert table["share"].tolist() == [0.5, 0.0, 0.5]
    assert seg.coverage_.empty == ("ancient",)
    assert seg.coverage_.n_customers == 4
    assert "ancient" in str(seg.coverage_)
    with pytest.warns(RuleWarning, match="'young'"):
        later = seg.coverage(pd.DataFrame({"age": [45.0, 200.0]}))
    assert later.table["size"].tolist() == [0, 1, 1]


def test_no_warning_when_every_segment_has_customers():
    facts = _facts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RuleSegmenter(rules=RF_RULES).fit(facts)


def test_catch_all_argument_overrides_the_document():
    facts = _facts(30)
    rules = {
        "segments": [
            {"name": "active", "condition": {"fact": "recency_days", "op": "<=", "value": 10}}
        ]
    }
    seg = RuleSegmenter(rules=rules, catch_all="lapsed").fit(facts)
    assert seg.segments_ == ("active", "lapsed")
    assert set(seg.predict(facts)) == {"active", "lapsed"}
    with pytest.raises(RuleError, match="catch_all='bad name'"):
        RuleSegmenter(rules=rules, catch_all="bad name").fit(facts)
    with pytest.raises(RuleError, match="catch-all"):
        RuleSegmenter(rules=rules, catch_all="active").fit(facts)


def test_required_facts_and_missing_attributes():
    seg = RuleSegmenter(rules=RF_RULES).fit(_facts())
    assert seg.required_facts_ == ("recency_days", "frequency")
    with pytest.raises(RuleError) as info:
        seg.predict(_facts().drop(columns="frequency"))
    message = str(info.value)
    assert "'frequency' (used by score 'F'; segments 'best', 'rest')" in message


def test_as_of_comes_from_attrs_or_argument():
    facts = pd.DataFrame(
        {
            "recency_days": [200.0, 200.0, 10.0],
            "signup_at": pd.to_datetime(["2024-01-20", "2023-01-01", "2024-01-25"], utc=True),
        }
    )
    with pytest.raises(RuleError, match="as-of date"):
        RuleSegmenter(rules=LIFE).fit(facts)
    seg = RuleSegmenter(rules=LIFE).fit(facts, as_of="2024-02-01")
    assert seg.as_of_ == pd.Timestamp("2024-02-01")
    assert seg.predict(facts, as_of="2024-02-01").tolist() == ["new", "other", "active"]
    facts.attrs["as_of"] = pd.Timestamp("2025-01-01", tz="UTC")
    assert seg.predict(facts).tolist() == ["other", "other", "active"]


def test_type_error_in_fit_leaves_the_estimator_unfitted():
    rules = {
        "segments": [{"name": "north", "condition": {"fact": "region", "op": ">", "value": 3}}]
    }
    seg = RuleSegmenter(rules=rules)
    with pytest.raises(RuleError, match="segment 'north', segments\\[0\\].condition.value"):
        seg.fit(pd.DataFrame({"region": ["n", "s"]}))
    with pytest.raises(NotFittedError):
        seg.predict(pd.DataFrame({"region": ["n"]}))


@pytest.mark.parametrize(
    ("facts", "error", "fragment"),
    [
        ({"recency_days": [1.0]}, DataError, "pandas DataFrame"),
        (pd.DataFrame({"recency_days": [], "frequency": []}), DataError, "no rows"),
        (
            pd.DataFrame([[1.0, 2.0, 3]], columns=["recency_days", "recency_days", "frequency"]),
            DataError,
            "duplicated",
        ),
        (
            pd.DataFrame({"recency_days": [np.nan, np.nan], "frequency": [1, 2]}),
            DataError,
            "missing",
        ),
        (
            pd.DataFrame({"recency_days": ["a", "b"], "frequency": [1, 2]}),
            RuleError,
            "scores.R.fact",
        ),
    ],
)
def test_bad_facts(facts, error, fragment):
    with pytest.raises(error, match=fragment):
        RuleSegmenter(rules=RF_RULES).fit(facts)


def test_clone_gives_an_unfitted_copy_with_the_same_params():
    seg = RuleSegmenter(rules=RF_RULES, catch_all="rest_of_them").fit(_facts())
    copy = clone(seg)
    assert copy.get_params() == seg.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(_facts())


def test_fixed_cuts_need_no_learning():
    rules = {
        "scores": {
            "R": {
                "fact": "recency_days",
                "method": "fixed",
                "cuts": [30, 90],
                "direction": "descending",
            }
        },
        "segments": [{"name": "hot", "condition": {"code": "R", "matches": "3"}}],
    }
    facts = pd.DataFrame({"recency_days": [10.0, 30.0, 31.0, 95.0]})
    seg = RuleSegmenter(rules=rules).fit(facts)
    assert seg.cut_points_["R"].tolist() == [30.0, 90.0]
    assert seg.transform(facts)["R"].tolist() == [3, 3, 2, 1]


def test_unknown_fact_names_the_segment_the_column_and_close_matches():
    rules = {
        "segments": [
            {"name": "fine", "condition": {"fact": "frequency", "op": ">", "value": 1}},
            {"name": "typo", "condition": {"not": {"fact": "recncy_days", "op": "<", "value": 9}}},
        ]
    }
    with pytest.raises(RuleError) as info:
        RuleSegmenter(rules=rules).fit(_facts())
    message = str(info.value)
    assert "'recncy_days' (used by segment 'typo'; did you mean 'recency_days'?)" in message
    assert "Available columns: ['customer_id', 'frequency', 'recency_days']" in message


FIRST_RULES = {
    "scores": {"F": {"fact": "frequency", "bins": 5, "ties": "first"}},
    "segments": [
        {"name": "top", "condition": {"code": "F", "matches": "5"}},
        {"name": "low", "condition": {"code": "F", "matches": "[1-2]"}},
    ],
}


def _tied_facts(n: int = 203, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = rng.permutation(n) + 10_000
    return pd.DataFrame(
        {"customer_id": ids, "frequency": rng.choice([1, 1, 1, 2, 2, 3, 5], size=n)},
        index=pd.RangeIndex(n) * 3,
    )


def test_ties_first_splits_equal_values_by_customer_id_like_rank_first_then_qcut():
    facts = _tied_facts()
    seg = RuleSegmenter(rules=FIRST_RULES)
    got = seg.fit_predict(facts)
    # fit_predict is the same as fitting, then scoring the same customers again
    assert got.tolist() == RuleSegmenter(rules=FIRST_RULES).fit(facts).predict(facts).tolist()
    scores = seg.transform(facts)["F"]
    ordered = facts.sort_values("customer_id")
    expected = pd.qcut(ordered["frequency"].rank(method="first"), 5, labels=False) + 1
    assert scores.tolist() == expected.reindex(facts.index).tolist()
    assert np.bincount(scores, minlength=6)[1:].tolist() == [41, 40, 41, 40, 41]
    # the cut points are (frequency, customer_id) pairs
    assert seg.cut_points_["F"].tolist() == sorted(seg.cut_points_["F"].tolist())
    assert len(seg.cut_keys_["F"]) == 4 and set(seg.cut_keys_["F"]) <= set(facts["customer_id"])
    # the same customers in another row order get the same scores
    shuffled = facts.sample(frac=1.0, random_state=0)
    again = RuleSegmenter(rules=FIRST_RULES).fit(shuffled).transform(shuffled)["F"]
    assert again.sort_index().tolist() == scores.sort_index().tolist()


def test_ties_first_places_a_new_customer_on_an_edge_by_its_id():
    facts = _tied_facts()
    seg = RuleSegmenter(rules=FIRST_RULES).fit(facts)
    value, key = seg.cut_points_["F"][0], seg.cut_keys_["F"][0]
    new = pd.DataFrame(
        {"customer_id": [key - 1, key, key + 1, 1], "frequency": [value, value, value, 99]}
    )
    scores = seg.transform(new)["F"].tolist()
    # an id up to the edge customer's takes the lower score, a larger id the next one
    assert scores[:3] == [1, 1, 2] and scores[3] == 5


def test_ties_first_needs_its_key_column_with_values_of_one_kind():
    facts = _tied_facts()
    with pytest.raises(RuleError, match=r"scores\.F\.tie_break.*'customer_id'.*ties: min"):
        RuleSegmenter(rules=FIRST_RULES).fit(facts.drop(columns="customer_id"))
    seg = RuleSegmenter(rules=FIRST_RULES).fit(facts)
    text_ids = facts.assign(customer_id=facts["customer_id"].astype(str))
    with pytest.raises(DataError, match="held numbers when the rules were fit"):
        seg.predict(text_ids)
    holes = facts.assign(customer_id=facts["customer_id"].astype("Int64"))
    holes.loc[holes.index[:2], "customer_id"] = pd.NA
    with pytest.raises(DataError, match="2 customers .* no 'customer_id'"):
        RuleSegmenter(rules=FIRST_RULES).fit(holes)
    other = {**FIRST_RULES, "scores": {"F": {**FIRST_RULES["scores"]["F"], "tie_break": "age"}}}
    with pytest.raises(RuleError, match="'age'"):
        RuleSegmenter(rules=other).fit(facts)
    # another key: equal frequencies ordered by age
    aged = facts.assign(age=np.arange(len(facts))[::-1])
    seg = RuleSegmenter(rules=other).fit(aged)
    assert seg.spec_.required_facts == ("frequency", "age")
    expected = (
        pd.qcut(aged.sort_values("age")["frequency"].rank(method="first"), 5, labels=False) + 1
    )
    assert seg.transform(aged)["F"].tolist() == expected.reindex(aged.index).tolist()
    wrong = {"fact": "frequency", "ties": "min", "tie_break": "age"}
    with pytest.raises(RuleError, match="tie_break.*ties: first only"):
        RuleSegmenter(rules={**FIRST_RULES, "scores": {"F": wrong}}).fit(aged)
