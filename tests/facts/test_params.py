"""Checks of windows, as_of and threads, through the public function."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts
from metaseg.facts.params import check_windows, parse_as_of, to_epoch_us


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ((7, 0), r"positive numbers of days.*got 0"),
        ((-3,), r"got -3"),
        ((7, 30, 7), r"distinct, got \[7\] more than once"),
        ((7.5,), r"whole numbers of days, got 7\.5 \(float\)"),
        (("7",), r"got '7' \(str\)"),
        ((True,), r"got True \(bool\)"),
        (30, r"sequence of whole numbers of days, got 30"),
        ("7,30", r"sequence of whole numbers of days, got '7,30'"),
        ((100_000,), r"up to 36500"),
    ],
)
def test_bad_windows_are_refused(make_events, windows, message):
    with pytest.raises(ConfigError, match=message):
        compute_facts(make_events(0), windows=windows)


def test_windows_accept_numpy_integers_and_keep_their_order():
    assert check_windows([np.int64(30), 7]) == (30, 7)
    assert check_windows(()) == ()


def test_no_windows_gives_no_window_facts(make_events):
    facts = compute_facts(make_events(0), windows=())
    assert not [c for c in facts.columns if c.endswith("d") and c[-2].isdigit()]
    assert facts.attrs["windows"] == ()


@pytest.mark.parametrize(
    "value",
    ["yesterday-ish", "2024-13-45", 3.5, ["2024-01-01"], None.__class__, True, "NaT"],
)
def test_unreadable_as_of_is_refused(make_events, value):
    with pytest.raises(ConfigError, match="as_of"):
        compute_facts(make_events(0), as_of=value)


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01",
        "2024-03-01T00:00:00Z",
        "2024-03-01T01:00:00+01:00",
        datetime.date(2024, 3, 1),
        datetime.datetime(2024, 3, 1),
        np.datetime64("2024-03-01T00:00"),
        pd.Timestamp("2024-02-29 19:00", tz="America/New_York"),
    ],
)
def test_as_of_forms_all_mean_the_same_instant(value):
    assert parse_as_of(value) == pd.Timestamp("2024-03-01", tz="UTC")
    assert str(parse_as_of(value).tz) == "UTC"


def test_epoch_microseconds():
    assert to_epoch_us(pd.Timestamp("1970-01-01 00:00:01.000002", tz="UTC")) == 1_000_002
    assert to_epoch_us(parse_as_of("2024-01-01")) == 1_704_067_200_000_000


@pytest.mark.parametrize("value", ["0001-01-01", "1677-09-21", "2262-04-12", "9999-12-31"])
def test_as_of_outside_the_computable_range_is_refused(value):
    with pytest.raises(ConfigError, match=rf"as_of '{value}' is outside.*1677-09-22 to 2262-04-11"):
        parse_as_of(value)


def test_as_of_at_the_edges_of_the_range_is_accepted():
    assert parse_as_of("1677-09-22").year == 1677
    assert parse_as_of("2262-04-11").year == 2262
