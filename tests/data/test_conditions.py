"""Typed conditions on source columns: parsing, evaluation, and errors that name the place."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metaseg.data.conditions import (
    column_kind,
    columns_of,
    describe_condition,
    evaluate,
    parse_condition,
)
from metaseg.exceptions import ConfigError


@pytest.fixture
def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Invoice": pd.array(["C1", "2", None, "C4", "5"], dtype="str"),
            "Price": [1.0, 0.0, 2.5, np.nan, -3.0],
            "Customer": pd.array([1, 2, None, 4, 5], dtype="Int64"),
            "Code": pd.Categorical(["B", "POST", "B", None, "M"]),
            "When": pd.to_datetime(
                [
                    "2011-01-01 09:00",
                    "2011-06-01 00:00",
                    "2011-12-01 00:00",
                    "2011-12-09 00:00",
                    None,
                ]
            ),
            "Gift": [True, False, True, False, True],
        }
    )


def mask(frame: pd.DataFrame, data: dict) -> list[bool]:
    return evaluate(frame, parse_condition(data), where="events.clean[0].drop").tolist()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"column": "Invoice", "op": "starts_with", "value": "C"}, [1, 0, 0, 1, 0]),
        ({"column": "Invoice", "op": "ends_with", "value": "4"}, [0, 0, 0, 1, 0]),
        ({"column": "Invoice", "op": "contains", "value": "."}, [0, 0, 0, 0, 0]),
        ({"column": "Price", "op": "<=", "value": 0}, [0, 1, 0, 0, 1]),
        ({"column": "Price", "op": "between", "value": [0, 2]}, [1, 1, 0, 0, 0]),
        ({"column": "Customer", "op": "in", "value": [2, 4]}, [0, 1, 0, 1, 0]),
        ({"column": "Customer", "op": "not_in", "value": [2, 4]}, [1, 0, 0, 0, 1]),
        ({"column": "Code", "op": "in", "value": ["B", "M"]}, [1, 0, 1, 0, 1]),
        ({"column": "Code", "op": "starts_with", "value": "P"}, [0, 1, 0, 0, 0]),
        ({"column": "Code", "op": "is_null"}, [0, 0, 0, 1, 0]),
        ({"column": "Price", "op": "not_null"}, [1, 1, 1, 0, 1]),
        ({"column": "When", "op": ">=", "value": dt.date(2011, 12, 1)}, [0, 0, 1, 1, 0]),
        ({"column": "When", "op": "<", "value": "2011-06-01 00:01"}, [1, 1, 0, 0, 0]),
        ({"column": "Gift", "op": "==", "value": True}, [1, 0, 1, 0, 1]),
        # a missing value satisfies no comparison, so `not` of one holds for it
        ({"not": {"column": "Price", "op": ">", "value": 0}}, [0, 1, 0, 1, 1]),
        (
            {
                "all": [
                    {"column": "Code", "op": "==", "value": "B"},
                    {
                        "any": [
                            {"column": "Price", "op": ">", "value": 2},
                            {"column": "Invoice", "op": "is_null"},
                        ]
                    },
                ]
            },
            [0, 0, 1, 0, 0],
        ),
    ],
)
def test_conditions_select_the_expected_rows(lines, data, expected):
    assert mask(lines, data) == [bool(x) for x in expected]


def test_an_aware_time_column_reads_a_naive_value_in_its_zone(lines):
    frame = lines.assign(When=lines["When"].dt.tz_localize("Europe/London"))
    cond = {"column": "When", "op": ">=", "value": "2011-06-01 00:00"}
    assert mask(frame, cond) == [False, True, True, True, False]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"column": "StockCode", "op": "in", "value": [85048]},
            r"events.clean\[0\].drop: column 'StockCode' holds text values, but op 'in' is "
            r"given number 85048. Fix: write the value as text \(quoted: '85048'\)",
        ),
        (
            {"column": "Price", "op": "<=", "value": "0"},
            r"column 'Price' holds number values, but op '<=' is given text '0'. Fix: write a "
            "number",
        ),
        (
            {"column": "Price", "op": "starts_with", "value": "1"},
            r"column 'Price' holds number values; op 'starts_with' works on text only",
        ),
        (
            {"column": "When", "op": ">", "value": "yesterday"},
            r"column 'When' holds times; the value 'yesterday' is not a date",
        ),
        (
            {"column": "Prise", "op": ">", "value": 0},
            r"column 'Prise' is not in the source table. Did you mean 'Price'\?",
        ),
        (
            {"column": "Gift", "op": ">", "value": True},
            r"column 'Gift' holds booleans; op '>' needs an order",
        ),
    ],
)
def test_mismatches_name_the_step_column_and_value(data, words):
    frame = pd.DataFrame(
        {
            "StockCode": ["85048", "B"],
            "Price": [1.0, 2.0],
            "When": pd.to_datetime(["2011-01-01", "2011-01-02"]),
            "Gift": [True, False],
        }
    )
    with pytest.raises(ConfigError, match=words):
        mask(frame, data)


def test_mixed_object_columns_are_refused():
    frame = pd.DataFrame({"Invoice": pd.Series(["C1", 2], dtype=object)})
    assert column_kind(frame["Invoice"]) == "mixed"
    with pytest.raises(ConfigError, match="'Invoice' mixes kinds of values"):
        mask(frame, {"column": "Invoice", "op": "starts_with", "value": "C"})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"column": "a", "op": "like", "value": "C%"}, "op"),
        ({"column": "a", "op": "in", "value": ["1", 1]}, "mix number and text"),
        ({"column": "a", "op": "in", "value": "B"}, "needs a list of values"),
        ({"column": "a", "op": "between", "value": [5, 1]}, "low <= high"),
        ({"column": "a", "op": "is_null", "value": 1}, "takes no value"),
        ({"column": "a", "op": "starts_with", "value": 1}, "needs text"),
        ({"column": "a", "op": "==", "value": None}, "may not be null"),
        ({"column": "a", "op": "==", "value": float("nan")}, "may not be NaN"),
        ({"column": "a", "op": "==", "value": {"x": 1}}, "not dict"),
        ({"col": "a", "op": "=="}, "a condition is"),
        ({"all": []}, "at least 1 item"),
    ],
)
def test_malformed_conditions_are_config_errors(data, words):
    with pytest.raises(ConfigError, match=words):
        parse_condition(data, what="events.clean[0].drop")


def test_values_are_data_never_code(lines):
    # a text that would be code in pandas.eval or query is only a value here
    cond = {"column": "Invoice", "op": "==", "value": "__import__('os').system('exit 1')"}
    assert mask(lines, cond) == [False] * 5


def test_columns_and_words():
    cond = parse_condition(
        {
            "any": [
                {"column": "Invoice", "op": "starts_with", "value": "C"},
                {"not": {"column": "Price", "op": ">", "value": 0}},
            ]
        }
    )
    assert columns_of(cond) == ["Invoice", "Price"]
    assert describe_condition(cond) == "any of (Invoice starts with 'C'; not (Price > 0))"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"column": "a", "op": "==", "value": float("inf")}, r"value: .*finite number, got inf"),
        ({"column": "a", "op": "==", "value": 2**60}, r"value: .*larger than 9,007,199,254"),
        ({"column": "a", "op": "==", "value": "a\x00b"}, r"value: .*NUL characters"),
        ({"column": "a", "op": "==", "value": "x" * 1001}, r"at most 1,000 characters"),
        ({"column": "a", "op": "contains", "value": ""}, r"at least one character"),
        ({"column": "a", "op": "between", "value": [False, True]}, r"not booleans"),
        ({"column": "a", "op": "in", "value": list(range(10_001))}, r"at most 10,000 values"),
        ({"column": "a", "op": "=="}, r"op == needs a value"),
    ],
)
def test_values_are_checked_as_for_custom_facts(data, words):
    with pytest.raises(ConfigError, match=words):
        parse_condition(data)


def test_errors_give_the_yaml_path_without_union_tags():
    data = {"any": [{"column": "a", "op": "is_null"}, {"not": {"column": "b", "op": "=>"}}]}
    with pytest.raises(ConfigError, match=r"- condition\.any\[1\]\.not\.op: Input should be"):
        parse_condition(data)


def test_a_dumped_condition_reads_back_to_the_same():
    cond = parse_condition(
        {
            "all": [
                {"not": {"column": "a", "op": "in", "value": [1, 2]}},
                {"column": "b", "op": "is_null"},
            ]
        }
    )
    assert parse_condition(cond.model_dump(mode="json")) == cond
