"""The customer facts computed with plain pandas ``groupby``.

This is a second, independent implementation of the facts defined in
:mod:`metaseg.facts.registry`: the tests use it as an oracle for the DuckDB query and
``experiments/bench_facts.py`` as the baseline. It is not part of the package: it takes
a DataFrame only and checks its parameters but not its events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.facts.params import check_windows, parse_as_of, to_epoch_us
from metaseg.facts.registry import DEFAULT_WINDOWS, FACTS, US_PER_DAY, fact_columns

_NAT = np.iinfo(np.int64).min


def reference_facts(
    events: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    windows: Iterable[int] = DEFAULT_WINDOWS,
) -> pd.DataFrame:
    """Compute the facts of :func:`metaseg.facts.compute_facts` with pandas alone.

    Parameters
    ----------
    events : DataFrame
        Standard events.
    customers : DataFrame, optional
        ``customer_id`` (unique) plus attributes.
    as_of : str, datetime or Timestamp, optional
        Default: the latest event's timestamp.
    windows : iterable of int
        Window lengths in days.

    Returns
    -------
    DataFrame
        The same columns, dtypes, order and ``attrs`` as ``compute_facts``.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "customer_id": [7, 7],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"], utc=True),
    ...     "event_type": ["add_to_cart", "purchase"],
    ...     "amount": [float("nan"), 12.5],
    ... })
    >>> facts = reference_facts(events, windows=(7,))
    >>> int(facts.loc[0, "n_add_to_cart"]), float(facts.loc[0, "recency_days"])
    (1, 0.0)
    """
    windows = check_windows(windows)
    stamps = _epoch_us(events[schema.TIMESTAMP])
    as_of_stamp = (
        pd.Timestamp(int(stamps.max()), unit="us", tz="UTC")
        if as_of is None
        else parse_as_of(as_of)
    )
    now = to_epoch_us(as_of_stamp)
    known = stamps <= now
    events = events[known]

    out = _aggregates(events, stamps[known], now, windows)
    if customers is not None:
        ids = out.index.union(pd.Index(customers[schema.CUSTOMER_ID])).sort_values()
        out = out.reindex(ids)
        if schema.SIGNUP_AT in customers.columns:
            signup = customers.set_index(schema.CUSTOMER_ID)[schema.SIGNUP_AT]
            signup_us = np.where(signup.isna(), np.nan, _epoch_us(signup))
            out["signup_us"] = pd.Series(signup_us, index=signup.index).reindex(out.index)

    facts = _facts(out, now, windows)
    facts.index.name = schema.CUSTOMER_ID
    facts = facts.reset_index()
    if customers is not None:
        facts = facts.merge(customers, on=schema.CUSTOMER_ID, how="left")
    facts.attrs.update(
        as_of=as_of_stamp.isoformat(), windows=windows, events_after_as_of=int((~known).sum())
    )
    return facts


def _epoch_us(stamps: pd.Series) -> np.ndarray:
    """Integer microseconds since the epoch of a datetime column (naive read as UTC)."""
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[us]").view("int64")


def _aggregates(
    events: pd.DataFrame, ts: np.ndarray, now: int, windows: tuple[int, ...]
) -> pd.DataFrame:
    """Per-customer counts, sums, first and last times, indexed by sorted customer id."""
    codes, ids = pd.factorize(events[schema.CUSTOMER_ID], sort=True)
    kind = events[schema.EVENT_TYPE].astype("str").to_numpy()
    amount = events[schema.AMOUNT].astype("float64").to_numpy()
    is_purchase, is_view = kind == schema.PURCHASE, kind == schema.VIEW
    is_cart, is_refund = kind == schema.ADD_TO_CART, kind == schema.REFUND
    ts_float = ts.astype("float64")  # exact: epoch microseconds stay below 2**53

    def masked(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.where(mask, values, np.nan)

    columns = {
        "first_us": (ts_float, "min"),
        "last_us": (ts_float, "max"),
        "n_purchases": (is_purchase, "sum"),
        "n_views": (is_view, "sum"),
        "n_add_to_cart": (is_cart, "sum"),
        "n_refunds": (is_refund, "sum"),
        "gross": (masked(is_purchase, amount), "sum"),
        "refunded": (masked(is_refund, amount), "sum"),
        "first_purchase_us": (masked(is_purchase, ts_float), "min"),
        "last_purchase_us": (masked(is_purchase, ts_float), "max"),
        "last_cart_us": (masked(is_cart, ts_float), "max"),
        "last_view_us": (masked(is_view, ts_float), "max"),
    }
    for w in windows:
        in_window = ts > now - w * US_PER_DAY
        columns[f"purchases_{w}d"] = (is_purchase & in_window, "sum")
        columns[f"revenue_{w}d"] = (masked(is_purchase & in_window, amount), "sum")
        columns[f"views_{w}d"] = (is_view & in_window, "sum")
        columns[f"add_to_cart_{w}d"] = (is_cart & in_window, "sum")
    frame = pd.DataFrame({name: values for name, (values, _) in columns.items()})
    out = frame.groupby(codes).agg({name: how for name, (_, how) in columns.items()})

    # Carts strictly after the last purchase (a cart at the same time counts as before).
    last_purchase = out["last_purchase_us"].to_numpy()[codes]
    after_last = is_cart & (np.isnan(last_purchase) | (ts_float > last_purchase))
    out["carts_since_last_purchase"] = np.bincount(codes, after_last, minlength=len(ids))

    # Orders: distinct order ids among purchases; a purchase without one is its own order.
    if schema.ORDER_ID in events.columns:
        orders = pd.DataFrame({"code": codes, "oid": events[schema.ORDER_ID].to_numpy()})
        orders = orders[is_purchase]
        no_id = orders["oid"].isna().to_numpy()
        distinct = orders[~no_id].drop_duplicates()
        out["n_orders"] = np.bincount(distinct["code"], minlength=len(ids)) + np.bincount(
            orders["code"][no_id], minlength=len(ids)
        )
    else:
        out["n_orders"] = out["n_purchases"]

    # Categories: distinct categories and the share of the most frequent one.
    if schema.CATEGORY in events.columns:
        category = events[schema.CATEGORY].to_numpy()
        has = pd.notna(category)
        counts = (
            pd.DataFrame({"code": codes[has], "cat": category[has]})
            .groupby(["code", "cat"], observed=True)
            .size()
            .groupby(level="code")
        )
        out["n_categories"] = counts.size()
        out["top_category_share"] = counts.max() / counts.sum()
    out.index = pd.Index(ids, name=schema.CUSTOMER_ID)
    return out


def _facts(out: pd.DataFrame, now: int, windows: tuple[int, ...]) -> pd.DataFrame:
    """Turn the aggregates into the facts, with the kinds' dtypes and defaults."""

    def days_since(micros: pd.Series) -> pd.Series:
        return (now - micros) / US_PER_DAY

    first = out["first_us"]
    start = first
    if "signup_us" in out.columns:
        signup = out["signup_us"]
        start = signup.fillna(first).where(~(signup > now))
    orders = out["n_orders"].fillna(0)
    gross = out["gross"].fillna(0.0)
    refunded = out["refunded"].fillna(0.0)

    facts = pd.DataFrame(index=out.index)
    facts["first_seen"] = _stamps(first)
    facts["last_seen"] = _stamps(out["last_us"])
    facts["recency_days"] = days_since(out["last_purchase_us"])
    facts["days_since_last_event"] = days_since(out["last_us"])
    facts["tenure_days"] = days_since(start)
    facts["frequency"] = orders
    for name in ("n_purchases", "n_views", "n_add_to_cart", "n_refunds"):
        facts[name] = out[name]
    facts["gross_revenue"] = gross
    facts["monetary"] = gross - refunded
    facts["avg_order_value"] = (gross / orders).where(orders > 0)
    span = (out["last_purchase_us"] - out["first_purchase_us"]) / US_PER_DAY
    facts["mean_days_between_orders"] = (span / (orders - 1)).where(orders >= 2)
    for w in windows:
        for stem in ("purchases", "revenue", "views", "add_to_cart"):
            facts[f"{stem}_{w}d"] = out[f"{stem}_{w}d"]
    facts["carts_since_last_purchase"] = out["carts_since_last_purchase"]
    facts["days_since_last_cart"] = days_since(out["last_cart_us"])
    facts["days_since_last_view"] = days_since(out["last_view_us"])
    facts["refund_rate"] = (refunded / gross).where(gross != 0)
    facts["n_categories"] = out.get("n_categories", 0)
    facts["top_category_share"] = out.get("top_category_share", np.nan)

    facts = facts[fact_columns(windows)]
    dtypes = {}
    for fact in FACTS:
        for name, _ in fact.expand(windows):
            if fact.kind == "count":
                dtypes[name] = "int64"
            elif fact.kind != "timestamp":
                dtypes[name] = "float64"
        if fact.default_if_empty is not None:
            names = [name for name, _ in fact.expand(windows)]
            facts[names] = facts[names].fillna(fact.default_if_empty)
    return facts.astype(dtypes)


def _stamps(micros: pd.Series) -> pd.Series:
    values = micros.to_numpy(dtype="float64")
    as_int = np.where(np.isnan(values), _NAT, values).astype("int64")
    return pd.Series(as_int.view("datetime64[us]"), index=micros.index).dt.tz_localize("UTC")
