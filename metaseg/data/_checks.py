"""The individual checks behind :mod:`metaseg.data.validate`, one per kind of bad value.

Each check looks at one column of the full table and a boolean ``alive`` mask of the rows
still kept. Problems are only counted on live rows, so a row is reported once, for the
first reason found. A check either raises :class:`~metaseg.exceptions.DataError` (policy
``"error"``) or records the action in the report and returns the new ``alive`` mask; the
rows are filtered once, at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.data._columns import decimal_comma_hint, null_ids, standard_ids
from metaseg.data.policy import ValidationPolicy
from metaseg.data.report import DataReport
from metaseg.exceptions import DataError

MONETARY = (schema.PURCHASE, schema.REFUND)

#: The words of each check that drops rows, in check order (see :func:`lost_customers`).
STAGE_TIMESTAMP = "had a missing or unparseable timestamp"
STAGE_AMOUNT = "had a non-numeric, missing or infinite amount"


def stage_as_of(cutoff: Any) -> str:
    """The words of the ``as_of`` check for a cut-off (a UTC timestamp)."""
    return f"after as_of ({cutoff})"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def examples(values: pd.Series | np.ndarray, mask: np.ndarray, limit: int = 5) -> list[Any]:
    """Up to ``limit`` distinct values where ``mask`` is true, looking at few rows only."""
    where = np.flatnonzero(mask)[: limit * 20]
    picked = values.iloc[where] if isinstance(values, pd.Series) else values[where]
    return [_plain(v) for v in pd.unique(pd.Series(picked))[:limit]]


def row_labels(index: pd.Index, mask: np.ndarray, limit: int = 5) -> list[Any]:
    """The index labels of the first ``limit`` rows where ``mask`` is true."""
    return [_plain(v) for v in index[np.flatnonzero(mask)[:limit]]]


def drop_summary(report: DataReport, *, what: str, total: int) -> str | None:
    """One line that sums up the drops of a report, or ``None`` when nothing was dropped.

    Examples
    --------
    >>> r = DataReport()
    >>> r.add("validate_events", "dropped", "null or empty customer_id", rows=2)
    >>> drop_summary(r, what="validate_events", total=10)
    'validate_events dropped 2 of 10 rows (null or empty customer_id: 2); see the returned DataReport.'
    """
    if not report.rows_dropped:
        return None
    parts = "; ".join(
        f"{e.reason}: {e.rows:,}" for e in report if e.action == "dropped" and e.unit == "rows"
    )
    whole = ""
    if report.customers_dropped:
        reasons = "; ".join(
            f"{r.removesuffix(NO_EVENT_LEFT)}: {n:,}"
            for r, n in report.customers_by_reason().items()
        )
        whole = f", and {report.customers_dropped:,} customers lost every event ({reasons})"
    return (
        f"{what} dropped {report.rows_dropped:,} of {total:,} rows ({parts}){whole}; "
        "see the returned DataReport."
    )


#: End of the reason of every report entry counting customers left with no event.
NO_EVENT_LEFT = ": customer left with no event, no label unless the customers table lists it"


def lost_customers(
    ids: pd.Series,
    has_id: np.ndarray,
    alive: np.ndarray,
    stages: list[tuple[str, np.ndarray]],
    *,
    report: DataReport,
    step: str,
) -> None:
    """Count the customers whose every event was dropped, by reason, in ``report``.

    A customer whose events are all dropped (after ``as_of``, bad timestamps, bad
    amounts) vanishes from the events, so without a customers table it gets no facts
    and no label. Each such customer is counted once, under the reason that dropped
    all its events, or under "more than one reason".

    Parameters
    ----------
    ids : Series
        The raw ``customer_id`` column of the whole table.
    has_id : ndarray of bool
        Rows with a customer id (rows without one are counted as rows only).
    alive : ndarray of bool
        Rows kept.
    stages : list of (str, ndarray of bool)
        In check order, the words of each dropping check ("after as_of (...)") and the
        ``alive`` mask right after it.
    report : DataReport
        Receives one ``dropped`` entry per reason, ``unit="customers"``.
    step : str
        The step named in the entries.

    Examples
    --------
    >>> ids = pd.Series(["a", "a", "b", "c"])
    >>> every = np.ones(4, bool)
    >>> late = np.array([True, False, False, True])
    >>> report = DataReport()
    >>> lost_customers(ids, every, late, [("after as_of", late)], report=report, step="s")
    >>> report.customers_by_reason()  # doctest: +NORMALIZE_WHITESPACE
    {'every event after as_of: customer left with no event, no label unless the
      customers table lists it': 1}
    """
    if (alive == has_id).all():
        return
    codes, uniques = pd.factorize(standard_ids(ids[has_id]))
    kept = np.bincount(codes, weights=alive[has_id], minlength=len(uniques)) > 0
    if kept.all():
        return
    reason = np.full(len(ids), -1, dtype=np.int16)
    before = has_id
    for i, (_, after) in enumerate(stages):
        reason[before & ~after] = i
        before = after
    per_row = reason[has_id]
    first = np.full(len(uniques), np.iinfo(np.int16).max, dtype=np.int16)
    last = np.full(len(uniques), -1, dtype=np.int16)
    np.minimum.at(first, codes, per_row)
    np.maximum.at(last, codes, per_row)
    lost = ~kept
    names = [f"every event {words}" for words, _ in stages]
    for i, name in enumerate(names):
        which = lost & (first == i) & (last == i)
        _add_lost(report, step, name, uniques, which)
    mixed = lost & (first != last)
    _add_lost(
        report, step, "every event dropped, for more than one of the reasons above", uniques, mixed
    )


def _add_lost(
    report: DataReport, step: str, why: str, uniques: pd.Index, which: np.ndarray
) -> None:
    report.add(
        step,
        "dropped",
        f"{why}{NO_EVENT_LEFT}",
        rows=int(which.sum()),
        column=schema.CUSTOMER_ID,
        examples=[_plain(v) for v in uniques[np.flatnonzero(which)[:5]]],
        unit="customers",
    )


def check_null_ids(
    values: pd.Series,
    alive: np.ndarray,
    *,
    table: str,
    label: str,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> np.ndarray:
    """Rows without a customer id: dropped or refused (``policy.null_customer_ids``)."""
    missing = null_ids(values) & alive
    n_missing = int(missing.sum())
    if not n_missing:
        return alive
    if policy.null_customer_ids == "error":
        raise DataError(
            f"{table}: column {label} is null or empty in {n_missing:,} of {len(values):,} rows "
            f"(row labels {preview(row_labels(values.index, missing))}). Fix: fill in the ids, "
            "or set ValidationPolicy(null_customer_ids='drop') to drop these rows."
        )
    report.add(
        step,
        "dropped",
        "null or empty customer_id",
        rows=n_missing,
        column=schema.CUSTOMER_ID,
        examples=row_labels(values.index, missing),
    )
    return alive & ~missing


def event_type_codes(
    values: pd.Series, alive: np.ndarray, *, label: str, report: DataReport, step: str
) -> tuple[np.ndarray, list[str], bool]:
    """Integer codes into lower-case labels, and whether any live value was rewritten.

    Null event types on live rows are an error: there is no safe default.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = list(values.cat.categories)
    else:
        codes, found = pd.factorize(values)
        uniques = list(found)
    missing = (codes < 0) & alive
    if missing.any():
        raise DataError(
            f"column {label} is null in {int(missing.sum()):,} rows (row labels "
            f"{preview(row_labels(values.index, missing))}). Fix: fill it in, or give the "
            "mapping an event type rule: {constant: purchase}, a value map, or "
            "{when_negative: <column>}."
        )
    normal = [str(u).strip().lower() for u in uniques]
    position = {n: i for i, n in enumerate(dict.fromkeys(normal))}
    labels = list(position)
    changed_codes = [i for i, (u, n) in enumerate(zip(uniques, normal, strict=True)) if u != n]
    if changed_codes:
        changed = np.isin(codes, changed_codes) & alive
        report.add(
            step,
            "changed",
            "event_type written in lower case without surrounding spaces",
            rows=int(changed.sum()),
            column=schema.EVENT_TYPE,
            examples=examples(values, changed),
        )
    small = np.int8 if len(labels) < 100 else np.int32
    lookup = np.array([position[n] for n in normal] + [-1], dtype=small)
    return lookup[codes], labels, bool(changed_codes)


def is_monetary(codes: np.ndarray, labels: list[str]) -> np.ndarray:
    """Mask of purchase/refund rows, by a table lookup on the codes (no hashing)."""
    table = np.array([label in MONETARY for label in labels] + [False])
    return table[codes]


def check_timestamps(
    raw: pd.Series,
    invalid: np.ndarray,
    alive: np.ndarray,
    *,
    column: str,
    label: str,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> np.ndarray:
    """Missing or unparseable timestamps: dropped or refused (``invalid_timestamps``)."""
    invalid = invalid & alive
    n_invalid = int(invalid.sum())
    if not n_invalid:
        return alive
    found = examples(raw, invalid)
    if policy.invalid_timestamps == "error":
        raise DataError(
            f"column {label} has {n_invalid:,} missing or unparseable timestamps, e.g. "
            f"{preview(found)} (row labels {preview(row_labels(raw.index, invalid))}). Fix: "
            "correct them, give their format (timestamp_format in the mapping, e.g. "
            "'%d/%m/%Y %H:%M'), or set ValidationPolicy(invalid_timestamps='drop') to drop "
            "these rows."
        )
    report.add(
        step,
        "dropped",
        f"missing or unparseable {column}",
        rows=n_invalid,
        column=column,
        examples=found,
    )
    return alive & ~invalid


def check_as_of(
    times: pd.Series,
    alive: np.ndarray,
    *,
    as_of: pd.Timestamp,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> np.ndarray:
    """Events after ``as_of``: dropped or refused (``policy.after_as_of``)."""
    late = (times > as_of).to_numpy() & alive
    n_late = int(late.sum())
    if not n_late:
        return alive
    found = [str(t) for t in examples(times, late)]
    if policy.after_as_of == "error":
        latest = times[late].max()
        raise DataError(
            f"column {schema.TIMESTAMP!r} has {n_late:,} events after as_of={as_of} (the latest at "
            f"{latest}), e.g. {preview(found)}. Fix: pass a later as_of, or set "
            "ValidationPolicy(after_as_of='drop') to drop them."
        )
    report.add(
        step,
        "dropped",
        f"event after as_of ({as_of})",
        rows=n_late,
        column=schema.TIMESTAMP,
        examples=found,
    )
    return alive & ~late


def numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as float64 and the mask of values present but not numeric."""
    if values.dtype == np.float64:  # numpy-backed float64: a view, no copy
        return values.to_numpy(), np.zeros(len(values), bool)
    if values.dtype.kind in "biuf":
        return values.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(values), bool)
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return array, ~null_ids(values) & np.isnan(array)


def check_amounts(
    raw: pd.Series,
    codes: np.ndarray,
    labels: list[str],
    alive: np.ndarray,
    *,
    label: str,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as float64; non-numeric, or NaN/inf on purchases/refunds, per policy."""
    amount, not_numeric = numbers(raw)
    not_numeric &= alive
    monetary = is_monetary(codes, labels)
    infinite = np.isinf(amount)
    unusable = alive & ~not_numeric & (infinite | (monetary & np.isnan(amount)))
    n_text, n_bad = int(not_numeric.sum()), int(unusable.sum())
    if policy.invalid_amounts == "error" and n_text:
        found = examples(raw, not_numeric)
        raise DataError(
            f"column {label} has {n_text:,} non-numeric values, e.g. {preview(found)}."
            f"{decimal_comma_hint(found)} Fix: clean the column (a decimal point, no currency "
            "symbols or thousands separators), or set ValidationPolicy(invalid_amounts='drop') "
            "to drop these rows."
        )
    if policy.invalid_amounts == "error" and n_bad:
        n_inf = int((unusable & infinite).sum())
        raise DataError(
            f"column {label} is missing or infinite on {n_bad:,} purchase/refund events "
            f"(NaN: {n_bad - n_inf:,}, inf: {n_inf:,}; row labels "
            f"{preview(row_labels(raw.index, unusable))}). Purchases and refunds need a finite "
            "amount. Fix: fill in the amounts, or set ValidationPolicy(invalid_amounts='drop') "
            "to drop these rows."
        )
    report.add(
        step,
        "dropped",
        "non-numeric amount",
        rows=n_text,
        column=schema.AMOUNT,
        examples=examples(raw, not_numeric),
    )
    report.add(
        step,
        "dropped",
        "missing or infinite amount on a purchase/refund (or infinite on any event)",
        rows=n_bad,
        column=schema.AMOUNT,
        examples=row_labels(raw.index, unusable),
    )
    return amount, alive & ~not_numeric & ~unusable


def negative_to_refunds(
    codes: np.ndarray,
    amount: np.ndarray,
    labels: list[str],
    alive: np.ndarray,
    *,
    label: str,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> tuple[np.ndarray | None, np.ndarray, bool]:
    """Negative amounts become refunds (``policy.negative_amounts``).

    Returns the mask of converted rows (``None`` when no live amount is negative), the
    amounts, and whether any event type changed; ``codes`` and ``labels`` are updated
    in place.
    """
    with np.errstate(invalid="ignore"):
        negative = (amount < 0) & alive
    if not negative.any():
        return None, amount, False
    monetary = is_monetary(codes, labels)
    other = negative & ~monetary
    if other.any():
        types = sorted({labels[c] for c in np.unique(codes[other])})
        raise DataError(
            f"column {label} is negative on {int(other.sum()):,} events of type(s) {types}, "
            f"e.g. {preview(examples(amount, other))}. Only purchases and refunds carry money. "
            "Fix: correct the amounts or the event types."
        )
    if policy.negative_amounts == "error":
        raise DataError(
            f"column {label} is negative on {int(negative.sum()):,} purchase/refund events, "
            f"e.g. {preview(examples(amount, negative))}. Refunds are positive amounts with "
            "event_type 'refund'. Fix: correct the amounts, or set "
            "ValidationPolicy(negative_amounts='refund') to turn them into refunds."
        )
    if schema.REFUND not in labels:
        labels.append(schema.REFUND)
    refund = labels.index(schema.REFUND)
    purchases = negative & (codes != refund)
    report.add(
        step,
        "changed",
        "negative amount: event_type set to refund and amount made positive",
        rows=int(purchases.sum()),
        column=schema.AMOUNT,
        examples=examples(amount, purchases),
    )
    refunds = negative & ~purchases
    report.add(
        step,
        "changed",
        "negative refund amount made positive",
        rows=int(refunds.sum()),
        column=schema.AMOUNT,
        examples=examples(amount, refunds),
    )
    retyped = bool(purchases.any())
    if retyped:
        codes[purchases] = refund
    amount = np.where(negative, -amount, amount)
    return negative, amount, retyped


def quantities(values: pd.Series, *, label: str) -> np.ndarray:
    """Quantities as float64; a value present but not numeric is an error."""
    array, bad = numbers(values)
    if bad.any():
        found = examples(values, bad)
        raise DataError(
            f"column {label} has {int(bad.sum()):,} non-numeric values, e.g. {preview(found)}."
            f"{decimal_comma_hint(found)} Fix: clean the column, or leave quantity out of the "
            "mapping."
        )
    return array
