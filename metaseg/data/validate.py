"""Validation of the standard events and customers tables.

:func:`validate_events` and :func:`validate_customers` check a table that already has
the standard column names, coerce it to the standard dtypes and apply a
:class:`~metaseg.data.policy.ValidationPolicy` to bad rows. Every row dropped or changed
is recorded in the returned :class:`~metaseg.data.report.DataReport`; a
:class:`~metaseg.exceptions.DataQualityWarning` summarises drops. A customer whose every
event is dropped (all after ``as_of``, say) is counted too, once, by reason (entries with
``unit="customers"``): without a customers table it would otherwise vanish from the labels.

Output dtypes: ``customer_id`` int64 when every id is integral (``12346.0`` becomes
``12346``), else ``str``; ``timestamp`` tz-aware UTC; ``event_type`` lower-case ``str``;
``amount`` and ``quantity`` float64. The index is reset to ``0..n-1``. Everything is
vectorised, rows are filtered once, and a column already in its standard dtype is not
copied.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.data import _checks as checks
from metaseg.data._columns import as_text, require_columns, standard_ids, strings_from_codes
from metaseg.data._timestamps import describe, to_utc, utc_instant
from metaseg.data.mapping import check_timezone
from metaseg.data.policy import ValidationPolicy
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = ["align_customer_ids", "validate_customers", "validate_events"]


def _frame(df: Any, table: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{table} must be a pandas DataFrame, got {type(df).__name__}.")
    duplicated = df.columns[df.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(
            f"{table} table has duplicated column names {duplicated}. Fix: rename or drop "
            "the repeated columns before validating."
        )
    # A new frame object sharing the data (copy-on-write): the caller's frame is untouched.
    return df[list(df.columns)]


def _zone(timezone: str) -> None:
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise ConfigError(f"timezone: {exc}") from None


def _keep(df: pd.DataFrame, alive: np.ndarray) -> pd.DataFrame:
    if alive.all():
        return df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) else df
    return df[alive].reset_index(drop=True)


def _validate_events(
    df: pd.DataFrame,
    *,
    as_of: Any = None,
    policy: ValidationPolicy,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
    report: DataReport,
    step: str = "validate_events",
    sources: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The validation itself; records in ``report`` and never warns (see the public API)."""
    sources = dict(sources or {})

    def label(column: str) -> str:
        return describe(column, sources.get(column))

    _zone(timezone)
    df = _frame(df, "events")
    require_columns(
        df.columns,
        schema.EVENT_REQUIRED,
        table="events",
        fix="rename the columns to the standard names, or pass a column mapping, e.g. "
        "read_events(source, {'customer_id': 'Customer ID', 'timestamp': 'InvoiceDate', "
        "'event_type': {'constant': 'purchase'}, 'amount': 'Revenue'}).",
    )
    cutoff = None if as_of is None else utc_instant(as_of, timezone=timezone)
    common = {"policy": policy, "report": report, "step": step}
    alive = np.ones(len(df), dtype=bool)
    alive = checks.check_null_ids(
        df[schema.CUSTOMER_ID], alive, table="events", label=label(schema.CUSTOMER_ID), **common
    )
    has_id = alive
    stages: list[tuple[str, np.ndarray]] = []
    event_type = df[schema.EVENT_TYPE]
    codes, labels, relabelled = checks.event_type_codes(
        event_type, alive, label=label(schema.EVENT_TYPE), report=report, step=step
    )
    raw_times = df[schema.TIMESTAMP]
    times, invalid = to_utc(
        raw_times,
        column=schema.TIMESTAMP,
        timezone=timezone,
        timestamp_format=timestamp_format,
        source=sources.get(schema.TIMESTAMP),
        **common,
    )
    alive = checks.check_timestamps(
        raw_times, invalid, alive, column=schema.TIMESTAMP, label=label(schema.TIMESTAMP), **common
    )
    stages.append((checks.STAGE_TIMESTAMP, alive))
    if times is not raw_times:
        df[schema.TIMESTAMP] = times
    if cutoff is not None:
        alive = checks.check_as_of(times, alive, as_of=cutoff, **common)
        stages.append((checks.stage_as_of(cutoff), alive))
    raw_amount = df[schema.AMOUNT]
    amount, alive = checks.check_amounts(
        raw_amount, codes, labels, alive, label=label(schema.AMOUNT), **common
    )
    stages.append((checks.STAGE_AMOUNT, alive))
    checks.lost_customers(df[schema.CUSTOMER_ID], has_id, alive, stages, report=report, step=step)
    negative, amount, retyped = checks.negative_to_refunds(
        codes, amount, labels, alive, label=label(schema.AMOUNT), **common
    )
    if raw_amount.dtype != np.float64 or negative is not None:
        df[schema.AMOUNT] = amount
    if schema.QUANTITY in df.columns:
        quantity = df[schema.QUANTITY]
        array = checks.quantities(quantity, label=label(schema.QUANTITY))
        if negative is not None:
            flip = negative & (array < 0)
            if flip.any():
                array = np.where(flip, -array, array)
                quantity = None
        if quantity is None or quantity.dtype != np.float64:
            df[schema.QUANTITY] = array
    if relabelled or retyped or not isinstance(event_type.dtype, pd.StringDtype):
        df[schema.EVENT_TYPE] = strings_from_codes(codes, labels, df.index)
    df = _keep(df, alive)
    ids = df[schema.CUSTOMER_ID]
    converted = standard_ids(ids)
    if converted is not ids:
        df[schema.CUSTOMER_ID] = converted
    for column in (schema.ORDER_ID, schema.CATEGORY, schema.CHANNEL):
        if column in df.columns and df[column].dtype == object:
            df[column] = as_text(df[column])
    order = [c for c in schema.EVENT_COLUMNS if c in df.columns]
    rest = [c for c in df.columns if c not in order]
    return df if list(df.columns) == order + rest else df[order + rest]


