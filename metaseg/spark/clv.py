"""The potential-value facts on Spark: the repeat-purchase summary in Spark SQL, then a
fitted :class:`~metaseg.clv.CLVModel` applied batch by batch.

Each customer's facts depend only on their own summary and the fitted parameters, so the
model (a handful of numbers) is shipped to the executors and applied with
``mapInPandas``; the values equal those of :func:`metaseg.clv.add_clv_facts`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from metaseg import schema
from metaseg.clv.model import CLVModel, clv_fact_columns
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts.clv_summary import repeat_summary_sql
from metaseg.facts.params import parse_as_of, to_epoch_us
from metaseg.facts.sql import AS_OF_PARAMETER
from metaseg.spark.facts import require_pyspark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def add_clv_facts_spark(
    spark: SparkSession, facts: DataFrame, events: DataFrame, clv: CLVModel, *, as_of: Any
) -> DataFrame:
    """Add the potential-value facts of a fitted model to a Spark DataFrame of facts.

    Parameters
    ----------
    spark : SparkSession
    facts : pyspark.sql.DataFrame
        From :func:`metaseg.spark.compute_facts_spark`; every customer gets the facts.
    events : pyspark.sql.DataFrame
        The standard events the facts were computed from.
    clv : CLVModel
        Fitted, e.g. ``load_champion(name).model.clv_`` (the model's own at scoring).
    as_of : date-like
        The facts' ``as_of``.

    Returns
    -------
    pyspark.sql.DataFrame
        ``facts`` with :func:`~metaseg.clv.clv_fact_columns` added.

    Examples
    --------
    It needs a Spark session, so the example is not run (``tests/spark`` runs it):

    >>> facts = add_clv_facts_spark(spark, facts, events, model.clv_, as_of="2025-12-31")  # doctest: +SKIP
    """
    require_pyspark()
    from pyspark.sql.types import DoubleType, StructField, StructType

    if not isinstance(clv, CLVModel) or not hasattr(clv, "bgnbd_"):
        raise ConfigError(
            f"clv must be a fitted metaseg.clv.CLVModel (a model's clv_), got {type(clv).__name__}."
        )
    if as_of is None:
        raise ConfigError("as_of is required on Spark; pass the facts' as_of.")
    names = clv_fact_columns(clv.horizons)
    clash = [n for n in names if n in facts.columns]
    if clash:
        raise DataError(f"facts already have the potential-value column(s) {clash}.")
    view = f"metaseg_clv_events_{uuid.uuid4().hex}"
    events.createOrReplaceTempView(view)
    try:
        summary = spark.sql(
            repeat_summary_sql(clv.time_unit_days, events_relation=view, dialect="spark"),
            args={AS_OF_PARAMETER: to_epoch_us(parse_as_of(as_of))},
        )
    finally:
        spark.catalog.dropTempView(view)
    ids = facts.select(schema.CUSTOMER_ID)
    joined = ids.join(summary, on=schema.CUSTOMER_ID, how="left")
    id_field = facts.schema[schema.CUSTOMER_ID]
    out_schema = StructType(
        [StructField(schema.CUSTOMER_ID, id_field.dataType, False)]
        + [StructField(name, DoubleType(), False) for name in names]
    )

    def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            bought = batch[batch["frequency"].notna()]
            yield clv.predict(bought, customer_ids=batch[schema.CUSTOMER_ID])

    values = joined.mapInPandas(apply, out_schema)
    return facts.join(values, on=schema.CUSTOMER_ID, how="left")
