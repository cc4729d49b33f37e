"""The repeat-purchase summary the buy-till-you-die models read, in portable SQL.

BG/NBD and Gamma-Gamma (Fader, Hardie & Lee 2005) read three numbers per customer, with
the conventions of the CDNOW studies:

``frequency``
    repeat purchases: distinct purchase *days* after the first one (several purchases of
    one customer on one UTC calendar day count once);
``recency``
    time from the first purchase day to the last one (0 with no repeat purchase);
``T``
    time from the first purchase day (its start, 00:00 UTC) to ``as_of``;
``monetary_value``
    the mean value of the repeat purchase days (the sum of the purchase amounts of each
    day after the first, averaged over those days); NaN with no repeat purchase, or when
    none of those days has an amount. The first day's value is left out, as in the
    Gamma-Gamma papers.

Times are in units of ``time_unit_days`` days (7: weeks, as published for CDNOW). Only
purchases at or before ``as_of`` count, so ``as_of`` is the end of the calibration
period. Refunds and other event types are ignored. Customers without a purchase have no
row; :mod:`metaseg.clv` gives them documented values.

The query is the same plain SQL for DuckDB and Spark (:func:`repeat_summary_sql` with
``dialect="spark"``); ``as_of`` is a bound parameter and the time unit a validated number.
"""

from __future__ import annotations

import math
from typing import Any, Final

import pandas as pd

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts.params import check_threads, parse_as_of, to_epoch_us
from metaseg.facts.registry import US_PER_DAY, sql_literal
from metaseg.facts.sources import EventsInput, attach_events
from metaseg.facts.sql import AS_OF_PARAMETER, _dialect

#: Columns of the summary, after ``customer_id``.
SUMMARY_COLUMNS: Final = ("frequency", "recency", "T", "monetary_value", "first_purchase_value")


def check_time_unit(time_unit_days: Any) -> float:
    """Validate the summary's time unit in days (a positive, finite number).

    Examples
    --------
    >>> check_time_unit(7)
    7.0
    """
    if isinstance(time_unit_days, bool) or not isinstance(time_unit_days, int | float):
        raise ConfigError(
            f"time_unit_days must be a positive number of days (7 for weeks), got "
            f"{time_unit_days!r}."
        )
    value = float(time_unit_days)
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(
            f"time_unit_days must be a positive number of days (7 for weeks), got {value!r}."
        )
    return value


def repeat_summary_sql(
    time_unit_days: float = 7.0,
    *,
    events_relation: str = "events",
    dialect: str = "duckdb",
) -> str:
    """Return the SQL of the repeat-purchase summary (one row per purchasing customer).

    It reads the standard events from ``events_relation`` and takes one bound parameter,
    ``as_of_us`` (``as_of`` in epoch microseconds, UTC).

    Parameters
    ----------
    time_unit_days : float
        Length of the time unit of ``recency`` and ``T`` in days (7: weeks).
    events_relation : str
        Table or view name, quoted by the dialect.
    dialect : {"duckdb", "spark"}

    Examples
    --------
    >>> sql = repeat_summary_sql(7)
    >>> "$as_of_us" in sql and '"frequency"' in sql
    True
    """
    unit = check_time_unit(time_unit_days) * US_PER_DAY
    d = _dialect(dialect)
    q = d.identifier
    as_of = d.parameter(AS_OF_PARAMETER)
    ts = f"{d.epoch_us}({q(schema.TIMESTAMP)})"
    day = f"CAST(FLOOR(CAST({ts} AS DOUBLE) / {US_PER_DAY}) AS BIGINT)"
    return (
        "WITH purchase_days AS (\n"
        f"  SELECT {q(schema.CUSTOMER_ID)} AS cid, {day} AS day,\n"
        f"         SUM(CAST({q(schema.AMOUNT)} AS DOUBLE)) AS day_value\n"
        f"  FROM {q(events_relation)}\n"
        f"  WHERE {q(schema.EVENT_TYPE)} = {sql_literal(schema.PURCHASE)} AND {ts} <= {as_of}\n"
        "  GROUP BY 1, 2\n"
        "),\n"
        "firsts AS (\n"
        "  SELECT cid, MIN(day) AS first_day FROM purchase_days GROUP BY cid\n"
        ")\n"
        f"SELECT p.cid AS {q(schema.CUSTOMER_ID)},\n"
        "       CAST(COUNT(*) - 1 AS BIGINT) AS " + q("frequency") + ",\n"
        f"       CAST((MAX(p.day) - f.first_day) * {US_PER_DAY} AS DOUBLE) / {unit!r} AS "
        + q("recency")
        + ",\n"
        f"       (CAST({as_of} AS DOUBLE) - CAST(f.first_day * {US_PER_DAY} AS DOUBLE)) "
        f"/ {unit!r} AS " + q("T") + ",\n"
        "       SUM(CASE WHEN p.day > f.first_day THEN p.day_value END)\n"
        "         / NULLIF(COUNT(CASE WHEN p.day > f.first_day AND p.day_value IS NOT NULL "
        "THEN 1 END), 0) AS " + q("monetary_value") + ",\n"
        "       MAX(CASE WHEN p.day = f.first_day THEN p.day_value END) AS "
        + q("first_purchase_value")
        + "\n"
        "FROM purchase_days p JOIN firsts f ON p.cid = f.cid\n"
        "GROUP BY p.cid, f.first_day"
    )


