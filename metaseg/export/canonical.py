"""Labels as comparable Arrow columns: the form in which two labels tables are diffed.

Labels come back from a target in other types than they were written with: ids and
versions as text from a CSV file or a SQL table, timestamps as text in another time
zone, ``sub_segment`` as text. Each column is turned into one comparable form, so that
the diff sees the same value whatever the way it travelled:

- ``customer_id``: its text (``1``, ``1.0`` and ``"1"`` agree, see
  :func:`~metaseg.export.validate.text_value`);
- ``model_name`` and ``segment``: ``str`` of the value;
- timestamps: microseconds since the epoch in UTC, and the raw text of a value that
  cannot be read as a date (a second column, null otherwise);
- ``sub_segment``: the text of the number (``"3"`` for 3, 3.0 and ``"3"``);
- other columns: their text.

Typed columns (integers, text, timestamps) are converted by Arrow at once; other
columns (floats, mixed objects, text timestamps) convert each distinct value once.
Nulls stay null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from metaseg.export.validate import TIMESTAMP_COLUMNS, text_value
from metaseg.schema import CUSTOMER_ID, MODEL_NAME, SEGMENT, SUB_SEGMENT

#: Name of the row position column added to every canonical table.
ROW = "_row"


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) and values.dtype != object


def _by_distinct(values: pd.Series, convert: object) -> pa.Array:
    """Apply ``convert`` to each distinct non-null value once and spread the results."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = [convert(u) for u in uniques]  # type: ignore[operator]
    lookup = pa.array([*converted, None], type=pa.string())
    return lookup.take(pa.array(np.where(codes < 0, len(converted), codes)))


def text_column(values: pd.Series) -> pa.Array:
    """The text of each value (:func:`text_value`) as Arrow; nulls stay null.

    Examples
    --------
    >>> text_column(pd.Series([3, 4])).to_pylist()
    ['3', '4']
    >>> text_column(pd.Series([3.0, None, "x"], dtype=object)).to_pylist()
    ['3', None, 'x']
    """
    if _is_text(values):
        return pa.array(values)
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return pa.array(values.to_numpy(dtype="int64")).cast(pa.string())
    return _by_distinct(values, text_value)


def _str(values: pd.Series) -> pa.Array:
    """``str`` of each value, as ``Series.astype(str)`` gives it."""
    return pa.array(values) if _is_text(values) else _by_distinct(values, str)


def _sub_segment(values: pd.Series) -> pa.Array:
    if pd.api.types.is_integer_dtype(values.dtype):
        return text_column(values)

    def convert(raw: object) -> str:
        number = pd.to_numeric(pd.Series([raw]), errors="coerce").iloc[0]
        return text_value(raw) if pd.isna(number) else text_value(number)

    return _by_distinct(values, convert)


def _timestamps(values: pd.Series) -> tuple[pa.Array, pa.Array]:
    """Microseconds since the epoch (UTC) and the raw text of unreadable values."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        utc = values.dt.tz_convert("UTC") if isinstance(dtype, pd.DatetimeTZDtype) else values
        micros = pa.array(utc.dt.as_unit("us").dt.tz_localize(None)).cast(pa.int64())
        return micros, pa.nulls(len(values), type=pa.string())
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=object)
    parsed = pd.to_datetime(distinct, utc=True, errors="coerce", format="ISO8601")
    when = parsed.dt.as_unit("us").to_numpy(dtype="int64", na_value=0)
    unread = parsed.isna().to_numpy()
    n = len(distinct)
    us_lookup = pa.array(
        [*(None if u else int(w) for u, w in zip(unread, when, strict=True)), None]
    )
    raw_lookup = pa.array(
        [*(str(r) if u else None for u, r in zip(unread, distinct, strict=True)), None],
        type=pa.string(),
    )
    index = pa.array(np.where(codes < 0, n, codes))
    return us_lookup.cast(pa.int64()).take(index), raw_lookup.take(index)


def canonical_table(frame: pd.DataFrame, compared: list[str]) -> pa.Table:
    """The comparable form of a labels table, one Arrow column per compared value.

    Parameters
    ----------
    frame : pandas.DataFrame
        Labels with at least ``customer_id``, ``model_name`` and ``segment``.
    compared : list of str
        Other label columns to compare.

    Returns
    -------
    pyarrow.Table
        Columns ``_row`` (row position), ``_model``, ``_id``, ``_segment``, then per
        compared column ``c_<name>`` (``c_<name>`` and ``r_<name>``, the unreadable
        text, for timestamps).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": [7, 8], "model_name": "rfm",
    ...                       "segment": ["a/0", "b/1"], "sub_segment": ["0", 1.0],
    ...                       "as_of": ["2024-01-01T00:00:00Z", "soon"]})
    >>> table = canonical_table(frame, ["sub_segment", "as_of"])
    >>> table.column("_id").to_pylist(), table.column("c_sub_segment").to_pylist()
    (['7', '8'], ['0', '1'])
    >>> table.column("c_as_of").to_pylist(), table.column("r_as_of").to_pylist()
    ([1704067200000000, None], [None, 'soon'])
    """
    columns: dict[str, pa.Array] = {
        ROW: pa.array(np.arange(len(frame), dtype="int64")),
        "_model": _str(frame[MODEL_NAME]),
        "_id": text_column(frame[CUSTOMER_ID]),
        "_segment": _str(frame[SEGMENT]),
    }
    for column in compared:
        values = frame[column]
        if column in TIMESTAMP_COLUMNS:
            columns[f"c_{column}"], columns[f"r_{column}"] = _timestamps(values)
        elif column == SUB_SEGMENT:
            columns[f"c_{column}"] = _sub_segment(values)
        else:
            columns[f"c_{column}"] = text_column(values)
    return pa.table(columns)
