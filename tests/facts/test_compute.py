"""compute_facts on small tables whose facts are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts, describe_facts

AS_OF = "2024-03-31"
T = pd.Timestamp


def _events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "event_type", "amount", "order_id", "category"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["amount"] = frame["amount"].astype("float64")
    return frame


@pytest.fixture
def shop() -> pd.DataFrame:
    """Customer 1 buys three orders; 2 only views; 3 only refunds; 5 only adds to cart."""
    nan = float("nan")
    return _events(
        [
            (1, "2024-01-01 00:00", "purchase", 10.0, "o1", "toys"),
            (1, "2024-01-01 00:00", "purchase", 20.0, "o1", "books"),
            (1, "2024-03-01 00:00", "purchase", 30.0, "o2", "toys"),
            (1, "2024-03-25 12:00", "purchase", 40.0, "o3", "toys"),
            (1, "2024-03-25 12:00", "add_to_cart", nan, None, "toys"),
            (1, "2024-03-26 00:00", "refund", 5.0, "o3", None),
            (1, "2024-03-28 00:00", "add_to_cart", nan, None, "toys"),
            (1, "2024-03-30 00:00", "view", nan, None, "books"),
            (1, "2024-04-02 00:00", "purchase", 1000.0, "o4", "toys"),  # after as_of
            (2, "2024-03-30 00:00", "view", nan, None, None),
            (2, "2024-03-31 00:00", "view", nan, None, None),  # exactly at as_of
            (3, "2024-03-10 00:00", "refund", 15.0, None, None),
            (5, "2024-03-20 00:00", "add_to_cart", nan, None, "garden"),
            (5, "2024-03-21 06:00", "add_to_cart", nan, None, "garden"),
            (6, "2024-04-01 00:00", "view", nan, None, None),  # only after as_of
        ]
    )


def test_buyer_facts_by_hand(shop):
    facts = compute_facts(shop, as_of=AS_OF).set_index("customer_id")
    buyer = facts.loc[1]
    assert buyer["first_seen"] == T("2024-01-01", tz="UTC")
    assert buyer["last_seen"] == T("2024-03-30", tz="UTC")
    assert buyer["recency_days"] == 5.5  # 2024-03-25 12:00 -> 2024-03-31
    assert buyer["days_since_last_event"] == 1.0
    assert buyer["tenure_days"] == 90.0  # 31 + 29 + 30 days, from the first event
    assert buyer["frequency"] == 3
    assert buyer["n_purchases"] == 4
    assert (buyer["n_views"], buyer["n_add_to_cart"], buyer["n_refunds"]) == (1, 2, 1)
    assert buyer["gross_revenue"] == 100.0
    assert buyer["monetary"] == 95.0
    assert buyer["avg_order_value"] == pytest.approx(100.0 / 3)
    assert buyer["mean_days_between_orders"] == 42.25  # 84.5 days over 2 gaps
    assert buyer["refund_rate"] == 0.05
    # the cart at the time of the last purchase counts as before it
    assert buyer["carts_since_last_purchase"] == 1
    assert buyer["days_since_last_cart"] == 3.0
    assert buyer["days_since_last_view"] == 1.0
    # 5 events in toys, 2 in books (the refund has no category)
    assert buyer["n_categories"] == 2
    assert buyer["top_category_share"] == pytest.approx(5 / 7)


def test_windows_are_open_at_the_start_and_closed_at_as_of(shop):
    facts = compute_facts(shop, as_of=AS_OF).set_index("customer_id")
    buyer = facts.loc[1]
    # (03-24, 03-31]: the 03-25 order
    assert (buyer["purchases_7d"], buyer["revenue_7d"]) == (1, 40.0)
    # (03-01, 03-31]: the order at exactly 03-01 00:00 is out
    assert (buyer["purchases_30d"], buyer["revenue_30d"]) == (1, 40.0)
    # (01-01, 03-31]: both lines at exactly 01-01 00:00 are out
    assert (buyer["purchases_90d"], buyer["revenue_90d"]) == (2, 70.0)
    assert (buyer["purchases_365d"], buyer["revenue_365d"]) == (4, 100.0)
    assert (buyer["add_to_cart_7d"], buyer["views_7d"]) == (2, 1)
    # an event exactly at as_of is in every window
    assert facts.loc[2, "views_7d"] == 2


def test_browser_refunder_and_carter_by_hand(shop):
    facts = compute_facts(shop, as_of=AS_OF).set_index("customer_id")
    browser = facts.loc[2]
    assert browser["frequency"] == 0 and browser["n_views"] == 2
    assert browser["days_since_last_view"] == 0.0 and browser["days_since_last_event"] == 0.0
    for name in (
        "recency_days",
        "avg_order_value",
        "mean_days_between_orders",
        "refund_rate",
        "top_category_share",
        "days_since_last_cart",
    ):
        assert math.isnan(browser[name]), name
    assert browser["gross_revenue"] == 0.0 and browser["n_categories"] == 0

    refunder = facts.loc[3]
    assert refunder["monetary"] == -15.0 and refunder["gross_revenue"] == 0.0
    assert refunder["n_refunds"] == 1 and math.isnan(refunder["refund_rate"])

    carter = facts.loc[5]
    assert carter["carts_since_last_purchase"] == 2  # no purchase: all of them
    assert carter["days_since_last_cart"] == 9.75  # 03-21 06:00 -> 03-31
    assert (carter["n_categories"], carter["top_category_share"]) == (1, 1.0)


def test_no_leakage_from_events_after_as_of(shop):
    facts = compute_facts(shop, as_of=AS_OF)
    assert 6 not in facts["customer_id"].tolist()  # known only after as_of
    assert facts["last_seen"].max() <= T(AS_OF, tz="UTC")
    assert facts.attrs["events_after_as_of"] == 2
    # changing or dropping the later events changes nothing
    later = shop["timestamp"] > T(AS_OF, tz="UTC")
    changed = shop.copy()
    changed.loc[later, "amount"] = 1e9
    changed.loc[later, "event_type"] = "refund"
    pd.testing.assert_frame_equal(compute_facts(changed, as_of=AS_OF), facts)
    pd.testing.assert_frame_equal(compute_facts(shop[~later], as_of=AS_OF), facts)


def test_output_layout_and_dtypes(shop):
    facts = compute_facts(shop, as_of=AS_OF, windows=(30, 7))
    names = describe_facts(windows=(30, 7))["name"].tolist()
    assert facts.columns.tolist() == ["customer_id", *names]
    assert facts["customer_id"].tolist() == [1, 2, 3, 5]
    assert facts["customer_id"].dtype == shop["customer_id"].dtype
    assert str(facts["first_seen"].dtype) == "datetime64[us, UTC]"
    assert facts["frequency"].dtype == np.int64 and facts["purchases_30d"].dtype == np.int64
    assert facts["recency_days"].dtype == np.float64 and facts["revenue_7d"].dtype == np.float64
    assert T(facts.attrs["as_of"]) == T(AS_OF, tz="UTC")
    assert facts.attrs["windows"] == (30, 7)
    assert facts.index.equals(pd.RangeIndex(4))


def test_customers_without_events_and_attributes(shop):
    customers = pd.DataFrame(
        {
            "customer_id": [5, 4, 1],
            "signup_at": pd.to_datetime(["2023-03-31", "2024-03-01", None], utc=True),
            "region": pd.Series(["south", "north", "east"], dtype="str"),
            "age": [41, 23, 35],
        }
    )
    report = DataReport()
    facts = compute_facts(shop, customers, as_of=AS_OF, report=report).set_index("customer_id")
    assert facts.index.tolist() == [1, 2, 3, 4, 5]
    newcomer = facts.loc[4]
    assert newcomer["tenure_days"] == 30.0  # signup 2024-03-01
    assert newcomer["frequency"] == 0 and newcomer["n_views"] == 0
    assert newcomer["gross_revenue"] == 0.0 and newcomer["n_categories"] == 0
    assert pd.isna(newcomer["first_seen"]) and math.isnan(newcomer["days_since_last_event"])
    assert newcomer["region"] == "north" and newcomer["age"] == 23
    assert facts.loc[5, "tenure_days"] == 366.0  # from signup_at, 2024 is a leap year
    assert facts.loc[1, "tenure_days"] == 90.0  # signup unknown: from the first event
    assert pd.isna(facts.loc[2, "region"])  # has events, not in customers
    assert facts["region"].dtype == "str"
    reasons = {entry.reason: entry.rows for entry in report}
    assert reasons["customers without events (counts 0, durations NaN)"] == 1
    assert reasons["customers with events but not in customers (attributes NaN)"] == 2
    late_rows = [e.rows for e in report if "after as_of" in e.reason and e.unit == "rows"]
    assert late_rows == [2]
    # customer 6 has only an event after as_of and is not in customers: counted, not lost
    assert report.customers_by_reason() == {
        "every event after as_of (2024-03-31 00:00:00+00:00) and not in customers: customer "
        "left with no event, no facts and no label": 1
    }


def test_signup_after_as_of_gives_nan_tenure(shop):
    customers = pd.DataFrame(
        {"customer_id": [2], "signup_at": pd.to_datetime(["2024-04-15"], utc=True)}
    )
    report = DataReport()
    facts = compute_facts(shop, customers, as_of=AS_OF, report=report).set_index("customer_id")
    assert math.isnan(facts.loc[2, "tenure_days"])
    assert (
        report.to_frame()
        .set_index("reason")
        .loc["customers signed up after as_of (tenure_days NaN)", "rows"]
        == 1
    )


def test_without_order_id_each_purchase_is_an_order(shop):
    facts = compute_facts(shop.drop(columns="order_id"), as_of=AS_OF).set_index("customer_id")
    assert facts.loc[1, "frequency"] == 4
    assert facts.loc[1, "avg_order_value"] == 25.0
    assert facts.loc[1, "mean_days_between_orders"] == pytest.approx(84.5 / 3)


def test_purchase_without_order_id_is_its_own_order(shop):
    events = shop.copy()
    events.loc[events["order_id"] == "o2", "order_id"] = None
    extra = _events([(1, "2024-03-02 00:00", "purchase", 1.0, None, None)])
    facts = compute_facts(pd.concat([events, extra]), as_of=AS_OF).set_index("customer_id")
    assert facts.loc[1, "frequency"] == 4  # o1, o3 and two purchases without an id


def test_without_category(shop):
    facts = compute_facts(shop.drop(columns="category"), as_of=AS_OF)
    assert (facts["n_categories"] == 0).all()
    assert facts["top_category_share"].isna().all()


def test_str_and_categorical_columns(shop):
    events = shop.assign(
        customer_id=("c" + shop["customer_id"].astype(str)).astype("str"),
        event_type=shop["event_type"].astype("category"),
    )
    facts = compute_facts(events, as_of=AS_OF)
    assert facts["customer_id"].tolist() == ["c1", "c2", "c3", "c5"]
    assert facts["customer_id"].dtype == "str"
    assert facts.loc[0, "frequency"] == 3


def test_categorical_ids_keep_their_dtype(shop):
    events = shop.assign(customer_id=shop["customer_id"].astype("category"))
    facts = compute_facts(events, as_of=AS_OF)
    assert isinstance(facts["customer_id"].dtype, pd.CategoricalDtype)
    assert facts["customer_id"].tolist() == [1, 2, 3, 5]


def test_naive_as_of_is_utc_and_other_zones_are_converted(shop):
    naive = compute_facts(shop, as_of="2024-03-31 00:00")
    paris = compute_facts(shop, as_of=T("2024-03-31 01:00", tz="Europe/Paris"))
    pd.testing.assert_frame_equal(naive, paris)
    assert T(paris.attrs["as_of"]) == T(AS_OF, tz="UTC")


def test_default_as_of_is_the_latest_event(shop):
    facts = compute_facts(shop)
    assert T(facts.attrs["as_of"]) == T("2024-04-02", tz="UTC")
    assert facts.attrs["events_after_as_of"] == 0
    assert 6 in facts["customer_id"].tolist()


def test_naive_event_timestamps_are_read_as_utc(shop):
    naive = shop.assign(timestamp=shop["timestamp"].dt.tz_localize(None))
    pd.testing.assert_frame_equal(
        compute_facts(naive, as_of=AS_OF), compute_facts(shop, as_of=AS_OF)
    )


def test_nanosecond_timestamps(shop):
    events = shop.assign(timestamp=shop["timestamp"].dt.as_unit("ns"))
    pd.testing.assert_frame_equal(
        compute_facts(events, as_of=AS_OF), compute_facts(shop, as_of=AS_OF)
    )


def test_empty_events_with_customers():
    events = _events([]).astype({"customer_id": "int64"})
    customers = pd.DataFrame({"customer_id": [3, 1]})
    facts = compute_facts(events, customers, as_of=AS_OF)
    assert facts["customer_id"].tolist() == [1, 3]
    assert (facts["n_purchases"] == 0).all() and facts["recency_days"].isna().all()


def test_empty_events_need_as_of():
    events = _events([]).astype({"customer_id": "int64"})
    with pytest.raises(ConfigError, match="as_of is needed"):
        compute_facts(events)


def test_threads_setting_gives_the_same_facts(shop):
    pd.testing.assert_frame_equal(
        compute_facts(shop, as_of=AS_OF, threads=1), compute_facts(shop, as_of=AS_OF)
    )


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_bad_threads(shop, threads):
    with pytest.raises(ConfigError, match="threads"):
        compute_facts(shop, threads=threads)


def test_null_ids_or_timestamps_are_refused(shop):
    events = shop.copy()
    events["customer_id"] = events["customer_id"].astype("float64")
    events.loc[0, "customer_id"] = np.nan
    with pytest.raises(DataError, match="customer_id"):
        compute_facts(events.astype({"customer_id": "Int64"}), as_of=AS_OF)
    events = shop.copy()
    events.loc[[0, 3], "timestamp"] = pd.NaT
    with pytest.raises(DataError, match=r"'timestamp' has 2 null value\(s\) out of 15"):
        compute_facts(events, as_of=AS_OF)


def test_customer_attributes_cannot_shadow_facts(shop):
    customers = pd.DataFrame({"customer_id": [1], "monetary": [3.0]})
    with pytest.raises(DataError, match="monetary"):
        compute_facts(shop, customers, as_of=AS_OF)


def test_duplicate_and_missing_customer_ids(shop):
    with pytest.raises(DataError, match=r"unique.*\[1\]"):
        compute_facts(shop, pd.DataFrame({"customer_id": [1, 1, 2]}), as_of=AS_OF)
    with pytest.raises(DataError, match="no column 'customer_id'.*Did you mean 'Customer_ID'"):
        compute_facts(shop, pd.DataFrame({"Customer_ID": [1]}), as_of=AS_OF)
    with pytest.raises(DataError, match="null"):
        compute_facts(shop, pd.DataFrame({"customer_id": [1.0, np.nan]}), as_of=AS_OF)


def test_ids_of_different_kinds_are_refused(shop):
    customers = pd.DataFrame({"customer_id": ["1", "2"]})
    with pytest.raises(DataError, match="BIGINT in events but VARCHAR in customers"):
        compute_facts(shop, customers, as_of=AS_OF)


def test_text_signup_at_is_refused(shop):
    customers = pd.DataFrame({"customer_id": [1], "signup_at": ["2024-01-01"]})
    with pytest.raises(DataError, match="signup_at.*pd.to_datetime"):
        compute_facts(shop, customers, as_of=AS_OF)


def test_integer_ids_of_different_widths_are_matched(shop):
    customers = pd.DataFrame({"customer_id": np.array([1, 4], dtype="int32")})
    facts = compute_facts(shop, customers, as_of=AS_OF)
    assert facts["customer_id"].tolist() == [1, 2, 3, 4, 5]
    assert facts["customer_id"].dtype == np.int64


def test_customers_whose_every_event_is_after_as_of_are_counted(shop):
    report = DataReport()
    facts = compute_facts(shop, as_of=AS_OF, report=report)
    assert 6 not in set(facts["customer_id"])
    assert facts.attrs["customers_after_as_of"] == 1
    assert report.customers_dropped == 1
    [entry] = [e for e in report if e.unit == "customers"]
    assert entry.action == "dropped" and entry.column == "customer_id"
    assert entry.examples == (6,)
    assert entry.reason.startswith("every event after as_of (2024-03-31 00:00:00+00:00):")
    assert "no label" in entry.reason
    assert "1 customers left with no event" in str(report)


def test_every_input_customer_is_labelled_or_counted_on_parquet_input(tmp_path):
    n = 2000
    events = pd.DataFrame(
        {
            "customer_id": [f"{i:07d}" for i in range(n)],
            "timestamp": pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(range(n), "h"),
            "event_type": "purchase",
            "amount": 1.0,
        }
    )
    events.loc[0, "timestamp"] = pd.Timestamp("2024-01-01", tz="UTC")
    path = tmp_path / "events.parquet"
    events.to_parquet(path)
    report = DataReport()
    facts = compute_facts(path, as_of="2024-02-01", report=report)
    assert facts["customer_id"].tolist() == ["0000000"]
    assert len(facts) + report.customers_dropped == n
    [entry] = [e for e in report if e.unit == "customers"]
    assert entry.rows == 1999 and entry.examples[:2] == ("0000001", "0000002")


def test_customers_listed_in_customers_are_kept_even_when_every_event_is_late(shop):
    report = DataReport()
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 5, 6]})
    facts = compute_facts(shop, customers, as_of=AS_OF, report=report)
    assert 6 in set(facts["customer_id"])
    assert report.customers_dropped == 0


def test_facts_saved_to_parquet_keep_their_as_of_and_label_the_same(tmp_path) -> None:
    import warnings

    from metaseg.datasets import make_shop
    from metaseg.model import MetaSegmenter

    shop = make_shop(800, seed=3, as_of="2025-12-31")
    facts = compute_facts(shop.events, shop.customers, as_of="2025-12-31 18:00")
    facts.to_parquet(tmp_path / "facts.parquet")
    again = pd.read_parquet(tmp_path / "facts.parquet")
    assert again.attrs["as_of"] == facts.attrs["as_of"]
    assert T(again.attrs["as_of"]) == T("2025-12-31 18:00", tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    columns = ["customer_id", "segment", "as_of"]
    pd.testing.assert_frame_equal(model.predict(again)[columns], model.labels_[columns])
