"""The DuckDB read path gives the pandas path's report, events and facts on the same files."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.data import read_events
from metaseg.data.engine_query import EventsQuery
from metaseg.data.engine_read import read_events_engine
from metaseg.exceptions import DataError
from metaseg.facts import compute_facts

AS_OF = "2024-02-01"
LENIENT = {"invalid_timestamps": "drop", "invalid_amounts": "drop"}


def _planted() -> pd.DataFrame:
    """Events with every problem the SQL path handles, each on a few rows."""
    rows = [
        ("0007", "2024-01-01 10:00", "purchase", 10.0),  # zero-padded text id
        ("7", "2024-01-02 10:00", " Purchase", -5.0),  # mixed case, negative: refund
        (None, "2024-01-02 11:00", "view", np.nan),  # null id
        ("  ", "2024-01-03 11:00", "view", np.nan),  # blank id
        ("12", None, "view", np.nan),  # missing timestamp: customer 12 lost
        ("13", "not a date", "purchase", 4.0),  # unparseable timestamp
        ("13", "2024-03-01 09:00", "purchase", 4.0),  # late: 13 lost for two reasons
        ("14", "2024-03-02 09:00", "VIEW", np.nan),  # late only: 14 lost
        ("15", "2024-01-05 08:00", "purchase", np.inf),  # infinite amount
        ("15", "2024-01-06 08:00", "purchase", np.nan),  # NaN purchase: 15 lost
        ("16", "2024-01-07 08:00", "refund", -2.5),  # negative refund
        ("16", "2024-01-08 08:00", "Add_To_Cart", np.nan),
        ("17", "2024-01-09 08:00", "wishlist", np.nan),  # unknown type kept
        ("17", "2024-01-10 08:00", "view", -np.inf),  # infinite on a view
        ("18", "2024-01-11 08:00", "purchase", 30.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "amount"])
    return pd.concat([frame] * 3, ignore_index=True)  # repeated: examples need order


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    typed = frame.copy()
    typed["timestamp"] = pd.to_datetime(typed["timestamp"], errors="coerce", utc=True)
    return typed


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    frame = _planted()
    _typed(frame).to_parquet(folder / "events.parquet", index=False)
    frame.to_csv(folder / "events.csv", index=False)
    split = folder / "parts"
    split.mkdir()
    typed = _typed(frame)
    typed.iloc[:20].to_parquet(split / "a.parquet", index=False)
    typed.iloc[20:].to_parquet(split / "b.parquet", index=False)
    return folder


def _same(value) -> object:
    """A value both paths report alike, NaN/NaT compared as equal."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "<missing>"
    return value


def _entries(report) -> list[tuple]:
    return [
        (e.step, e.action, e.reason, e.rows, e.column, tuple(map(_same, e.examples)), e.unit)
        for e in report
    ]


def _both(path, **kwargs):
    with warnings.catch_warnings(record=True) as pandas_warnings:
        warnings.simplefilter("always")
        frame, expected = read_events(path, **kwargs)
    with warnings.catch_warnings(record=True) as engine_warnings:
        warnings.simplefilter("always")
        query, report = read_events_engine(path, **kwargs)
    assert [str(w.message) for w in engine_warnings] == [str(w.message) for w in pandas_warnings]
    return frame, expected, query, report


@pytest.mark.parametrize("name", ["events.parquet", "events.csv", "parts"])
def test_the_report_entries_are_those_of_the_pandas_path(files, name):
    frame, expected, query, report = _both(files / name, policy=LENIENT, as_of=AS_OF)
    assert isinstance(query, EventsQuery)
    assert _entries(report) == _entries(expected)
    reasons = {e.reason for e in report}
    assert "null or empty customer_id" in reasons
    assert "negative refund amount made positive" in reasons
    assert report.customers_dropped == 4  # 12, 13, 14, 15
    assert len(query) == len(frame)


