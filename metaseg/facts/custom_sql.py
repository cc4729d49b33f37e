"""SQL of the custom facts (:mod:`metaseg.facts.custom`), added to the registry's query.

The registry's facts become a derived table ``r``; the custom aggregates are taken in
one more pass over the events known at ``as_of`` (``custom_per_customer``, grouped by
customer) and joined to it as ``x``; ratios and differences are expressions over both.
The SQL is as portable as the registry's (``CASE WHEN``, ``COALESCE``, ``NULLIF``,
``SUBSTR``, ``INSTR``, integer microseconds). Column names come from the checked
definitions and are quoted by the dialect; every value (event types, condition
values, window lengths) is a bound parameter named ``custom_<i>``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.facts import event_filters
from metaseg.facts.custom import AggregateFact, DifferenceFact, RatioFact
from metaseg.facts.custom_check import ResolvedFact
from metaseg.facts.registry import FACTS, US_PER_DAY, whole_days_of

if TYPE_CHECKING:
    from metaseg.facts.sql import Dialect

#: Longest SQL expression of one ratio/difference (ratios of ratios are inlined).
MAX_EXPRESSION_CHARS: Final = 50_000
_PARAMETER: Final = "custom_{}"


def registry_kinds(windows: Iterable[int]) -> dict[str, str]:
    """Registry fact column -> kind, for the given windows.

    Examples
    --------
    >>> registry_kinds((30,))["purchases_30d"]
    'count'
    """
    windows = tuple(windows)
    return {name: fact.kind for fact in FACTS for name, _ in fact.expand(windows)}


@dataclass(frozen=True)
class CompiledCustom:
    """The custom facts' part of the facts query.

    Attributes
    ----------
    cte : str
        ``custom_per_customer AS (...)``: the aggregates, one row per customer.
    selects : list of str
        One ``CAST(... AS type) AS "name"`` item per custom fact, over ``r`` and ``x``.
    parameters : dict
        Bound parameter name -> value.
    """

    cte: str
    selects: list[str]
    parameters: dict[str, Any]


class _Binder:
    """Hands out parameter placeholders and keeps the values."""

    def __init__(self, d: Dialect) -> None:
        self._d = d
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = _PARAMETER.format(len(self.values))
        self.values[name] = value
        return self._d.parameter(name)


def compile_custom(
    facts: Sequence[ResolvedFact],
    d: Dialect,
    *,
    as_of: str,
    events_relation: str,
    whole_days: Collection[str] = (),
) -> CompiledCustom:
    """Compile resolved custom facts for dialect ``d``; ``as_of`` is its placeholder.

    The duration facts named in ``whole_days`` count complete days, as
    ``Timedelta.days`` does (``durations: whole_days``); the others fractional days.
    """
    bind = _Binder(d)
    aggregates = [f for f in facts if isinstance(f.definition, AggregateFact)]
    columns = list(dict.fromkeys(c for f in aggregates for c in f.definition.columns()))
    alias = {column: f"u{i}" for i, column in enumerate(columns)}
    text_columns = {
        leaf.column
        for f in aggregates
        if f.definition.where is not None
        for leaf in event_filters.leaves(f.definition.where)
        if leaf.op in event_filters.TEXT_OPS or any(isinstance(v, str) for v in leaf.values())
    }

    def column(name: str) -> str:
        return f"ev.{alias[name]}"

    items, internal = [], {}
    for i, fact in enumerate(aggregates):
        internal[fact.name] = f"a{i}"
        items.append(f"{_aggregate_sql(fact.definition, column, bind, as_of)} AS a{i}")

    q = d.identifier
    timestamp = f"{d.epoch_us}({q(schema.TIMESTAMP)})"
    projected = [f"{q(schema.CUSTOMER_ID)} AS cid", f"{timestamp} AS ts"]
    projected.append(f"{q(schema.EVENT_TYPE)} AS et")
    for name in columns:
        source = q(name)
        if name in text_columns:
            source = f"CAST({source} AS STRING)"
        projected.append(f"{source} AS {alias[name]}")
    where = f"{timestamp} <= {as_of}"
    if aggregates and all(f.definition.event_types for f in aggregates):
        types = dict.fromkeys(t for f in aggregates for t in f.definition.event_types)
        where += f" AND {q(schema.EVENT_TYPE)} IN ({', '.join(bind(t) for t in types)})"
    grouped = ",\n         ".join(["cid", *items])
    cte = (
        f"custom_per_customer AS (\n  SELECT {grouped}\n"
        f"  FROM (SELECT {', '.join(projected)}\n        FROM {q(events_relation)} "
        f"WHERE {where}) ev\n  GROUP BY cid\n)"
    )

    by_name = {f.name: f for f in facts}
    selects = []
    for fact in facts:
        value = _value(fact.name, by_name, internal, q, as_of, whole_days)
        if len(value) > MAX_EXPRESSION_CHARS:
            raise ConfigError(
                f"custom fact {fact.name!r} nests ratios and differences so deeply that its "
                f"SQL has {len(value):,} characters (limit {MAX_EXPRESSION_CHARS:,}); define "
                "it over fewer intermediate facts."
            )
        selects.append(f"CAST({value} AS {fact.sql_type}) AS {q(fact.name)}")
    return CompiledCustom(cte, selects, bind.values)


def _aggregate_sql(definition: AggregateFact, column: Any, bind: _Binder, as_of: str) -> str:
    conditions = []
    if definition.event_types:
        conditions.append(f"ev.et IN ({', '.join(bind(t) for t in definition.event_types)})")
    if definition.where is not None:
        conditions.append(event_filters.compile_condition(definition.where, column, bind))
    if definition.window_days is not None:
        conditions.append(f"ev.ts > {as_of} - {bind(definition.window_days * US_PER_DAY)}")
    test = " AND ".join(conditions) or "TRUE"
    aggregate = definition.aggregate
    if aggregate == "count":
        return f"COUNT(CASE WHEN {test} THEN 1 END)"
    if aggregate == "count_distinct":
        return f"COUNT(DISTINCT CASE WHEN {test} THEN {column(definition.of)} END)"
    if aggregate in ("sum", "min", "max"):
        value = f"CAST({column(definition.of)} AS DOUBLE)"
        return f"{aggregate.upper()}(CASE WHEN {test} THEN {value} END)"
    return f"MAX(CASE WHEN {test} THEN ev.ts END)"  # last_time, days_since


def _value(
    name: str,
    by_name: dict[str, ResolvedFact],
    internal: dict[str, str],
    q: Any,
    as_of: str,
    whole_days: Collection[str],
) -> str:
    """The SQL value of a fact: a registry column of ``r`` or a custom expression."""
    fact = by_name.get(name)
    if fact is None:
        return f"r.{q(name)}"
    definition = fact.definition
    if isinstance(definition, AggregateFact):
        column = f"x.{internal[name]}"
        if definition.aggregate in ("count", "count_distinct"):
            return f"COALESCE({column}, 0)"
        if definition.aggregate == "sum":
            return f"COALESCE({column}, CAST(0 AS DOUBLE))"
        if definition.aggregate == "days_since":
            if name in whole_days:
                return whole_days_of(f"{as_of} - {column}")
            return f"CAST({as_of} - {column} AS DOUBLE) / {US_PER_DAY}"
        return column
    left, right = (_value(o, by_name, internal, q, as_of, whole_days) for o in definition.operands)
    if isinstance(definition, RatioFact):
        return f"(CAST({left} AS DOUBLE) / NULLIF(CAST({right} AS DOUBLE), 0))"
    assert isinstance(definition, DifferenceFact)
    if fact.kind == "duration" and _is_timestamp(definition.operands[0], by_name):
        if name in whole_days:
            return whole_days_of(f"({left}) - ({right})")
        return f"(CAST(({left}) - ({right}) AS DOUBLE) / {US_PER_DAY})"
    return f"(({left}) - ({right}))"


def _is_timestamp(name: str, by_name: dict[str, ResolvedFact]) -> bool:
    fact = by_name.get(name)
    if fact is not None:
        return fact.kind == "timestamp"
    return any(f.name == name and f.kind == "timestamp" for f in FACTS)


def wrap_registry_query(
    ctes: list[str],
    registry_selects: list[str],
    compiled: CompiledCustom,
    customer_id: str,
) -> str:
    """The whole query: the registry's facts as ``r`` with the custom facts beside them."""
    return (
        "WITH "
        + ",\n".join([*ctes, compiled.cte])
        + "\nSELECT r.*,\n       "
        + ",\n       ".join(compiled.selects)
        + "\nFROM (SELECT "
        + ",\n       ".join(registry_selects)
        + "\n      FROM joined) r\n"
        + f"LEFT JOIN custom_per_customer x ON x.cid = r.{customer_id}"
    )
