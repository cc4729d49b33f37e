"""Cleaning steps of a mapping: each drop counted, in order, through read_events/read_customers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.data import DataReport, load_mapping, read_customers, read_events
from metaseg.data.cleaning import CleanStep, _repeated_rows, clean_rows
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

MAPPING = """
events:
  customer_id: Customer
  timestamp: When
  event_type:
    when: {column: Invoice, op: starts_with, value: C}
    then: refund
    else: purchase
  amount: {product: [Qty, Price]}
  order_id: Invoice
  clean:
    - drop: duplicates
      ignore: [Sheet]
    - count: {column: Invoice, op: starts_with, value: C}
      reason: cancellations kept as refunds
    - drop: {column: Code, op: in, value: [B, M]}
      reason: bookkeeping line
    - keep: {column: Price, op: ">", value: 0}
customers:
  customer_id: Customer
  attributes: {country: Country}
policy:
  duplicate_customers: most_frequent
"""


@pytest.fixture
def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Invoice": ["1", "1", "C2", "3", "4", "5", "6", "6"],
            "Code": ["A", "A", "A", "B", "A", "A", "A", "A"],
            "Qty": [2, 2, -1, 1, 1, 1, 3, 3],
            "Price": [1.5, 1.5, 1.5, 9.0, 0.0, np.nan, 2.0, 2.0],
            "Customer": [1.0, 1.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0],
            "When": ["2011-01-03 09:00"] * 8,
            "Country": ["UK", "UK", "UK", "France", "UK", "UK", "EIRE", "EIRE"],
            "Sheet": ["a", "b", "a", "a", "a", "a", "a", "a"],
        }
    )


def read(raw, mapping=MAPPING, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_events(raw, mapping, **kwargs)


def test_each_step_drops_and_counts_in_order(raw):
    events, report = read(raw)
    assert events["order_id"].tolist() == ["1", "C2", "6"]
    assert events["event_type"].tolist() == ["purchase", "refund", "purchase"]
    assert events["amount"].tolist() == [3.0, 1.5, 6.0]
    rows = {(e.action, e.reason): e.rows for e in report if e.step == "read_events/clean"}
    assert rows == {
        # row 1 repeats row 0 (Sheet ignored); row 7 repeats row 6
        ("dropped", "exact duplicate row"): 2,
        ("info", "cancellations kept as refunds"): 1,
        ("dropped", "bookkeeping line"): 1,
        # a zero price and a missing one: neither is > 0
        ("dropped", "not kept: Price > 0 does not hold"): 2,
        # customers 2 and 3 lost every line, each to one step
        (
            "dropped",
            "every event dropped by events.clean[2]: customer left with no event, "
            "no label unless the customers table lists it",
        ): 1,
        (
            "dropped",
            "every event dropped by events.clean[3]: customer left with no event, "
            "no label unless the customers table lists it",
        ): 1,
    }
    assert report.rows_dropped == len(raw) - len(events)
    assert report.customers_dropped == 2
    assert "bookkeeping line [Code] e.g. B" in str(report)


def test_drops_are_summed_in_the_warning(raw):
    with pytest.warns(DataQualityWarning, match=r"read_events dropped 5 of 8 rows \(exact dup"):
        read_events(raw, MAPPING)


def test_a_file_source_is_read_whole_for_duplicates(raw, tmp_path):
    path = tmp_path / "lines.parquet"
    raw.assign(Extra=range(len(raw))).to_parquet(path)
    # Extra differs on every row, so no row is an exact duplicate of another any more
    events, report = read(path)
    assert report.dropped("exact duplicate") == 0
    assert events["order_id"].tolist() == ["1", "1", "C2", "6", "6"]


def test_customers_take_the_same_cleaning_and_the_most_frequent_country(raw):
    more = pd.concat([raw, raw.iloc[[6]].assign(Invoice="7", Country="UK")], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        mapping = MAPPING.replace(
            "customers:\n  customer_id: Customer\n",
            "customers:\n  customer_id: Customer\n  clean:\n"
            "    - drop: {column: Code, op: in, value: [B, M]}\n",
        )
        customers, report = read_customers(more, mapping)
    # customer 1 has UK x5 and EIRE x2 left; customer 2's only line is a B line
    assert customers.to_dict("list") == {"customer_id": [1, 3], "country": ["UK", "UK"]}
    [disagree] = [e for e in report if "disagree" in e.reason]
    assert disagree.rows == 1 and disagree.unit == "customers" and disagree.examples == (1,)
    assert report.dropped("repeated customer_id (the most frequent row kept)") == 6


def test_keep_first_and_a_caller_policy_override_the_mapping(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        first, _ = read_customers(raw, MAPPING, policy={"duplicate_customers": "keep_first"})
        assert first.set_index("customer_id")["country"].to_dict() == {
            1: "UK",
            2: "France",
            3: "UK",
        }
        with pytest.raises(DataError, match="duplicate_customers: keep_first"):
            read_customers(raw, MAPPING, policy={"duplicate_customers": "error"})


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ({"keep": "duplicates"}, "a condition is"),
        ({"drop": "duplicates", "keep": {"column": "a", "op": "is_null"}}, "exactly one of"),
        ({"reason": "x"}, "exactly one of drop, keep, count; got none"),
        ({"drop": {"column": "a", "op": "is_null"}, "ignore": ["b"]}, "ignore applies to dup"),
        ({"dorp": "duplicates"}, "Did you mean 'drop'"),
        (
            {"drop": {"any": [{"column": "a", "op": "=>", "value": 1}]}},
            r"events\.clean\[0\]\.drop\.condition\.any\[0\]\.op: Input should be '=='",
        ),
    ],
)
def test_malformed_steps_are_config_errors(step, words):
    with pytest.raises(ConfigError, match=words):
        load_mapping({"events": {"clean": [step]}})


def test_errors_name_the_step_and_the_column(raw):
    bad = MAPPING.replace("value: [B, M]", "value: [1, 2]")
    with pytest.raises(
        ConfigError,
        match=r"events.clean\[2\].drop: column 'Code' holds text values, but op 'in' is given "
        r"number 1",
    ):
        read(raw, bad)
    with pytest.raises(ConfigError, match=r"events.clean\[0\] refers to source column 'Sheet'"):
        read(raw.drop(columns="Sheet"))


def test_the_hashed_duplicate_search_equals_pandas():
    rng = np.random.default_rng(0)
    n = 30_000
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 30, n),
            "b": pd.array(rng.choice(["x", "y", None], n), dtype="str"),
            "c": rng.choice([0.0, -0.0, 1.5, np.nan], n),
            "d": pd.Categorical(rng.choice(["p", "q"], n)),
        }
    )
    expected = frame.duplicated(keep="first").to_numpy()
    assert 0 < expected.sum() < n
    np.testing.assert_array_equal(_repeated_rows(frame), expected)


def test_clean_rows_keeps_the_index_and_leaves_the_source_alone(raw):
    report = DataReport()
    step = CleanStep.model_validate({"drop": {"column": "Qty", "op": "<", "value": 0}})
    kept = clean_rows(raw, [step], report=report, step="s")
    assert kept.index.tolist() == [0, 1, 3, 4, 5, 6, 7]
    assert len(raw) == 8
    assert [(e.reason, e.rows, e.examples) for e in report] == [("Qty < 0", 1, (-1,))]
