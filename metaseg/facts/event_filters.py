"""Typed conditions on event columns, the ``where:`` of a custom fact, compiled to SQL.

A condition is a mapping, in the style of the rules' conditions
(:mod:`metaseg.rules.conditions`) but on the columns of one *event* rather than on a
customer's facts:

- ``{all: [c1, c2, ...]}``: every condition holds; ``{any: [...]}``: at least one;
  ``{not: c}``: the condition does not hold;
- ``{column: x, op: "==", value: v}``: a comparison, ``op`` one of ``== != < <= > >=``
  (``<``, ``<=``, ``>``, ``>=`` on number columns only);
- ``{column: x, op: between, value: [lo, hi]}``: ``lo <= x <= hi`` (numbers);
- ``{column: x, op: in, value: [a, b]}``: ``x`` is one of the values (``not_in``: none);
- ``{column: x, op: is_null}``: the column is empty for the event (``not_null``: it is not);
- ``{column: x, op: starts_with, value: "C"}``: text starting with the value
  (``ends_with``, ``contains`` alike; the value is non-empty text).

A missing value never satisfies a comparison, ``between``, ``in``, ``not_in`` or a text
test, so ``{not: {column: channel, op: "==", value: web}}`` holds for an event without
a channel, as in the rules. Values are data: every value becomes a bound SQL
parameter, never SQL text, and a column name is checked against the events' columns
before it is quoted (:func:`metaseg.facts.custom_check.resolve_custom_facts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

COMPARISON_OPS: Final = ("==", "!=", "<", "<=", ">", ">=")
ORDER_OPS: Final = ("<", "<=", ">", ">=")
TEXT_OPS: Final = ("starts_with", "ends_with", "contains")
#: Every ``op`` an event condition accepts.
EVENT_OPS: Final = (*COMPARISON_OPS, "between", "in", "not_in", "is_null", "not_null", *TEXT_OPS)
#: Longest text value, and most values in one ``in`` list.
MAX_VALUE_CHARS: Final = 1_000
MAX_IN_VALUES: Final = 10_000
#: Largest integer a value may hold (exact in float64, as the rules' values).
MAX_EXACT_INT: Final = 2**53
#: Deepest nesting of all / any / not.
MAX_DEPTH: Final = 24


def check_column_name(name: Any) -> str:
    """Validate a column name as written in a custom fact: plain characters only.

    Examples
    --------
    >>> check_column_name("category")
    'category'
    """
    if not isinstance(name, str):
        raise ValueError(f"a column name must be text, got {type(name).__name__}")
    if not name or len(name) > 128:
        raise ValueError("a column name must have 1 to 128 characters")
    if name[0].isdigit() or not all(c.isalnum() or c in "_- " for c in name):
        raise ValueError(
            "a column name holds letters, digits, '_', '-' and spaces and does not start "
            "with a digit; rename the column in the column mapping if it needs others"
        )
    if name != name.strip() or name.startswith("__"):
        raise ValueError("a column name may not start or end with spaces or start with '__'")
    return name


def check_value(value: Any) -> Any:
    """Validate one value: a finite number, text (up to 1,000 characters) or a boolean."""
    if value is None:
        raise ValueError("a value may not be null; test for empty columns with op: is_null")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise ValueError(f"the number is larger than {MAX_EXACT_INT:,} in size")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a value must be a finite number; test for empty columns with is_null")
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"a text value may have at most {MAX_VALUE_CHARS:,} characters")
        if "\x00" in value:
            raise ValueError("a text value may not hold NUL characters")
        return value
    raise ValueError(f"a value is a number, text or a boolean, not a {type(value).__name__}")


def value_kind(value: Any) -> str:
    """``"bool"``, ``"number"`` or ``"text"``: the column kind a value can be compared with.

    Examples
    --------
    >>> value_kind(True), value_kind(2.5), value_kind("shoes")
    ('bool', 'number', 'text')
    """
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "text"


def _one_kind(values: tuple[Any, ...] | list[Any]) -> None:
    kinds = sorted({value_kind(v) for v in values})
    if len(kinds) > 1:
        raise ValueError(f"the values mix {' and '.join(kinds)}; use values of one kind")


ColumnName = Annotated[str, AfterValidator(check_column_name)]
Value = Annotated[Any, AfterValidator(check_value)]


class _Node(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )


class AllOf(_Node):
    """Every condition in the list holds."""

    items: list[EventCondition] = Field(alias="all", min_length=1)


class AnyOf(_Node):
    """At least one condition in the list holds."""

    items: list[EventCondition] = Field(alias="any", min_length=1)


class Not(_Node):
    """The condition does not hold."""

    item: EventCondition = Field(alias="not")


class Compare(_Node):
    """``column op value``."""

    column: ColumnName
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: Value

    @model_validator(mode="after")
    def _ordered_numbers(self) -> Compare:
        if self.op in ORDER_OPS and value_kind(self.value) != "number":
            raise ValueError(f"op {self.op!r} compares numbers; got {self.value!r}")
        return self


class Between(_Node):
    """``lo <= column <= hi`` on a number column."""

    column: ColumnName
    op: Literal["between"]
    value: tuple[Value, Value]

    @model_validator(mode="after")
    def _ordered(self) -> Between:
        low, high = self.value
        if value_kind(low) != "number" or value_kind(high) != "number":
            raise ValueError(f"between takes two numbers [low, high], got {list(self.value)!r}")
        if low > high:
            raise ValueError(f"between needs low <= high, got [{low!r}, {high!r}]; swap them")
        return self


class Membership(_Node):
    """``column`` is one of (``in``) or none of (``not_in``) the values."""

    column: ColumnName
    op: Literal["in", "not_in"]
    value: list[Value] = Field(min_length=1, max_length=MAX_IN_VALUES)

    @model_validator(mode="after")
    def _same_kind(self) -> Membership:
        _one_kind(self.value)
        return self


class NullCheck(_Node):
    """The column is empty (``is_null``) or not (``not_null``) for the event."""

    column: ColumnName
    op: Literal["is_null", "not_null"]


class TextMatch(_Node):
    """A text column starts with, ends with or contains a non-empty text."""

    column: ColumnName
    op: Literal["starts_with", "ends_with", "contains"]
    value: Value

    @model_validator(mode="after")
    def _text(self) -> TextMatch:
        if not isinstance(self.value, str) or not self.value:
            raise ValueError(f"op {self.op!r} takes non-empty text, got {self.value!r}")
        return self


class _UnknownOp(_Node):
    """Receives leaves whose ``op`` is unknown, so that the error points at ``op``."""

    column: ColumnName
    op: Literal[EVENT_OPS]  # type: ignore[valid-type]
    value: Any = None


_OP_TAGS: Final = (
    (COMPARISON_OPS, "event:compare"),
    (("between",), "event:between"),
    (("in", "not_in"), "event:membership"),
    (("is_null", "not_null"), "event:null"),
    (TEXT_OPS, "event:text"),
)


def _tag(node: Any) -> str | None:
    if isinstance(node, _Node):
        return _TAGS_BY_TYPE.get(type(node))
    if not isinstance(node, dict):
        return None
    for key in ("all", "any", "not"):
        if key in node:
            return f"event:{key}"
    if "column" not in node:
        return None
    op = node.get("op")
    for ops, tag in _OP_TAGS:
        if isinstance(op, str) and op in ops:
            return tag
    return "event:unknown_op"


_TAGS_BY_TYPE: Final[dict[type, str]] = {
    AllOf: "event:all",
    AnyOf: "event:any",
    Not: "event:not",
    Compare: "event:compare",
    Between: "event:between",
    Membership: "event:membership",
    NullCheck: "event:null",
    TextMatch: "event:text",
}

EventCondition = Annotated[
    Annotated[AllOf, Tag("event:all")]
    | Annotated[AnyOf, Tag("event:any")]
    | Annotated[Not, Tag("event:not")]
    | Annotated[Compare, Tag("event:compare")]
    | Annotated[Between, Tag("event:between")]
    | Annotated[Membership, Tag("event:membership")]
    | Annotated[NullCheck, Tag("event:null")]
    | Annotated[TextMatch, Tag("event:text")]
    | Annotated[_UnknownOp, Tag("event:unknown_op")],
    Discriminator(
        _tag,
        custom_error_type="event_condition_shape",
        custom_error_message=(
            "an event condition is a mapping with one of the keys 'all', 'any', 'not' or "
            "'column', e.g. {column: category, op: '==', value: shoes}"
        ),
    ),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()

#: Prefix of the tags pydantic adds to error locations in a condition (dropped from paths).
TAG_PREFIX: Final = "event:"


def leaves(node: Any) -> list[Any]:
    """The column conditions of a tree, in order (iterative, so deep trees are fine).

    Examples
    --------
    >>> tree = AllOf.model_validate({"all": [{"column": "a", "op": "is_null"},
    ...                                      {"not": {"column": "b", "op": "is_null"}}]})
    >>> [leaf.column for leaf in leaves(tree)]
    ['a', 'b']
    """
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, AllOf | AnyOf):
            stack.extend(reversed(current.items))
        elif isinstance(current, Not):
            stack.append(current.item)
        else:
            out.append(current)
    return out


def depth(node: Any) -> int:
    """Nesting depth of all / any / not (a leaf has depth 0)."""
    if isinstance(node, AllOf | AnyOf):
        return 1 + max(depth(item) for item in node.items)
    if isinstance(node, Not):
        return 1 + depth(node.item)
    return 0


def describe(node: Any) -> str:
    """A one-line reading of a condition, for listings of facts.

    Examples
    --------
    >>> describe(AnyOf.model_validate({"any": [
    ...     {"column": "category", "op": "==", "value": "shoes"},
    ...     {"column": "amount", "op": ">", "value": 100}]}))
    "(category == 'shoes' or amount > 100)"
    """
    if isinstance(node, AllOf | AnyOf):
        joiner = " and " if isinstance(node, AllOf) else " or "
        return "(" + joiner.join(describe(item) for item in node.items) + ")"
    if isinstance(node, Not):
        return f"not {describe(node.item)}"
    if isinstance(node, NullCheck):
        return f"{node.column} {node.op.replace('_', ' ')}"
    if isinstance(node, Between):
        return f"{node.column} between {node.value[0]!r} and {node.value[1]!r}"
    if isinstance(node, Membership):
        return f"{node.column} {node.op.replace('_', ' ')} {list(node.value)!r}"
    return f"{node.column} {node.op.replace('_', ' ')} {node.value!r}"


def compile_condition(node: Any, column: Callable[[str], str], bind: Callable[[Any], str]) -> str:
    """Compile a condition into portable SQL over one event.

    Parameters
    ----------
    node : EventCondition
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
    >>> tree = Compare.model_validate({"column": "category", "op": "==", "value": "shoes"})
    >>> compile_condition(tree, lambda name: "ev.c0", bind), params
    ('COALESCE(ev.c0 = $p1, FALSE)', ['shoes'])
    """
    if isinstance(node, AllOf | AnyOf):
        joiner = " AND " if isinstance(node, AllOf) else " OR "
        return "(" + joiner.join(compile_condition(i, column, bind) for i in node.items) + ")"
    if isinstance(node, Not):
        return f"(NOT {compile_condition(node.item, column, bind)})"
    sql = column(node.column)
    if isinstance(node, NullCheck):
        return f"({sql} IS {'' if node.op == 'is_null' else 'NOT '}NULL)"
    if isinstance(node, Compare):
        op = "<>" if node.op == "!=" else "=" if node.op == "==" else node.op
        test = f"{sql} {op} {bind(node.value)}"
    elif isinstance(node, Between):
        test = f"{sql} >= {bind(node.value[0])} AND {sql} <= {bind(node.value[1])}"
    elif isinstance(node, Membership):
        values = ", ".join(bind(v) for v in node.value)
        test = f"{sql} {'IN' if node.op == 'in' else 'NOT IN'} ({values})"
    elif isinstance(node, TextMatch):
        value = bind(node.value)
        test = {
            "starts_with": f"SUBSTR({sql}, 1, LENGTH({value})) = {value}",
            "ends_with": f"SUBSTR({sql}, -LENGTH({value})) = {value}",
            "contains": f"INSTR({sql}, {value}) > 0",
        }[node.op]
    else:  # pragma: no cover - the parser admits no other leaf
        raise TypeError(f"not an event condition: {type(node).__name__}")
    return f"COALESCE({test}, FALSE)"
