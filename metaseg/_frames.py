"""Tables in: pandas, pyarrow and polars (or any Arrow table) become pandas at the door.

metaseg computes on pandas. A pyarrow ``Table`` or ``RecordBatch`` is converted with its
own ``to_pandas``; a polars ``DataFrame`` (or any object with ``to_arrow``) through Arrow;
any other object exporting the Arrow C stream interface (``__arrow_c_stream__``) through
``pyarrow.table``. polars itself is never imported.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metaseg.exceptions import DataError

__all__ = ["as_pandas", "is_table"]


def is_table(obj: Any) -> bool:
    """Whether ``obj`` is a table :func:`as_pandas` accepts.

    Examples
    --------
    >>> is_table(pd.DataFrame()), is_table([1, 2])
    (True, False)
    """
    return isinstance(obj, pd.DataFrame) or _arrow_like(obj)


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
    if type(obj).__name__ == "LazyFrame":
        raise DataError(
            f"{what} is a polars LazyFrame; pass a DataFrame: call .collect() on it first."
        )
    if not _arrow_like(obj):
        return obj
    try:
        if type(obj).__module__.startswith("pyarrow") and hasattr(obj, "to_pandas"):
            return obj.to_pandas()
        if hasattr(obj, "to_arrow"):
            return obj.to_arrow().to_pandas()
        import pyarrow as pa

        return pa.table(obj).to_pandas()
    except (TypeError, ValueError, NotImplementedError, ImportError) as exc:
        raise DataError(
            f"{what}: could not read the {type(obj).__name__} as a table through Arrow "
            f"({exc}). Pass a pandas DataFrame, a pyarrow Table or a polars DataFrame."
        ) from exc
