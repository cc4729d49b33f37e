"""Checks of the repeat-purchase summary the CLV models read, and grouping of equal rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg._messages import preview
from metaseg.exceptions import DataError

REQUIRED = ("frequency", "recency", "T")


def check_summary(summary: pd.DataFrame, owner: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``frequency``, ``recency``, ``T`` as float arrays, after checking they make sense."""
    if not isinstance(summary, pd.DataFrame):
        raise DataError(
            f"{owner}: summary must be a DataFrame of frequency, recency and T, got "
            f"{type(summary).__name__}; compute it with "
            "metaseg.facts.clv_summary.compute_repeat_summary(events, as_of=...)."
        )
    missing = [c for c in REQUIRED if c not in summary.columns]
    if missing:
        raise DataError(
            f"{owner}: summary has no column {missing[0]!r}; columns are "
            f"{preview(list(map(str, summary.columns)))}. It needs {list(REQUIRED)}."
        )
    arrays = []
    for column in REQUIRED:
        values = pd.to_numeric(summary[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise DataError(
                f"{owner}: summary column {column!r} must be finite and >= 0, but "
                f"{int(bad.sum()):,} row(s) are not, e.g. "
                f"{preview(summary.loc[bad, column].head(3).tolist())}."
            )
        arrays.append(values)
    x, t_x, T = arrays
    late = t_x > T + 1e-9
    if late.any():
        raise DataError(
            f"{owner}: recency must not exceed T, but {int(late.sum()):,} row(s) have "
            f"recency > T (e.g. recency={t_x[late][0]!r}, T={T[late][0]!r}); both are measured "
            "from the first purchase, T up to as_of."
        )
    if int((x > 0).sum()) < 2:
        raise DataError(
            f"{owner}: only {int((x > 0).sum())} customer(s) have a repeat purchase; the model "
            "needs at least 2 (use a longer calibration period or more customers)."
        )
    return x, t_x, T


def grouped(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The distinct rows of ``columns`` and how many times each occurs.

    Examples
    --------
    >>> (x,), w = grouped(np.array([1.0, 1.0, 2.0]))
    >>> x.tolist(), w.tolist()
    ([1.0, 2.0], [2.0, 1.0])
    """
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return tuple(unique[:, i] for i in range(unique.shape[1])), counts.astype(np.float64)
