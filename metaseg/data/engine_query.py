"""Validated events left in their Parquet/CSV files: a query DuckDB runs where it reads them.

An :class:`EventsQuery` is what :func:`metaseg.data.engine_read.read_events_engine`
returns when the column mapping and the validation could be written in SQL: the files,
how to read them, the SELECT that maps, cleans and filters their rows, and the values
that SELECT binds. :func:`metaseg.facts.compute_facts` (and the repeat-purchase summary
of :mod:`metaseg.clv`) attach it to their own DuckDB connection with :meth:`attach`, so
the events never pass through pandas; :meth:`to_pandas` builds the standard events
DataFrame only when a caller asks for it.

Every value the SELECT uses (a time zone, ``as_of``, an event type) is inserted into a
one-row temporary table with bound parameters and read back from there; identifiers
are quoted column names of the files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from metaseg import schema

if TYPE_CHECKING:
    import duckdb

__all__ = ["EventsQuery", "quote"]

#: The temporary objects an attached query creates, prefixed by the view's name.
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def quote(name: str) -> str:
    """A column name as a quoted SQL identifier.

    Examples
    --------
    >>> quote("a-b") == chr(34) + "a-b" + chr(34)
    True
    """
    return '"' + str(name).replace('"', '""') + '"'


@dataclass(frozen=True)
class EventsQuery:
    """Standard events as a DuckDB query over Parquet or CSV files.

    Parameters
    ----------
    kind : {"parquet", "csv"}
        The files' format.
    files : tuple of str
        The files, read in this order as one table.
    csv : dict
        Options of ``read_csv`` (separator, column types, null texts); empty for Parquet.
    body : str
        ``SELECT ... FROM {raw} ...`` with ``{raw}``, ``{params}`` and ``{types}`` where
        the names of the raw view, the parameters table and the event-types table go.
    params : tuple of (str, str, object)
        Name, SQL type and value of each bound value (read as ``{params}.name``).
    event_types : tuple of (str, str, bool)
        Raw event type, standard event type and whether it carries money.
    n_rows : int
        How many events the query yields.
    conditions : tuple of str
        Further filters (see :meth:`before`).
    """

    kind: str
    files: tuple[str, ...]
    body: str
    n_rows: int
    csv: dict[str, Any] = field(default_factory=dict)
    params: tuple[tuple[str, str, Any], ...] = ()
    event_types: tuple[tuple[str, str, bool], ...] = ()
    conditions: tuple[str, ...] = ()

    def __len__(self) -> int:
        return self.n_rows

    def raw_relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """The files as DuckDB reads them, before any mapping."""
        if self.kind == "parquet":
            return con.read_parquet(list(self.files), union_by_name=len(self.files) > 1)
        return con.read_csv(list(self.files), **self.csv)

    def attach(self, con: duckdb.DuckDBPyConnection, view: str) -> None:
        """Create ``view`` (a temporary view of standard events) on ``con``.

        Parameters
        ----------
        con : duckdb.DuckDBPyConnection
            The connection that will read the events.
        view : str
            A lower-case name made of letters, digits and ``_``; the objects the view
            needs are created under names that start with it.
        """
        if not _NAME.fullmatch(view):
            raise ValueError(f"view name must match {_NAME.pattern}, got {view!r}")
        names = self._create_inputs(con, view)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {self.sql(**names)}")

    def sql(self, *, raw: str, params: str, types: str) -> str:
        """The query text, with the names of its inputs filled in."""
        body = self.body.format(raw=raw, params=params, types=types)
        if not self.conditions:
            return body
        where = " AND ".join(c.format(params=params) for c in self.conditions)
        return f"SELECT * FROM ({body}) WHERE {where}"

    def _create_inputs(self, con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
        names = {"raw": f"{view}_raw", "params": f"{view}_params", "types": f"{view}_types"}
        con.execute("SET TimeZone = 'UTC'")
        self.raw_relation(con).create_view(names["raw"], replace=True)
        columns = ", ".join(
            f"CAST(${name} AS {sql_type}) AS {name}" for name, sql_type, _ in self.params
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {names['params']} AS SELECT {columns or '1 AS one'}",
            {name: value for name, _, value in self.params},
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {names['types']} "
            "(raw VARCHAR, normal VARCHAR, monetary BOOLEAN)"
        )
        if self.event_types:
            con.executemany(
                f"INSERT INTO {names['types']} VALUES (?, ?, ?)",
                [list(row) for row in self.event_types],
            )
        return names

    def before(self, as_of: Any) -> EventsQuery:
        """The events strictly before ``as_of`` (a UTC instant), as another query.

        The number of events is counted once more (:meth:`count`).
        """
        name = f"p_before_{len(self.conditions)}"
        stamp = pd.Timestamp(as_of)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        condition = f"{quote(schema.TIMESTAMP)} < (SELECT {name} FROM {{params}})"
        narrowed = replace(
            self,
            params=(*self.params, (name, "TIMESTAMPTZ", stamp.to_pydatetime())),
            conditions=(*self.conditions, condition),
        )
        return replace(narrowed, n_rows=narrowed.count())

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        con = duckdb.connect()
        self.attach(con, "events")
        return con

    def count(self) -> int:
        """Count the events by running the query."""
        con = self._connect()
        try:
            return int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        finally:
            con.close()

    def to_pandas(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Run the query and return the standard events as a DataFrame.

        ``customer_id`` is int64 or ``str``, ``timestamp`` UTC, ``event_type`` ``str``,
        ``amount`` float64, as :func:`metaseg.data.read_events` returns them.
        """
        con = self._connect()
        try:
            wanted = "*" if columns is None else ", ".join(quote(c) for c in columns)
            frame = con.execute(f"SELECT {wanted} FROM events").df()
        finally:
            con.close()
        for column in frame.columns:
            values = frame[column]
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                frame[column] = values.dt.tz_convert("UTC")
            elif values.dtype == object:
                frame[column] = values.astype("str")
        if schema.AMOUNT in frame.columns:
            frame[schema.AMOUNT] = frame[schema.AMOUNT].astype("float64")
        return frame
