"""A local Spark session (one core, no UI, UTC) and a small synthetic shop for the Spark tests."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from metaseg.datasets import make_shop
from metaseg.facts import compute_facts

AS_OF = "2025-12-31"
#: Why the Spark tests skip when pyspark is absent (the CI installs the extra).
NO_PYSPARK = "pyspark is not installed; install the Spark extra: pip install -e '.[spark]'"
EVENT_COLUMNS = ["customer_id", "timestamp", "event_type", "amount", "order_id", "category"]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """``local[1]`` session without UI or network, in UTC; stopped at the end."""
    from pyspark.sql import SparkSession

    # the Python workers (pandas UDFs) must run in this environment, not the system one
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("metaseg-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.pyspark.python", sys.executable)  # workers use this environment
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shop() -> Any:
    """Customers, events and truth of a small shop (all six situations)."""
    return make_shop(n_customers=600, seed=4, as_of=AS_OF)


def spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A Spark DataFrame of ``frame`` with categoricals as plain strings."""
    casts = {c: "str" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return spark.createDataFrame(frame.astype(casts))


@pytest.fixture(scope="session")
def spark_events(spark: Any, shop: Any) -> Any:
    return spark_frame(spark, shop.events[EVENT_COLUMNS]).cache()


@pytest.fixture(scope="session")
def spark_customers(spark: Any, shop: Any) -> Any:
    return spark_frame(spark, shop.customers).cache()


@pytest.fixture(scope="session")
def duckdb_facts(shop: Any) -> pd.DataFrame:
    """The reference: the same facts computed by DuckDB from pandas."""
    return compute_facts(shop.events[EVENT_COLUMNS], shop.customers, as_of=AS_OF)


@pytest.fixture(scope="session")
def spark_facts(spark: Any, spark_events: Any, spark_customers: Any) -> Any:
    from metaseg.spark import compute_facts_spark

    return compute_facts_spark(spark, spark_events, spark_customers, as_of=AS_OF).cache()
