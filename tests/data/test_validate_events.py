from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.data import ValidationPolicy, validate_events
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning


def validate(df, **kwargs):
    """Validate without letting an expected DataQualityWarning leak into the test output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return validate_events(df, **kwargs)


def test_valid_frame_gets_standard_dtypes(events_frame):
    before = events_frame.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events, report = validate_events(events_frame)
    assert str(events["customer_id"].dtype) == "int64"
    assert events["customer_id"].tolist() == [12346, 12346, 12347, 12348, 12348]
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"
    assert events["timestamp"].iloc[0] == pd.Timestamp("2011-01-03 09:00", tz="UTC")
    assert events["event_type"].dtype == "str"
    assert events["amount"].dtype == np.float64
    assert np.isnan(events["amount"].iloc[3])  # a view may have no amount
    assert len(report) == 0
    pd.testing.assert_frame_equal(events_frame, before)  # input untouched


def test_missing_required_column_lists_columns_and_close_matches(events_frame):
    broken = events_frame.rename(columns={"amount": "amounts", "customer_id": "CustomerID"})
    with pytest.raises(DataError) as err:
        validate_events(broken)
    message = str(err.value)
    assert "missing required column(s) ['customer_id', 'amount']" in message
    assert "'amount' might be 'amounts'" in message
    assert "'customer_id' might be 'CustomerID'" in message
    assert "Columns present: ['CustomerID', 'amounts', 'event_type', 'timestamp']" in message
    assert "mapping" in message  # says how to fix


def test_not_a_frame_is_refused():
    with pytest.raises(DataError, match="must be a pandas DataFrame, got dict"):
        validate_events({"customer_id": [1]})


def test_duplicated_column_names_are_refused(events_frame):
    doubled = pd.concat([events_frame, events_frame[["amount"]]], axis=1)
    with pytest.raises(DataError, match=r"duplicated column names \['amount'\]"):
        validate_events(doubled)


# -- customer ids ----------------------------------------------------------------------


def test_null_customer_ids_dropped_counted_and_warned(events_frame):
    df = events_frame.assign(customer_id=[12346.0, None, 12347.0, np.nan, 12348.0])
    with pytest.warns(DataQualityWarning, match="dropped 2 of 5 rows") as caught:
        events, report = validate_events(df)
    assert caught[0].filename == __file__  # stacklevel points at the caller
    assert events["customer_id"].tolist() == [12346, 12347, 12348]
    assert events.index.tolist() == [0, 1, 2]
    [entry] = report.entries
    assert (entry.action, entry.rows, entry.column) == ("dropped", 2, "customer_id")
    assert entry.examples == (1, 3)  # the row labels


def test_null_customer_ids_error_by_policy(events_frame):
    df = events_frame.assign(customer_id=["a", "", None, "b", "  "])
    with pytest.raises(DataError) as err:
        validate_events(df, policy={"null_customer_ids": "error"})
    message = str(err.value)
    assert "'customer_id'" in message and "3 of 5 rows" in message
    assert "[1, 2, 4]" in message
    assert "null_customer_ids='drop'" in message


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        (pd.array([1, 2, 3, 4, 5], dtype="Int64"), [1, 2, 3, 4, 5]),
        (["1", "2", "3", "4", "5.0"], [1, 2, 3, 4, 5]),
        (["1", "2", "3", "4", "A5"], ["1", "2", "3", "4", "A5"]),
        (["01", "2", "3", "4", "5"], ["01", "2", "3", "4", "5"]),
        ([1.0, 2.0, 3.5, 4.0, 5.0], ["1.0", "2.0", "3.5", "4.0", "5.0"]),
    ],
)
def test_customer_id_is_int64_only_when_every_id_is_integral(events_frame, ids, expected):
    events, _ = validate(events_frame.assign(customer_id=ids))
    assert events["customer_id"].tolist() == expected
    kind = "int64" if isinstance(expected[0], int) else "str"
    assert str(events["customer_id"].dtype) == kind


# -- event types -----------------------------------------------------------------------


def test_event_types_are_lower_cased_and_recorded(events_frame):
    df = events_frame.assign(event_type=["Purchase", " REFUND ", "purchase", "View", "purchase"])
    events, report = validate(df)
    assert events["event_type"].tolist() == ["purchase", "refund", "purchase", "view", "purchase"]
    [entry] = report.entries
    assert (entry.action, entry.rows, entry.column) == ("changed", 3, "event_type")


def test_categorical_event_types_come_out_as_text(events_frame):
    df = events_frame.assign(event_type=events_frame["event_type"].astype("category"))
    events, _ = validate(df)
    assert events["event_type"].dtype == "str"
    assert events["event_type"].tolist() == events_frame["event_type"].tolist()


def test_null_event_type_is_an_error(events_frame):
    df = events_frame.assign(event_type=["purchase", None, "view", "view", "purchase"])
    with pytest.raises(DataError, match=r"'event_type' is null in 1 rows \(row labels \[1\]\)"):
        validate_events(df)


# -- amounts ---------------------------------------------------------------------------


def test_non_numeric_amounts_error(events_frame):
    df = events_frame.assign(amount=["20", "5,5", "£13", None, "7.25"])
    with pytest.raises(DataError) as err:
        validate_events(df)
    message = str(err.value)
    assert "'amount'" in message and "2 non-numeric values" in message
    assert "['5,5', '£13']" in message
    assert "invalid_amounts='drop'" in message


def test_non_numeric_amounts_dropped_by_policy(events_frame):
    df = events_frame.assign(amount=["20", "5,5", "13.5", None, "7.25"])
    events, report = validate(df, policy={"invalid_amounts": "drop"})
    assert events["amount"].tolist()[:2] == [20.0, 13.5]
    assert report.dropped("non-numeric amount") == 1
    assert report.entries[0].examples == ("5,5",)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_or_infinite_amount_on_a_purchase_errors(events_frame, bad):
    df = events_frame.assign(amount=[20.0, 5.0, bad, np.nan, 7.25])
    with pytest.raises(DataError) as err:
        validate_events(df)
    message = str(err.value)
    assert "missing or infinite on 1 purchase/refund events" in message
    assert ("inf: 1" if np.isinf(bad) else "NaN: 1") in message
    assert "row labels [2]" in message


def test_missing_amounts_on_purchases_dropped_by_policy(events_frame):
    df = events_frame.assign(amount=[20.0, np.nan, 13.5, np.nan, np.inf])
    events, report = validate(df, policy={"invalid_amounts": "drop"})
    # the view keeps its NaN amount; the refund (NaN) and the purchase (inf) go
    assert events["event_type"].tolist() == ["purchase", "purchase", "view"]
    assert report.dropped("missing or infinite amount") == 2


def test_infinite_amount_on_a_view_is_invalid_too(events_frame):
    df = events_frame.assign(amount=[20.0, 5.0, 13.5, np.inf, 7.25])
    with pytest.raises(DataError, match="missing or infinite on 1"):
        validate_events(df)


def test_negative_amounts_become_refunds(events_frame):
    df = events_frame.assign(amount=[20.0, -5.0, -13.5, np.nan, 7.25], quantity=[1, -1, -2, 0, 3])
    events, report = validate(df)
    assert events["event_type"].tolist() == ["purchase", "refund", "refund", "view", "purchase"]
    assert events["amount"].tolist()[:3] == [20.0, 5.0, 13.5]
    assert events["quantity"].tolist() == [1.0, 1.0, 2.0, 0.0, 3.0]
    changed = {e.reason: e.rows for e in report if e.action == "changed"}
    assert changed == {
        "negative amount: event_type set to refund and amount made positive": 1,
        "negative refund amount made positive": 1,
    }
    assert report.rows_dropped == 0


def test_negative_amounts_error_by_policy(events_frame):
    df = events_frame.assign(amount=[20.0, -5.0, -13.5, np.nan, 7.25])
    with pytest.raises(DataError) as err:
        validate_events(df, policy=ValidationPolicy(negative_amounts="error"))
    message = str(err.value)
    assert "'amount' is negative on 2 purchase/refund events" in message
    assert "[-5.0, -13.5]" in message
    assert "negative_amounts='refund'" in message


def test_negative_amount_on_a_view_is_an_error(events_frame):
    df = events_frame.assign(amount=[20.0, 5.0, 13.5, -1.0, 7.25])
    with pytest.raises(DataError, match=r"negative on 1 events of type\(s\) \['view'\]"):
        validate_events(df)


def test_quantity_must_be_numeric(events_frame):
    df = events_frame.assign(quantity=["1", "2", "x", None, "3"])
    with pytest.raises(DataError, match=r"'quantity' has 1 non-numeric values, e.g. \['x'\]"):
        validate_events(df)


# -- timestamps ------------------------------------------------------------------------


def test_unparseable_timestamps_error(events_frame):
    df = events_frame.assign(timestamp=["2011-01-03", "soon", "2011-02-01", None, "2011-03-02"])
    with pytest.raises(DataError) as err:
        validate_events(df)
    message = str(err.value)
    assert "'timestamp' has 2 missing or unparseable timestamps" in message
    assert "'soon'" in message and "row labels [1, 3]" in message
    assert "timestamp_format" in message and "invalid_timestamps='drop'" in message


def test_unparseable_timestamps_dropped_by_policy(events_frame):
    df = events_frame.assign(timestamp=["2011-01-03", "soon", "2011-02-01", "", "2011-03-02"])
    events, report = validate(df, policy={"invalid_timestamps": "drop"})
    assert len(events) == 3
    assert report.dropped("unparseable timestamp") == 2


def test_timestamp_format_reads_day_first_dates(events_frame):
    days = ["03/01/2011 09:00", "04/01/2011 10:30", "01/02/2011 12:00", "01/03/2011", "02/03/2011"]
    days[3] = "01/03/2011 08:15"
    days[4] = "02/03/2011 17:45"
    events, _ = validate(events_frame.assign(timestamp=days), timestamp_format="%d/%m/%Y %H:%M")
    expected, _ = validate(events_frame)
    assert events["timestamp"].tolist() == expected["timestamp"].tolist()


def test_numbers_are_not_timestamps(events_frame):
    with pytest.raises(DataError, match=r"holds numbers \(int64\).*unit='s'"):
        validate_events(events_frame.assign(timestamp=[1, 2, 3, 4, 5]))


def test_naive_timestamps_are_read_in_the_given_zone(events_frame):
    summer = events_frame.assign(timestamp=pd.to_datetime(["2011-07-01 12:00"] * 5))
    events, _ = validate(summer, timezone="Europe/London")
    assert events["timestamp"].iloc[0] == pd.Timestamp("2011-07-01 11:00", tz="UTC")


def test_aware_timestamps_are_converted_to_utc(events_frame):
    aware = pd.to_datetime(["2011-07-01 12:00"] * 5).tz_localize("Asia/Tokyo")
    events, _ = validate(events_frame.assign(timestamp=aware), timezone="Europe/London")
    assert events["timestamp"].iloc[0] == pd.Timestamp("2011-07-01 03:00", tz="UTC")
    assert str(events["timestamp"].dtype).endswith("UTC]")


MIXED = [
    "2011-01-03 09:00+01:00",
    "2011-01-03 09:00Z",
    "2011-01-03 09:00",
    "2011-01-03 09:00+0000",
    "2011-01-03T09:00:00-05:00",
]


def test_mixed_time_zones_are_normalised_to_utc(events_frame):
    events, report = validate(events_frame.assign(timestamp=MIXED))
    hours = [t.hour for t in events["timestamp"]]
    assert hours == [8, 9, 9, 9, 14]
    [entry] = report.entries
    assert entry.action == "info" and entry.rows == 5
    assert "+00:00 (2 rows)" in entry.reason and "no offset (1 rows)" in entry.reason


def test_mixed_time_zones_read_naive_texts_in_the_configured_zone(events_frame):
    events, _ = validate(events_frame.assign(timestamp=MIXED), timezone="America/New_York")
    assert events["timestamp"].iloc[2] == pd.Timestamp("2011-01-03 14:00", tz="UTC")


def test_mixed_time_zones_error_by_policy(events_frame):
    with pytest.raises(DataError) as err:
        validate_events(events_frame.assign(timestamp=MIXED), policy={"mixed_timezones": "error"})
    message = str(err.value)
    assert "'timestamp' mixes time zones" in message
    assert "+01:00 (1 rows)" in message and "-05:00 (1 rows)" in message
    assert "no offset (1 rows)" in message
    assert "mixed_timezones='convert'" in message


def test_python_datetimes_in_different_zones_are_mixed(events_frame):
    stamps = [
        pd.Timestamp("2011-01-03 09:00", tz="Europe/Paris").to_pydatetime(),
        pd.Timestamp("2011-01-03 09:00", tz="UTC").to_pydatetime(),
    ] * 2 + [pd.Timestamp("2011-01-03 09:00", tz="UTC").to_pydatetime()]
    df = events_frame.assign(timestamp=pd.Series(stamps, dtype=object))
    events, _ = validate(df)
    assert [t.hour for t in events["timestamp"]] == [8, 9, 8, 9, 9]
    with pytest.raises(DataError, match="mixes time zones"):
        validate_events(df, policy={"mixed_timezones": "error"})


def test_daylight_saving_gaps_error_by_default(events_frame):
    df = events_frame.assign(
        timestamp=["2011-03-27 01:30", "2011-10-30 01:30"] + ["2011-05-01"] * 3
    )
    with pytest.raises(DataError) as err:
        validate_events(df, timezone="Europe/London")
    message = str(err.value)
    assert "2 naive local time(s)" in message and "'Europe/London'" in message
    assert "2011-03-27 01:30:00" in message and "ambiguous_times='shift'" in message


def test_daylight_saving_gaps_shifted_by_policy(events_frame):
    df = events_frame.assign(
        timestamp=["2011-03-27 01:30", "2011-10-30 01:30"] + ["2011-05-01"] * 3
    )
    events, report = validate(df, timezone="Europe/London", policy={"ambiguous_times": "shift"})
    # skipped 01:30 moves forward to 02:00 BST (01:00 UTC); repeated 01:30 is the BST one
    assert events["timestamp"].iloc[0] == pd.Timestamp("2011-03-27 01:00", tz="UTC")
    assert events["timestamp"].iloc[1] == pd.Timestamp("2011-10-30 00:30", tz="UTC")
    assert report.rows_changed == 2


# -- as_of -----------------------------------------------------------------------------


def test_events_after_as_of_are_dropped(events_frame):
    events, report = validate(events_frame, as_of="2011-02-01 12:00")
    assert len(events) == 3
    assert report.dropped("after as_of") == 2
    assert report.entries[0].column == "timestamp"


def test_customers_whose_every_event_is_after_as_of_are_counted_by_reason(events_frame):
    # customer 12348 has two events, both after 2011-02-01 12:00
    events, report = validate(events_frame, as_of="2011-02-01 12:00")
    assert 12348 not in set(events["customer_id"])
    assert report.rows_dropped == 2  # rows and customers are counted apart
    assert report.customers_dropped == 1
    [entry] = [e for e in report if e.unit == "customers"]
    assert entry.action == "dropped" and entry.column == "customer_id"
    assert entry.examples == (12348,)
    assert entry.reason == (
        "every event after as_of (2011-02-01 12:00:00+00:00): customer left with no event, "
        "no label unless the customers table lists it"
    )
    assert "2 rows dropped, 0 changed, 1 customers left with no event" in str(report)


def test_every_customer_is_kept_or_counted_once_under_its_reason():
    frame = pd.DataFrame(
        {
            "customer_id": ["0000001", "0000002", "0000002", "0000003", "0000004", "0000004"],
            "timestamp": [
                "2024-01-01",
                "2024-03-01",
                "2024-01-02",
                "2024-03-02",
                "not a date",
                "2024-03-03",
            ],
            "event_type": "purchase",
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    with pytest.warns(DataQualityWarning) as caught:
        events, report = validate_events(
            frame, as_of="2024-02-01", policy={"invalid_timestamps": "drop"}
        )
    assert sorted(set(events["customer_id"])) == ["0000001", "0000002"]
    assert report.customers_by_reason() == {
        "every event after as_of (2024-02-01 00:00:00+00:00): customer left with no event, "
        "no label unless the customers table lists it": 1,
        "every event dropped, for more than one of the reasons above: customer left with no "
        "event, no label unless the customers table lists it": 1,
    }
    assert events["customer_id"].nunique() + report.customers_dropped == 4
    message = str(caught[0].message)
    assert "and 2 customers lost every event" in message
    assert "every event after as_of (2024-02-01 00:00:00+00:00): 1" in message


def test_naive_as_of_is_read_in_the_zone(events_frame):
    # 12:00 in New York is 17:00 UTC: the 2011-02-01 12:00 UTC event is before it
    events, _ = validate(events_frame, as_of="2011-02-01 12:00", timezone="America/New_York")
    assert len(events) == 3
    events, _ = validate(events_frame, as_of="2011-02-01 11:59", timezone="UTC")
    assert len(events) == 2


def test_events_after_as_of_error_by_policy(events_frame):
    with pytest.raises(DataError) as err:
        validate_events(events_frame, as_of="2011-02-15", policy={"after_as_of": "error"})
    message = str(err.value)
    assert "2 events after as_of=2011-02-15 00:00:00+00:00" in message
    assert "latest at 2011-03-02 17:45:00+00:00" in message
    assert "after_as_of='drop'" in message


def test_bad_as_of_is_a_config_error(events_frame):
    with pytest.raises(ConfigError, match="as_of must be a date or timestamp, got 'next week'"):
        validate_events(events_frame, as_of="next week")


def test_a_row_is_reported_once_for_its_first_problem(events_frame):
    df = events_frame.assign(
        customer_id=[None, 1.0, 2.0, 3.0, 4.0],
        timestamp=["garbage", "2011-01-04", "2011-02-01", "2011-03-01", "2011-03-02"],
    )
    events, report = validate(df, policy={"invalid_timestamps": "drop"})
    assert len(events) == 4
    assert [(e.reason, e.rows) for e in report] == [("null or empty customer_id", 1)]


def test_drops_keep_other_columns_aligned(events_frame):
    df = events_frame.assign(
        customer_id=[1.0, None, 3.0, 4.0, 5.0], channel=["a", "b", "c", "d", "e"]
    )
    events, _ = validate(df, as_of="2011-03-01 23:00")
    assert events["channel"].tolist() == ["a", "c", "d"]
    assert events["customer_id"].tolist() == [1, 3, 4]
    assert events.columns.tolist()[:4] == ["customer_id", "timestamp", "event_type", "amount"]


def test_unknown_time_zone_is_a_config_error(events_frame):
    with pytest.raises(
        ConfigError, match=r"timezone: unknown time zone 'Europe/Pariss'.*'Europe/Paris'"
    ):
        validate_events(events_frame, timezone="Europe/Pariss")


def test_second_resolution_timestamps_come_out_in_microseconds(events_frame):
    stamps = pd.to_datetime(events_frame["timestamp"]).astype("datetime64[s]")
    events, _ = validate(events_frame.assign(timestamp=stamps))
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"


def test_empty_table_keeps_the_standard_dtypes():
    empty = pd.DataFrame(
        {
            c: pd.Series([], dtype=object)
            for c in ["customer_id", "timestamp", "event_type", "amount"]
        }
    )
    events, report = validate(empty)
    assert len(events) == 0 and len(report) == 0
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"
    assert events["amount"].dtype == np.float64
