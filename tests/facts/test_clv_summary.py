"""The repeat-purchase summary: hand-worked cases, an independent pandas version, CDNOW."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.datasets import make_shop
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts.clv_summary import compute_repeat_summary, repeat_summary_sql


def _events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event_type", "amount"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def pandas_summary(events: pd.DataFrame, as_of: str, unit: float) -> pd.DataFrame:
    """The same summary written independently with pandas."""
    stamp = pd.Timestamp(as_of, tz="UTC")
    buys = events[(events["event_type"] == "purchase") & (events["timestamp"] <= stamp)].copy()
    buys["day"] = buys["timestamp"].dt.floor("D")
    days = buys.groupby(["customer_id", "day"], as_index=False)["amount"].sum(min_count=1)
    rows = []
    for cid, group in days.groupby("customer_id"):
        group = group.sort_values("day")
        first, last = group["day"].iloc[0], group["day"].iloc[-1]
        repeat = group["amount"].iloc[1:].dropna()
        rows.append(
            {
                "customer_id": cid,
                "frequency": len(group) - 1,
                "recency": (last - first) / pd.Timedelta(days=unit),
                "T": (stamp - first) / pd.Timedelta(days=unit),
                "monetary_value": repeat.mean() if len(repeat) else np.nan,
                "first_purchase_value": group["amount"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def test_purchase_days_not_events_count() -> None:
    events = _events(
        [
            (1, "2024-01-01 09:00", "purchase", 10.0),
            (1, "2024-01-01 21:30", "purchase", 5.0),  # same day: one purchase day of 15
            (1, "2024-01-08 10:00", "purchase", 30.0),
            (1, "2024-01-15 23:59", "purchase", 50.0),
            (1, "2024-01-20 10:00", "refund", 50.0),  # ignored
            (1, "2024-01-21 10:00", "view", np.nan),  # ignored
            (1, "2024-02-20 10:00", "purchase", 99.0),  # after as_of: ignored
            (2, "2024-01-10 12:00", "purchase", 20.0),
            (3, "2024-01-10 12:00", "view", np.nan),  # no purchase: no row
        ]
    )
    summary = compute_repeat_summary(events, as_of="2024-01-29", time_unit_days=7)
    assert summary["customer_id"].tolist() == [1, 2]
    one = summary.iloc[0]
    assert one["frequency"] == 2
    assert one["recency"] == pytest.approx(2.0)  # 14 days from the first day to the last
    assert one["T"] == pytest.approx(4.0)  # 28 days from the first day's start
    assert one["monetary_value"] == pytest.approx(40.0)  # mean of 30 and 50
    assert one["first_purchase_value"] == pytest.approx(15.0)
    two = summary.iloc[1]
    assert (two["frequency"], two["recency"]) == (0, 0.0)
    assert np.isnan(two["monetary_value"])
    assert summary.attrs["time_unit_days"] == 7.0


def test_time_unit_days() -> None:
    events = _events([(1, "2024-01-01", "purchase", 1.0), (1, "2024-01-11", "purchase", 2.0)])
    days = compute_repeat_summary(events, as_of="2024-01-21", time_unit_days=1)
    assert days[["recency", "T"]].iloc[0].tolist() == [10.0, 20.0]


def test_equals_pandas_on_a_synthetic_shop() -> None:
    shop = make_shop(n_customers=800, seed=3, as_of="2025-12-31")
    events = shop.events[["customer_id", "timestamp", "event_type", "amount"]]
    got = compute_repeat_summary(events, as_of="2025-10-01", time_unit_days=7)
    want = pandas_summary(events, "2025-10-01", 7)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert (got["frequency"] > 0).sum() > 50
    for column in ["frequency", "recency", "T", "monetary_value", "first_purchase_value"]:
        np.testing.assert_allclose(
            got[column], want[column].astype(float), rtol=1e-9, equal_nan=True, err_msg=column
        )


def test_cdnow_calibration_summary(shared_data) -> None:
    from metaseg.datasets.cdnow import CALIBRATION_END, PUBLISHED, load_cdnow

    summary = compute_repeat_summary(
        load_cdnow(shared_data / "cdnow_sample"), as_of=CALIBRATION_END
    )
    assert len(summary) == 2357
    assert int((summary["frequency"] > 0).sum()) == PUBLISHED["gamma_gamma"]["n_customers"]
    # customers of the Q1 1997 cohort are between 26 and 39 weeks old at the end of September
    assert summary["T"].between(26.0, 39.0).all()


def test_bad_settings_are_named() -> None:
    events = _events([(1, "2024-01-01", "purchase", 1.0)])
    with pytest.raises(ConfigError, match="time_unit_days"):
        compute_repeat_summary(events, as_of="2024-02-01", time_unit_days=0)
    with pytest.raises(ConfigError, match="time_unit_days"):
        repeat_summary_sql(True)
    with pytest.raises(DataError, match="timestamp"):
        compute_repeat_summary(events.drop(columns="timestamp"), as_of="2024-02-01")
