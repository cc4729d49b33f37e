"""Customer facts: one row per customer as of a date, computed with DuckDB.

Every fact is defined once in :mod:`metaseg.facts.registry`; :func:`facts_sql` turns the
registry into portable SQL and :func:`compute_facts` runs it over a DataFrame or Parquet
files. The tests check it against an independent pandas implementation
(``tests/facts/pandas_facts.py``).
"""

from metaseg.facts.compute import compute_facts
from metaseg.facts.registry import DEFAULT_WINDOWS, FACTS, Fact, describe_facts, fact_columns
from metaseg.facts.sql import facts_sql, quote_identifier

__all__ = [
    "DEFAULT_WINDOWS",
    "FACTS",
    "Fact",
    "compute_facts",
    "describe_facts",
    "fact_columns",
    "facts_sql",
    "quote_identifier",
]
