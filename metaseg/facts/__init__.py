"""Customer facts: one row per customer as of a date, computed with DuckDB.

Every fact is defined once in :mod:`metaseg.facts.registry`; :func:`facts_sql` turns the
registry into portable SQL and :func:`compute_facts` runs it over a DataFrame or Parquet
files. The tests check it against an independent pandas implementation
(``tests/facts/pandas_facts.py``).

Custom facts (:mod:`metaseg.facts.custom`) are defined in YAML under ``facts: custom:``:
an aggregate (count, count_distinct, sum, min, max, last_time, days_since) over events
filtered by type, a condition on event columns (:mod:`metaseg.facts.event_filters`) and
a window, or a ratio or difference of two facts. They are compiled into the same SQL
(:mod:`metaseg.facts.custom_sql`) with their values as bound parameters::

    facts:
      custom:
        shoes_bought_30d:
          aggregate: count
          event_type: purchase
          where: {column: category, op: "==", value: shoes}
          window_days: 30
        shoe_share_30d:
          ratio: [shoes_bought_30d, purchases_30d]   # NaN when purchases_30d is 0
"""

from metaseg.facts.compute import compute_facts
from metaseg.facts.custom import CustomFacts, parse_custom_facts
from metaseg.facts.registry import DEFAULT_WINDOWS, FACTS, Fact, describe_facts, fact_columns
from metaseg.facts.sql import facts_sql, quote_identifier

__all__ = [
    "DEFAULT_WINDOWS",
    "CustomFacts",
    "FACTS",
    "Fact",
    "compute_facts",
    "describe_facts",
    "fact_columns",
    "facts_sql",
    "parse_custom_facts",
    "quote_identifier",
]