def validate_events(
    df: pd.DataFrame,
    *,
    as_of: Any = None,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Check a standard events table and return it in the standard dtypes.

    Parameters
    ----------
    df : DataFrame
        Columns ``customer_id``, ``timestamp``, ``event_type``, ``amount`` and
        optionally ``order_id``, ``quantity``, ``category``, ``channel``, others kept.
        It is not modified.
    as_of : str or datetime, optional
        Events later than this are dropped or refused (``policy.after_as_of``); a naive
        value is read in ``timezone``.
    policy : ValidationPolicy or dict, optional
        What to do with bad rows; defaults to :class:`ValidationPolicy` ``()``.
    timezone : str, default "UTC"
        Time zone of naive timestamps.
    timestamp_format : str, optional
        ``strptime`` format of timestamp texts.

    Returns
    -------
    events : DataFrame
        The validated table, index reset.
    report : DataReport
        Every row dropped or changed, and the customers left with no event, by reason
        (:attr:`DataReport.customers_dropped`).

    Raises
    ------
    DataError
        A required column is missing, or a bad value meets an ``"error"`` policy.

    Warns
    -----
    DataQualityWarning
        When rows were dropped.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": [1.0, 2.0], "timestamp": ["2024-01-02", "2024-01-03"],
    ...                     "event_type": ["Purchase", "purchase"], "amount": [10.0, -4.0]})
    >>> events, report = validate_events(raw)
    >>> events["event_type"].tolist(), events["amount"].tolist()
    (['purchase', 'refund'], [10.0, 4.0])
    >>> str(events["customer_id"].dtype), str(events["timestamp"].dtype)
    ('int64', 'datetime64[us, UTC]')
    """
    report = DataReport()
    checked = ValidationPolicy.coerce(policy)
    n_rows = len(df) if isinstance(df, pd.DataFrame) else 0
    out = _validate_events(
        df,
        as_of=as_of,
        policy=checked,
        timezone=timezone,
        timestamp_format=timestamp_format,
        report=report,
    )
    message = checks.drop_summary(report, what="validate_events", total=n_rows)
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return out, report


def _validate_customers(
    df: pd.DataFrame,
    *,
    policy: ValidationPolicy,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
    report: DataReport,
    step: str = "validate_customers",
    sources: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The validation itself; records in ``report`` and never warns (see the public API)."""
    sources = dict(sources or {})
    _zone(timezone)
    df = _frame(df, "customers")
    require_columns(
        df.columns,
        schema.CUSTOMER_REQUIRED,
        table="customers",
        fix="rename the id column to 'customer_id', or pass a mapping, e.g. "
        "read_customers(source, {'customer_id': 'Customer ID'}).",
    )
    common = {"policy": policy, "report": report, "step": step}
    label = describe(schema.CUSTOMER_ID, sources.get(schema.CUSTOMER_ID))
    alive = np.ones(len(df), dtype=bool)
    alive = checks.check_null_ids(
        df[schema.CUSTOMER_ID], alive, table="customers", label=label, **common
    )
    if schema.SIGNUP_AT in df.columns:
        raw = df[schema.SIGNUP_AT]
        times, invalid = to_utc(
            raw,
            column=schema.SIGNUP_AT,
            timezone=timezone,
            timestamp_format=timestamp_format,
            source=sources.get(schema.SIGNUP_AT),
            **common,
        )
        alive = checks.check_timestamps(
            raw,
            invalid,
            alive,
            column=schema.SIGNUP_AT,
            label=describe(schema.SIGNUP_AT, sources.get(schema.SIGNUP_AT)),
            **common,
        )
        df[schema.SIGNUP_AT] = times
    df = _keep(df, alive)
    ids = standard_ids(df[schema.CUSTOMER_ID])
    df[schema.CUSTOMER_ID] = ids
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        found = checks.examples(ids, repeated)
        if policy.duplicate_customers == "error":
            raise DataError(
                f"customers: column {label} repeats {ids[repeated].nunique():,} ids over "
                f"{int(repeated.sum()):,} rows, e.g. {preview(found)}. The customers table "
                "needs one row per customer. Fix: aggregate the attributes per customer "
                "first, or set duplicate_customers: keep_first (or most_frequent) in the "
                "mapping's policy, or ValidationPolicy(duplicate_customers='keep_first')."
            )
        df = _one_row_per_customer(df, policy, report=report, step=step, examples=found)
    columns = [schema.CUSTOMER_ID] + [c for c in df.columns if c != schema.CUSTOMER_ID]
    return df[columns]


