"""Categories derived in the mapping: ordered keyword tables and the top level of a code."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from metaseg.data import read_events
from metaseg.data.mapping import load_mapping
from metaseg.exceptions import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "mappings"


def _source() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cid": [1, 1, 2, 2, 3],
            "ts": ["2024-01-01"] * 5,
            "Description": ["RED LUNCH BOX", "PAPER BAG", "MUG", None, "PEN"],
            "code": ["a.b.c", "kitchen.mug", None, "toys", "a"],
            "amount": [10.0, 20.0, 30.0, 15.0, 25.0],
        }
    )


MAPPING = """
events:
  customer_id: cid
  timestamp: ts
  event_type: {constant: purchase}
  amount: amount
  category:
    keywords:
      column: Description
      table:
        - {contains: LUNCH BOX, category: lunch}
        - {contains: [BAG, BOX], category: bags}
        - {contains: mug, category: mugs}
"""


def test_first_matching_keyword_wins_and_uncategorised_spend_is_reported() -> None:
    events, report = read_events(_source(), load_mapping(MAPPING))
    assert events["category"].tolist()[:3] == ["lunch", "bags", "mugs"]  # not "bags" for BOX
    assert events["category"].iloc[3:].isna().all()
    entry = next(e for e in report.entries if e.column == "category")
    assert entry.rows == 2
    assert "40.0% of purchase spend" in entry.reason  # (15 + 25) / 100


def test_top_level_of_a_dotted_code() -> None:
    mapping = MAPPING.split("  category:")[0] + "  category: {top_level: code}\n"
    events, report = read_events(_source(), load_mapping(mapping))
    assert events["category"].tolist()[:2] == ["a", "kitchen"]
    assert pd.isna(events["category"].iloc[2])
    assert events["category"].iloc[3:].tolist() == ["toys", "a"]
    assert (
        "30.0% of purchase spend"
        in next(e for e in report.entries if e.column == "category").reason
    )


def test_bad_category_rules_are_refused_with_the_forms() -> None:
    with pytest.raises(ConfigError, match="keywords"):
        load_mapping(MAPPING.replace("keywords:", "keyword:"))
    with pytest.raises(ConfigError, match="Descr"):
        read_events(_source().drop(columns="Description"), load_mapping(MAPPING))


def test_rees46_top_level_categories(shared_data: Path) -> None:
    raw = pd.read_parquet(
        shared_data / "rees46_multicategory_events_sample" / "rees46_2019oct_first3h.parquet"
    ).head(5_000)
    mapping = """
events:
  customer_id: user_id
  timestamp: event_time
  event_type: event_type
  amount: price
  category: {top_level: category_code}
"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        events, report = read_events(raw, load_mapping(mapping))
    tops = set(events["category"].dropna())
    assert tops and all("." not in t for t in tops)
    expected = raw["category_code"].dropna().str.split(".").str[0]
    assert tops == set(expected)
    assert any(e.column == "category" for e in report.entries) == raw["category_code"].isna().any()


def test_online_retail_ii_keyword_categories(shared_data: Path) -> None:
    from metaseg.datasets.online_retail import remove_sheet_overlap

    raw = pd.read_parquet(shared_data / "online_retail_ii" / "online_retail_ii.parquet")
    lines, _ = remove_sheet_overlap(raw.head(60_000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        events, report = read_events(lines, CONFIGS / "online_retail_ii_categories.yaml")
    assert {"christmas", "kitchen", "lunch", "bags"} <= set(events["category"].dropna())
    entry = next(e for e in report.entries if e.column == "category")
    share = float(entry.reason.split("(")[1].split("%")[0]) / 100
    purchases = events[events["event_type"] == "purchase"]
    missing = purchases["amount"][purchases["category"].isna()].sum() / purchases["amount"].sum()
    assert share == pytest.approx(missing, abs=5e-4)
    assert share < 0.4
