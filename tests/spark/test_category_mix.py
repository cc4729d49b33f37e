"""Category-mix facts on Spark equal those of DuckDB."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from metaseg.facts import compute_facts

from .conftest import AS_OF, EVENT_COLUMNS, NO_PYSPARK

pytest.importorskip("pyspark", reason=NO_PYSPARK)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.mark.parametrize(("basis", "uncategorised"), [("spend", "other"), ("views", "exclude")])
def test_category_mix_on_spark_equals_duckdb(
    spark: Any, shop: Any, spark_events: Any, basis: str, uncategorised: str
) -> None:
    from metaseg.spark import compute_facts_spark

    mix = {"top": 3, "basis": basis, "uncategorised": uncategorised}
    want = compute_facts(shop.events[EVENT_COLUMNS], as_of=AS_OF, category_mix=mix)
    got_df = compute_facts_spark(spark, spark_events, as_of=AS_OF, category_mix=mix)
    record = want.attrs["category_mix"]
    # the same categories learned, recorded in the column metadata
    assert got_df.schema["mix_other"].metadata["category_mix"] == record
    got = got_df.toPandas().sort_values("customer_id", ignore_index=True)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert got_df.columns[-len(record["columns"]) :] == record["columns"]
    np.testing.assert_allclose(
        got[record["columns"]].to_numpy(dtype="float64"),
        want[record["columns"]].to_numpy(dtype="float64"),
        rtol=1e-9,
        atol=1e-12,
        equal_nan=True,
    )
    assert want[record["columns"]].isna().all(axis=1).any()  # customers without basis
    fixed = compute_facts_spark(
        spark,
        spark_events,
        as_of=AS_OF,
        category_mix={**mix, "categories": record["categories"][::-1]},
    )
    assert sorted(fixed.columns[-4:]) == sorted(record["columns"])