def _one_row_per_customer(
    df: pd.DataFrame, policy: ValidationPolicy, *, report: DataReport, step: str, examples: list
) -> pd.DataFrame:
    """Keep one row per ``customer_id`` (``keep_first`` or ``most_frequent``), counted."""
    ids = df[schema.CUSTOMER_ID]
    codes = pd.factorize(ids)[0]
    distinct = df.drop_duplicates()
    split = distinct[schema.CUSTOMER_ID].duplicated(keep=False).to_numpy()
    rule = (
        "the first row kept"
        if policy.duplicate_customers == "keep_first"
        else "the most frequent row kept"
    )
    report.add(
        step,
        "info",
        f"customer whose repeated rows disagree on attributes ({rule})",
        rows=int(distinct.loc[split, schema.CUSTOMER_ID].nunique()),
        column=schema.CUSTOMER_ID,
        examples=checks.examples(distinct[schema.CUSTOMER_ID], split),
        unit="customers",
    )
    if policy.duplicate_customers == "keep_first":
        chosen = np.flatnonzero(~ids.duplicated(keep="first").to_numpy())
    else:
        rows = df.groupby(list(df.columns), dropna=False, sort=False).ngroup().to_numpy()
        size = np.bincount(rows)[rows]
        order = np.lexsort((np.arange(len(df)), -size, codes))
        first = np.r_[True, codes[order][1:] != codes[order][:-1]]
        chosen = order[first]
    report.add(
        step,
        "dropped",
        f"repeated customer_id ({rule})",
        rows=len(df) - len(chosen),
        column=schema.CUSTOMER_ID,
        examples=examples,
    )
    return df.iloc[chosen].reset_index(drop=True)


def validate_customers(
    df: pd.DataFrame,
    *,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Check a standard customers table: one row per ``customer_id``, attributes kept.

    ``customer_id`` gets the same dtype rule as in events (int64 when integral, else
    ``str``); ``signup_at``, when present, becomes tz-aware UTC (naive values read in
    ``timezone``). Other columns are kept as they are.

    Returns
    -------
    customers : DataFrame
    report : DataReport

    Raises
    ------
    DataError
        No ``customer_id`` column, repeated ids (``policy.duplicate_customers``), null ids
        (``policy.null_customer_ids``) or bad ``signup_at`` values.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": ["7", "8"], "region": ["north", "south"]})
    >>> customers, _ = validate_customers(raw)
    >>> customers["customer_id"].tolist()
    [7, 8]
    """
    report = DataReport()
    checked = ValidationPolicy.coerce(policy)
    n_rows = len(df) if isinstance(df, pd.DataFrame) else 0
    out = _validate_customers(
        df, policy=checked, timezone=timezone, timestamp_format=timestamp_format, report=report
    )
    message = checks.drop_summary(report, what="validate_customers", total=n_rows)
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return out, report


def align_customer_ids(
    events: pd.DataFrame, customers: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give both tables the same ``customer_id`` dtype (text when one side is text).

    Validation picks int64 or ``str`` per table; joining needs one dtype. Integer ids are
    written as text (``12346`` → ``"12346"``) only when the other table has text ids.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": [1, 2]})
    >>> cu = pd.DataFrame({"customer_id": ["1", "x"]})
    >>> ev2, cu2 = align_customer_ids(ev, cu)
    >>> ev2["customer_id"].tolist()
    ['1', '2']
    """
    left, right = events[schema.CUSTOMER_ID], customers[schema.CUSTOMER_ID]
    if left.dtype == right.dtype:
        return events, customers
    if left.dtype.kind in "iu":
        return events.assign(**{schema.CUSTOMER_ID: left.astype("str")}), customers
    if right.dtype.kind in "iu":
        return events, customers.assign(**{schema.CUSTOMER_ID: right.astype("str")})
    return events, customers
