"""Counts of customers in the data report are kept apart from counts of rows."""

from __future__ import annotations

import pytest

from metaseg.data.report import DataReport


def test_customer_entries_do_not_add_to_row_totals():
    report = DataReport()
    report.add("validate_events", "dropped", "event after as_of", rows=6, column="timestamp")
    report.add(
        "validate_events",
        "dropped",
        "every event after as_of",
        rows=1999,
        column="customer_id",
        examples=["0000002"],
        unit="customers",
    )
    assert report.rows_dropped == 6 and report.dropped() == 6
    assert report.customers_dropped == 1999
    assert report.customers_by_reason() == {"every event after as_of": 1999}
    text = str(report)
    assert text.splitlines()[0] == (
        "DataReport: 6 rows dropped, 0 changed, 1,999 customers left with no event"
    )
    assert "1,999 customers:  every event after as_of [customer_id] e.g. 0000002" in text
    assert report.to_frame()["unit"].tolist() == ["rows", "customers"]
    assert "1,999 customers left with no event" in report._repr_html_()


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unit must be one of"):
        DataReport().add("s", "dropped", "r", rows=1, unit="orders")  # type: ignore[arg-type]
