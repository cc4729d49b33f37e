"""Custom facts checked against the events' columns and the registry's facts.

:func:`resolve_custom_facts` turns parsed definitions (:mod:`metaseg.facts.custom`) into
:class:`ResolvedFact` objects with a kind and a SQL type, once the columns of the
events are known (from DuckDB or Spark), and refuses a column that is missing, of an
unusable type or compared with a value of another type, naming the fact and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from metaseg._messages import available, did_you_mean
from metaseg.exceptions import ConfigError
from metaseg.facts import event_filters
from metaseg.facts.custom import (
    NUMERIC_AGGREGATES,
    AggregateFact,
    CustomFacts,
    RatioFact,
    aggregate_kind,
)
from metaseg.facts.registry import FactKind


@dataclass(frozen=True)
class ResolvedFact:
    """A custom fact checked against the events and the registry facts.

    Attributes
    ----------
    name : str
    definition : AggregateFact, RatioFact or DifferenceFact
    kind : {"count", "money", "ratio", "duration", "timestamp"}
    sql_type : {"BIGINT", "DOUBLE"}
        Timestamps are BIGINT epoch microseconds, as in the registry's SQL.
    """

    name: str
    definition: Any
    kind: FactKind
    sql_type: str


#: Column kinds an event condition or ``of`` may use, and what each op needs.
_TEXT_ONLY_OPS: Final = event_filters.TEXT_OPS
_NUMBER_ONLY_OPS: Final = event_filters.ORDER_OPS


def resolve_custom_facts(
    custom: CustomFacts,
    column_kinds: Mapping[str, str],
    registry_kinds: Mapping[str, str],
) -> list[ResolvedFact]:
    """Check custom facts against the events' columns and the registry facts.

    Parameters
    ----------
    custom : CustomFacts
    column_kinds : mapping
        Event column name -> ``"text"``, ``"number"``, ``"bool"``, ``"timestamp"`` or
        ``"other"`` (see :func:`metaseg.facts.sources.value_kinds`).
    registry_kinds : mapping
        Registry fact column (for the windows in use) -> its kind.

    Returns
    -------
    list of ResolvedFact
        In definition order.

    Raises
    ------
    ConfigError
        Naming the fact, the column or operand, the value and the fix.
    """
    resolved: dict[str, ResolvedFact] = {}

    def kind_of(name: str, owner: str) -> str:
        if name in registry_kinds:
            return registry_kinds[name]
        if name in custom.root:
            return resolve(name).kind
        choices = [*registry_kinds, *custom.root]
        raise ConfigError(
            f"custom fact {owner!r} refers to {name!r}, which is neither a built-in fact "
            f"(for the windows in use) nor a custom fact.{did_you_mean(name, choices)} "
            "Ratios and differences take facts computed from the events; add the window "
            "to facts.windows or define the fact under facts.custom."
        )

    def resolve(name: str) -> ResolvedFact:
        if name in resolved:
            return resolved[name]
        definition = custom.root[name]
        if isinstance(definition, AggregateFact):
            _check_columns(name, definition, column_kinds)
            kind, sql_type = aggregate_kind(definition)
        elif isinstance(definition, RatioFact):
            for operand in definition.operands:
                if kind_of(operand, name) == "timestamp":
                    raise ConfigError(
                        f"custom fact {name!r}: ratio of {operand!r}, a timestamp; a ratio "
                        "takes counts, money, durations or ratios (use days_since, or a "
                        "difference of two timestamps, for times)."
                    )
            kind, sql_type = "ratio", "DOUBLE"
        else:
            kinds = [kind_of(operand, name) for operand in definition.operands]
            if kinds[0] != kinds[1]:
                raise ConfigError(
                    f"custom fact {name!r}: difference of {definition.difference[0]!r} "
                    f"({kinds[0]}) and {definition.difference[1]!r} ({kinds[1]}); both must "
                    "be of one kind (counts, money, durations, ratios or timestamps)."
                )
            kind = "duration" if kinds[0] == "timestamp" else kinds[0]
            both_whole = (
                all(
                    _sql_type_of(o, resolved, registry_kinds) == "BIGINT"
                    for o in definition.operands
                )
                and kinds[0] == "count"
            )
            sql_type = "BIGINT" if both_whole else "DOUBLE"
        resolved[name] = ResolvedFact(name, definition, kind, sql_type)
        return resolved[name]

    for name in custom.root:
        resolve(name)
    return [resolved[name] for name in custom.root]


def _sql_type_of(
    name: str, resolved: Mapping[str, ResolvedFact], registry: Mapping[str, str]
) -> str:
    if name in resolved:
        return resolved[name].sql_type
    return "BIGINT" if registry.get(name) in ("count", "timestamp") else "DOUBLE"


def _check_columns(name: str, definition: AggregateFact, column_kinds: Mapping[str, str]) -> None:
    """Every column exists, has a usable type and fits the values compared with it."""
    for column in definition.columns():
        if column not in column_kinds:
            raise ConfigError(
                f"custom fact {name!r} reads the events column {column!r}, which the events "
                f"do not have.{did_you_mean(column, column_kinds)} Columns: "
                f"{available(column_kinds)}. Fix the name, or keep the source column with "
                "'extra:' in the column mapping."
            )
        if column_kinds[column] not in ("text", "number", "bool"):
            raise ConfigError(
                f"custom fact {name!r}: column {column!r} holds {column_kinds[column]} values; "
                "conditions and 'of' take text, number or boolean columns (use window_days "
                "for time)."
            )
    of = definition.of
    if (
        of is not None
        and definition.aggregate in NUMERIC_AGGREGATES
        and column_kinds[of] != "number"
    ):
        raise ConfigError(
            f"custom fact {name!r}: {definition.aggregate} of {of!r}, a "
            f"{column_kinds[of]} column; {definition.aggregate} reads a number "
            "column such as amount (count_distinct counts any column's values)."
        )
    if definition.where is None:
        return
    for leaf in event_filters.leaves(definition.where):
        kind = column_kinds[leaf.column]
        values = leaf.values()
        if leaf.op in _TEXT_ONLY_OPS and kind != "text":
            raise ConfigError(
                f"custom fact {name!r}: {leaf.op} on {leaf.column!r}, a {kind} column; it "
                "tests text columns only."
            )
        if leaf.op in _NUMBER_ONLY_OPS and kind != "number":
            raise ConfigError(
                f"custom fact {name!r}: {leaf.op!r} on {leaf.column!r}, a {kind} column; it "
                "compares numbers only (use '==', in or starts_with for text)."
            )
        wrong = [v for v in values if event_filters.value_kind(v) != kind]
        if wrong:
            raise ConfigError(
                f"custom fact {name!r}: column {leaf.column!r} holds {kind} values but the "
                f"condition compares it with {wrong[0]!r} ({event_filters.value_kind(wrong[0])}); "
                f"write a {kind} value"
                + (f", e.g. '{wrong[0]}' in quotes" if kind == "text" else "")
                + "."
            )


def typed_custom(raw: Any, facts: list[ResolvedFact]) -> dict[str, Any]:
    """Each custom fact's column with the dtype of its kind, from the query's raw result.

    Counts (and differences of counts) are int64, timestamps UTC datetimes (NaT when
    undefined), everything else float64 (NaN when undefined).
    """
    import numpy as np
    import pandas as pd

    out: dict[str, Any] = {}
    for fact in facts:
        values = raw[fact.name]
        if fact.kind == "timestamp":
            micros = values.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min)
            stamps = pd.Series(micros.view("datetime64[us]"), index=raw.index)
            out[fact.name] = stamps.dt.tz_localize("UTC")
        elif fact.sql_type == "BIGINT":
            out[fact.name] = values.astype("int64")
        else:
            out[fact.name] = values.astype("float64")
    return out


def absent_event_types(custom: CustomFacts, present: set[str]) -> list[str]:
    """Messages for event types custom facts count but no event has (likely typos).

    Examples
    --------
    >>> from metaseg.facts.custom import parse_custom_facts
    >>> custom = parse_custom_facts({"f": {"aggregate": "count", "event_type": "purchse"}})
    >>> absent_event_types(custom, {"purchase", "view"})
    ["custom fact 'f' counts events of type 'purchse', which no event has: its value is 0 or missing for every customer. Did you mean 'purchase'? Event types: ['purchase', 'view']."]
    """
    messages = []
    for name, definition in custom.root.items():
        if not isinstance(definition, AggregateFact):
            continue
        for event_type in definition.event_types:
            if event_type not in present:
                messages.append(
                    f"custom fact {name!r} counts events of type {event_type!r}, which no "
                    "event has: its value is 0 or missing for every customer."
                    f"{did_you_mean(event_type, present)} Event types: "
                    f"{available(sorted(present))}."
                )
    return messages
