"""Loader for the UCI Online Retail datasets (II: 2009-2011, and the older 2010-2011 file).

Both files hold one row per invoice line of a UK online gift shop. The loader reads
either (told apart by their column names) and is a thin use of its column mapping,
shipped with metaseg as ``online_retail_ii`` and ``online_retail``
(``metaseg/presets/mappings/*.yaml``, copied to ``configs/mappings/`` as examples):

1. **Sheet overlap** (Online Retail II only; :func:`remove_sheet_overlap`): the
   workbook's two sheets both hold the lines of 2010-12-01 … 2010-12-09. Lines of the
   earlier sheet that also appear in the later sheet (matched line by line, repeats
   counted) are removed, so each is kept once. This is the one step a mapping cannot
   express: it pairs rows of two sheets, where a mapping works row by row.
2. The mapping's ``clean:`` steps, each counted in the report:

   - **exact duplicates** (``drop_exact_duplicates``): lines identical in every column
     (``Sheet`` aside) are kept once;
   - **cancellations** (invoice starting with "C"): counted and kept as ``refund``
     events with a positive amount (``cancellations="refund"``), or dropped (``"drop"``);
   - **adjustments** (``adjustments``): bookkeeping lines, not a customer buying goods,
     are dropped by default: the stock codes in :data:`ADJUSTMENT_CODES` (bad-debt
     adjustments, manual corrections, discounts, samples, bank charges, marketplace
     fees, charity commission, test products) and every line whose price is not above
     zero (free items and stock write-offs). Postage and carriage (``POST``, ``DOT``,
     ``C2``) are charged to the customer and kept as purchases.
3. **Lines without a customer** are dropped by validation and counted.

So ``read_events(lines, "online_retail_ii")`` on the lines less the sheet overlap gives
exactly the loader's events, and ``read_customers`` its customers.

Mapping: ``customer_id`` ← Customer ID; ``timestamp`` ← InvoiceDate, UK local time read
in Europe/London and converted to UTC; ``order_id`` ← Invoice; ``quantity`` ← Quantity;
``amount`` = Quantity × Price; ``event_type`` = ``refund`` for a cancellation or a
negative quantity, else ``purchase``; ``stock_code`` ← StockCode is kept as an extra
column (line level only). There is no ``category`` column: a stock code identifies a
product, not a category, and the free-text description is no honest substitute.
Customers: ``customer_id`` and ``country`` (the customer's most frequent country over
the kept lines, ``duplicate_customers: most_frequent``; 12 customers of Online Retail II
have kept lines in two countries).

References: D. Chen, "Online Retail II", UCI Machine Learning Repository, 2012,
doi:10.24432/C5CG6D; D. Chen, "Online Retail", 2015, doi:10.24432/C5BW33.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available
from metaseg.data._checks import drop_summary
from metaseg.data.cleaning import CleanStep
from metaseg.data.conditions import Not
from metaseg.data.mapping import DatasetMapping, load_mapping
from metaseg.data.policy import ValidationPolicy
from metaseg.data.readers import (
    clean_events_source,
    customers_from_frame,
    events_from_frame,
    read_table,
)
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "ADJUSTMENT_CODES",
    "ONLINE_RETAIL_II_MAPPING",
    "ONLINE_RETAIL_MAPPING",
    "load_online_retail",
    "remove_sheet_overlap",
]

STEP: Final = "load_online_retail"
COUNTRY: Final = "country"
STOCK_CODE: Final = "stock_code"

#: Column mapping of UCI Online Retail II, cleaning included (shipped ``online_retail_ii``).
ONLINE_RETAIL_II_MAPPING: Final = load_mapping("online_retail_ii")
#: Column mapping of the older UCI Online Retail (shipped ``online_retail``).
ONLINE_RETAIL_MAPPING: Final = load_mapping("online_retail")


def _step(mapping: DatasetMapping, name: str) -> CleanStep:
    return next(s for s in mapping.events.clean if s.name == name)


#: Stock codes of bookkeeping lines (the ``adjustments`` step of the mapping), found by
#: looking at every non-product code of the data: bad debt (B), manual entries (M, m),
#: discounts (D), samples (S), bank charges, Amazon fees, CRUK commission, manual
#: adjustments and test products.
ADJUSTMENT_CODES: Final = tuple(_step(ONLINE_RETAIL_II_MAPPING, "adjustments").drop.value)


@dataclass(frozen=True)
class _Variant:
    name: str
    invoice: str
    price: str
    customer: str
    mapping: DatasetMapping

    @property
    def required(self) -> tuple[str, ...]:
        return (self.invoice, "StockCode", "Quantity", "InvoiceDate", self.price)


_VARIANTS: Final = (
    _Variant("Online Retail II", "Invoice", "Price", "Customer ID", ONLINE_RETAIL_II_MAPPING),
    _Variant("Online Retail", "InvoiceNo", "UnitPrice", "CustomerID", ONLINE_RETAIL_MAPPING),
)


def _detect(columns: list[str]) -> _Variant:
    for variant in _VARIANTS:
        if set(variant.required) | {variant.customer, "Country"} <= set(columns):
            return variant
    expected = "; ".join(
        f"{v.name}: {list(v.required) + [v.customer, 'Country']}" for v in _VARIANTS
    )
    raise DataError(
        f"this is not an Online Retail file: its columns are {available(columns)}. "
        f"Expected the columns of one of ({expected}). Fix: pass the original file, or read "
        "other data with metaseg.data.read_events and a column mapping."
    )


def _choice(name: str, value: Any, allowed: tuple[Any, ...]) -> None:
    if value not in allowed:
        raise ConfigError(
            f"{name} must be one of {list(allowed)}, got {value!r}. Fix: pass e.g. "
            f"{name}={allowed[0]!r}."
        )


def _counted(step: CleanStep, reason: str) -> CleanStep:
    """The step turned into a count: its rows are kept, and counted under ``reason``."""
    selection = Not.model_validate({"not": step.keep}) if step.action == "keep" else step.selection
    return CleanStep.model_validate(
        {"count": selection, "name": step.name, "reason": reason, "ignore": step.ignore}
    )


def _with_options(
    steps: list[CleanStep], *, cancellations: str, drop_exact_duplicates: bool, adjustments: str
) -> list[CleanStep]:
    """The mapping's cleaning steps, turned the way the loader's options say."""
    out = []
    for step in steps:
        if step.name == "duplicates" and not drop_exact_duplicates:
            step = _counted(step, "exact duplicate lines kept")
        elif step.name == "cancellations" and cancellations == "drop":
            step = CleanStep.model_validate(
                {"drop": step.selection, "name": step.name, "reason": "cancellation line"}
            )
        elif step.name in ("adjustments", "free_lines") and adjustments == "keep":
            step = _counted(step, f"kept: {step.describe()}")
        out.append(step)
    return out


def _sheet_overlap(lines: pd.DataFrame) -> np.ndarray:
    """Mask of the lines of each sheet that the next sheet repeats in their common days.

    Lines are matched as a multiset: the k-th copy of a line in one sheet pairs with the
    k-th copy in the other, so lines repeated within a sheet are not over-removed.
    """
    overlap = np.zeros(len(lines), dtype=bool)
    if "Sheet" not in lines.columns:
        return overlap
    keys = [c for c in lines.columns if c != "Sheet"]
    sheet = lines["Sheet"]
    spans = lines["InvoiceDate"].groupby(sheet, observed=True).agg(["min", "max"])
    spans = spans.sort_values("min")
    for (earlier, first), (later, second) in zip(
        spans.iterrows(), list(spans.iterrows())[1:], strict=False
    ):
        start, end = second["min"], first["max"]
        if start > end:
            continue
        window = lines["InvoiceDate"].between(start, end).to_numpy()
        left_mask = window & (sheet == earlier).to_numpy()
        right_mask = window & (sheet == later).to_numpy()
        left, right = lines.loc[left_mask, keys], lines.loc[right_mask, keys]
        left = left.assign(
            _n=left.groupby(keys, dropna=False, sort=False).cumcount().to_numpy(),
            _pos=np.flatnonzero(left_mask),
        )
        right = right.assign(_n=right.groupby(keys, dropna=False, sort=False).cumcount().to_numpy())
        overlap[left.merge(right, on=[*keys, "_n"], how="inner")["_pos"].to_numpy()] = True
    return overlap


def remove_sheet_overlap(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The raw Online Retail II lines less the earlier sheet's copy of the shared days.

    The workbook's sheets ("Year 2009-2010", "Year 2010-2011", column ``Sheet``) both
    hold the lines of 2010-12-01 … 2010-12-09. The earlier sheet's lines that the later
    sheet repeats are removed (matched line by line: the k-th copy in one sheet pairs
    with the k-th copy in the other). A table without a ``Sheet`` column is returned as
    it is. The ``Sheet`` column is kept; the mapping's duplicates step ignores it.

    Returns
    -------
    lines : DataFrame
        The lines kept, in their order, with their original index.
    removed : int
        How many lines were removed.

    Examples
    --------
    >>> raw = pd.DataFrame({"Invoice": ["1", "2", "2", "3"],
    ...     "InvoiceDate": pd.to_datetime(["2010-01-01", "2010-12-02", "2010-12-02", "2011-01-01"]),
    ...     "Sheet": ["Year 2009-2010", "Year 2009-2010", "Year 2010-2011", "Year 2010-2011"]})
    >>> lines, removed = remove_sheet_overlap(raw)
    >>> lines["Invoice"].tolist(), removed
    (['1', '2', '3'], 1)
    """
    overlap = _sheet_overlap(raw)
    removed = int(overlap.sum())
    return (raw[~overlap] if removed else raw), removed


