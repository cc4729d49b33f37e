"""The pandas diff that metaseg used before the DuckDB one: the oracle of its tests.

Kept as it was (merges on string keys, factorised columns). Labels are matched on ``(customer_id, model_name)``; customer ids are compared as text
and timestamps as UTC instants, so labels read back from a CSV file, a SQL table or a
webhook ledger compare equal to the labels that were written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg._messages import available, preview
from metaseg.exceptions import DataError
from metaseg.export.diff import LabelDiff
from metaseg.export.validate import TIMESTAMP_COLUMNS, key_strings, text_value
from metaseg.schema import CUSTOMER_ID, LABEL_COLUMNS, MODEL_NAME, SEGMENT, SUB_SEGMENT

_NA = "\x00NA"
_NEEDED = (CUSTOMER_ID, MODEL_NAME, SEGMENT)
_CHANGE_COLUMNS = [CUSTOMER_ID, MODEL_NAME, "change", "from_segment", "to_segment"]
_SEGMENT_COLUMNS = [
    MODEL_NAME,
    SEGMENT,
    "before",
    "after",
    "added",
    "removed",
    "moved_in",
    "moved_out",
    "net",
]
_MIGRATION_COLUMNS = [MODEL_NAME, "from_segment", "to_segment", "customers"]


def _canonical_column(values: pd.Series, column: str) -> np.ndarray:
    """Comparable text of a column: each distinct value is converted once.

    Timestamps become microseconds since the epoch in UTC (text that cannot be read as
    a date is kept as it is), ``sub_segment`` an integer, other values their text.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques)
    if column in TIMESTAMP_COLUMNS:
        parsed = pd.to_datetime(distinct, utc=True, errors="coerce", format="ISO8601")
        micros = parsed.dt.as_unit("us").to_numpy(dtype="int64", na_value=0)
        texts = [
            f"raw:{raw}" if pd.isna(when) else str(us)
            for raw, when, us in zip(distinct, parsed, micros, strict=True)
        ]
    elif column == SUB_SEGMENT:
        numbers = pd.to_numeric(distinct, errors="coerce")
        texts = [
            text_value(raw) if pd.isna(n) else text_value(n)
            for raw, n in zip(distinct, numbers, strict=True)
        ]
    else:
        texts = [text_value(v) for v in distinct]
    lookup = np.array([*texts, _NA], dtype=object)
    return lookup[codes]


def _canonical(frame: pd.DataFrame, compared: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "_key": key_strings(frame).to_numpy(),
            CUSTOMER_ID: frame[CUSTOMER_ID].astype(object).to_numpy(),
            MODEL_NAME: frame[MODEL_NAME].astype(str).to_numpy(),
            SEGMENT: frame[SEGMENT].astype(str).to_numpy(),
        }
    )
    for column in compared:
        out[f"_c_{column}"] = _canonical_column(frame[column], column)
    return out


def _check(frame: pd.DataFrame, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lack column(s) {preview(missing)} needed to compare labels; they have "
            f"{available(map(str, frame.columns))}."
        )
    nulls = [c for c in _NEEDED if frame[c].isna().any()]
    if nulls:
        raise DataError(f"{what} have null values in column(s) {preview(nulls)}.")
    dup = key_strings(frame).duplicated()
    if dup.any():
        shown = list(frame.loc[dup, [CUSTOMER_ID, MODEL_NAME]].itertuples(index=False, name=None))
        raise DataError(
            f"{what} have {int(dup.sum()):,} repeated (customer_id, model_name) pair(s), e.g. "
            f"{preview(shown, limit=3)}; each customer may have one label per model."
        )


def _segment_table(prev: pd.DataFrame, cur: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    def counts(frame: pd.DataFrame, seg: str, name: str) -> pd.Series:
        if len(frame) == 0:
            return pd.Series(dtype="int64", name=name)
        return (
            frame.groupby([MODEL_NAME, seg]).size().rename(name).rename_axis([MODEL_NAME, SEGMENT])
        )

    parts = [
        counts(prev, SEGMENT, "before"),
        counts(cur, SEGMENT, "after"),
        counts(changes[changes["change"] == "added"], "to_segment", "added"),
        counts(changes[changes["change"] == "removed"], "from_segment", "removed"),
        counts(changes[changes["change"] == "moved"], "to_segment", "moved_in"),
        counts(changes[changes["change"] == "moved"], "from_segment", "moved_out"),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in _SEGMENT_COLUMNS})
    table = pd.concat(parts, axis=1).fillna(0)
    for column in _SEGMENT_COLUMNS[2:-1]:
        table[column] = table[column].astype("int64") if column in table else 0
    table["net"] = table["after"] - table["before"]
    table = table.reset_index().sort_values([MODEL_NAME, SEGMENT], kind="stable")
    return table[_SEGMENT_COLUMNS].reset_index(drop=True)