def compute_repeat_summary(
    events: EventsInput,
    *,
    as_of: Any,
    time_unit_days: float = 7.0,
    threads: int | None = None,
) -> pd.DataFrame:
    """Compute the repeat-purchase summary of every customer with a purchase, with DuckDB.

    Parameters
    ----------
    events : DataFrame, path, or list of paths
        Standard events (see CONTRIBUTING.md), in memory or as Parquet.
    as_of : date-like
        End of the calibration period; later purchases are ignored. A naive value is UTC.
    time_unit_days : float
        Time unit of ``recency`` and ``T`` in days (default 7: weeks).
    threads : int, optional
        DuckDB worker threads.

    Returns
    -------
    DataFrame
        ``customer_id`` and :data:`SUMMARY_COLUMNS`, sorted by ``customer_id``;
        ``attrs["as_of"]`` and ``attrs["time_unit_days"]`` record the settings.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15 00:00", "2024-01-08 00:00"], utc=True),
    ...     "event_type": ["purchase"] * 4,
    ...     "amount": [10.0, 5.0, 30.0, 20.0],
    ... })
    >>> compute_repeat_summary(events, as_of="2024-01-29")[["customer_id", "frequency", "recency", "T"]]
       customer_id  frequency  recency    T
    0            1          1      2.0  4.0
    1            2          0      0.0  3.0
    """
    import duckdb

    unit = check_time_unit(time_unit_days)
    stamp = parse_as_of(as_of)
    threads = check_threads(threads)
    config: dict[str, Any] = {"preserve_insertion_order": False}
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    try:
        attach_events(con, events)
        try:
            raw = con.execute(repeat_summary_sql(unit), {AS_OF_PARAMETER: to_epoch_us(stamp)}).df()
        except duckdb.Error as err:
            raise DataError(
                f"DuckDB could not compute the repeat-purchase summary: {err}. Check that "
                "the events follow the standard events contract (CONTRIBUTING.md)."
            ) from err
    finally:
        con.close()
    summary = raw.sort_values(schema.CUSTOMER_ID, kind="stable", ignore_index=True)
    summary["frequency"] = summary["frequency"].astype("int64")
    for column in SUMMARY_COLUMNS[1:]:
        summary[column] = summary[column].astype("float64")
    if isinstance(events, pd.DataFrame):
        summary[schema.CUSTOMER_ID] = summary[schema.CUSTOMER_ID].astype(
            events[schema.CUSTOMER_ID].dtype
        )
    summary.attrs["as_of"] = stamp
    summary.attrs["time_unit_days"] = unit
    return summary
