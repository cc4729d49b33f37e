"""Loader for the UCI Online Retail datasets (II: 2009-2011, and the older 2010-2011 file).

Both files hold one row per invoice line of a UK online gift shop. The loader reads
either (told apart by their column names), cleans it with explicit, counted steps and
returns the standard events and customers tables plus a :class:`DataReport`:

1. **Sheet overlap** (Online Retail II only): the workbook's two sheets both hold the
   lines of 2010-12-01 … 2010-12-09. Lines of the earlier sheet that also appear in the
   later sheet (matched line by line, repeats counted) are removed, so each is kept once.
2. **Exact duplicates** (``drop_exact_duplicates``): lines identical in every column
   are kept once.
3. **Cancellations** (invoice starting with "C", negative quantity): kept as ``refund``
   events with a positive amount (``cancellations="refund"``) or dropped (``"drop"``).
4. **Adjustments** (``adjustments``): lines that are bookkeeping, not a customer buying
   goods, are dropped by default: the stock codes in :data:`ADJUSTMENT_CODES` (bad-debt
   adjustments, manual corrections, discounts, samples, bank charges, marketplace fees,
   charity commission, test products) and every line with a price of zero or less
   (free items and stock write-offs). Postage and carriage (``POST``, ``DOT``, ``C2``)
   are charged to the customer and kept as purchases.
5. **Lines without a customer** are dropped by validation and counted.

Mapping (``configs/mappings/online_retail_ii.yaml`` and ``online_retail.yaml``, the same
as :data:`ONLINE_RETAIL_II_MAPPING` and :data:`ONLINE_RETAIL_MAPPING`): ``customer_id``
← Customer ID; ``timestamp`` ← InvoiceDate, UK local time read in Europe/London and
converted to UTC; ``order_id`` ← Invoice; ``quantity`` ← Quantity;
``amount`` = Quantity × Price; ``event_type`` = ``refund`` when Quantity < 0, else
``purchase``; ``stock_code`` ← StockCode is kept as an extra column (line level only).
There is no ``category`` column: a stock code identifies a product, not a category, and
the free-text description is no honest substitute. Customers: ``customer_id`` and
``country`` (the customer's most frequent country; 13 customers of Online Retail II have
lines in two countries).

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
from metaseg.data._columns import null_ids, standard_ids
from metaseg.data.apply import apply_customer_mapping, apply_event_mapping
from metaseg.data.mapping import (
    AmountProduct,
    CustomerMapping,
    DatasetMapping,
    EventMapping,
    EventTypeFromSign,
)
from metaseg.data.policy import ValidationPolicy
from metaseg.data.readers import read_table
from metaseg.data.report import DataReport
from metaseg.data.validate import _validate_customers, _validate_events
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "ADJUSTMENT_CODES",
    "ONLINE_RETAIL_II_MAPPING",
    "ONLINE_RETAIL_MAPPING",
    "load_online_retail",
]

STEP: Final = "load_online_retail"
COUNTRY: Final = "country"
STOCK_CODE: Final = "stock_code"

#: Stock codes of bookkeeping lines, found by looking at every non-product code of the
#: data: bad debt (B), manual entries (M, m), discounts (D), samples (S), bank charges,
#: Amazon fees, CRUK commission, manual adjustments and test products.
ADJUSTMENT_CODES: Final = (
    "B",
    "M",
    "m",
    "D",
    "S",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
)


def _mapping(invoice: str, price: str, customer: str) -> DatasetMapping:
    return DatasetMapping(
        events=EventMapping(
            customer_id=customer,
            timestamp="InvoiceDate",
            event_type=EventTypeFromSign(
                when_negative="Quantity", then=schema.REFUND, else_=schema.PURCHASE
            ),
            amount=AmountProduct(product=["Quantity", price]),
            order_id=invoice,
            quantity="Quantity",
            extra={STOCK_CODE: "StockCode"},
            timezone="Europe/London",
        ),
        customers=CustomerMapping(customer_id=customer, attributes={COUNTRY: "Country"}),
    )


#: Column mapping of UCI Online Retail II (``configs/mappings/online_retail_ii.yaml``).
ONLINE_RETAIL_II_MAPPING: Final = _mapping("Invoice", "Price", "Customer ID")
#: Column mapping of the older UCI Online Retail (``configs/mappings/online_retail.yaml``).
ONLINE_RETAIL_MAPPING: Final = _mapping("InvoiceNo", "UnitPrice", "CustomerID")


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


class _Lines:
    """The raw lines and the mask of those still kept; filtered once, at the end."""

    def __init__(self, lines: pd.DataFrame, invoice: str, report: DataReport) -> None:
        self.lines = lines
        self.invoice = invoice
        self.report = report
        self.alive = np.ones(len(lines), dtype=bool)

    def drop(self, mask: np.ndarray, reason: str, column: str) -> None:
        """Drop the live lines of ``mask``, recording them with a few invoice numbers."""
        mask = mask & self.alive
        where = np.flatnonzero(mask)[:50]
        found = pd.unique(self.lines[self.invoice].iloc[where].to_numpy())[:5]
        self.report.add(
            STEP, "dropped", reason, rows=int(mask.sum()), column=column, examples=found
        )
        self.alive &= ~mask

    def count(self, mask: np.ndarray, reason: str, column: str | None = None) -> None:
        """Record, without dropping, how many live lines ``mask`` holds."""
        self.report.add(STEP, "info", reason, rows=int((mask & self.alive).sum()), column=column)

    def kept(self) -> pd.DataFrame:
        return self.lines if self.alive.all() else self.lines[self.alive]


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


def _duplicates(lines: pd.DataFrame, exclude: np.ndarray) -> np.ndarray:
    """Mask of lines identical (``Sheet`` aside) to an earlier line outside ``exclude``."""
    keys = [c for c in lines.columns if c != "Sheet"]
    group = lines.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    duplicate = np.zeros(len(lines), dtype=bool)
    duplicate[~exclude] = pd.Series(group[~exclude]).duplicated().to_numpy()
    return duplicate


def _customers(
    lines: pd.DataFrame, events: pd.DataFrame, variant: _Variant, report: DataReport
) -> pd.DataFrame:
    """One row per customer with events: the customer's most frequent country."""
    table = apply_customer_mapping(lines, variant.mapping.customers)
    table = table[~null_ids(table[schema.CUSTOMER_ID])]
    table = table.assign(**{schema.CUSTOMER_ID: standard_ids(table[schema.CUSTOMER_ID])})
    counts = (
        table.groupby([schema.CUSTOMER_ID, COUNTRY], dropna=False, observed=True)
        .size()
        .reset_index(name="_lines")
        .sort_values([schema.CUSTOMER_ID, "_lines", COUNTRY], ascending=[True, False, True])
    )
    several = counts[schema.CUSTOMER_ID].duplicated()
    report.add(
        f"{STEP}/customers",
        "info",
        "customer with lines in several countries: the most frequent country kept",
        rows=int(counts.loc[several, schema.CUSTOMER_ID].nunique()),
        column=COUNTRY,
        examples=counts.loc[several, schema.CUSTOMER_ID].unique()[:5],
    )
    customers = counts[~several].drop(columns="_lines")
    active = customers[schema.CUSTOMER_ID].isin(events[schema.CUSTOMER_ID]).to_numpy()
    report.add(
        f"{STEP}/customers",
        "dropped",
        "customer without any remaining event (all their lines were dropped)",
        rows=int((~active).sum()),
        column=schema.CUSTOMER_ID,
        examples=customers.loc[~active, schema.CUSTOMER_ID].head(5).tolist(),
    )
    return _validate_customers(
        customers[active], policy=ValidationPolicy(), report=report, step=f"{STEP}/customers"
    )


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
    state = _Lines(raw, variant.invoice, report)
    overlap = _sheet_overlap(raw)
    state.drop(
        overlap,
        "line repeated in the next workbook sheet (the sheets overlap; kept once)",
        "Sheet",
    )
    duplicate = _duplicates(raw, overlap)
    if drop_exact_duplicates:
        state.drop(duplicate, "exact duplicate line", variant.invoice)
    else:
        state.count(duplicate, "exact duplicate lines kept", variant.invoice)
    cancelled = raw[variant.invoice].astype("str").str.startswith("C").to_numpy()
    if cancellations == "drop":
        state.drop(cancelled, "cancellation line", variant.invoice)
    else:
        state.count(cancelled, "cancellation lines kept as refunds", variant.invoice)
    coded = raw["StockCode"].isin(ADJUSTMENT_CODES).to_numpy()
    free = ~coded & ~(raw[variant.price] > 0).to_numpy()
    coded_reason = "adjustment line (bookkeeping stock code, see ADJUSTMENT_CODES)"
    free_reason = "line with a price of zero or less (free item, stock write-off)"
    if adjustments == "drop":
        state.drop(coded, coded_reason, "StockCode")
        state.drop(free, free_reason, variant.price)
    else:
        state.count(coded, f"kept: {coded_reason}", "StockCode")
        state.count(free, f"kept: {free_reason}", variant.price)
    lines = state.kept()
    mapping = variant.mapping.events
    standard = apply_event_mapping(lines, mapping)
    policy = ValidationPolicy(
        null_customer_ids="drop", ambiguous_times="shift", negative_amounts="refund"
    )
    events = _validate_events(
        standard,
        as_of=as_of,
        policy=policy,
        timezone=mapping.timezone,
        report=report,
        sources={c: s for c in schema.EVENT_COLUMNS if isinstance(s := getattr(mapping, c), str)},
    )
    customers = _customers(raw[~overlap], events, variant, report)
    if level == "invoice":
        events = _per_invoice(events, report)
    line_drops = DataReport([e for e in report if e.step != f"{STEP}/customers"])
    message = drop_summary(line_drops, what=STEP, total=len(raw))
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return events, customers, report
