"""Vectorised helpers for single columns: ids, texts, missing-column errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from metaseg._messages import available, close_matches
from metaseg.exceptions import DataError

# Integral ids written as text: no sign games, no leading zeros (they would be lost).
_INTEGRAL_TEXT = r"-?(?:0|[1-9][0-9]{0,17})(?:\.0+)?"
_INT64_LIMIT = 2.0**63

#: Separators other than ``,`` that a CSV header can be joined with, and their names.
OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}

# A number written with a decimal comma: "12,50", "-3,5", "1.234,50" (dots group thousands).
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def is_text(values: pd.Series) -> bool:
    """Whether a column holds texts or Python objects (not numbers, dates or categories)."""
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def null_ids(values: pd.Series) -> np.ndarray:
    """Mask of ids that are missing: null, or empty/blank text.

    Examples
    --------
    >>> null_ids(pd.Series(["a", "", None, " "])).tolist()
    [False, True, True, True]
    """
    missing = values.isna().to_numpy()
    if is_text(values) or isinstance(values.dtype, pd.CategoricalDtype):
        blank = values.astype("str").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        missing = missing | blank
    return missing


def standard_ids(values: pd.Series) -> pd.Series:
    """Ids as int64 when every id is integral, else as text; ``values`` holds no nulls.

    Floats such as ``12346.0`` and texts such as ``"12346"`` or ``"12346.0"`` become
    the integer 12346; texts with leading zeros or any non-integral id keep the whole
    column as text, so no two distinct ids merge.

    Examples
    --------
    >>> standard_ids(pd.Series([12346.0, 12347.0])).tolist()
    [12346, 12347]
    >>> standard_ids(pd.Series(["007", "12"])).tolist()
    ['007', '12']
    """
    dtype = values.dtype
    if dtype.kind in "iu" and not (
        dtype.kind == "u" and len(values) and values.max() >= _INT64_LIMIT
    ):
        if dtype == np.int64 and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return values
        return values.astype("int64")
    if dtype.kind == "f":
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            # NaN, inf, fractions and values beyond int64 do not survive the round trip
            as_int = array.astype(np.int64)
        if np.array_equal(as_int, array) and not (array >= _INT64_LIMIT).any():
            return pd.Series(as_int, index=values.index, name=values.name)
        return values.astype("str")
    text = values.astype("str")
    if text.str.fullmatch(_INTEGRAL_TEXT).all():
        digits = text.str.replace(r"\.0+$", "", regex=True)
        return digits.astype("int64")
    return text


def as_text(values: pd.Series) -> pd.Series:
    """Object columns become the ``str`` dtype; other columns are returned as they are."""
    return values.astype("str") if values.dtype == object else values


def strings_from_codes(codes: np.ndarray, labels: Sequence[str], index: pd.Index) -> pd.Series:
    """Build a ``str`` column from integer codes into ``labels`` without a Python loop.

    A negative code gives a missing value.

    Examples
    --------
    >>> strings_from_codes(np.array([1, 0, 1]), ["purchase", "refund"], pd.RangeIndex(3)).tolist()
    ['refund', 'purchase', 'refund']
    """
    negative = codes < 0
    indices = pa.array(codes, mask=negative) if negative.any() else pa.array(codes)
    taken = pa.array(list(labels), type=pa.string()).take(indices)
    return pd.Series(pd.array(taken, dtype="str"), index=index)


def separator_hint(names: Iterable[Any]) -> str:
    """A sentence for a missing-column error when a column name is a joined header line.

    A CSV read with the wrong separator has one column whose name is the whole header
    line, e.g. ``"customer_id;timestamp;event_type;amount"``.

    Parameters
    ----------
    names : iterable
        The column names found.

    Returns
    -------
    str
        An empty string, or a sentence starting with a space that names the separator
        and says how to read the file with it.

    Examples
    --------
    >>> separator_hint(["customer_id;timestamp;amount"])[:60]
    " The column name 'customer_id;timestamp;amount' looks like a"
    >>> separator_hint(["customer_id", "timestamp"])
    ''
    """
    for separator, word in OTHER_SEPARATORS.items():
        for name in (str(n) for n in names):
            if len([p for p in name.split(separator) if p.strip()]) < 2:
                continue
            return (
                f" The column name {name!r} looks like a whole header line: the file seems "
                f"to use {word} ({separator!r}) as its separator, not ','. Fix: pass the path "
                f"of a CSV file that uses {separator!r} only (metaseg detects ';', tab and '|' "
                "from the header line when it holds no ','), or read it with "
                f"pandas.read_csv(path, sep={separator!r}) and pass the DataFrame."
            )
    return ""


def decimal_comma_hint(values: Iterable[Any]) -> str:
    """A sentence for a non-numeric error when the values are numbers with a decimal comma.

    Examples
    --------
    >>> decimal_comma_hint(["12,50", "3,0"])[:50]
    ' These look like numbers written with a decimal co'
    >>> decimal_comma_hint(["abc"])
    ''
    """
    found = [v for v in values if isinstance(v, str) and _DECIMAL_COMMA.fullmatch(v.strip())]
    if not found:
        return ""
    return (
        f" These look like numbers written with a decimal comma (e.g. {found[0]!r}): metaseg "
        "reads only a decimal point and does not guess, since '1,250' can also mean one "
        "thousand two hundred and fifty. Export the file with a decimal point, or convert "
        "the column before reading it (remove '.' thousands separators, then replace ',' "
        "by '.') and pass the DataFrame."
    )


def require_columns(
    columns: Iterable[str], required: Sequence[str], *, table: str, fix: str
) -> None:
    """Raise :class:`DataError` naming required columns that are absent and close matches.

    Examples
    --------
    >>> require_columns(["customer_id"], ["customer_id"], table="customers", fix="")
    """
    present = [str(c) for c in columns]
    missing = [c for c in required if c not in present]
    if not missing:
        return
    hints = []
    for name in missing:
        close = close_matches(name, present)
        if close:
            hints.append(f"{name!r} might be {' or '.join(map(repr, close))}")
    hint = f" ({'; '.join(hints)})" if hints else ""
    advice = separator_hint(present) or f" Fix: {fix}"
    raise DataError(
        f"{table} table is missing required column(s) {missing}{hint}. "
        f"Columns present: {available(present)}.{advice}"
    )