def _customers(
    lines: pd.DataFrame,
    events: pd.DataFrame,
    variant: _Variant,
    policy: ValidationPolicy,
    report: DataReport,
) -> pd.DataFrame:
    """The customers of the kept lines (most frequent country), those with events.

    The customers table is built from the same lines as the events, so its own row
    counts (a row per line) are not added to the report; the customers whose lines
    disagree on the country, and those left without an event, are.
    """
    step = f"{STEP}/customers"
    own = DataReport()
    mapping = variant.mapping.customers
    assert mapping is not None
    customers = customers_from_frame(
        lines, mapping.model_copy(update={"clean": []}), policy=policy, report=own, step=step
    )
    report.extend(DataReport([e for e in own if e.unit == "customers"]))
    active = customers[schema.CUSTOMER_ID].isin(events[schema.CUSTOMER_ID]).to_numpy()
    report.add(
        step,
        "dropped",
        "customer without any remaining event (every line after as_of)",
        rows=int((~active).sum()),
        column=schema.CUSTOMER_ID,
        examples=customers.loc[~active, schema.CUSTOMER_ID].head(5).tolist(),
        unit="customers",
    )
    return customers if active.all() else customers[active].reset_index(drop=True)


def _per_invoice(events: pd.DataFrame, report: DataReport) -> pd.DataFrame:
    keys = [schema.ORDER_ID, schema.CUSTOMER_ID, schema.EVENT_TYPE]
    invoices = (
        events.groupby(keys, sort=False, observed=True)
        .agg(
            **{
                schema.TIMESTAMP: (schema.TIMESTAMP, "min"),
                schema.AMOUNT: (schema.AMOUNT, "sum"),
                schema.QUANTITY: (schema.QUANTITY, "sum"),
            }
        )
        .reset_index()
    )
    report.add(
        STEP,
        "info",
        f"invoice lines summed into {len(invoices):,} invoice events (level='invoice'; "
        "timestamp = the invoice's first line)",
        rows=len(events),
        column=schema.ORDER_ID,
    )
    order = [c for c in schema.EVENT_COLUMNS if c in invoices.columns]
    return invoices[order]


