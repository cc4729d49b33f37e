"""Customer facts on Spark, from the same fact registry and SQL generator as DuckDB.

:func:`compute_facts_spark` registers the events (and customers) as temporary views,
runs ``metaseg.facts.facts_sql(..., dialect="spark")`` with ``as_of`` as a bound
parameter, turns the epoch-microsecond timestamps back into Spark timestamps and joins
the customer attributes. The result has the columns and meaning of
:func:`metaseg.facts.compute_facts`; it is a lazy Spark DataFrame (nothing is computed
until an action).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts.custom import CustomFacts, parse_custom_facts
from metaseg.facts.custom_check import resolve_custom_facts
from metaseg.facts.custom_sql import registry_kinds
from metaseg.facts.params import check_windows, parse_as_of, to_epoch_us
from metaseg.facts.registry import DEFAULT_WINDOWS, FACTS, duration_units, fact_columns
from metaseg.facts.sql import facts_parameters, facts_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_INSTALL_HINT = 'install the Spark extra: pip install "metaseg[spark]"'


def require_pyspark() -> Any:
    """Import and return ``pyspark``, or raise an ImportError saying how to install it."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - exercised only without pyspark
        raise ImportError(f"metaseg.spark needs pyspark; {_INSTALL_HINT}.") from exc
    return pyspark


def compute_facts_spark(
    spark: SparkSession,
    events: DataFrame,
    customers: DataFrame | None = None,
    *,
    as_of: Any,
    windows: Iterable[int] = DEFAULT_WINDOWS,
    durations: str | Mapping[str, str] | None = None,
    custom: CustomFacts | dict[str, Any] | None = None,
) -> DataFrame:
    """Compute one row of facts per customer on Spark.

    Parameters
    ----------
    spark : SparkSession
        The session that runs the query.
    events : pyspark.sql.DataFrame
        Standard events: ``customer_id`` (integer or string), ``timestamp``
        (``TIMESTAMP``), ``event_type`` (string), ``amount`` (numeric), optional
        ``order_id`` and ``category``.
    customers : pyspark.sql.DataFrame, optional
        ``customer_id`` (unique, same kind of type as in ``events``) plus attributes,
        joined beside the facts as they are; ``signup_at`` (``TIMESTAMP``) sets
        ``tenure_days``. Customers without events get counts of 0 and NaN durations.
    as_of : str, datetime or Timestamp
        The moment facts are computed at (a naive value is read as UTC); events after
        it are ignored. Unlike :func:`~metaseg.facts.compute_facts` there is no
        default: finding the latest event would scan the events once more.
    windows : iterable of int
        Window lengths in days of the ``*_{w}d`` facts.
    durations : str or mapping, optional
        How duration facts count days, ``fractional`` (default) or ``whole_days``, as
        in :func:`~metaseg.facts.compute_facts`.
    custom : CustomFacts or mapping, optional
        Custom facts (:mod:`metaseg.facts.custom`), computed by the same SQL as on
        DuckDB, after the registry's facts.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, the facts of :func:`metaseg.facts.describe_facts`
        (``first_seen`` and ``last_seen`` as timestamps) and the customer attributes,
        in no particular row order.

    Raises
    ------
    DataError
        A required column is missing or has the wrong type, ``customer_id`` differs in
        kind between the tables, or customers are duplicated.
    ConfigError
        ``as_of`` or ``windows`` is invalid.

    Examples
    --------
    >>> facts = compute_facts_spark(spark, events_df, as_of="2025-12-31")  # doctest: +SKIP
    >>> facts.select("customer_id", "frequency", "recency_days").show(3)  # doctest: +SKIP
    """
    require_pyspark()
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import functions as F

    if not isinstance(events, SparkDataFrame):
        raise DataError(
            f"events must be a pyspark.sql.DataFrame of standard events, got "
            f"{type(events).__name__}; for pandas DataFrames use metaseg.facts.compute_facts."
        )
    windows = check_windows(windows)
    if as_of is None:
        raise ConfigError("as_of is required on Spark; pass as_of='YYYY-MM-DD'.")
    as_of_us = to_epoch_us(parse_as_of(as_of))
    event_types = _check_events(events)
    custom = parse_custom_facts(custom)
    resolved = resolve_custom_facts(custom, _value_kinds(event_types), registry_kinds(windows))
    units = duration_units(durations, [f.name for f in resolved if f.kind == "duration"])
    has_customers = customers is not None
    has_signup = False
    if customers is not None:
        if not isinstance(customers, SparkDataFrame):
            raise DataError(
                f"customers must be a pyspark.sql.DataFrame, got {type(customers).__name__}."
            )
        has_signup = _check_customers(
            customers, event_types[schema.CUSTOMER_ID], fact_columns(windows) + custom.names()
        )

    token = uuid.uuid4().hex
    events_view, customers_view = f"metaseg_events_{token}", f"metaseg_customers_{token}"
    sql = facts_sql(
        windows,
        has_order_id=schema.ORDER_ID in event_types,
        has_category=schema.CATEGORY in event_types,
        has_customers=has_customers,
        has_signup_at=has_signup,
        events_relation=events_view,
        customers_relation=customers_view,
        dialect="spark",
        order_by_customer=False,
        durations=units,
        custom=resolved,
    )
    events.createOrReplaceTempView(events_view)
    if customers is not None:
        customers.createOrReplaceTempView(customers_view)
    try:
        raw = spark.sql(sql, args=facts_parameters(as_of_us, resolved))
    finally:
        # the query's plan is analysed already: the views are no longer needed
        spark.catalog.dropTempView(events_view)
        if customers is not None:
            spark.catalog.dropTempView(customers_view)

    timestamps = {fact.name for fact in FACTS if fact.kind == "timestamp"}
    timestamps |= {fact.name for fact in resolved if fact.kind == "timestamp"}
    columns = [F.col(f"`{schema.CUSTOMER_ID}`")]
    for name in fact_columns(windows) + custom.names():
        column = F.col(f"`{name}`")
        if name in timestamps:
            column = F.timestamp_micros(column).alias(name)
        columns.append(column)
    facts = raw.select(*columns)
    if customers is not None:
        attributes = [c for c in customers.columns if c != schema.CUSTOMER_ID]
        if attributes:
            facts = facts.join(customers, on=schema.CUSTOMER_ID, how="left")
    return facts


