"""Column checks shared by the featurizer: kinds, conversion, bad values, drops.

Every function here is pure: it reads a DataFrame and returns values or raises an error
that names the segment and the column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError


def check_frame(facts: object, *, where: str) -> pd.DataFrame:
    """Return ``facts`` if it is a DataFrame with unique column names, else raise."""
    if not isinstance(facts, pd.DataFrame):
        raise DataError(
            f"{where}: facts must be a pandas DataFrame with one row per customer, got "
            f"{type(facts).__name__}. Pass the table returned by metaseg.facts.compute_facts."
        )
    duplicated = facts.columns[facts.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(
            f"{where}: the facts have duplicated column names {preview(duplicated)}; "
            "rename them so each column appears once."
        )
    return facts


def split_kinds(
    facts: pd.DataFrame, names: Sequence[str], origin: dict[str, str], *, where: str
) -> tuple[list[str], list[str]]:
    """Check that ``names`` are usable columns; return (numeric, categorical) in order.

    Booleans count as numeric (0/1); strings, categories and objects as categorical.
    Identifiers and timestamps are refused with a message saying what to use instead.
    """
    numeric: list[str] = []
    categorical: list[str] = []
    for name in names:
        came_from = f" (from preset {origin[name]!r})" if name in origin else ""
        if name.endswith("*") and name not in facts.columns:
            raise ConfigError(
                f"{where}: no column of the facts starts with {name[:-1]!r}{came_from}. The "
                "'needs' preset reads the category-mix facts: add "
                "'category_mix: {top: 8, basis: spend}' to the facts section (or pass "
                "category_mix= to compute_facts)."
            )
        if name not in facts.columns:
            raise ConfigError(
                f"{where}: feature {name!r}{came_from} is not a column of the facts."
                f"{did_you_mean(name, facts.columns)} Available columns: "
                f"{available(facts.columns)}. Fix the name in the spec's 'features'."
            )
        if name == schema.CUSTOMER_ID:
            raise ConfigError(
                f"{where}: {name!r} is the customer identifier, not a feature; "
                "remove it from the spec's 'features'."
            )
        dtype = facts[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise ConfigError(
                f"{where}: feature {name!r}{came_from} holds timestamps or durations "
                f"(dtype {dtype}), which cannot be scaled as they are. Use a day-count fact "
                "instead, such as 'days_since_last_event', 'recency_days' or 'tenure_days'."
            )
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            numeric.append(name)
        else:
            categorical.append(name)
    return numeric, categorical


def prepare(
    facts: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str], *, where: str
) -> pd.DataFrame:
    """Return the used columns as float64 (numeric) and object with NaN (categorical).

    Categorical values are compared as text, so ``1`` and ``"1"`` are one category.
    """
    columns: dict[str, pd.Series] = {}
    for name in numeric:
        columns[name] = _as_float(facts[name], name, where=where)
    for name in categorical:
        columns[name] = facts[name].astype("str").astype(object)
    return pd.DataFrame(columns, index=facts.index, columns=[*numeric, *categorical])


def _as_float(column: pd.Series, name: str, *, where: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce").astype("float64")
    bad = column[converted.isna() & column.notna()]
    if len(bad):
        raise DataError(
            f"{where}: column {name!r} was numeric at fit but now holds {len(bad):,} "
            f"non-numeric value(s), e.g. {preview(bad.unique().tolist(), limit=3)}. "
            "Pass facts with the same column types as at fit."
        )
    return converted


def check_finite(frame: pd.DataFrame, numeric: Sequence[str], *, where: str) -> None:
    """Raise a DataError naming each numeric column that holds +/-inf."""
    if not numeric:
        return
    counts = np.isinf(frame[list(numeric)].to_numpy()).sum(axis=0)
    bad = {name: int(n) for name, n in zip(numeric, counts, strict=True) if n}
    if bad:
        shown = ", ".join(f"{name!r}: {n:,}" for name, n in bad.items())
        raise DataError(
            f"{where}: infinite values in the facts ({shown} rows). Facts should be finite; "
            "replace them with NaN (missing) or fix the computation that produced them."
        )


def check_no_missing(frame: pd.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise a DataError for ``nan_policy="error"`` naming each column with NaN."""
    if not columns:
        return
    counts = frame[list(columns)].isna().sum()
    bad = counts[counts > 0]
    if len(bad):
        shown = ", ".join(f"{name!r}: {int(n):,} of {len(frame):,}" for name, n in bad.items())
        raise DataError(
            f"{where}: missing values with nan_policy='error' ({shown} rows). Fill them "
            "upstream, or choose nan_policy 'median', 'zero' or 'indicator'."
        )


def drop_reasons(
    frame: pd.DataFrame,
    categorical: Sequence[str],
    *,
    near_constant_threshold: float,
    max_categories: int,
) -> dict[str, str]:
    """Return ``{column: reason}`` for constant, near-constant and high-cardinality columns.

    The share of the most frequent value counts missing as a value, so a column that is
    almost always missing is near-constant too. ``near_constant_threshold`` is above 0.5,
    so a value that frequent is a strict majority of the known values and therefore their
    median: numeric columns are checked with one median per column instead of counting
    every distinct value.
    """
    reasons: dict[str, str] = {}
    n_rows = len(frame)
    for name in frame.columns:
        if name in categorical:
            counts = frame[name].value_counts(dropna=False, sort=True)
            top_value, top_count = counts.index[0], int(counts.iloc[0])
            n_distinct = len(counts)
        else:
            top_value, top_count, n_distinct = _numeric_mode(frame[name].to_numpy())
        shown = "missing" if pd.isna(top_value) else _show(top_value)
        if n_distinct == 1:
            reasons[name] = (
                "all values missing" if pd.isna(top_value) else f"constant: every row is {shown}"
            )
        elif top_count / n_rows >= near_constant_threshold:
            reasons[name] = (
                f"near-constant: {top_count / n_rows:.2%} of rows are {shown} "
                f"(near_constant_threshold={near_constant_threshold})"
            )
        elif name in categorical:
            n_categories = int(frame[name].nunique(dropna=True))
            if n_categories > max_categories:
                reasons[name] = (
                    f"high cardinality: {n_categories} categories > max_categories={max_categories}"
                )
    return reasons


def _numeric_mode(values: np.ndarray) -> tuple[float, int, int]:
    """Return (majority candidate, its count, 1 if constant else 2) for a float column.

    The candidate is missing or the median of the known values; its count is exact
    whenever it holds more than half of the rows, which is all the caller needs.
    """
    missing = np.isnan(values)
    n_missing = int(missing.sum())
    if n_missing == len(values):
        return np.nan, n_missing, 1
    known = values[~missing]
    median = float(np.median(known))
    n_median = int(np.count_nonzero(known == median))
    n_distinct = 1 if (n_missing == 0 and n_median == len(known)) else 2
    if n_missing > n_median:
        return np.nan, n_missing, n_distinct
    return median, n_median, n_distinct


def _show(value: object) -> str:
    """Render a value for a message: plain Python repr, without NumPy's type wrapper."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)
