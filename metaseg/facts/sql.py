"""SQL generation for the customer facts, from the registry in :mod:`metaseg.facts.registry`.

The query is plain SQL (``CASE WHEN`` rather than ``FILTER``, ``COALESCE``, ``NULLIF``,
``FULL OUTER JOIN``, integer microsecond arithmetic) so that DuckDB runs it here and Spark
SQL can run the same text. Only two things differ between engines and are taken from a
:class:`Dialect`: how identifiers are quoted and how a timestamp becomes epoch
microseconds. ``as_of`` is a bound parameter; windows are validated integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.facts.custom_sql import compile_custom, wrap_registry_query
from metaseg.facts.params import check_windows
from metaseg.facts.registry import (
    AGGREGATES,
    AS_OF_TOKEN,
    DEFAULT_WINDOWS,
    EVENT_FLAGS,
    FACTS,
    US_PER_DAY,
    WINDOW_NAME_TOKEN,
    WINDOW_TOKEN,
    Fact,
    duration_units,
    fact_expression,
    sql_literal,
)

if TYPE_CHECKING:
    from metaseg.facts.custom_check import ResolvedFact

#: Name of the bound parameter holding ``as_of`` in epoch microseconds (a BIGINT).
AS_OF_PARAMETER: Final = "as_of_us"


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines metaseg generates facts SQL for.

    Parameters
    ----------
    name : str
        The engine.
    quote : str
        The identifier quote character; a quote inside a name is doubled.
    epoch_us : str
        Function turning a timestamp into integer microseconds since the Unix epoch.
    parameter_prefix : str
        How a named bound parameter is written (``$name`` in DuckDB, ``:name`` in Spark).
    """

    name: str
    quote: str
    epoch_us: str
    parameter_prefix: str

    def identifier(self, name: str) -> str:
        """Quote a column or table name, doubling any quote character inside it.

        Examples
        --------
        >>> DIALECTS["duckdb"].identifier('odd"name')
        '"odd""name"'
        """
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ConfigError(
                f"SQL identifiers must be non-empty strings without NUL characters, "
                f"got {name!r}; rename the column or table."
            )
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def parameter(self, name: str) -> str:
        """Return the placeholder of a named bound parameter."""
        return self.parameter_prefix + name


DIALECTS: Final = {
    "duckdb": Dialect("duckdb", '"', "epoch_us", "$"),
    "spark": Dialect("spark", "`", "unix_micros", ":"),
}


def quote_identifier(name: str, dialect: str = "duckdb") -> str:
    """Quote a SQL identifier safely for ``dialect``.

    Examples
    --------
    >>> quote_identifier('a"b')
    '"a""b"'
    >>> quote_identifier("a`b", dialect="spark")
    '`a``b`'
    """
    return _dialect(dialect).identifier(name)


def _dialect(name: str) -> Dialect:
    if name not in DIALECTS:
        raise ConfigError(f"dialect must be one of {sorted(DIALECTS)}, got {name!r}.")
    return DIALECTS[name]


def _render(template: str, as_of: str, window: int | None) -> str:
    """Replace the registry's tokens by the ``as_of`` placeholder and a window in us."""
    text = template.replace(AS_OF_TOKEN, as_of)
    if window is not None:
        text = text.replace(WINDOW_TOKEN, str(window * US_PER_DAY))
        text = text.replace(WINDOW_NAME_TOKEN, str(window))
    return text


#: SQL type of each kind of fact: counts and timestamps (epoch microseconds) are BIGINT.
_SQL_TYPES: Final = {
    "count": "BIGINT",
    "timestamp": "BIGINT",
    "money": "DOUBLE",
    "duration": "DOUBLE",
    "ratio": "DOUBLE",
}


def _fact_select(fact: Fact, expression: str, quoted_name: str) -> str:
    """Cast a fact's expression to the type of its kind, with its default when not NULL."""
    if fact.default_if_empty is not None:
        expression = f"COALESCE({expression}, {fact.default_if_empty!r})"
    return f"CAST({expression} AS {_SQL_TYPES[fact.kind]}) AS {quoted_name}"


