"""compute_facts_spark runs the registry's Spark SQL and agrees with DuckDB."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import FACTS, compute_facts, fact_columns
from metaseg.spark import compute_facts_spark

from .conftest import AS_OF, EVENT_COLUMNS, NO_PYSPARK, spark_frame

pytest.importorskip("pyspark", reason=NO_PYSPARK)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
TIMESTAMP_FACTS = {f.name for f in FACTS if f.kind == "timestamp"}
COUNT_FACTS = {f.name for f in FACTS if f.kind == "count"}


def _as_pandas(spark_df: Any) -> pd.DataFrame:
    return spark_df.toPandas().sort_values("customer_id", ignore_index=True)


def _assert_same_facts(expected: pd.DataFrame, spark_df: Any, columns: list[str]) -> None:
    actual = _as_pandas(spark_df)
    assert actual["customer_id"].tolist() == expected["customer_id"].tolist()
    for column in columns:
        want, got = expected[column], actual[column]
        if column in TIMESTAMP_FACTS:
            got = pd.to_datetime(got).dt.tz_localize("UTC")
            assert (want.isna() == got.isna()).all(), column
            assert (want.dropna().to_numpy() == got.dropna().to_numpy()).all(), column
        elif column in COUNT_FACTS:
            assert got.astype("int64").tolist() == want.tolist(), column
        else:
            np.testing.assert_allclose(
                got.to_numpy(dtype="float64"),
                want.to_numpy(dtype="float64"),
                rtol=1e-9,
                atol=1e-9,
                equal_nan=True,
                err_msg=column,
            )


def test_spark_facts_equal_duckdb_facts(spark_facts: Any, duckdb_facts: pd.DataFrame) -> None:
    assert spark_facts.columns == list(duckdb_facts.columns)
    _assert_same_facts(duckdb_facts, spark_facts, fact_columns())
    actual = _as_pandas(spark_facts)
    # customer attributes are joined as they are
    assert actual["region"].tolist() == duckdb_facts["region"].astype(str).tolist()
    assert actual["age"].tolist() == duckdb_facts["age"].tolist()
    # the synthetic shop has customers of every kind: buyers, browsers, multi-order ones
    assert (duckdb_facts["frequency"] >= 2).any() and (duckdb_facts["frequency"] == 0).any()


def test_spark_facts_without_optional_columns(spark: Any, shop: Any) -> None:
    """No order_id, no category, no customers, other windows: still the DuckDB facts."""
    events = shop.events[["customer_id", "timestamp", "event_type", "amount"]]
    cutoff = "2025-10-01"  # later events are ignored
    expected = compute_facts(events, as_of=cutoff, windows=(14, 60))
    got = compute_facts_spark(spark, spark_frame(spark, events), as_of=cutoff, windows=(14, 60))
    assert "purchases_14d" in got.columns and "purchases_30d" not in got.columns
    _assert_same_facts(expected, got, fact_columns((14, 60)))


def test_customers_without_events_are_kept(spark: Any, shop: Any) -> None:
    customers = shop.customers.head(5)
    known = set(customers["customer_id"])
    events = shop.events[EVENT_COLUMNS]
    events = events[events["customer_id"].isin(known) & (events["customer_id"] != 1)]
    facts = _as_pandas(
        compute_facts_spark(
            spark, spark_frame(spark, events), spark_frame(spark, customers), as_of=AS_OF
        )
    )
    assert sorted(facts["customer_id"]) == sorted(known)
    lonely = facts.set_index("customer_id").loc[1]
    assert lonely["n_purchases"] == 0 and np.isnan(lonely["recency_days"])
    assert lonely["tenure_days"] > 0  # from signup_at


def test_missing_column_is_named(spark: Any, shop: Any) -> None:
    events = shop.events[EVENT_COLUMNS].rename(columns={"event_type": "event_kind"})
    with pytest.raises(DataError, match=r"'event_type'.*Did you mean"):
        compute_facts_spark(spark, spark_frame(spark, events), as_of=AS_OF)


def test_text_timestamp_is_refused(spark: Any, shop: Any) -> None:
    events = shop.events[EVENT_COLUMNS].head(20)
    events = events.assign(timestamp=events["timestamp"].astype(str))
    with pytest.raises(DataError, match=r"'timestamp' has Spark type 'string'.*TIMESTAMP"):
        compute_facts_spark(spark, spark_frame(spark, events), as_of=AS_OF)


def test_duplicated_customers_are_refused(spark: Any, shop: Any, spark_events: Any) -> None:
    customers = pd.concat([shop.customers.head(3), shop.customers.head(1)])
    with pytest.raises(DataError, match="one row per customer_id"):
        compute_facts_spark(spark, spark_events, spark_frame(spark, customers), as_of=AS_OF)


def test_customer_id_kinds_must_match(spark: Any, shop: Any, spark_events: Any) -> None:
    customers = shop.customers.head(3).astype({"customer_id": "str"})
    with pytest.raises(DataError, match="cast one so both have the same type"):
        compute_facts_spark(spark, spark_events, spark_frame(spark, customers), as_of=AS_OF)


def test_bad_arguments(spark: Any, shop: Any, spark_events: Any) -> None:
    with pytest.raises(ConfigError, match="as_of is required"):
        compute_facts_spark(spark, spark_events, as_of=None)
    with pytest.raises(ConfigError, match="windows"):
        compute_facts_spark(spark, spark_events, as_of=AS_OF, windows=(0,))
    with pytest.raises(DataError, match="compute_facts"):
        compute_facts_spark(spark, shop.events, as_of=AS_OF)


@pytest.mark.parametrize(
    "durations", ["whole_days", {"recency_days": "whole_days", "tenure_days": "whole_days"}]
)
def test_spark_whole_day_durations_equal_duckdb(
    spark: Any, shop: Any, spark_events: Any, spark_customers: Any, durations: Any
) -> None:
    events = shop.events[EVENT_COLUMNS]
    # custom duration facts follow a global setting (a mapping names only built-in ones here)
    custom = {"days_since_view": {"aggregate": "days_since", "event_type": "view"}}
    expected = compute_facts(
        events, shop.customers, as_of=AS_OF, durations=durations, custom=custom
    )
    got = compute_facts_spark(
        spark, spark_events, spark_customers, as_of=AS_OF, durations=durations, custom=custom
    )
    _assert_same_facts(expected, got, [*fact_columns(), "days_since_view"])
    actual = _as_pandas(got)
    whole = [name for name, unit in expected.attrs["durations"].items() if unit == "whole_days"]
    assert "recency_days" in whole
    for name in whole:  # exactly equal, and whole numbers
        want = expected[name].to_numpy(dtype="float64")
        np.testing.assert_array_equal(actual[name].to_numpy(dtype="float64"), want, name)
        assert np.all(np.isnan(want) | (want == np.floor(want))), name
    fractional = compute_facts(events, shop.customers, as_of=AS_OF)
    assert (fractional["recency_days"] != expected["recency_days"]).any()
