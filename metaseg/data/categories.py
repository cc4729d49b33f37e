"""Categories for data that lacks them, derived by typed rules in the mapping.

``category:`` in an events mapping may, instead of a source column, be

``{keywords: {column: Description, table: [{contains: CANDLE, category: candles}, ...]}}``
    an ordered keyword table: a row takes the category of the **first** entry one of whose
    words occurs in ``column`` (case-insensitive substring); a row no entry matches has no
    category (NaN), or ``default`` when one is given;
``{top_level: category_code, separator: "."}``
    the top level of a dotted code (``electronics.smartphone`` -> ``electronics``).

Rows left without a category are reported (:func:`report_uncategorised`): their count
and, for purchases, their share of spend.

Examples
--------
>>> frame = pd.DataFrame({"Description": ["WHITE CANDLE", "RED MUG", "BAG OF MUGS", "PEN"]})
>>> rule = CategoryKeywords.model_validate({"keywords": {"column": "Description", "table": [
...     {"contains": "CANDLE", "category": "candles"},
...     {"contains": ["MUG", "CUP"], "category": "mugs"},
...     {"contains": "BAG", "category": "bags"}]}})
>>> derive_category(frame, rule).tolist()
['candles', 'mugs', 'mugs', nan]
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from metaseg import schema
from metaseg.data._models import StrictModel
from metaseg.data.report import DataReport

_Name = Annotated[str, Field(min_length=1)]


class KeywordEntry(StrictModel):
    """One row of a keyword table: any of ``contains`` gives ``category``."""

    contains: list[_Name]
    category: _Name

    @field_validator("contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class KeywordTable(StrictModel):
    """The source column and the ordered entries; first match wins."""

    column: _Name
    table: Annotated[list[KeywordEntry], Field(min_length=1)]
    default: _Name | None = None


class CategoryKeywords(StrictModel):
    """``category: {keywords: {column, table, default}}``."""

    keywords: KeywordTable


class CategoryTopLevel(StrictModel):
    """``category: {top_level: <column>, separator: "."}``."""

    top_level: _Name
    separator: _Name = "."


def category_source(rule: CategoryKeywords | CategoryTopLevel) -> str:
    """The source column a derived category reads."""
    return rule.keywords.column if isinstance(rule, CategoryKeywords) else rule.top_level


def derive_category(frame: pd.DataFrame, rule: CategoryKeywords | CategoryTopLevel) -> pd.Series:
    """The category of every row of ``frame`` (NaN where none applies)."""
    if isinstance(rule, CategoryTopLevel):
        text = frame[rule.top_level].astype("str").where(frame[rule.top_level].notna())
        top = text.str.split(rule.separator, n=1, regex=False).str[0]
        return top.where(top.str.len() > 0).astype("object")
    table = rule.keywords
    text = frame[table.column].astype("str").str.upper().where(frame[table.column].notna())
    out = np.full(len(frame), np.nan, dtype=object)
    left = np.ones(len(frame), dtype=bool)
    for entry in table.table:
        hit = np.zeros(len(frame), dtype=bool)
        for word in entry.contains:
            hit |= text.str.contains(word.upper(), regex=False, na=False).to_numpy()
        take = hit & left
        out[take] = entry.category
        left &= ~take
    if table.default is not None:
        out[left] = table.default
    return pd.Series(out, index=frame.index, name=schema.CATEGORY, dtype="object")


def report_uncategorised(events: pd.DataFrame, report: DataReport, step: str) -> float:
    """Record events without a category and return the share of spend they hold.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_type": ["purchase"] * 3, "amount": [10.0, 30.0, 60.0],
    ...                    "category": ["mugs", None, None]})
    >>> report = DataReport()
    >>> report_uncategorised(ev, report, "read_events")
    0.9
    >>> print(report.entries[0].reason)
    no category derived (90.0% of purchase spend uncategorised)
    """
    if schema.CATEGORY not in events.columns:
        return float("nan")
    missing = events[schema.CATEGORY].isna().to_numpy()
    purchase = (events[schema.EVENT_TYPE] == schema.PURCHASE).to_numpy()
    amount = events[schema.AMOUNT].to_numpy(dtype="float64")
    total = float(np.nansum(amount[purchase]))
    share = float(np.nansum(amount[purchase & missing]) / total) if total > 0 else float("nan")
    report.add(
        step,
        "info",
        f"no category derived ({share:.1%} of purchase spend uncategorised)",
        rows=int(missing.sum()),
        column=schema.CATEGORY,
    )
    return share