def load_online_retail(
    path: str | Path | pd.DataFrame,
    *,
    level: Literal["line", "invoice"] = "line",
    cancellations: Literal["refund", "drop"] = "refund",
    drop_exact_duplicates: bool = True,
    adjustments: Literal["drop", "keep"] = "drop",
    as_of: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, DataReport]:
    """Load UCI Online Retail II (or the older Online Retail) as standard tables.

    Parameters
    ----------
    path : str, Path or DataFrame
        The Parquet/CSV file (or folder), or the raw table already read.
    level : {"line", "invoice"}, default "line"
        One event per invoice line, or per invoice (its lines summed; the timestamp is
        that of its first line; ``stock_code`` is then left out).
    cancellations : {"refund", "drop"}, default "refund"
        Cancelled lines (invoice starting with "C") as refunds, or dropped.
    drop_exact_duplicates : bool, default True
        Keep lines identical in every column once.
    adjustments : {"drop", "keep"}, default "drop"
        Bookkeeping lines (:data:`ADJUSTMENT_CODES`, prices of zero or less): dropped,
        or kept (a negative price then gives a refund, a zero price a zero purchase).
    as_of : str or datetime, optional
        Drop events after this time (a naive value is UK local time).

    Returns
    -------
    events : DataFrame
        ``customer_id`` (int64), ``timestamp`` (UTC), ``event_type`` (``purchase`` or
        ``refund``), ``amount`` (GBP, >= 0), ``order_id`` (the invoice), ``quantity``
        and, per line, ``stock_code``.
    customers : DataFrame
        ``customer_id`` and ``country``, for the customers that have events.
    report : DataReport
        Every cleaning step with its row count.

    Warns
    -----
    DataQualityWarning
        Summarising the lines dropped.

    Examples
    --------
    >>> events, customers, report = load_online_retail(
    ...     "../shared/data/online_retail_ii/online_retail_ii.parquet")  # doctest: +SKIP
    >>> report.dropped("exact duplicate")  # doctest: +SKIP
    11812
    """
    _choice("level", level, ("line", "invoice"))
    _choice("cancellations", cancellations, ("refund", "drop"))
    _choice("drop_exact_duplicates", drop_exact_duplicates, (True, False))
    _choice("adjustments", adjustments, ("drop", "keep"))
    raw = read_table(path)
    variant = _detect([str(c) for c in raw.columns])
    report = DataReport()
    report.add(STEP, "info", f"{variant.name} lines read", rows=len(raw))
    lines, removed = remove_sheet_overlap(raw)
    report.add(
        STEP,
        "dropped",
        "line repeated in the next workbook sheet (the sheets overlap; kept once)",
        rows=removed,
        column="Sheet",
    )
    mapping = variant.mapping.events
    steps = _with_options(
        mapping.clean,
        cancellations=cancellations,
        drop_exact_duplicates=drop_exact_duplicates,
        adjustments=adjustments,
    )
    customers_mapping = variant.mapping.customers
    assert customers_mapping is not None
    lines = clean_events_source(
        lines,
        mapping.model_copy(update={"clean": steps}),
        report=report,
        step=STEP,
        carry=customers_mapping.model_copy(update={"clean": []}).source_columns(lines.columns),
    )
    policy = variant.mapping.policy or ValidationPolicy()
    events = events_from_frame(
        lines,
        mapping.model_copy(update={"clean": []}),
        policy=policy,
        as_of=as_of,
        report=report,
        step=STEP,
    )
    customers = _customers(lines, events, variant, policy, report)
    if level == "invoice":
        events = _per_invoice(events, report)
    line_drops = DataReport([e for e in report if e.unit == "rows"])
    message = drop_summary(line_drops, what=STEP, total=len(raw))
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return events, customers, report
