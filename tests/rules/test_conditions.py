"""Tests of parsing conditions into the typed tree, and of the errors' YAML paths."""

from __future__ import annotations

import datetime as dt

import pytest

from metaseg.exceptions import RuleError
from metaseg.rules.conditions import (
    AllOf,
    AnyOf,
    Between,
    CodeMatch,
    Compare,
    Membership,
    Not,
    NullCheck,
    RelativeTime,
    depth,
    facts_read,
    parse_condition,
    walk,
)


@pytest.mark.parametrize(
    ("condition", "cls"),
    [
        ({"all": [{"fact": "a", "op": "is_null"}]}, AllOf),
        ({"any": [{"fact": "a", "op": "is_null"}]}, AnyOf),
        ({"not": {"fact": "a", "op": "is_null"}}, Not),
        ({"fact": "a", "op": "<=", "value": 3}, Compare),
        ({"fact": "a", "op": "!=", "value": "x"}, Compare),
        ({"fact": "a", "op": "between", "value": [1, 2]}, Between),
        ({"fact": "a", "op": "in", "value": ["x", "y"]}, Membership),
        ({"fact": "a", "op": "not_in", "value": [1]}, Membership),
        ({"fact": "a", "op": "is_null"}, NullCheck),
        ({"fact": "a", "op": "not_null"}, NullCheck),
        ({"fact": "signup_at", "op": "within_days", "value": 30}, RelativeTime),
        ({"fact": "signup_at", "op": "older_than_days", "value": 7.5}, RelativeTime),
        ({"code": "RF", "matches": "5[4-5]"}, CodeMatch),
        ({"code": "RF", "matches": ["51", "41"]}, CodeMatch),
    ],
)
def test_each_kind_parses_to_its_class(condition, cls):
    assert isinstance(parse_condition(condition), cls)


def test_values_keep_their_type():
    assert parse_condition({"fact": "a", "op": "==", "value": 2}).value == 2
    assert parse_condition({"fact": "a", "op": "==", "value": "2"}).value == "2"
    assert parse_condition({"fact": "a", "op": "==", "value": True}).value is True
    day = dt.date(2024, 1, 31)
    assert parse_condition({"fact": "a", "op": ">=", "value": day}).value == day


def _message(condition) -> str:
    with pytest.raises(RuleError) as info:
        parse_condition(condition)
    return str(info.value)


def test_error_path_points_into_nested_lists():
    message = _message(
        {
            "all": [
                {"fact": "a", "op": "<", "value": 1},
                {"any": [{"fact": "b", "op": "is_null"}, {"fact": "b", "op": "=>", "value": 2}]},
            ]
        }
    )
    assert "all[1].any[1].op" in message
    assert "'=>'" in message
    assert "'<='" in message  # lists the operators that exist
    assert "node:" not in message


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        ({"fact": "a", "value": 1}, "op", "Field required"),
        ({"fact": "a", "op": ["<"], "value": 1}, "op", "Input should be"),
        ({"fact": "a", "op": "<"}, "value", "Field required"),
        ({"fact": "a", "op": "<", "value": 1, "extra": 2}, "extra", "Extra inputs"),
        ({"fact": "a", "op": "is_null", "value": 1}, "value", "Extra inputs"),
        ({"fact": "a", "op": "between", "value": [1, 2, 3]}, "value", "at most 2"),
        ({"fact": "a", "op": "between", "value": [5, 1]}, "<root>", "low <= high"),
        ({"fact": "a", "op": "between", "value": [1, "b"]}, "<root>", "mix"),
        ({"fact": "a", "op": "in", "value": []}, "value", "at least 1"),
        ({"fact": "a", "op": "in", "value": [1, "x"]}, "<root>", "mix"),
        ({"fact": "a", "op": "in", "value": "x"}, "value", "valid list"),
        ({"fact": "a", "op": "==", "value": None}, "value", "is_null"),
        ({"fact": "a", "op": "==", "value": float("nan")}, "value", "NaN"),
        ({"fact": "a", "op": "==", "value": 10**30}, "value", "larger than"),
        ({"fact": "a", "op": "==", "value": [1]}, "value", "not a list"),
        ({"fact": "a", "op": "within_days", "value": -1}, "value", ">= 0"),
        ({"fact": "a", "op": "within_days", "value": "30"}, "value", "number of days"),
        ({"fact": "__class__", "op": "is_null"}, "fact", "may not start with '__'"),
        ({"fact": "1abc", "op": "is_null"}, "fact", "does not start"),
        ({"fact": "a.b", "op": "is_null"}, "fact", "letters, digits"),
        ({"fact": " a", "op": "is_null"}, "fact", "spaces"),
        ({"fact": 3, "op": "is_null"}, "fact", "valid string"),
        ({"code": "RF", "matches": "5*"}, "<root>", "pattern '5*'"),
        ({"code": "RF", "matches": []}, "matches", "at least 1"),
        ({"code": "R F", "matches": "5"}, "code", "a name starts with a letter"),
        ({"all": []}, "all", "at least 1"),
        ({"all": {"fact": "a", "op": "is_null"}}, "all", "valid list"),
        ({"not": [{"fact": "a", "op": "is_null"}]}, "not", "one of the keys"),
        ({"facts": "a", "op": "is_null"}, "<root>", "one of the keys"),
        ("recency_days < 30", "<root>", "one of the keys"),
    ],
)
def test_bad_conditions_name_the_path_and_the_problem(condition, path, fragment):
    message = _message(condition)
    assert f"  - {path}:" in message
    assert fragment in message


def test_walk_facts_read_and_depth():
    tree = parse_condition(
        {
            "all": [
                {"fact": "b", "op": "is_null"},
                {
                    "not": {
                        "any": [
                            {"fact": "a", "op": ">", "value": 1},
                            {"fact": "b", "op": "<", "value": 0},
                        ]
                    }
                },
            ]
        }
    )
    locations = [loc for loc, _ in walk(tree)]
    assert ("all", 1, "not", "any", 0) in locations
    assert len(locations) == 6
    assert facts_read(tree) == ["b", "a"]
    assert depth(tree) == 3
    assert depth(parse_condition({"fact": "a", "op": "is_null"})) == 0


def test_condition_depth_is_limited():
    from metaseg.rules.limits import MAX_CONDITION_DEPTH

    node: dict = {"fact": "a", "op": "is_null"}
    for _ in range(MAX_CONDITION_DEPTH):
        node = {"not": node}
    assert depth(parse_condition(node)) == MAX_CONDITION_DEPTH
    with pytest.raises(RuleError, match="MAX_CONDITION_DEPTH"):
        parse_condition({"not": node})
