"""Two labels tables side by side, customer by customer: one kernel for every comparison.

Comparing runs (:func:`metaseg.tracking.agreement_from_labels`), the migration of a
drift report (:mod:`metaseg.over_time.drift`) and the migration plot
(:func:`metaseg.plots.plot_migration`) all align two labels tables on ``customer_id``
the same way:

* each table must have ``customer_id`` and the compared columns, one row per customer
  and no missing label;
* ids are compared as text, so ``12`` read from Parquet and ``"12"`` or ``12.0`` read
  back from a CSV are the same customer, while ``"0012"`` stays another one;
* customers in only one table are counted, not silently lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg._messages import available, preview
from metaseg.exceptions import DataError

__all__ = ["AlignedLabels", "align_labels", "id_text", "migration_table"]


@dataclass(frozen=True)
class AlignedLabels:
    """Two labels tables joined on their common customers.

    Attributes
    ----------
    joined : DataFrame
        ``customer_id`` (as text) and ``<column>_<name>`` for each compared column and
        each of the two names, one row per common customer, in the first table's order.
    names : tuple of str
        The names of the two tables (the column suffixes).
    n_only_first, n_only_second : int
        Customers labelled by one table only.
    """

    joined: pd.DataFrame
    names: tuple[str, str]
    n_only_first: int
    n_only_second: int

    @property
    def n_common(self) -> int:
        """Customers labelled by both tables."""
        return len(self.joined)

    def column(self, column: str, which: int) -> pd.Series:
        """``column`` of the first (0) or second (1) table, aligned."""
        return self.joined[f"{column}_{self.names[which]}"]


def id_text(ids: pd.Series) -> pd.Series:
    """Customer ids as text; whole floats (ids read back from a CSV) are written as ints.

    Examples
    --------
    >>> id_text(pd.Series([12.0, 13.0])).tolist()
    ['12', '13']
    >>> id_text(pd.Series(["0012", "13"])).tolist()
    ['0012', '13']
    """
    if pd.api.types.is_float_dtype(ids):
        whole = ids.notna() & (ids == ids.round())
        if whole.all():
            ids = ids.astype("int64")
    return ids.astype(str).reset_index(drop=True)


def _checked(labels: Any, name: str, columns: Sequence[str], owner: str) -> pd.DataFrame:
    prefix = f"{owner}: " if owner else ""
    if not isinstance(labels, pd.DataFrame):
        raise DataError(
            f"{prefix}{name} must be a labels table (DataFrame with customer_id and "
            f"{', '.join(columns)}), got {type(labels).__name__}. Use model.labels_, "
            "model.predict(facts) or a labels file written by 'metaseg score'."
        )
    missing = [c for c in (schema.CUSTOMER_ID, *columns) if c not in labels.columns]
    if missing:
        raise DataError(
            f"{prefix}{name} has no column(s) {preview(missing)}; it has "
            f"{available(map(str, labels.columns))}. Pass a metaseg labels table "
            f"({', '.join(schema.LABEL_COLUMNS)})."
        )
    repeated = labels[schema.CUSTOMER_ID].duplicated()
    if repeated.any():
        raise DataError(
            f"{prefix}{name} has {int(repeated.sum()):,} repeated customer_id value(s), e.g. "
            f"{preview(labels.loc[repeated, schema.CUSTOMER_ID].unique().tolist(), 3)}; a "
            "labels table has one row per customer (one model's labels)."
        )
    for column in columns:
        absent = labels[column].isna()
        if absent.any():
            raise DataError(
                f"{prefix}{name} has no {column!r} for {int(absent.sum()):,} customer(s), "
                f"e.g. customer_id {preview(labels.loc[absent, schema.CUSTOMER_ID].tolist(), 3)}."
                " Every labelled customer needs a label."
            )
    out = labels[list(columns)].reset_index(drop=True)
    out.insert(0, schema.CUSTOMER_ID, id_text(labels[schema.CUSTOMER_ID]))
    return out


def align_labels(
    first: pd.DataFrame,
    second: pd.DataFrame,
    columns: Sequence[str] = (schema.SEGMENT,),
    *,
    names: tuple[str, str] = ("before", "after"),
    owner: str = "",
) -> AlignedLabels:
    """Join two labels tables on their common customers.

    Parameters
    ----------
    first, second : DataFrame
        Labels tables (``customer_id`` and ``columns`` at least).
    columns : sequence of str
        The label columns to compare (``segment``, ``base_segment``, ...).
    names : tuple of str
        How the two tables are called in messages and column suffixes.
    owner : str
        The function to name in error messages.

    Raises
    ------
    DataError
        A table is not a DataFrame, lacks a column, repeats a customer or has a missing
        label.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["x/0", "x/1", "x/1"]})
    >>> b = pd.DataFrame({"customer_id": ["2", "3", "4"], "segment": ["x/0", "x/1", "x/0"]})
    >>> aligned = align_labels(a, b)
    >>> aligned.n_common, aligned.n_only_first, aligned.n_only_second
    (2, 1, 1)
    >>> aligned.joined.columns.tolist()
    ['customer_id', 'segment_before', 'segment_after']
    """
    left = _checked(first, names[0], columns, owner)
    right = _checked(second, names[1], columns, owner)
    joined = left.merge(
        right, on=schema.CUSTOMER_ID, how="inner", suffixes=tuple(f"_{n}" for n in names)
    )
    return AlignedLabels(joined, names, len(left) - len(joined), len(right) - len(joined))


def migration_table(aligned: AlignedLabels, column: str = schema.SEGMENT) -> pd.DataFrame:
    """Customers per (label in the first table, label in the second): the migration matrix.

    Rows are named after the first table, columns after the second; labels are text.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2], "segment": ["x/0", "x/1"]})
    >>> b = pd.DataFrame({"customer_id": [1, 2], "segment": ["x/0", "x/0"]})
    >>> migration_table(align_labels(a, b)).to_dict()
    {'x/0': {'x/0': 1, 'x/1': 1}}
    """
    rows = aligned.column(column, 0).astype(str).rename(aligned.names[0])
    cols = aligned.column(column, 1).astype(str).rename(aligned.names[1])
    return pd.crosstab(rows, cols)
