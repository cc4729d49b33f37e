"""Every operator evaluated against a hand-written pandas mask, and the type checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import RuleError
from metaseg.rules.evaluate import column_type, condition_mask

AS_OF = pd.Timestamp("2024-06-30 12:00", tz="UTC")


@pytest.fixture
def facts() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "recency_days": [0.0, 30.0, 30.5, 90.0, np.nan, 400.0, 7.0, np.nan],
            "frequency": pd.array([1, 2, 0, 5, None, 3, 2, 1], dtype="Int64"),
            "region": ["north", "south", None, "north", "east", "west", "south", None],
            "tier": pd.Categorical(["a", "b", "a", None, "c", "a", "b", "c"]),
            "is_vip": pd.array(
                [True, False, None, True, False, False, True, None], dtype="boolean"
            ),
            "signup_at": pd.to_datetime(
                [
                    "2024-06-30 12:00",  # as_of itself
                    "2024-05-31 12:00",  # exactly 30 days before
                    "2024-05-31 12:01",  # just inside 30 days
                    "2023-01-01 00:00",
                    None,
                    "2024-07-05 00:00",  # after as_of
                    "2024-06-20 00:00",
                    "2020-01-01 00:00",
                ],
                utc=True,
            ),
        }
    )
    frame.attrs["as_of"] = AS_OF
    return frame


def _mask(condition, facts, **kwargs) -> np.ndarray:
    out = condition_mask(condition, facts, **kwargs)
    assert isinstance(out, np.ndarray)
    assert out.dtype == bool
    assert out.shape == (len(facts),)
    return out


def _expected(series: pd.Series) -> np.ndarray:
    return series.fillna(False).to_numpy(dtype=bool)


NUMERIC_CASES = [
    ("==", 30.0, lambda s: s == 30.0),
    ("!=", 30.0, lambda s: (s != 30.0) & s.notna()),
    ("<", 30.0, lambda s: s < 30.0),
    ("<=", 30.0, lambda s: s <= 30.0),
    (">", 30.0, lambda s: s > 30.0),
    (">=", 30.0, lambda s: s >= 30.0),
]


@pytest.mark.parametrize(("op", "value", "reference"), NUMERIC_CASES)
def test_numeric_comparisons_match_pandas(facts, op, value, reference):
    got = _mask({"fact": "recency_days", "op": op, "value": value}, facts)
    np.testing.assert_array_equal(got, _expected(reference(facts["recency_days"])))


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_nullable_integer_comparisons_match_pandas(facts, op):
    got = _mask({"fact": "frequency", "op": op, "value": 2}, facts)
    np.testing.assert_array_equal(got, _expected(_int_reference(op, facts["frequency"])))


def _int_reference(op: str, s: pd.Series) -> pd.Series:
    return {
        "==": s == 2,
        "!=": (s != 2) & s.notna(),
        "<": s < 2,
        "<=": s <= 2,
        ">": s > 2,
        ">=": s >= 2,
    }[op]


def test_between_is_inclusive_at_both_ends(facts):
    got = _mask({"fact": "recency_days", "op": "between", "value": [7, 30]}, facts)
    s = facts["recency_days"]
    np.testing.assert_array_equal(got, _expected((s >= 7) & (s <= 30)))
    assert got.tolist() == [False, True, False, False, False, False, True, False]


def test_in_and_not_in_on_numbers(facts):
    s = facts["frequency"]
    got_in = _mask({"fact": "frequency", "op": "in", "value": [1, 5]}, facts)
    got_out = _mask({"fact": "frequency", "op": "not_in", "value": [1, 5]}, facts)
    np.testing.assert_array_equal(got_in, _expected(s.isin([1, 5])))
    np.testing.assert_array_equal(got_out, _expected(~s.isin([1, 5]) & s.notna()))
    assert not got_out[4]  # a missing frequency is in neither


@pytest.mark.parametrize(
    ("condition", "reference"),
    [
        ({"fact": "region", "op": "==", "value": "north"}, lambda s: s == "north"),
        ({"fact": "region", "op": "!=", "value": "north"}, lambda s: (s != "north") & s.notna()),
        (
            {"fact": "region", "op": "in", "value": ["east", "west"]},
            lambda s: s.isin(["east", "west"]),
        ),
        (
            {"fact": "region", "op": "not_in", "value": ["east", "west"]},
            lambda s: ~s.isin(["east", "west"]) & s.notna(),
        ),
        ({"fact": "region", "op": "is_null"}, lambda s: s.isna()),
        ({"fact": "region", "op": "not_null"}, lambda s: s.notna()),
    ],
)
def test_text_conditions_match_pandas(facts, condition, reference):
    got = _mask(condition, facts)
    np.testing.assert_array_equal(got, _expected(reference(facts["region"])))


def test_categorical_text_and_booleans(facts):
    tier = _mask({"fact": "tier", "op": "in", "value": ["a", "c"]}, facts)
    np.testing.assert_array_equal(tier, _expected(facts["tier"].isin(["a", "c"])))
    vip = _mask({"fact": "is_vip", "op": "==", "value": True}, facts)
    np.testing.assert_array_equal(vip, _expected(facts["is_vip"].eq(True)))
    not_vip = _mask({"fact": "is_vip", "op": "!=", "value": True}, facts)
    np.testing.assert_array_equal(
        not_vip, _expected(facts["is_vip"].ne(True) & facts["is_vip"].notna())
    )


def test_within_and_older_than_days(facts):
    s = facts["signup_at"]
    age_days = (AS_OF - s).dt.total_seconds() / 86400
    within = _mask({"fact": "signup_at", "op": "within_days", "value": 30}, facts)
    older = _mask({"fact": "signup_at", "op": "older_than_days", "value": 30}, facts)
    np.testing.assert_array_equal(within, _expected((age_days >= 0) & (age_days < 30)))
    np.testing.assert_array_equal(older, _expected(age_days >= 30))
    # as_of itself and one minute inside the window are within; exactly 30 days is not;
    # a timestamp after as_of is neither; a missing one is neither.
    assert within.tolist() == [True, False, True, False, False, False, True, False]
    assert older.tolist() == [False, True, False, True, False, False, False, True]


def test_as_of_argument_overrides_attrs(facts):
    later = _mask(
        {"fact": "signup_at", "op": "within_days", "value": 30}, facts, as_of="2024-07-10"
    )
    assert later[5]  # 2024-07-05 is within 30 days of 2024-07-10
    assert not later[1]


def test_time_condition_without_as_of_is_a_rule_error(facts):
    facts.attrs.clear()
    with pytest.raises(RuleError, match="as_of"):
        condition_mask({"fact": "signup_at", "op": "within_days", "value": 30}, facts)


def test_timestamp_comparisons_with_dates_and_iso_text(facts):
    s = facts["signup_at"]
    by_date = _mask({"fact": "signup_at", "op": ">=", "value": dt.date(2024, 6, 1)}, facts)
    by_text = _mask({"fact": "signup_at", "op": ">=", "value": "2024-06-01"}, facts)
    expected = _expected(s >= pd.Timestamp("2024-06-01", tz="UTC"))
    np.testing.assert_array_equal(by_date, expected)
    np.testing.assert_array_equal(by_text, expected)


def test_naive_timestamps_work_with_an_aware_as_of():
    facts = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2023-01-01"])})
    got = condition_mask(
        {"fact": "t", "op": "within_days", "value": 10}, facts, as_of=AS_OF.replace(month=1, day=5)
    )
    assert got.tolist() == [True, False]


def test_boolean_combinators_follow_numpy_logic(facts):
    a = {"fact": "recency_days", "op": "<=", "value": 30}
    b = {"fact": "region", "op": "==", "value": "north"}
    ma, mb = _mask(a, facts), _mask(b, facts)
    np.testing.assert_array_equal(_mask({"all": [a, b]}, facts), ma & mb)
    np.testing.assert_array_equal(_mask({"any": [a, b]}, facts), ma | mb)
    np.testing.assert_array_equal(_mask({"not": a}, facts), ~ma)
    # A missing value fails the comparison, so its negation holds (documented).
    assert _mask({"not": a}, facts)[4]


def test_window_count_pattern():
    facts = pd.DataFrame({"purchases_30d": [0, 1, 2, 7]})
    got = _mask({"fact": "purchases_30d", "op": ">=", "value": 2}, facts)
    assert got.tolist() == [False, False, True, True]


@pytest.mark.parametrize(
    ("condition", "fragments"),
    [
        (
            {"fact": "region", "op": "==", "value": 3},
            ["'region' holds text", "value 3 is a number"],
        ),
        ({"fact": "recency_days", "op": "<", "value": "30"}, ["holds numbers", "without quotes"]),
        ({"fact": "region", "op": "<", "value": "m"}, ["no order", "'in'"]),
        ({"fact": "recency_days", "op": "within_days", "value": 30}, ["needs a timestamp", "'<='"]),
        ({"fact": "region", "op": "older_than_days", "value": 30}, ["needs a timestamp"]),
        ({"fact": "signup_at", "op": ">", "value": 30}, ["holds timestamps", "within_days"]),
        ({"fact": "signup_at", "op": ">", "value": "soon"}, ["not a date"]),
        ({"fact": "signup_at", "op": ">", "value": "now"}, ["not a date"]),
        ({"fact": "signup_at", "op": ">", "value": "99999-01-01"}, ["not a date"]),
        ({"fact": "is_vip", "op": "==", "value": 1}, ["holds booleans", "true or false"]),
        ({"fact": "is_vip", "op": ">", "value": True}, ["booleans", "'=='"]),
        ({"fact": "recency_days", "op": "==", "value": True}, ["holds numbers"]),
        ({"fact": "frequency", "op": "in", "value": ["1", "2"]}, ["holds numbers"]),
    ],
)
def test_type_mismatches_are_rule_errors(facts, condition, fragments):
    with pytest.raises(RuleError) as info:
        condition_mask(condition, facts)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message


def test_unknown_fact_names_close_matches_and_what_exists(facts):
    with pytest.raises(RuleError) as info:
        condition_mask({"fact": "recncy_days", "op": "<", "value": 3}, facts)
    message = str(info.value)
    assert "'recncy_days' is not a column" in message
    assert "Did you mean 'recency_days'" in message
    assert "'frequency'" in message  # lists what is available


def test_mixed_object_column_is_refused():
    facts = pd.DataFrame({"x": pd.Series([1, "a", 2.5], dtype=object)})
    with pytest.raises(RuleError, match="mixed or unsupported"):
        condition_mask({"fact": "x", "op": "==", "value": 1}, facts)


def test_object_columns_are_classified_by_their_values():
    assert column_type(pd.Series([1, None, 3], dtype=object)) == "number"
    assert column_type(pd.Series(["a", None], dtype=object)) == "text"
    assert column_type(pd.Series([True, None], dtype=object)) == "bool"
    assert column_type(pd.Series([None, None], dtype=object)) == "empty"
    facts = pd.DataFrame({"age": pd.Series([25, None, 41], dtype=object)})
    got = condition_mask({"fact": "age", "op": ">=", "value": 30}, facts)
    assert got.tolist() == [False, False, True]


def test_all_missing_column_matches_only_is_null():
    facts = pd.DataFrame({"age": pd.Series([None, None], dtype=object)})
    assert condition_mask({"fact": "age", "op": ">", "value": 3}, facts).tolist() == [False, False]
    assert condition_mask({"fact": "age", "op": "is_null"}, facts).tolist() == [True, True]


def test_empty_facts_give_an_empty_mask(facts):
    empty = facts.iloc[:0]
    got = condition_mask({"fact": "recency_days", "op": "<", "value": 3}, empty)
    assert got.shape == (0,)


def test_code_condition_needs_scores(facts):
    with pytest.raises(RuleError, match="code 'RF' is not defined"):
        condition_mask({"code": "RF", "matches": "55"}, facts)