def _spark_kind(data_type: Any) -> str:
    """Classify a Spark type: ``integer``, ``number``, ``string``, ``timestamp`` or other."""
    from pyspark.sql import types as T

    if isinstance(data_type, T.IntegralType):
        return "integer"
    if isinstance(data_type, T.FractionalType):
        return "number"
    if isinstance(data_type, T.StringType):
        return "string"
    if isinstance(data_type, T.TimestampType):
        return "timestamp"
    return data_type.simpleString()


def _value_kinds(kinds: dict[str, str]) -> dict[str, str]:
    """Spark column kinds as custom facts see them: text, number, bool, timestamp, other."""
    names = {"integer": "number", "number": "number", "string": "text", "boolean": "bool"}
    return {
        column: names.get(kind, kind if kind == "timestamp" else "other")
        for column, kind in kinds.items()
    }


_EVENT_KINDS = {
    schema.CUSTOMER_ID: ({"integer", "string"}, "an integer or string"),
    schema.TIMESTAMP: ({"timestamp"}, "a TIMESTAMP (use F.to_timestamp on text)"),
    schema.EVENT_TYPE: ({"string"}, "a string"),
    schema.AMOUNT: ({"integer", "number"}, "numeric"),
}


def _check_events(events: DataFrame) -> dict[str, str]:
    """Check the events' columns and types; return column name to kind."""
    kinds = {field.name: _spark_kind(field.dataType) for field in events.schema.fields}
    for column, (allowed, wanted) in _EVENT_KINDS.items():
        if column not in kinds:
            raise DataError(
                f"events have no {column!r} column.{did_you_mean(column, kinds)} Columns: "
                f"{available(kinds)}. Rename or map the source columns to the standard "
                "events (see CONTRIBUTING.md)."
            )
        if kinds[column] not in allowed:
            raise DataError(
                f"events column {column!r} has Spark type {kinds[column]!r}; it must be "
                f"{wanted}. Cast it before computing the facts."
            )
    return kinds


def _check_customers(customers: DataFrame, event_id_kind: str, names: list[str]) -> bool:
    """Check the customers table; return whether it has ``signup_at``."""
    from pyspark.sql import functions as F

    kinds = {field.name: _spark_kind(field.dataType) for field in customers.schema.fields}
    if schema.CUSTOMER_ID not in kinds:
        raise DataError(
            f"customers have no {schema.CUSTOMER_ID!r} column."
            f"{did_you_mean(schema.CUSTOMER_ID, kinds)} Columns: {available(kinds)}."
        )
    if kinds[schema.CUSTOMER_ID] != event_id_kind:
        raise DataError(
            f"customers.{schema.CUSTOMER_ID} is {kinds[schema.CUSTOMER_ID]!r} but "
            f"events.{schema.CUSTOMER_ID} is {event_id_kind!r}; cast one so both have the "
            "same type, or the customers would not match their events."
        )
    clashes = [c for c in kinds if c != schema.CUSTOMER_ID and c in names]
    if clashes:
        raise DataError(
            f"customers column(s) {preview(clashes)} have the names of facts; rename them."
        )
    signup = kinds.get(schema.SIGNUP_AT)
    if signup is not None and signup != "timestamp":
        raise DataError(
            f"customers column {schema.SIGNUP_AT!r} has Spark type {signup!r}; it must be a "
            "TIMESTAMP. Cast it with F.to_timestamp."
        )
    repeated = (
        customers.groupBy(schema.CUSTOMER_ID).count().where(F.col("count") > 1).limit(5).collect()
    )
    if repeated:
        raise DataError(
            f"customers must have one row per {schema.CUSTOMER_ID}, but some repeat, e.g. "
            f"{preview([row[0] for row in repeated], 5)}. Deduplicate the customers."
        )
    return signup is not None
