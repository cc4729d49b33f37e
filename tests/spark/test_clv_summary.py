"""The repeat-purchase summary SQL gives the same values in Spark as in DuckDB."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from metaseg.facts.clv_summary import compute_repeat_summary, repeat_summary_sql
from metaseg.facts.sql import AS_OF_PARAMETER

from .conftest import NO_PYSPARK

pytest.importorskip("pyspark", reason=NO_PYSPARK)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def test_spark_summary_equals_duckdb(spark: Any, spark_events: Any, shop: Any) -> None:
    import pandas as pd

    as_of = pd.Timestamp("2025-09-30", tz="UTC")
    spark_events.createOrReplaceTempView("clv_events")
    sql = repeat_summary_sql(7, events_relation="clv_events", dialect="spark")
    as_of_us = int(as_of.value // 1000)
    got = (
        spark.sql(sql, args={AS_OF_PARAMETER: as_of_us})
        .toPandas()
        .sort_values("customer_id", ignore_index=True)
    )
    want = compute_repeat_summary(shop.events, as_of=as_of, time_unit_days=7)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert (want["frequency"] > 0).sum() > 20
    assert got["frequency"].astype("int64").tolist() == want["frequency"].tolist()
    for column in ["recency", "T", "monetary_value", "first_purchase_value"]:
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float),
            want[column].to_numpy(dtype=float),
            rtol=1e-12,
            equal_nan=True,
            err_msg=column,
        )


def test_spark_clv_facts_equal_pandas(
    spark: Any, spark_events: Any, spark_facts: Any, shop: Any
) -> None:
    from metaseg.clv import CLVSettings, add_clv_facts, clv_fact_columns, fit_clv_model
    from metaseg.facts import compute_facts
    from metaseg.spark import add_clv_facts_spark

    from .conftest import AS_OF, EVENT_COLUMNS

    events = shop.events[EVENT_COLUMNS]
    facts = compute_facts(events, shop.customers, as_of=AS_OF)
    clv = fit_clv_model(events, facts, CLVSettings(horizons=(30, 365), discount_rate=0.1))
    want = add_clv_facts(facts, events, clv)
    got = (
        add_clv_facts_spark(spark, spark_facts, spark_events, clv, as_of=AS_OF)
        .toPandas()
        .sort_values("customer_id", ignore_index=True)
    )
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert (want["frequency"] == 0).any()  # customers without a purchase are covered too
    for column in clv_fact_columns((30, 365)):
        np.testing.assert_allclose(got[column], want[column], rtol=1e-9, err_msg=column)