def pandas_diff_labels(previous: pd.DataFrame | None, current: pd.DataFrame) -> LabelDiff:
    """Compare the labels at a target with new labels.

    Parameters
    ----------
    previous : pandas.DataFrame or None
        The labels already at the target (``None`` or empty when there are none). Needs
        ``customer_id``, ``model_name`` and ``segment``; other label columns present in
        both tables are compared to find ``updated`` labels.
    current : pandas.DataFrame
        The labels about to be exported.

    Returns
    -------
    LabelDiff

    Raises
    ------
    DataError
        If a table lacks the key or segment columns, has nulls there, or repeats a
        ``(customer_id, model_name)`` pair.

    Examples
    --------
    >>> old = pd.DataFrame({"customer_id": [1, 2, 3], "model_name": "rfm",
    ...                     "segment": ["dormant/0", "dormant/0", "active/0"]})
    >>> new = pd.DataFrame({"customer_id": [1, 2, 4], "model_name": "rfm",
    ...                     "segment": ["dormant/0", "active/0", "active/0"]})
    >>> d = pandas_diff_labels(old, new)
    >>> d.n_added, d.n_removed, d.n_moved, d.n_unchanged
    (1, 1, 1, 1)
    >>> d.migrations.values.tolist()
    [['rfm', 'dormant/0', 'active/0', 1]]
    """
    _check(current, "current labels")
    if previous is None:
        previous = current.iloc[0:0]
    _check(previous, "previous labels")
    compared = [
        c
        for c in LABEL_COLUMNS
        if c not in _NEEDED and c in previous.columns and c in current.columns
    ]
    prev = _canonical(previous, compared)
    cur = _canonical(current, compared)
    merged = prev.merge(cur, on="_key", how="outer", suffixes=("_p", "_c"), indicator=True)
    both = merged["_merge"] == "both"
    moved = both & (merged[f"{SEGMENT}_p"] != merged[f"{SEGMENT}_c"])
    differs = pd.Series(False, index=merged.index)
    for column in compared:
        differs |= merged[f"_c_{column}_p"] != merged[f"_c_{column}_c"]
    updated = both & ~moved & differs

    change = pd.Series(pd.NA, index=merged.index, dtype=object)
    change[merged["_merge"] == "right_only"] = "added"
    change[merged["_merge"] == "left_only"] = "removed"
    change[moved] = "moved"
    change[updated] = "updated"
    picked = merged[change.notna()]
    is_removed = (picked["_merge"] == "left_only").to_numpy()
    changes = pd.DataFrame(
        {
            CUSTOMER_ID: np.where(
                is_removed, picked[f"{CUSTOMER_ID}_p"], picked[f"{CUSTOMER_ID}_c"]
            ),
            MODEL_NAME: np.where(is_removed, picked[f"{MODEL_NAME}_p"], picked[f"{MODEL_NAME}_c"]),
            "change": change[change.notna()].to_numpy(),
            "from_segment": picked[f"{SEGMENT}_p"].to_numpy(),
            "to_segment": picked[f"{SEGMENT}_c"].to_numpy(),
        }
    )
    changes = changes.astype({MODEL_NAME: str, "change": str})
    changes = changes.sort_values([MODEL_NAME, "change"], kind="stable").reset_index(drop=True)

    moved_rows = changes[changes["change"] == "moved"]
    migrations = (
        moved_rows.groupby([MODEL_NAME, "from_segment", "to_segment"])
        .size()
        .rename("customers")
        .reset_index()
        .sort_values(
            ["customers", MODEL_NAME, "from_segment", "to_segment"],
            ascending=[False, True, True, True],
            kind="stable",
        )
        .reset_index(drop=True)
    )
    if len(migrations) == 0:
        migrations = pd.DataFrame({c: pd.Series(dtype=object) for c in _MIGRATION_COLUMNS})
        migrations["customers"] = migrations["customers"].astype("int64")
    return LabelDiff(
        changes=changes[_CHANGE_COLUMNS],
        segments=_segment_table(prev, cur, changes),
        migrations=migrations[_MIGRATION_COLUMNS],
        n_before=len(prev),
        n_after=len(cur),
        n_unchanged=int((both & ~moved & ~differs).sum()),
    )
