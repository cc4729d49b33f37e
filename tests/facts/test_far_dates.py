"""Warnings about far-off dates: an as_of decades after the data, dates before 1970."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from metaseg.data import read_events
from metaseg.data.report import DataReport
from metaseg.exceptions import DataQualityWarning
from metaseg.facts import compute_facts
from metaseg.facts.far_dates import AS_OF_GAP_YEARS, EARLIEST_PLAUSIBLE


def _events(times: list[str], ids: list[int] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ids or list(range(1, len(times) + 1)),
            "timestamp": pd.to_datetime(times, utc=True, format="ISO8601"),
            "event_type": "purchase",
            "amount": 10.0,
        }
    )


NORMAL = _events(["2024-01-05", "2024-03-01", "2024-12-31"], [1, 1, 2])


def _far(report: DataReport) -> list:
    return [e for e in report if "after the last event" in e.reason or "before 1970" in e.reason]


def test_the_as_of_threshold_is_ten_years():
    last = pd.Timestamp("2024-12-31", tz="UTC")
    just_over = last + pd.Timedelta(days=AS_OF_GAP_YEARS * 365.25 + 1)
    with pytest.warns(DataQualityWarning, match=r"3,654 days \(10\.0 years\)"):
        compute_facts(NORMAL, as_of=just_over)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_facts(NORMAL, as_of=just_over - pd.Timedelta(days=2))


def test_the_first_plausible_instant_gives_no_warning():
    events = _events([str(EARLIEST_PLAUSIBLE), "2024-01-05"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_facts(events, as_of="2024-02-01")


def test_ordinary_data_gives_no_warning():
    customers = pd.DataFrame(
        {"customer_id": [1, 2], "signup_at": pd.to_datetime(["2020-01-01", "2023-06-01"], utc=True)}
    )
    report = DataReport()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_facts(NORMAL, customers, as_of="2025-01-01", report=report)
        compute_facts(NORMAL)  # as_of defaults to the last event
        compute_facts(NORMAL, as_of="2034-12-01")  # just under ten years later
    assert _far(report) == []


def test_as_of_decades_after_the_last_event_warns_with_the_gap():
    report = DataReport()
    with pytest.warns(DataQualityWarning) as caught:
        facts = compute_facts(NORMAL, as_of="2099-01-01", report=report)
    (warning,) = [w for w in caught if "after the last event" in str(w.message)]
    message = str(warning.message)
    assert warning.filename == __file__
    assert "as_of (2099-01-01 00:00:00+00:00) is 27,029 days (74.0 years)" in message
    assert "last event (2024-12-31 00:00:00+00:00)" in message
    assert "the 3 events of 2 customers" in message
    assert "more than 10 years" in message and "Fix:" in message
    assert len(facts) == 2  # nothing dropped
    (entry,) = _far(report)
    assert (entry.step, entry.action, entry.rows, entry.column) == (
        "compute_facts",
        "info",
        3,
        "timestamp",
    )
    assert entry.examples == ("2024-12-31 00:00:00+00:00", "2099-01-01 00:00:00+00:00")


def test_events_before_1970_warn_with_count_and_range():
    events = _events(
        ["1900-01-01", "1900-01-01", "1969-12-31 23:00", "2024-01-05", "2024-02-01"],
        [1, 2, 2, 1, 3],
    )
    report = DataReport()
    with pytest.warns(DataQualityWarning) as caught:
        facts = compute_facts(events, as_of="2024-03-01", report=report)
    messages = [str(w.message) for w in caught]
    (message,) = [m for m in messages if "timestamp before 1970-01-01" in m]
    assert message.startswith("events: 3 of 5 events (2 customers) have a timestamp before")
    assert "from 1900-01-01 00:00:00+00:00 to 1969-12-31 23:00:00+00:00" in message
    assert "the earliest 45,350 days before as_of" in message
    assert not any("after the last event" in m for m in messages)
    # kept: customer 1's first event is still the 1900 one
    first_seen = facts.set_index("customer_id")["first_seen"]
    assert first_seen[1] == pd.Timestamp("1900-01-01", tz="UTC")
    (entry,) = _far(report)
    assert entry.rows == 3 and entry.column == "timestamp"
    assert entry.examples == ("1900-01-01 00:00:00+00:00", "1969-12-31 23:00:00+00:00")


def test_signups_before_1970_warn_with_count_and_range():
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "signup_at": pd.to_datetime(["1900-01-01", "1950-06-30", "2020-01-01"], utc=True),
        }
    )
    report = DataReport()
    with pytest.warns(DataQualityWarning, match="signed up before 1970-01-01") as caught:
        compute_facts(NORMAL, customers, as_of="2025-01-01", report=report)
    (message,) = [str(w.message) for w in caught if "signup_at" in str(w.message)]
    assert message.startswith("customers: 2 of 3 customers with a signup_at signed up before")
    assert "from 1900-01-01 00:00:00+00:00 to 1950-06-30 00:00:00+00:00" in message
    assert re.search(r"tenure_days reaches 45,6\d\d days", message)
    (entry,) = _far(report)
    assert (entry.rows, entry.unit, entry.column) == (2, "customers", "signup_at")


def test_parquet_events_are_checked_too(tmp_path):
    path = tmp_path / "events.parquet"
    _events(["1900-01-01", "2024-01-05"]).to_parquet(path)
    with pytest.warns(DataQualityWarning, match="1 of 2 events"):
        compute_facts(path, as_of="2024-02-01")


def test_reading_then_computing_warns_once(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,timestamp,event_type,amount\n1,2024-01-05,purchase,5\n2,1900-01-01,view,\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events, report = read_events(path, as_of="2099-01-01")
        compute_facts(events, as_of="2099-01-01", report=report)
    texts = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert sum("after the last event" in t for t in texts) == 1
    assert sum("before 1970-01-01" in t for t in texts) == 1
    assert len(_far(report)) == 2