@pytest.mark.parametrize("name", ["events.parquet", "events.csv"])
def test_the_events_and_the_facts_are_those_of_the_pandas_path(files, name):
    frame, _, query, _ = _both(files / name, policy=LENIENT, as_of=AS_OF)
    order = ["customer_id", "timestamp", "event_type", "amount"]
    mine = query.to_pandas().sort_values(order, ignore_index=True)
    theirs = frame.sort_values(order, ignore_index=True)
    assert mine["customer_id"].tolist() == theirs["customer_id"].tolist()  # text: '0007', '7'
    assert mine["event_type"].tolist() == theirs["event_type"].tolist()
    np.testing.assert_array_equal(mine["amount"], theirs["amount"])
    assert (mine["timestamp"] == theirs["timestamp"]).all()
    expected = compute_facts(frame, as_of=AS_OF)
    facts = compute_facts(query, as_of=AS_OF)
    pd.testing.assert_frame_equal(facts, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("name", ["events.parquet", "events.csv"])
@pytest.mark.parametrize(
    "policy",
    [
        {"null_customer_ids": "error", **LENIENT},
        {},  # invalid timestamps refused by default
        {"invalid_timestamps": "drop"},  # invalid amounts refused by default
        {**LENIENT, "after_as_of": "error"},
        {**LENIENT, "negative_amounts": "error"},
    ],
)
def test_a_refusing_policy_raises_the_pandas_message(files, name, policy):
    with pytest.raises(DataError) as expected:
        read_events(files / name, policy=policy, as_of=AS_OF)
    with pytest.raises(DataError) as raised:
        read_events_engine(files / name, policy=policy, as_of=AS_OF)
    assert str(raised.value) == str(expected.value)


def test_integer_ids_a_mapping_and_a_time_zone_stay_in_sql(tmp_path):
    source = pd.DataFrame(
        {
            "Customer ID": [12346.0, 12347.0, 12346.0],
            "When": pd.to_datetime(["2024-01-01 10:00", "2024-06-01 10:00", "2024-01-03 00:00"]),
            "Revenue": ["12.5", "abc", "3"],
        }
    )
    path = tmp_path / "retail.parquet"
    source.to_parquet(path, index=False)
    mapping = {
        "customer_id": "Customer ID",
        "timestamp": "When",
        "event_type": {"constant": "Purchase"},
        "amount": "Revenue",
        "timezone": "Europe/London",
    }
    policy = {"invalid_amounts": "drop"}
    frame, expected, query, report = _both(path, mapping=mapping, policy=policy)
    assert isinstance(query, EventsQuery)
    assert _entries(report) == _entries(expected)
    events = query.to_pandas().sort_values("timestamp", ignore_index=True)
    assert events["customer_id"].tolist() == [12346, 12346]
    assert str(events["customer_id"].dtype) == "int64"
    assert events["timestamp"].tolist() == frame["timestamp"].sort_values().tolist()
    assert events["event_type"].tolist() == ["purchase", "purchase"]


def test_what_sql_cannot_match_goes_to_pandas_with_one_info_entry(tmp_path, caplog):
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "timestamp": ["03/01/2024 10:00", "04/01/2024 11:00"],  # not ISO 8601
            "event_type": ["purchase", "view"],
            "amount": [5.0, np.nan],
        }
    )
    frame.to_csv(tmp_path / "events.csv", index=False)
    with caplog.at_level("INFO", logger="metaseg"):
        events, report = read_events_engine(tmp_path / "events.csv")
    assert isinstance(events, pd.DataFrame)
    fallback = [e for e in report if "read with pandas, not DuckDB" in e.reason]
    assert len(fallback) == 1 and "ISO 8601" in fallback[0].reason
    assert "read with pandas, not DuckDB" in caplog.text
    expected, plain = read_events(tmp_path / "events.csv")
    pd.testing.assert_frame_equal(events, expected)
    assert _entries(report)[:-1] == _entries(plain)


def test_cleaning_steps_and_clock_changes_go_to_pandas(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "timestamp": pd.to_datetime(["2024-03-31 01:30", "2024-04-02 10:00"]),
            "event_type": ["purchase", "view"],
            "amount": [5.0, np.nan],
        }
    )
    frame.to_parquet(tmp_path / "events.parquet", index=False)
    cleaned = {"clean": [{"drop": "duplicates"}]}
    events, report = read_events_engine(tmp_path / "events.parquet", cleaned)
    assert isinstance(events, pd.DataFrame)
    assert any("cleaning steps" in e.reason for e in report)
    with pytest.raises(DataError, match="daylight-saving"):
        read_events_engine(tmp_path / "events.parquet", {"timezone": "Europe/London"})
    shifted, report = read_events_engine(
        tmp_path / "events.parquet",
        {"timezone": "Europe/London"},
        policy={"ambiguous_times": "shift"},
    )
    assert isinstance(shifted, pd.DataFrame)
    assert any("daylight-saving" in e.reason for e in report if e.action == "info")


@pytest.mark.filterwarnings("ignore::metaseg.exceptions.DataQualityWarning")
def test_a_list_of_files_and_an_earlier_cut(files):
    parts = sorted((files / "parts").iterdir())
    query, report = read_events_engine(parts, policy=LENIENT, as_of=AS_OF)
    whole, _ = read_events_engine(files / "parts", policy=LENIENT, as_of=AS_OF)
    assert len(query) == len(whole)
    pandas_report = _both(files / "parts", policy=LENIENT, as_of=AS_OF)[1]
    assert _entries(report)[1:] == _entries(pandas_report)[1:]  # the first names the source
    earlier = query.before(pd.Timestamp("2024-01-06", tz="UTC"))
    events = earlier.to_pandas()
    assert len(earlier) == len(events) > 0
    assert (events["timestamp"] < pd.Timestamp("2024-01-06", tz="UTC")).all()
    expected, _ = read_events(files / "events.parquet", policy=LENIENT, as_of=AS_OF)
    early = expected[expected["timestamp"] < pd.Timestamp("2024-01-06", tz="UTC")]
    assert len(events) == len(early)
