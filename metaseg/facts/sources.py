"""Attach the events (a DataFrame or Parquet files) and the customers to a DuckDB connection.

Both kinds of events input end up as one relation named ``events``, so the same SQL
runs on either; the columns are then checked against the standard events contract
using the types DuckDB sees.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from metaseg import schema
from metaseg._frames import as_arrow, is_arrow
from metaseg._messages import available, did_you_mean, preview
from metaseg.data.engine_query import EventsQuery
from metaseg.exceptions import DataError
from metaseg.facts.params import to_epoch_us
from metaseg.facts.sql import AS_OF_PARAMETER, quote_identifier

if TYPE_CHECKING:
    import duckdb

EventsInput = pd.DataFrame | EventsQuery | str | os.PathLike | Sequence[str | os.PathLike]

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_NUMBER_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE"}
_TEXT_TYPES = frozenset({"VARCHAR"})
_MICROSECOND_TIMESTAMPS = frozenset({"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"})


def _is_integer(sql_type: str) -> bool:
    return sql_type in _INTEGER_TYPES


def _is_text(sql_type: str) -> bool:
    return sql_type in _TEXT_TYPES or sql_type.startswith("ENUM")


def _is_number(sql_type: str) -> bool:
    return sql_type in _NUMBER_TYPES or sql_type.startswith("DECIMAL")


def _is_timestamp(sql_type: str) -> bool:
    return sql_type.startswith("TIMESTAMP")


def _is_null(sql_type: str) -> bool:
    """DuckDB's type of a column that holds no value at all (e.g. an empty object column)."""
    return sql_type == '"NULL"'


