"""How closely metaseg's RFM presets agree with the textbook pandas RFM recipe.

The recipe runs on sheet "Year 2010-2011" of UCI Online Retail II (drop rows without a
customer or a description, "C" invoices and rows with quantity or price <= 0; analysis
date 2011-12-11; recency ``(date - last InvoiceDate).days``; frequency = distinct
invoices; ``R = qcut(recency, 5)`` reversed, ``F = qcut(frequency.rank(method="first"),
5)``; the RF regex segment map). metaseg gets the same cleaned lines as standard events
and computes its own facts, with fractional or whole-day durations, then segments them
with the ``rfm`` or the ``rfm_textbook`` preset. The table gives the share of customers
whose R, F and segment equal the recipe's, and in how many of the ten segments the
customer count differs.

Usage::

    python experiments/rfm_textbook_agreement.py [path/to/online_retail_ii.parquet]
"""

from __future__ import annotations

import datetime as dt
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from metaseg.facts import compute_facts
from metaseg.rules import RuleSegmenter

DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "shared/data/online_retail_ii/online_retail_ii.parquet"
)
SEG_MAP = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at_risk",
    r"[1-2]5": "cant_lose",
    r"3[1-2]": "about_to_sleep",
    r"33": "need_attention",
    r"[3-4][4-5]": "loyal_customers",
    r"41": "promising",
    r"51": "new_customers",
    r"[4-5][2-3]": "potential_loyalists",
    r"5[4-5]": "champions",
}


def recipe_lines(path: Path) -> pd.DataFrame:
    raw = pd.read_parquet(path)
    df = raw[raw["Sheet"] == "Year 2010-2011"].dropna(subset=["Customer ID", "Description"])
    df = df[~df["Invoice"].str.startswith("C") & (df["Quantity"] > 0) & (df["Price"] > 0)]
    return df.assign(TotalPrice=df["Quantity"] * df["Price"])


def recipe_table(df: pd.DataFrame) -> pd.DataFrame:
    today = dt.datetime(2011, 12, 11)
    rfm = df.groupby("Customer ID").agg(
        recency=("InvoiceDate", lambda d: (today - d.max()).days),
        frequency=("Invoice", "nunique"),
        monetary=("TotalPrice", "sum"),
    )
    rfm = rfm[rfm["monetary"] > 0]
    rfm["R"] = pd.qcut(rfm["recency"], 5, labels=[5, 4, 3, 2, 1]).astype(int)
    rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["F"] = rfm["F"].astype(int)
    rfm["segment"] = (rfm["R"].astype(str) + rfm["F"].astype(str)).replace(SEG_MAP, regex=True)
    return rfm


def main(path: Path) -> None:
    lines = recipe_lines(path)
    recipe = recipe_table(lines)
    events = pd.DataFrame(
        {
            "customer_id": lines["Customer ID"].astype("int64").to_numpy(),
            "timestamp": lines["InvoiceDate"].dt.tz_localize("Europe/London").dt.tz_convert("UTC"),
            "event_type": "purchase",
            "amount": lines["TotalPrice"].to_numpy(),
            "order_id": lines["Invoice"].to_numpy(),
        }
    )
    expected_counts = recipe["segment"].value_counts()
    rows = []
    for durations in ("fractional", "whole_days"):
        facts = compute_facts(events, as_of="2011-12-11", durations=durations)
        for preset in ("rfm", "rfm_textbook"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = RuleSegmenter(rules=preset).fit(facts).transform(facts)
            segment = table["base_segment"].astype(str).to_numpy()
            counts = pd.Series(segment).value_counts()
            rows.append(
                {
                    "preset": preset,
                    "durations": durations,
                    "R agrees": np.mean(table["R"].to_numpy() == recipe["R"].to_numpy()),
                    "F agrees": np.mean(table["F"].to_numpy() == recipe["F"].to_numpy()),
                    "segment agrees": np.mean(segment == recipe["segment"].to_numpy()),
                    "segments with another count": int(
                        (
                            counts.reindex(expected_counts.index, fill_value=0) != expected_counts
                        ).sum()
                    ),
                }
            )
    print(f"{len(recipe):,} customers")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.2%}"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
