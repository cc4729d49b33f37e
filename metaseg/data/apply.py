"""Applying a column mapping: a source DataFrame in, a standard-named DataFrame out.

Pure functions, no I/O. Renamed columns are shared with the source (copy-on-write), not
copied; built columns (``event_type`` from a rule, ``amount`` as a product) are computed
with vectorised operations. Event types built from a rule come out as a categorical
column; validation turns them into text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.data._checks import examples, numbers
from metaseg.data._columns import decimal_comma_hint
from metaseg.data.conditions import evaluate
from metaseg.data.mapping import (
    AmountProduct,
    ConstantEventType,
    CustomerMapping,
    EventMapping,
    EventTypeFromColumn,
    EventTypeFromCondition,
    EventTypeFromSign,
)
from metaseg.exceptions import DataError

__all__ = ["apply_customer_mapping", "apply_event_mapping"]


def _numeric_source(df: pd.DataFrame, column: str, *, field: str) -> np.ndarray:
    array, bad = numbers(df[column])
    if bad.any():
        found = examples(df[column], bad)
        raise DataError(
            f"source column {column!r} (used for {field}) has {int(bad.sum()):,} non-numeric "
            f"values, e.g. {preview(found)}.{decimal_comma_hint(found)} Fix: clean the "
            "column, or point the mapping at a numeric column."
        )
    return array


def _categorical(codes: np.ndarray, labels: list[str], index: pd.Index) -> pd.Series:
    """A categorical from codes into labels that may repeat (repeats are merged)."""
    position = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    lookup = np.array([position[label] for label in labels] + [-1], dtype=np.int32)
    merged = lookup[codes] if len(position) < len(labels) else codes
    return pd.Series(pd.Categorical.from_codes(merged, list(position)), index=index)


def _event_type(df: pd.DataFrame, mapping: EventMapping) -> pd.Series | None:
    rule = mapping.event_type
    if rule is None:
        return df[schema.EVENT_TYPE] if schema.EVENT_TYPE in df.columns else None
    if isinstance(rule, str):
        return df[rule]
    if isinstance(rule, ConstantEventType):
        return _categorical(np.zeros(len(df), dtype=np.int8), [rule.constant], df.index)
    if isinstance(rule, EventTypeFromColumn):
        codes, uniques = pd.factorize(df[rule.column])
        labels = [rule.values.get(str(u), str(u)) for u in uniques]
        return _categorical(codes, labels, df.index)
    if isinstance(rule, EventTypeFromCondition):
        holds = evaluate(df, rule.when, where="events.event_type.when").astype(np.int8)
        return _categorical(holds, [rule.else_, rule.then], df.index)
    assert isinstance(rule, EventTypeFromSign)
    values = _numeric_source(df, rule.when_negative, field="event_type.when_negative")
    negative = (values < 0).astype(np.int8)
    return _categorical(negative, [rule.else_, rule.then], df.index)


def _amount(df: pd.DataFrame, mapping: EventMapping) -> pd.Series | None:
    rule = mapping.amount
    if rule is None:
        return df[schema.AMOUNT] if schema.AMOUNT in df.columns else None
    if isinstance(rule, str):
        return df[rule]
    assert isinstance(rule, AmountProduct)
    total = _numeric_source(df, rule.product[0], field="amount.product")
    for column in rule.product[1:]:
        total = total * _numeric_source(df, column, field="amount.product")
    return pd.Series(total, index=df.index)


def apply_event_mapping(df: pd.DataFrame, mapping: EventMapping | None) -> pd.DataFrame:
    """Return the standard-named events table that ``mapping`` describes.

    With ``mapping=None`` the frame is returned unchanged. Otherwise the result holds the
    standard columns the mapping names (or that the source already has under their
    standard name) and the ``extra`` columns, nothing else.

    Raises
    ------
    ConfigError
        A source column named in the mapping does not exist (the message lists the
        columns and close matches).
    DataError
        A column used in a product or a sign rule is not numeric.

    Examples
    --------
    >>> src = pd.DataFrame({"Customer": [1, 2], "Qty": [2, -1], "Price": [1.5, 4.0],
    ...                     "When": ["2024-01-01", "2024-01-02"]})
    >>> m = EventMapping(customer_id="Customer", timestamp="When",
    ...                  event_type={"when_negative": "Qty"}, amount={"product": ["Qty", "Price"]})
    >>> out = apply_event_mapping(src, m)
    >>> out["event_type"].tolist(), out["amount"].tolist()
    (['purchase', 'refund'], [3.0, -4.0])
    """
    if mapping is None:
        return df
    mapping.check_columns(df.columns)
    columns: dict[str, pd.Series] = {}
    for column in schema.EVENT_COLUMNS:
        if column == schema.EVENT_TYPE:
            values = _event_type(df, mapping)
        elif column == schema.AMOUNT:
            values = _amount(df, mapping)
        else:
            source = getattr(mapping, column) or (column if column in df.columns else None)
            values = None if source is None else df[source]
        if values is not None:
            columns[column] = values
    for name, source in mapping.extra.items():
        columns[name] = df[source]
    return pd.DataFrame(columns, copy=False)


def apply_customer_mapping(df: pd.DataFrame, mapping: CustomerMapping | None) -> pd.DataFrame:
    """Return the standard-named customers table that ``mapping`` describes.

    With ``mapping=None`` the frame is returned unchanged; otherwise it holds
    ``customer_id``, ``signup_at`` (when mapped or present) and the named attributes.

    Examples
    --------
    >>> src = pd.DataFrame({"Customer ID": [1, 2], "Country": ["UK", "France"]})
    >>> m = CustomerMapping(customer_id="Customer ID", attributes={"country": "Country"})
    >>> apply_customer_mapping(src, m).columns.tolist()
    ['customer_id', 'country']
    """
    if mapping is None:
        return df
    mapping.check_columns(df.columns)
    columns: dict[str, pd.Series] = {}
    for column in (schema.CUSTOMER_ID, schema.SIGNUP_AT):
        source = getattr(mapping, column) or (column if column in df.columns else None)
        if source is not None:
            columns[column] = df[source]
    for name, source in mapping.attributes.items():
        columns[name] = df[source]
    return pd.DataFrame(columns, copy=False)
