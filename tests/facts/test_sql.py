"""The generated SQL: quoting, bound parameters, portability, and running it by hand."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts, facts_sql, quote_identifier
from metaseg.facts.params import parse_as_of, to_epoch_us

from .conftest import AS_OF


@pytest.mark.parametrize(
    ("name", "dialect", "quoted"),
    [
        ("plain", "duckdb", '"plain"'),
        ('say "hi"', "duckdb", '"say ""hi"""'),
        ('"; DROP TABLE x; --', "duckdb", '"""; DROP TABLE x; --"'),
        ("a`b", "spark", "`a``b`"),
    ],
)
def test_quote_identifier(name, dialect, quoted):
    assert quote_identifier(name, dialect) == quoted


@pytest.mark.parametrize("name", ["", "a\x00b", 3])
def test_quote_identifier_refuses_unusable_names(name):
    with pytest.raises(ConfigError, match="identifier"):
        quote_identifier(name)


def test_unknown_dialect():
    with pytest.raises(ConfigError, match=r"dialect must be one of \['duckdb', 'spark'\]"):
        facts_sql(dialect="oracle")


def test_relation_names_with_quotes_run_safely(make_events):
    """Odd table names are quoted, not pasted: the query reads exactly those tables."""
    events = make_events(11)
    customers = pd.DataFrame({"customer_id": [1, 2, 7000]})
    con = duckdb.connect()
    con.register('my "events"; DROP TABLE x', events)
    con.register("cust'omers", customers)
    sql = facts_sql(
        has_customers=True,
        events_relation='my "events"; DROP TABLE x',
        customers_relation="cust'omers",
    )
    raw = con.execute(sql, {"as_of_us": to_epoch_us(AS_OF)}).df()
    expected = compute_facts(events, customers, as_of=AS_OF)
    assert raw["customer_id"].tolist() == expected["customer_id"].tolist()
    pd.testing.assert_series_equal(raw["monetary"], expected["monetary"])
    pd.testing.assert_series_equal(raw["frequency"], expected["frequency"])


def test_as_of_is_a_bound_parameter_and_windows_are_numbers():
    sql = facts_sql((7, 30))
    assert sql.count("$as_of_us") > 10
    assert "2024" not in sql
    # a window is rendered as its length in microseconds
    assert str(7 * 86_400_000_000) in sql and str(30 * 86_400_000_000) in sql


def test_sql_avoids_engine_specific_constructs():
    sql = facts_sql(has_customers=True, has_signup_at=True).upper()
    for construct in ("FILTER (", "COUNT_IF", "QUALIFY", "::", "DATE_DIFF", "EPOCH("):
        assert construct not in sql, construct


def test_spark_dialect_quotes_with_backticks_and_uses_unix_micros():
    sql = facts_sql((7,), dialect="spark", has_customers=True, has_signup_at=True)
    assert ":as_of_us" in sql and "$as_of_us" not in sql
    assert "unix_micros(`timestamp`)" in sql and "unix_micros(`signup_at`)" in sql
    assert '"' not in sql
    assert re.search(r"AS `purchases_7d`", sql)


def test_optional_columns_are_not_referenced_when_absent():
    sql = facts_sql(has_order_id=False, has_category=False)
    assert '"order_id"' not in sql and '"category"' not in sql
    assert '"customers"' not in sql


def test_signup_needs_customers():
    with pytest.raises(ConfigError, match="has_customers"):
        facts_sql(has_signup_at=True)


def test_sql_orders_by_customer_when_asked(make_events):
    events = make_events(12, id_kind="str")
    con = duckdb.connect()
    con.register("events", events)
    as_of = {"as_of_us": to_epoch_us(parse_as_of(AS_OF))}
    ordered = con.execute(facts_sql(), as_of).df()["customer_id"]
    assert ordered.tolist() == sorted(ordered.tolist())
    assert "ORDER BY" not in facts_sql(order_by_customer=False)
