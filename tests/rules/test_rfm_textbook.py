"""The rfm_textbook preset gives the textbook pandas RFM table on Online Retail II, customer
for customer.

The recipe (sheet "Year 2010-2011" of UCI Online Retail II) is computed here in plain
pandas from the Parquet file, independently of metaseg's facts; metaseg gets the same
cleaned invoice lines as standard events and computes its own facts (recency in whole
days) and segments.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metaseg.facts import compute_facts
from metaseg.rules import RuleSegmenter

SHEET = "Year 2010-2011"
ANALYSIS_DATE = dt.datetime(2011, 12, 11)

#: The recipe's segment map, applied with Series.replace(regex=True) to "R" + "F".
SEG_MAP = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at_risk",
    r"[1-2]5": "cant_loose",
    r"3[1-2]": "about_to_sleep",
    r"33": "need_attention",
    r"[3-4][4-5]": "loyal_customers",
    r"41": "promising",
    r"51": "new_customers",
    r"[4-5][2-3]": "potential_loyalists",
    r"5[4-5]": "champions",
}


def _invoice_lines(shared_data) -> pd.DataFrame:
    """The sheet's lines after the recipe's cleaning (both sides start from these)."""
    raw = pd.read_parquet(shared_data / "online_retail_ii" / "online_retail_ii.parquet")
    df = raw[raw["Sheet"] == SHEET]
    df = df.dropna(subset=["Customer ID", "Description"])
    df = df[~df["Invoice"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["Price"] > 0)]
    return df.assign(TotalPrice=df["Quantity"] * df["Price"])


def _recipe(df: pd.DataFrame) -> pd.DataFrame:
    rfm = df.groupby("Customer ID").agg(
        recency=("InvoiceDate", lambda d: (ANALYSIS_DATE - d.max()).days),
        frequency=("Invoice", "nunique"),
        monetary=("TotalPrice", "sum"),
    )
    rfm = rfm[rfm["monetary"] > 0]
    rfm["recency_score"] = pd.qcut(rfm["recency"], 5, labels=[5, 4, 3, 2, 1])
    rfm["frequency_score"] = pd.qcut(
        rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]
    )
    rfm["monetary_score"] = pd.qcut(rfm["monetary"], 5, labels=[1, 2, 3, 4, 5])
    rf = rfm["recency_score"].astype(str) + rfm["frequency_score"].astype(str)
    rfm["segment"] = rf.replace(SEG_MAP, regex=True)
    return rfm


def _standard_events(df: pd.DataFrame) -> pd.DataFrame:
    # InvoiceDate is UK local time; as the Online Retail loader does, read it in
    # Europe/London and keep UTC (no invoice falls before 1 a.m., so whole days agree).
    stamps = df["InvoiceDate"].dt.tz_localize("Europe/London").dt.tz_convert("UTC")
    return pd.DataFrame(
        {
            "customer_id": df["Customer ID"].astype("int64").to_numpy(),
            "timestamp": stamps.to_numpy(),
            "event_type": "purchase",
            "amount": df["TotalPrice"].to_numpy(),
            "order_id": df["Invoice"].to_numpy(),
        }
    ).assign(timestamp=lambda e: pd.to_datetime(e["timestamp"], utc=True))


@pytest.fixture(scope="module")
def recipe_and_events(shared_data):
    lines = _invoice_lines(shared_data)
    return _recipe(lines), _standard_events(lines)


def test_rfm_textbook_reproduces_the_recipe_customer_for_customer(recipe_and_events):
    recipe, events = recipe_and_events
    assert len(recipe) == 4338
    facts = compute_facts(events, as_of="2011-12-11", durations="whole_days")
    seg = RuleSegmenter(rules="rfm_textbook").fit(facts)
    frame = seg.transform(facts).set_index("customer_id")
    assert frame.index.tolist() == recipe.index.tolist()
    # the scores, one by one
    assert frame["R"].tolist() == recipe["recency_score"].astype(int).tolist()
    assert frame["F"].tolist() == recipe["frequency_score"].astype(int).tolist()
    assert frame["M"].tolist() == recipe["monetary_score"].astype(int).tolist()
    # every customer's segment (the recipe spells cant_lose "cant_loose")
    expected = recipe["segment"].replace({"cant_loose": "cant_lose"}).set_axis(frame.index)
    got = frame["base_segment"].astype(str)
    mismatched = got[got != expected]
    assert mismatched.empty, mismatched.head()
    # and so every segment count
    assert got.value_counts().to_dict() == expected.value_counts().to_dict()
    assert len(set(got)) == 10
    # scoring the same customers again with the fitted rules gives the same table
    assert seg.predict(facts).astype(str).tolist() == got.tolist()


def test_what_each_setting_of_the_recipe_changes(recipe_and_events):
    """Without whole days, or with the plain rfm preset, the table differs measurably."""
    recipe, events = recipe_and_events
    expected_r = recipe["recency_score"].astype(int).to_numpy()
    expected_f = recipe["frequency_score"].astype(int).to_numpy()
    whole = compute_facts(events, as_of="2011-12-11", durations="whole_days")
    fractional = compute_facts(events, as_of="2011-12-11")
    # rfm keeps customers with equal order counts in one score: F differs for many
    plain = RuleSegmenter(rules="rfm").fit(whole).transform(whole)
    assert 0.5 < np.mean(plain["F"].to_numpy() == expected_f) < 0.8
    # fractional days move the customers near a whole-day edge of R
    textbook = RuleSegmenter(rules="rfm_textbook").fit(fractional).transform(fractional)
    assert np.mean(textbook["F"].to_numpy() == expected_f) == 1.0
    assert 0.95 < np.mean(textbook["R"].to_numpy() == expected_r) < 1.0