def parquet_files(source: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """Resolve a Parquet file, a folder of Parquet files or a list of them to file paths.

    A folder contributes every ``*.parquet`` file below it, in sorted order.

    Examples
    --------
    >>> parquet_files([])
    Traceback (most recent call last):
    ...
    metaseg.exceptions.DataError: events: the list of Parquet paths is empty; give at least one file or folder.
    """
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise DataError(
            "events: the list of Parquet paths is empty; give at least one file or folder."
        )
    files: list[str] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise DataError(
                f"events: Parquet paths must be strings or paths, got {item!r} "
                f"({type(item).__name__})."
            )
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.parquet") if p.is_file())
            if not found:
                raise DataError(
                    f"events: the folder {str(path)!r} holds no *.parquet file; "
                    "check the path or write the events there first."
                )
            files.extend(str(p) for p in found)
        elif path.is_file():
            files.append(str(path))
        else:
            raise DataError(
                f"events: the Parquet path {str(path)!r} does not exist; check the path."
            )
    return files


def attach_events(
    con: duckdb.DuckDBPyConnection, events: Any, extra: Sequence[str] = ()
) -> dict[str, str]:
    """Make ``events`` available as the relation ``events``; return its column types.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the facts query will run on.
    events : DataFrame, pyarrow.Table, polars.DataFrame, EventsQuery, path, or list of paths
        Standard events in memory (Arrow and polars tables are read in place, without a
        copy), validated events left in their files
        (:class:`~metaseg.data.engine_query.EventsQuery`), or Parquet file(s) / folder(s)
        DuckDB reads directly.
    extra : sequence of str
        Other columns of a DataFrame to make available (those custom facts read); a
        Parquet source keeps all its columns.

    Returns
    -------
    dict
        Column name to DuckDB type name, in column order.
    """
    if isinstance(events, pd.DataFrame):
        wanted = [c for c in (*schema.EVENT_COLUMNS, *extra) if c in events.columns]
        wanted = list(dict.fromkeys(wanted))
        missing = [c for c in schema.EVENT_REQUIRED if c not in events.columns]
        if missing:
            raise _missing_column_error(missing[0], [str(c) for c in events.columns])
        con.register("events_source", events[wanted])
    elif is_arrow(events):
        # Arrow and polars tables are read by DuckDB where they are, without a copy
        table = as_arrow(events, "events")
        names = list(table.schema.names)
        missing = [c for c in schema.EVENT_REQUIRED if c not in names]
        if missing:
            raise _missing_column_error(missing[0], names)
        wanted = list(dict.fromkeys(c for c in (*schema.EVENT_COLUMNS, *extra) if c in names))
        con.register("events_source", table.select(wanted))
    elif isinstance(events, EventsQuery):
        # validated events still in their files: DuckDB maps, checks and reads them there
        events.attach(con, "events_source")
    elif isinstance(events, (str, os.PathLike, list, tuple)):
        import duckdb

        files = parquet_files(events)
        try:
            relation = con.read_parquet(files, union_by_name=len(files) > 1)
            relation.create_view("events_source")
        except duckdb.Error as err:
            raise DataError(
                f"events: the Parquet file(s) {preview(files, limit=3)} could not be read "
                f"({err}); check that they are Parquet files of standard events."
            ) from err
    else:
        raise DataError(
            "events must be a table of standard events (pandas, pyarrow or polars), or a "
            f"Parquet file, folder or list of files; got {type(events).__name__}."
        )
    types = _column_types(con, "events_source")
    check_event_types(types)
    # Parquet floats may hold NaN, which SQL sums would propagate: read it as missing,
    # as pandas does (DuckDB already reads a DataFrame's NaN as NULL).
    nan_as_null = not isinstance(events, pd.DataFrame) and types.get(schema.AMOUNT) in (
        "FLOAT",
        "DOUBLE",
    )
    _normalized_view(con, "events_source", "events", types, schema.TIMESTAMP, nan_as_null)
    return _column_types(con, "events")


def attach_customers(
    con: duckdb.DuckDBPyConnection, customers: pd.DataFrame, event_types: dict[str, str]
) -> dict[str, str]:
    """Register the customer ids (and ``signup_at``) as ``customers``; return their types.

    Raises ``DataError`` when the ids cannot be matched with the events' ids or
    ``signup_at`` does not hold timestamps.
    """
    wanted = [c for c in (schema.CUSTOMER_ID, schema.SIGNUP_AT) if c in customers.columns]
    con.register("customers_source", customers[wanted])
    types = _column_types(con, "customers_source")
    check_customer_types(event_types, types)
    _normalized_view(con, "customers_source", "customers", types, schema.SIGNUP_AT, False)
    return _column_types(con, "customers")


#: Types given to columns DuckDB sees as NULL (a column holding no value, e.g. in an
#: empty DataFrame), so that the facts SQL binds.
_TYPES_OF_EMPTY = {
    schema.TIMESTAMP: "TIMESTAMPTZ",
    schema.SIGNUP_AT: "TIMESTAMPTZ",
    schema.EVENT_TYPE: "VARCHAR",
    schema.AMOUNT: "DOUBLE",
    schema.ORDER_ID: "VARCHAR",
    schema.CATEGORY: "VARCHAR",
}


def _normalized_view(
    con: duckdb.DuckDBPyConnection,
    source: str,
    view: str,
    types: dict[str, str],
    timestamp: str,
    nan_as_null: bool,
) -> None:
    """Create ``view`` over ``source`` with the timestamp in microseconds, NaN amounts
    as NULL and NULL-typed columns typed; every name here is a constant of metaseg."""
    replace = []
    stamp = types.get(timestamp, "")
    if _is_timestamp(stamp) and stamp not in _MICROSECOND_TIMESTAMPS:
        target = "TIMESTAMPTZ" if "TIME ZONE" in stamp or "TZ" in stamp else "TIMESTAMP"
        column = quote_identifier(timestamp)
        replace.append(f"CAST({column} AS {target}) AS {column}")
    if nan_as_null:
        # Not isnan(): DuckDB folds it to false from Parquet min/max statistics, which
        # leave NaN out; isfinite() is evaluated per value.
        amount = quote_identifier(schema.AMOUNT)
        replace.append(
            f"CASE WHEN isfinite({amount}) OR isinf({amount}) THEN {amount} END AS {amount}"
        )
    for name, sql_type in _TYPES_OF_EMPTY.items():
        if _is_null(types.get(name, "")):
            column = quote_identifier(name)
            replace.append(f"CAST({column} AS {sql_type}) AS {column}")
    columns = f"* REPLACE ({', '.join(replace)})" if replace else "*"
    con.execute(f"CREATE VIEW {view} AS SELECT {columns} FROM {source}")


def event_stats(
    con: duckdb.DuckDBPyConnection, as_of: pd.Timestamp | None
) -> tuple[int, int | None, int]:
    """Check that ids, timestamps and event types are never null; count the events.

    Returns
    -------
    tuple
        The number of events, the latest event time in epoch microseconds (None when
        there is no event) and the number of events after ``as_of`` (0 when None).
    """
    cid, ts, kind = (
        quote_identifier(c) for c in (schema.CUSTOMER_ID, schema.TIMESTAMP, schema.EVENT_TYPE)
    )
    row = con.execute(
        f"SELECT COUNT(*), COUNT(*) - COUNT({cid}), COUNT(*) - COUNT({ts}), "
        f"COUNT(*) - COUNT({kind}), MAX(epoch_us({ts})), "
        f"COUNT(CASE WHEN epoch_us({ts}) > CAST($as_of_us AS BIGINT) THEN 1 END) "
        "FROM events",
        {AS_OF_PARAMETER: None if as_of is None else to_epoch_us(as_of)},
    ).fetchone()
    n_events, null_ids, null_times, null_types, latest, after = row
    for column, nulls in (
        (schema.CUSTOMER_ID, null_ids),
        (schema.TIMESTAMP, null_times),
        (schema.EVENT_TYPE, null_types),
    ):
        if nulls:
            raise DataError(
                f"events column {column!r} has {int(nulls)} null value(s) out of "
                f"{int(n_events)} events; drop or fill them first (metaseg.data validation "
                "does this and records it in its DataReport)."
            )
    return int(n_events), None if latest is None else int(latest), int(after)


def _column_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE {relation}").fetchall()  # relation: a constant name
    return {str(row[0]): str(row[1]) for row in rows}


def _missing_column_error(column: str, found: list[str]) -> DataError:
    return DataError(
        f"events has no column {column!r}, which the standard events require "
        f"({', '.join(schema.EVENT_REQUIRED)}). Columns found: {available(found)}."
        f"{did_you_mean(column, found)} Rename or map the column (metaseg.data) first."
    )


def value_kinds(types: dict[str, str]) -> dict[str, str]:
    """Column -> ``text``, ``number``, ``bool``, ``timestamp`` or ``other``, from DuckDB types.

    Examples
    --------
    >>> value_kinds({"a": "VARCHAR", "b": "DOUBLE", "c": "BOOLEAN", "d": "ENUM('x')"})
    {'a': 'text', 'b': 'number', 'c': 'bool', 'd': 'text'}
    """
    kinds = {}
    for column, sql_type in types.items():
        if _is_text(sql_type):
            kinds[column] = "text"
        elif _is_number(sql_type):
            kinds[column] = "number"
        elif sql_type == "BOOLEAN":
            kinds[column] = "bool"
        elif _is_timestamp(sql_type):
            kinds[column] = "timestamp"
        else:
            kinds[column] = "other"
    return kinds


def check_event_types(types: dict[str, str]) -> None:
    """Raise ``DataError`` when a required column is missing or has an unusable type."""
    for column in schema.EVENT_REQUIRED:
        if column not in types:
            raise _missing_column_error(column, list(types))
    checks = (
        (
            schema.CUSTOMER_ID,
            lambda t: _is_integer(t) or _is_text(t),
            "integers or strings; convert it with .astype('int64') or .astype(str)",
        ),
        (
            schema.TIMESTAMP,
            _is_timestamp,
            "timestamps; parse it with pd.to_datetime(column, utc=True)",
        ),
        (
            schema.EVENT_TYPE,
            _is_text,
            "strings such as 'purchase' or 'view'; convert it with .astype(str)",
        ),
        (
            schema.AMOUNT,
            _is_number,
            "numbers; convert it with pd.to_numeric(column)",
        ),
    )
    for column, accepts, expected in checks:
        if not (accepts(types[column]) or _is_null(types[column])):
            raise DataError(
                f"events column {column!r} has type {types[column]}, but it must hold {expected}."
            )


def check_customers(customers: Any, fact_names: list[str]) -> pd.DataFrame:
    """Check the customers table: a DataFrame with unique, non-null ``customer_id``.

    Attribute columns must not reuse a fact's name, since they are joined beside them.
    """
    if not isinstance(customers, pd.DataFrame):
        raise DataError(
            f"customers must be a pandas DataFrame with a {schema.CUSTOMER_ID!r} column, "
            f"got {type(customers).__name__}."
        )
    columns = [str(c) for c in customers.columns]
    if schema.CUSTOMER_ID not in customers.columns:
        raise DataError(
            f"customers has no column {schema.CUSTOMER_ID!r}. Columns found: "
            f"{available(columns)}.{did_you_mean(schema.CUSTOMER_ID, columns)} "
            "Rename or map the id column first."
        )
    ids = customers[schema.CUSTOMER_ID]
    nulls = int(ids.isna().sum())
    if nulls:
        raise DataError(
            f"customers column {schema.CUSTOMER_ID!r} has {nulls} null value(s) (rows "
            f"{preview(customers.index[ids.isna()].tolist())}); drop or fill them first."
        )
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise DataError(
            f"customers column {schema.CUSTOMER_ID!r} must be unique, but "
            f"{repeated.nunique()} id(s) appear more than once: "
            f"{preview(repeated.unique().tolist())}; keep one row per customer."
        )
    clashes = [c for c in columns if c in fact_names]
    if clashes:
        raise DataError(
            f"customers columns {preview(clashes)} have the name of a fact computed from the "
            "events; rename them (e.g. with a prefix) before computing facts."
        )
    return customers


def check_customer_types(event_types: dict[str, str], customer_types: dict[str, str]) -> None:
    """Raise ``DataError`` when customer ids cannot be matched with event ids."""
    left, right = event_types[schema.CUSTOMER_ID], customer_types[schema.CUSTOMER_ID]
    same_family = (
        (_is_integer(left) and _is_integer(right))
        or (_is_text(left) and _is_text(right))
        or _is_null(left)
        or _is_null(right)
    )
    if not same_family:
        raise DataError(
            f"{schema.CUSTOMER_ID!r} is {left} in events but {right} in customers, so the "
            "two cannot be matched; convert both to int64 or both to str."
        )
    signup = customer_types.get(schema.SIGNUP_AT)
    if signup is not None and not (_is_timestamp(signup) or _is_null(signup)):
        raise DataError(
            f"customers column {schema.SIGNUP_AT!r} has type {signup}, but it must hold "
            "timestamps; parse it with pd.to_datetime(column, utc=True)."
        )


def customers_after_as_of(
    con: duckdb.DuckDBPyConnection, as_of: pd.Timestamp, *, has_customers: bool
) -> tuple[int, list[Any]]:
    """Customers whose every event is after ``as_of`` and who are not in ``customers``.

    They get no row of facts (and so no label): the events known at ``as_of`` do not
    name them and no customers table lists them.

    Returns
    -------
    tuple
        How many there are, and up to five of their ids (smallest first).
    """
    cid, ts = quote_identifier(schema.CUSTOMER_ID), quote_identifier(schema.TIMESTAMP)
    unlisted = (
        f"WHERE NOT EXISTS (SELECT 1 FROM customers k WHERE k.{cid} = late.cid)"
        if has_customers
        else ""
    )
    lost = (
        f"SELECT late.cid FROM (SELECT {cid} AS cid FROM events GROUP BY 1 "
        f"HAVING MIN(epoch_us({ts})) > CAST($as_of_us AS BIGINT)) late {unlisted}"
    )
    parameters = {AS_OF_PARAMETER: to_epoch_us(as_of)}
    count = con.execute(f"SELECT COUNT(*) FROM ({lost})", parameters).fetchone()
    n_lost = int(count[0]) if count else 0
    if not n_lost:
        return 0, []
    rows = con.execute(f"SELECT cid FROM ({lost}) ORDER BY cid LIMIT 5", parameters).fetchall()
    return n_lost, [row[0] for row in rows]