def facts_sql(
    windows: Iterable[int] = DEFAULT_WINDOWS,
    *,
    has_order_id: bool = True,
    has_category: bool = True,
    has_customers: bool = False,
    has_signup_at: bool = False,
    events_relation: str = "events",
    customers_relation: str = "customers",
    dialect: str = "duckdb",
    order_by_customer: bool = True,
    durations: str | Mapping[str, str] | None = None,
    custom: Sequence[ResolvedFact] = (),
) -> str:
    """Return the SQL computing one row of facts per customer.

    The query reads the standard events from ``events_relation`` and, when
    ``has_customers``, the customer ids (and ``signup_at`` when ``has_signup_at``) from
    ``customers_relation``. It takes one bound parameter, ``as_of_us``: ``as_of`` in
    integer microseconds since the Unix epoch (UTC); events after it are ignored.
    Timestamp facts (``first_seen``, ``last_seen``) come out as epoch microseconds;
    customer attributes other than ``signup_at`` are not part of the query.

    Parameters
    ----------
    windows : iterable of int
        Window lengths in days for the ``*_{w}d`` facts.
    has_order_id, has_category : bool
        Whether the events have an ``order_id`` / ``category`` column.
    has_customers, has_signup_at : bool
        Whether a customers relation is given, and whether it has ``signup_at``.
    events_relation, customers_relation : str
        Table or view names (quoted by the dialect).
    dialect : {"duckdb", "spark"}
        Identifier quoting, epoch function and parameter style.
    order_by_customer : bool
        End with ``ORDER BY customer_id``; :func:`compute_facts` sorts in pandas instead,
        which is faster than sorting the wide rows in SQL.
    durations : str or mapping, optional
        How duration facts count days: ``fractional`` (default) or ``whole_days``, for
        all of them or per fact (see :mod:`metaseg.facts.durations`).
    custom : sequence of ResolvedFact
        Custom facts checked by :func:`metaseg.facts.custom_check.resolve_custom_facts`,
        computed after the registry's; their values are bound parameters too, listed
        by :func:`metaseg.facts.custom_sql.compile_custom` (``custom_0``, ...).

    Returns
    -------
    str
        The SQL text.

    Examples
    --------
    >>> sql = facts_sql((30,), has_order_id=False, has_category=False)
    >>> "$as_of_us" in sql and '"purchases_30d"' in sql
    True
    """
    windows = check_windows(windows)
    units = duration_units(durations, [f.name for f in custom if f.kind == "duration"])
    if has_signup_at and not has_customers:
        raise ConfigError(
            "has_signup_at=True needs has_customers=True (signup_at is a customer column)."
        )
    d = _dialect(dialect)
    as_of = d.parameter(AS_OF_PARAMETER)
    # The projected events are repeated in each consumer rather than shared in a CTE:
    # DuckDB then reads only the columns each consumer needs (faster on Parquet).
    events = _projected_events(d, events_relation, as_of, has_order_id, has_category)
    aggregates = _aggregates(windows, as_of, has_order_id)
    ctes = [
        "per_customer AS (\n  SELECT cid,\n         "
        + ",\n         ".join(f"{sql} AS {name}" for name, sql in aggregates)
        + f"\n  FROM {events}\n  GROUP BY cid\n)",
        "carts AS (\n  SELECT ev.cid, COUNT(*) AS carts_after_last_purchase\n"
        f"  FROM {events}\n  JOIN per_customer p ON ev.cid = p.cid\n"
        "  WHERE ev.is_cart AND (p.last_purchase_us IS NULL OR ev.ts > p.last_purchase_us)\n"
        "  GROUP BY ev.cid\n)",
    ]
    if has_order_id:
        ctes.append(
            "orders AS (\n  SELECT cid, COUNT(*) AS ordered\n"
            f"  FROM (SELECT cid, oid FROM {events}\n"
            "        WHERE is_purchase AND oid IS NOT NULL GROUP BY cid, oid) o\n"
            "  GROUP BY cid\n)"
        )
    if has_category:
        ctes.append(
            "categories AS (\n  SELECT cid, COUNT(*) AS n_categories,\n"
            "         MAX(n) AS top_category_events, SUM(n) AS category_events\n"
            f"  FROM (SELECT cid, cat, COUNT(*) AS n FROM {events}\n"
            "        WHERE cat IS NOT NULL GROUP BY cid, cat) c\n"
            "  GROUP BY cid\n)"
        )
    if has_customers:
        signup = (
            f"{d.epoch_us}({d.identifier(schema.SIGNUP_AT)})"
            if has_signup_at
            else "CAST(NULL AS BIGINT)"
        )
        ctes.append(
            f"known AS (\n  SELECT {d.identifier(schema.CUSTOMER_ID)} AS cid, "
            f"{signup} AS signup_us\n  FROM {d.identifier(customers_relation)}\n)"
        )
    ctes.append(
        _joined([name for name, _ in aggregates], has_order_id, has_category, has_customers)
    )

    selects = [f"cid AS {d.identifier(schema.CUSTOMER_ID)}"]
    for fact in FACTS:
        for name, window in fact.expand(windows):
            expression = _render(fact_expression(fact, units), as_of, window)
            selects.append(_fact_select(fact, expression, d.identifier(name)))
    order = "\nORDER BY 1" if order_by_customer else ""
    if custom:
        whole = {f.name for f in custom if units.get(f.name) == "whole_days"}
        compiled = compile_custom(
            custom, d, as_of=as_of, events_relation=events_relation, whole_days=whole
        )
        customer_id = d.identifier(schema.CUSTOMER_ID)
        return wrap_registry_query(ctes, selects, compiled, customer_id) + order
    return (
        "WITH "
        + ",\n".join(ctes)
        + "\nSELECT "
        + ",\n       ".join(selects)
        + "\nFROM joined"
        + order
    )


