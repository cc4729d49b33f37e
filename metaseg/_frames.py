"""Tables in: pandas, pyarrow and polars (or any Arrow table).

Facts and customers become pandas at the door (:func:`as_pandas`): a pyarrow ``Table``
or ``RecordBatch`` through its own ``to_pandas``, a polars ``DataFrame`` (or any object
with ``to_arrow``) through Arrow, any other object exporting the Arrow C stream interface
(``__arrow_c_stream__``) through ``pyarrow.table``. Events, the large table, stay in
Arrow (:func:`as_arrow`, no copy for pyarrow and polars) and DuckDB reads them where
they are. polars itself is never imported.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metaseg.exceptions import DataError

__all__ = ["as_arrow", "as_pandas", "column_names", "is_arrow", "is_table"]


def is_table(obj: Any) -> bool:
    """Whether ``obj`` is a table :func:`as_pandas` accepts.

    Examples
    --------
    >>> is_table(pd.DataFrame()), is_table([1, 2])
    (True, False)
    """
    return isinstance(obj, pd.DataFrame) or _arrow_like(obj)


def is_arrow(obj: Any) -> bool:
    """Whether ``obj`` is an Arrow or polars table (a table that is not pandas).

    Examples
    --------
    >>> import pyarrow as pa
    >>> is_arrow(pa.table({"a": [1]})), is_arrow(pd.DataFrame({"a": [1]}))
    (True, False)
    """
    return not isinstance(obj, pd.DataFrame) and _arrow_like(obj)


def _arrow_like(obj: Any) -> bool:
    return (
        hasattr(obj, "__arrow_c_stream__")
        or hasattr(obj, "to_arrow")
        or (type(obj).__module__.startswith("pyarrow") and hasattr(obj, "to_pandas"))
    )


def as_pandas(obj: Any, what: str) -> Any:
    """Return ``obj`` as a pandas DataFrame when it is an Arrow or polars table, else as is.

    Objects that are not tables are returned unchanged, so the caller's own check
    reports them with its own words.

    Parameters
    ----------
    obj : DataFrame, pyarrow.Table, polars.DataFrame or Arrow C stream exporter
    what : str
        The argument, named in errors.

    Raises
    ------
    DataError
        A polars ``LazyFrame`` (collect it first) or a table Arrow cannot convert.

    Examples
    --------
    >>> import pyarrow as pa
    >>> as_pandas(pa.table({"customer_id": [1, 2]}), "facts")["customer_id"].tolist()
    [1, 2]
    """
    if isinstance(obj, pd.DataFrame):
        return obj
    if not _arrow_like(obj) and type(obj).__name__ != "LazyFrame":
        return obj
    table = as_arrow(obj, what)
    try:
        return table.to_pandas()
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise _unreadable(obj, what, exc) from exc


def as_arrow(obj: Any, what: str) -> Any:
    """Return an Arrow or polars table as a ``pyarrow.Table``, without copying its data.

    A pyarrow ``Table`` is returned as it is, a ``RecordBatch`` wrapped, a polars
    ``DataFrame`` exported with ``to_arrow`` (zero-copy), any other Arrow C stream
    exporter read with ``pyarrow.table``.

    Raises
    ------
    DataError
        A polars ``LazyFrame`` (collect it first) or an object Arrow cannot read.

    Examples
    --------
    >>> import pyarrow as pa
    >>> as_arrow(pa.record_batch({"customer_id": [1, 2]}), "events").num_rows
    2
    """
    import pyarrow as pa

    if type(obj).__name__ == "LazyFrame":
        raise DataError(
            f"{what} is a polars LazyFrame; pass a DataFrame: call .collect() on it first."
        )
    try:
        if isinstance(obj, pa.Table):
            return obj
        if isinstance(obj, pa.RecordBatch):
            return pa.Table.from_batches([obj])
        if hasattr(obj, "to_arrow"):
            return obj.to_arrow()
        return pa.table(obj)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise _unreadable(obj, what, exc) from exc


def _unreadable(obj: Any, what: str, exc: Exception) -> DataError:
    return DataError(
        f"{what}: could not read the {type(obj).__name__} as a table through Arrow "
        f"({exc}). Pass a pandas DataFrame, a pyarrow Table or a polars DataFrame."
    )


def column_names(obj: Any) -> list[str]:
    """The column names of a pandas, Arrow or polars table, read without converting it.

    Examples
    --------
    >>> import pyarrow as pa
    >>> column_names(pa.table({"customer_id": [1], "timestamp": [0]}))
    ['customer_id', 'timestamp']
    """
    import pyarrow as pa

    if isinstance(obj, pd.DataFrame):
        return [str(c) for c in obj.columns]
    if isinstance(obj, (pa.Table, pa.RecordBatch)):
        return list(obj.schema.names)
    columns = getattr(obj, "columns", None)
    if isinstance(columns, list) and all(isinstance(c, str) for c in columns):  # polars
        return columns
    return list(as_arrow(obj, "table").schema.names)
