"""Custom facts on Spark: the same SQL, the same values as DuckDB."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts
from metaseg.spark import compute_facts_spark

from .conftest import AS_OF, EVENT_COLUMNS, NO_PYSPARK, spark_frame

pytest.importorskip("pyspark", reason=NO_PYSPARK)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

CUSTOM = {
    "fashion_bought_30d": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "category", "op": "==", "value": "fashion"},
        "window_days": 30,
    },
    "x_views": {
        "aggregate": "count",
        "event_type": "view",
        "where": {"column": "product_id", "op": "starts_with", "value": "X"},
    },
    "sale_spend_90d": {
        "aggregate": "sum",
        "of": "amount",
        "event_type": "purchase",
        "where": {
            "all": [
                {"column": "on_sale", "op": "==", "value": True},
                {"not": {"column": "channel", "op": "in", "value": ["store"]}},
            ]
        },
        "window_days": 90,
    },
    "products": {"aggregate": "count_distinct", "of": "product_id"},
    "largest": {
        "aggregate": "max",
        "of": "amount",
        "where": {"column": "amount", "op": "between", "value": [10, 500]},
    },
    "smallest": {"aggregate": "min", "of": "amount", "event_type": "purchase"},
    "last_x": {
        "aggregate": "last_time",
        "where": {"column": "product_id", "op": "contains", "value": "X"},
    },
    "days_since_x": {
        "aggregate": "days_since",
        "where": {"column": "product_id", "op": "ends_with", "value": "1"},
    },
    "fashion_share": {"ratio": ["fashion_bought_30d", "purchases_30d"]},
    "x_after_first": {"difference": ["last_x", "first_seen"]},
    "net_sale": {"difference": ["sale_spend_90d", "monetary"]},
}


def _events(shop: Any) -> pd.DataFrame:
    events = shop.events[[*EVENT_COLUMNS, "channel"]].copy()
    rng = np.random.default_rng(7)
    products = np.array(["X1", "X2", "Y1", "Z", None], dtype=object)
    events["product_id"] = rng.choice(products, len(events))
    events["on_sale"] = rng.random(len(events)) < 0.3
    return events


def test_spark_custom_facts_equal_duckdb(spark: Any, shop: Any) -> None:
    events = _events(shop)
    expected = compute_facts(events, shop.customers, as_of=AS_OF, custom=CUSTOM)
    got = compute_facts_spark(
        spark,
        spark_frame(spark, events),
        spark_frame(spark, shop.customers),
        as_of=AS_OF,
        custom=CUSTOM,
    )
    actual = got.toPandas().sort_values("customer_id", ignore_index=True)
    assert list(actual.columns) == list(expected.columns)
    assert actual["customer_id"].tolist() == expected["customer_id"].tolist()
    for name in CUSTOM:
        want, have = expected[name], actual[name]
        if name == "last_x":
            have = pd.to_datetime(have).dt.tz_localize("UTC")
            assert (want.isna() == have.isna()).all()
            assert (want.dropna().to_numpy() == have.dropna().to_numpy()).all()
        else:
            np.testing.assert_allclose(
                have.to_numpy(dtype="float64"),
                want.to_numpy(dtype="float64"),
                rtol=1e-9,
                atol=1e-9,
                equal_nan=True,
                err_msg=name,
            )
        assert want.notna().any() and (want.dropna() != 0).any(), name


def test_spark_checks_columns_like_duckdb(spark: Any, shop: Any) -> None:
    events = spark_frame(spark, _events(shop).head(50))
    bad = {"f": {"aggregate": "count", "where": {"column": "product", "op": "==", "value": "X"}}}
    with pytest.raises(ConfigError, match=r"'f' reads the events column 'product'.*product_id"):
        compute_facts_spark(spark, events, as_of=AS_OF, custom=bad)