def facts_parameters(as_of_us: int, custom: Sequence[ResolvedFact] = ()) -> dict[str, Any]:
    """The bound parameters of :func:`facts_sql`: ``as_of_us`` and the custom facts' values.

    Examples
    --------
    >>> facts_parameters(0)
    {'as_of_us': 0}
    """
    values: dict[str, Any] = {AS_OF_PARAMETER: as_of_us}
    if custom:
        compiled = compile_custom(custom, DIALECTS["duckdb"], as_of="", events_relation="events")
        values.update(compiled.parameters)
    return values


def _projected_events(
    d: Dialect, relation: str, as_of: str, has_order_id: bool, has_category: bool
) -> str:
    """The events known at ``as_of`` with the registry's internal column names."""
    q = d.identifier
    timestamp = f"{d.epoch_us}({q(schema.TIMESTAMP)})"
    columns = [
        f"{q(schema.CUSTOMER_ID)} AS cid",
        f"{timestamp} AS ts",
        *(
            f"({q(schema.EVENT_TYPE)} = {sql_literal(event_type)}) AS {flag}"
            for flag, event_type in EVENT_FLAGS
        ),
        f"CAST({q(schema.AMOUNT)} AS DOUBLE) AS amt",
    ]
    if has_order_id:
        columns.append(f"{q(schema.ORDER_ID)} AS oid")
    if has_category:
        columns.append(f"{q(schema.CATEGORY)} AS cat")
    return (
        "(SELECT "
        + ", ".join(columns)
        + f"\n        FROM {q(relation)} WHERE {timestamp} <= {as_of}) ev"
    )


def _aggregates(windows: tuple[int, ...], as_of: str, has_order_id: bool) -> list[tuple[str, str]]:
    """``(name, SQL)`` of every per-customer aggregate, windowed ones once per window."""
    out = []
    for agg in AGGREGATES:
        sql = agg.sql if has_order_id or agg.without_order_id is None else agg.without_order_id
        for window in windows if agg.windowed else (None,):
            out.append((_render(agg.name, as_of, window), _render(sql, as_of, window)))
    return out


def _joined(
    aggregate_names: list[str], has_order_id: bool, has_category: bool, has_customers: bool
) -> str:
    """Join the per-customer pieces (and the customers without events) into one row each."""
    if has_customers:
        cid, signup_us = "COALESCE(p.cid, k.cid)", "k.signup_us"
        source = "known k FULL OUTER JOIN per_customer p ON k.cid = p.cid"
    else:
        cid, signup_us = "p.cid", "CAST(NULL AS BIGINT)"
        source = "per_customer p"
    source += f"\n  LEFT JOIN carts c ON c.cid = {cid}"
    orders = "p.unordered_purchases"
    if has_order_id:
        source += f"\n  LEFT JOIN orders o ON o.cid = {cid}"
        orders += " + COALESCE(o.ordered, 0)"
    if has_category:
        source += f"\n  LEFT JOIN categories g ON g.cid = {cid}"
        categories = "g.n_categories, g.top_category_events, g.category_events"
    else:
        categories = (
            "CAST(0 AS BIGINT) AS n_categories, CAST(NULL AS BIGINT) AS top_category_events, "
            "CAST(NULL AS BIGINT) AS category_events"
        )
    return (
        f"joined AS (\n  SELECT {cid} AS cid, "
        + ", ".join(f"p.{name}" for name in aggregate_names)
        + f",\n         {orders} AS n_orders, c.carts_after_last_purchase,"
        + f"\n         {categories}, {signup_us} AS signup_us\n  FROM {source}\n)"
    )
