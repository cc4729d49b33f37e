"""Typed conditions on event columns, the ``where:`` of a custom fact, compiled to SQL.

A ``where:`` is a condition of :mod:`metaseg.data.conditions` (the grammar of the
cleaning steps: ``all``/``any``/``not``, comparisons, ``between``, ``in``/``not_in``,
``is_null``/``not_null``, ``starts_with``/``ends_with``/``contains``), read on the
columns of one *event*, with what SQL on the events needs on top:

- a column name holds plain characters only (letters, digits, ``_``, ``-``, spaces);
- values are numbers, text or booleans (no dates: use ``window_days`` for time), and
  ``<``, ``<=``, ``>``, ``>=`` and ``between`` compare numbers only;
- all / any / not nest at most :data:`MAX_DEPTH` levels.

A missing value never satisfies a comparison, ``between``, ``in``, ``not_in`` or a text
test, so ``{not: {column: channel, op: "==", value: web}}`` holds for an event without
a channel, as in the cleaning steps and the rules. Values are data: every value becomes
a bound SQL parameter, never SQL text, and a column name is checked against the events'
columns before it is quoted (:func:`metaseg.facts.custom_check.resolve_custom_facts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from pydantic import AfterValidator

from metaseg import schema
from metaseg._yaml import format_location
from metaseg.data.conditions import (
    NULL_OPS,
    ORDER_OPS,
    TEXT_OPS,
    AllOf,
    AnyOf,
    ColumnCondition,
    Condition,
    Not,
    depth,
    describe_condition,
    leaves,
    value_kind,
    walk,
)

__all__ = [
    "MAX_DEPTH",
    "ORDER_OPS",
    "TEXT_OPS",
    "ColumnName",
    "EventCondition",
    "check_column_name",
    "compile_condition",
    "describe_condition",
    "leaves",
    "value_kind",
]

#: Deepest nesting of all / any / not.
MAX_DEPTH: Final = 24


def check_column_name(name: Any) -> str:
    """Validate a column name as written in a custom fact: plain characters only.

    Examples
    --------
    >>> check_column_name("category")
    'category'
    """
    return schema.check_column_name(name, what="column name", table="column mapping")


def _check_event_condition(tree: Any) -> Any:
    """What SQL on the events needs of a parsed condition, each problem with its path."""
    if depth(tree) > MAX_DEPTH:
        raise ValueError(f"where nests all/any/not deeper than {MAX_DEPTH}; flatten it")
    for loc, leaf in walk(tree):
        if not isinstance(leaf, ColumnCondition):
            continue
        at = f"{format_location(loc)}: " if loc else ""
        try:
            check_column_name(leaf.column)
        except ValueError as exc:
            raise ValueError(f"{at}column {leaf.column!r:.80}: {exc}") from None
        for value in leaf.values():
            kind = value_kind(value)
            if kind == "time":
                raise ValueError(
                    f"{at}column {leaf.column!r} is compared with the date {value}; event "
                    "conditions compare numbers, text or booleans (use window_days for time)"
                )
            if leaf.op in ORDER_OPS and kind != "number":
                raise ValueError(
                    f"{at}op {leaf.op!r} on column {leaf.column!r} compares numbers; got "
                    f"{value!r} ({kind}). Use '==' or in for text and booleans"
                )
    return tree


ColumnName = Annotated[str, AfterValidator(check_column_name)]
#: A condition on event columns, as a field of a custom fact.
EventCondition = Annotated[Condition, AfterValidator(_check_event_condition)]


def compile_condition(node: Any, column: Callable[[str], str], bind: Callable[[Any], str]) -> str:
    """Compile a condition into portable SQL over one event.

    Parameters
    ----------
    node : Condition
        The parsed condition.
    column : callable
        Maps a (checked) column name to its SQL expression.
    bind : callable
        Records a value as a bound parameter and returns its placeholder; no value is
        ever written into the SQL text.

    Returns
    -------
    str
        A boolean SQL expression that is never NULL (a missing value gives false).

    Examples
    --------
    >>> params = []
    >>> def bind(value):
    ...     params.append(value)
    ...     return f"$p{len(params)}"
    >>> tree = ColumnCondition(column="category", op="==", value="shoes")
    >>> compile_condition(tree, lambda name: "ev.c0", bind), params
    ('COALESCE(ev.c0 = $p1, FALSE)', ['shoes'])
    """
    if isinstance(node, AllOf | AnyOf):
        joiner = " AND " if isinstance(node, AllOf) else " OR "
        return "(" + joiner.join(compile_condition(i, column, bind) for i in node.items) + ")"
    if isinstance(node, Not):
        return f"(NOT {compile_condition(node.item, column, bind)})"
    if not isinstance(node, ColumnCondition):  # pragma: no cover - the parser admits no other
        raise TypeError(f"not an event condition: {type(node).__name__}")
    sql, op = column(node.column), node.op
    if op in NULL_OPS:
        return f"({sql} IS {'' if op == 'is_null' else 'NOT '}NULL)"
    if op == "between":
        test = f"{sql} >= {bind(node.value[0])} AND {sql} <= {bind(node.value[1])}"
    elif op in ("in", "not_in"):
        values = ", ".join(bind(v) for v in node.value)
        test = f"{sql} {'IN' if op == 'in' else 'NOT IN'} ({values})"
    elif op in TEXT_OPS:
        value = bind(node.value)
        test = {
            "starts_with": f"SUBSTR({sql}, 1, LENGTH({value})) = {value}",
            "ends_with": f"SUBSTR({sql}, -LENGTH({value})) = {value}",
            "contains": f"INSTR({sql}, {value}) > 0",
        }[op]
    else:
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        test = f"{sql} {sql_op} {bind(node.value)}"
    return f"COALESCE({test}, FALSE)"
