"""The DuckDB facts equal the plain pandas facts on randomised and real events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaseg.facts import compute_facts

from .conftest import AS_OF, DAY, WINDOWS
from .pandas_facts import reference_facts


def assert_same_facts(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)
    assert actual.attrs["as_of"] == expected.attrs["as_of"]
    assert actual.attrs["windows"] == expected.attrs["windows"]
    assert actual.attrs["events_after_as_of"] == expected.attrs["events_after_as_of"]


VARIANTS = [
    pytest.param({}, id="all-columns"),
    pytest.param({"order_id": False}, id="no-order-id"),
    pytest.param({"category": False}, id="no-category"),
    pytest.param({"order_id": False, "category": False}, id="no-optional"),
    pytest.param({"id_kind": "str"}, id="str-ids"),
    pytest.param({"type_dtype": "category"}, id="categorical-event-type"),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("variant", VARIANTS)
def test_duckdb_equals_pandas_on_random_events(make_events, seed, variant):
    events = make_events(seed, **variant)
    expected = reference_facts(events, as_of=AS_OF)
    actual = compute_facts(events, as_of=AS_OF)
    assert_same_facts(actual, expected)
    # the edge cases are really in the data
    assert (events["timestamp"] > AS_OF).any()
    assert (events["timestamp"] == AS_OF).any()
    assert (events["timestamp"] == AS_OF - pd.Timedelta(days=30)).any()


@pytest.mark.parametrize("variant", VARIANTS[:2] + VARIANTS[4:5])
def test_duckdb_equals_pandas_with_customers(make_events, make_customers, variant):
    events = make_events(7, **variant)
    customers = make_customers(events, 7)
    expected = reference_facts(events, customers, as_of=AS_OF, windows=(1, 45))
    actual = compute_facts(events, customers, as_of=AS_OF, windows=(1, 45))
    assert_same_facts(actual, expected)
    assert actual["customer_id"].isin(customers["customer_id"]).sum() == len(customers)


def test_duckdb_equals_pandas_with_default_as_of(make_events):
    events = make_events(3)
    actual = compute_facts(events)
    assert_same_facts(actual, reference_facts(events))
    assert pd.Timestamp(actual.attrs["as_of"]) == events["timestamp"].max()
    assert actual.attrs["events_after_as_of"] == 0


def test_duckdb_equals_pandas_on_a_later_as_of_with_naive_value(make_events):
    events = make_events(4)
    actual = compute_facts(events, as_of="2024-07-15 00:00")
    assert_same_facts(actual, reference_facts(events, as_of="2024-07-15 00:00"))
    assert pd.Timestamp(actual.attrs["as_of"]) == pd.Timestamp("2024-07-15", tz="UTC")


_offsets = st.sampled_from([0, 1, 3600, 7 * DAY, 30 * DAY, 30 * DAY + 1, 89 * DAY, 400 * DAY, -5])
_event = st.tuples(
    st.integers(0, 4),
    _offsets,
    st.sampled_from(["purchase", "view", "add_to_cart", "refund", "other"]),
    st.one_of(st.none(), st.floats(0, 500, allow_nan=False)),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    st.one_of(st.none(), st.sampled_from(["x", "y"])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_event, min_size=1, max_size=30), has_order=st.booleans())
def test_duckdb_equals_pandas_on_generated_tables(rows, has_order):
    frame = pd.DataFrame(
        rows, columns=["customer_id", "before", "event_type", "amount", "order_id", "category"]
    )
    frame["timestamp"] = AS_OF - pd.to_timedelta(frame.pop("before"), unit="s")
    frame["amount"] = frame["amount"].astype("float64")
    frame["order_id"] = frame["order_id"].astype("str")
    frame["category"] = frame["category"].astype("str")
    if not has_order:
        frame = frame.drop(columns="order_id")
    assert_same_facts(
        compute_facts(frame, as_of=AS_OF, windows=WINDOWS),
        reference_facts(frame, as_of=AS_OF, windows=WINDOWS),
    )


def test_duckdb_equals_pandas_on_rees46_events(shared_data):
    raw = pd.read_parquet(
        shared_data / "rees46_multicategory_events_sample" / "rees46_2019oct_first3h.parquet"
    )
    events = pd.DataFrame(
        {
            "customer_id": raw["user_id"],
            "timestamp": raw["event_time"].dt.tz_localize("UTC"),
            "event_type": raw["event_type"].replace({"cart": "add_to_cart"}),
            "amount": raw["price"].where(raw["event_type"] == "purchase"),
            "order_id": raw["user_session"],
            "category": raw["category_code"],
        }
    )
    actual = compute_facts(events, windows=(1,))
    assert_same_facts(actual, reference_facts(events, windows=(1,)))
    # the figures published in the dataset's README
    assert len(actual) == 4_504
    assert actual["n_views"].sum() == 17_055
    assert actual["n_add_to_cart"].sum() == 165
    assert actual["n_purchases"].sum() == 214


def test_duckdb_equals_pandas_on_online_retail_ii(shared_data):
    raw = pd.read_parquet(
        shared_data / "online_retail_ii" / "online_retail_ii.parquet",
        columns=["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID", "Sheet"],
    )
    raw = raw[(raw["Sheet"] == "Year 2010-2011") & raw["Customer ID"].notna()]
    refund = raw["Invoice"].str.startswith("C")
    events = pd.DataFrame(
        {
            "customer_id": raw["Customer ID"].astype("int64"),
            "timestamp": raw["InvoiceDate"].dt.tz_localize("UTC"),
            "event_type": np.where(refund, "refund", "purchase"),
            "amount": (raw["Quantity"] * raw["Price"]).abs(),
            "order_id": raw["Invoice"],
        }
    )
    actual = compute_facts(events, as_of="2011-12-10")
    assert_same_facts(actual, reference_facts(events, as_of="2011-12-10"))
    assert len(actual) == events["customer_id"].nunique()
    assert actual["frequency"].sum() == events.loc[~refund.to_numpy(), "order_id"].nunique()
