"""Typed conditions on the columns of a table: the cleaning steps of a mapping, and the
``where:`` of custom facts (:mod:`metaseg.facts.event_filters` compiles these to SQL).

A condition is data, never code. Its keys decide its kind:

- ``{all: [c1, c2, ...]}``: every condition holds; ``{any: [...]}``: at least one;
  ``{not: c}``: the condition does not hold;
- ``{column: Price, op: "<=", value: 0}``: a comparison, ``op`` one of ``== != < <= > >=``;
- ``{column: Price, op: between, value: [lo, hi]}``: ``lo <= x <= hi``;
- ``{column: StockCode, op: in, value: [B, M]}``: one of the values (``not_in``: none);
- ``{column: Invoice, op: starts_with, value: C}``: text that starts with (``ends_with``,
  ``contains``) a non-empty piece of text, compared as it is (case-sensitive, no pattern);
- ``{column: Description, op: is_null}``: the value is missing (``not_null``: present).

The same vocabulary as the rules of :mod:`metaseg.rules.conditions`, with ``column``
where rules say ``fact``. A missing value satisfies only ``is_null`` (so ``not`` of a
comparison holds for it). Values are typed: a finite number (whole numbers up to
2**53), text (up to 1,000 characters), a date or date-time, or a boolean; an ``in``
list holds at most 10,000 values of one kind. A value must fit its column: a number
for a numeric column, text for a text column (quote codes that look like numbers:
``'85048'``), a date for a time column; a mismatch is a
:class:`~metaseg.exceptions.ConfigError` naming the step, the column and the value.

Examples
--------
>>> frame = pd.DataFrame({"Invoice": ["C1", "2", None], "Price": [1.0, 0.0, 2.5]})
>>> cond = parse_condition({"any": [{"column": "Invoice", "op": "starts_with", "value": "C"},
...                                 {"column": "Price", "op": "<=", "value": 0}]})
>>> evaluate(frame, cond, where="clean step 1").tolist()
[True, True, False]
>>> describe_condition(cond)
"any of (Invoice starts with 'C'; Price <= 0)"
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from metaseg._messages import available, did_you_mean, preview
from metaseg._yaml import UNION_TAG, config_error_from_pydantic
from metaseg.data._models import StrictModel, pydantic_errors
from metaseg.exceptions import ConfigError

__all__ = [
    "AllOf",
    "AnyOf",
    "ColumnCondition",
    "Condition",
    "Not",
    "check_value",
    "columns_of",
    "depth",
    "describe_condition",
    "evaluate",
    "leaves",
    "parse_condition",
    "value_kind",
    "walk",
]

COMPARISON_OPS: Final = ("==", "!=", "<", "<=", ">", ">=")
ORDER_OPS: Final = ("<", "<=", ">", ">=", "between")
LIST_OPS: Final = ("between", "in", "not_in")
TEXT_OPS: Final = ("starts_with", "ends_with", "contains")
NULL_OPS: Final = ("is_null", "not_null")
#: Every ``op`` a column condition accepts.
OPS: Final = (*COMPARISON_OPS, "between", "in", "not_in", *TEXT_OPS, *NULL_OPS)
Op = Literal[
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "between",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "is_null",
    "not_null",
]
#: Longest text value, and most values in one ``in`` list.
MAX_VALUE_CHARS: Final = 1_000
MAX_IN_VALUES: Final = 10_000
#: Largest integer a value may hold (exact in float64).
MAX_EXACT_INT: Final = 2**53


def value_kind(value: Any) -> str:
    """``"bool"``, ``"number"``, ``"text"`` or ``"time"`` for a condition value.

    Examples
    --------
    >>> value_kind(0), value_kind("C"), value_kind(False)
    ('number', 'text', 'bool')
    """
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date):
        return "time"
    raise ValueError(
        f"a value is a number, text, a boolean or a date, not {type(value).__name__} "
        f"({value!r:.60})"
    )


def check_value(value: Any) -> Any:
    """Validate one value: a finite number, text, a boolean or a date; never null.

    Examples
    --------
    >>> check_value("C")
    'C'
    >>> check_value(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: a value may not be NaN; test for missing values with op: is_null
    """
    if value is None:
        raise ValueError("a value may not be null; test for missing values with op: is_null")
    kind = value_kind(value)
    if kind == "number" and not isinstance(value, bool | np.bool_):
        if isinstance(value, int | np.integer) and abs(int(value)) > MAX_EXACT_INT:
            raise ValueError(f"the number {value} is larger than {MAX_EXACT_INT:,} in size")
        if math.isnan(float(value)):
            raise ValueError("a value may not be NaN; test for missing values with op: is_null")
        if not math.isfinite(float(value)):
            raise ValueError(f"a value must be a finite number, got {value}")
    if kind == "text":
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(
                f"a text value may have at most {MAX_VALUE_CHARS:,} characters, got {len(value):,}"
            )
        if "\x00" in value:
            raise ValueError(f"a text value may not hold NUL characters, got {value!r:.60}")
    return value


def _check_values(value: Any, info: ValidationInfo) -> Any:
    """The value (or values) of a column condition fit its op."""
    op = info.data.get("op")  # absent when the op itself is invalid
    if value is None and op in NULL_OPS:
        return value
    if op in NULL_OPS:
        raise ValueError(f"op {op} takes no value; remove 'value: {value!r:.40}'")
    if op not in LIST_OPS:
        check_value(value)
        if op in TEXT_OPS and not isinstance(value, str):
            raise ValueError(f"op {op} needs text, got {value!r}; quote it: '{value}'")
        if op in TEXT_OPS and not value:
            raise ValueError(f"op {op} needs text of at least one character, got ''")
        return value
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"op {op} needs a list of values, e.g. value: [B, M]; got {value!r:.60}")
    if len(value) > MAX_IN_VALUES:
        raise ValueError(f"op {op} takes at most {MAX_IN_VALUES:,} values, got {len(value):,}")
    if op == "between" and len(value) != 2:
        raise ValueError(f"op between needs [low, high], got {len(value)} values")
    for one in value:
        check_value(one)
    kinds = sorted({value_kind(v) for v in value})
    if len(kinds) > 1:
        raise ValueError(
            f"the values {preview(value)} mix {' and '.join(kinds)}; use values of "
            "one kind (quote codes that look like numbers)"
        )
    if op == "between":
        if kinds == ["bool"]:
            raise ValueError(f"op between needs ordered values, not booleans {list(value)!r}")
        if _ordered(value[0]) > _ordered(value[1]):
            raise ValueError(
                f"between needs [low, high] with low <= high, got {list(value)!r}; swap them"
            )
    return list(value)


class _Node(StrictModel):
    """A node of a condition tree; dumps with its YAML keys, so that dumps read back."""

    model_config = ConfigDict(serialize_by_alias=True)


class ColumnCondition(_Node):
    """``column op value``: one test on one column.

    Examples
    --------
    >>> ColumnCondition(column="Quantity", op="<=", value=0).op
    '<='
    """

    column: Annotated[str, Field(min_length=1)]
    op: Op
    value: Annotated[Any, AfterValidator(_check_values)] = None

    @model_validator(mode="after")
    def _has_value(self) -> ColumnCondition:
        if self.value is None and self.op not in NULL_OPS:
            raise ValueError(
                f"op {self.op} needs a value: write 'value: ...' (test for missing values "
                "with op: is_null)"
            )
        return self

    def values(self) -> list[Any]:
        """The values the condition compares with (none for ``is_null``/``not_null``)."""
        if self.value is None:
            return []
        return list(self.value) if isinstance(self.value, list | tuple) else [self.value]


def _ordered(value: Any) -> Any:
    return pd.Timestamp(value) if isinstance(value, dt.date) else value


class AllOf(_Node):
    """Every condition in the list holds."""

    items: list[Condition] = Field(alias="all", min_length=1)


class AnyOf(_Node):
    """At least one condition in the list holds."""

    items: list[Condition] = Field(alias="any", min_length=1)


class Not(_Node):
    """The condition does not hold."""

    item: Condition = Field(alias="not")


_KEYS: Final = ("all", "any", "not", "column")
_TAGS: Final = {AllOf: "all", AnyOf: "any", Not: "not", ColumnCondition: "column"}


def _tag(node: Any) -> str | None:
    if isinstance(node, _Node):
        return UNION_TAG + _TAGS[type(node)]
    if not isinstance(node, dict):
        return None
    for key in _KEYS:
        if key in node:
            return UNION_TAG + key
    return None


def _nested(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate as part of an enclosing model: errors keep their place in it."""
    with pydantic_errors():
        return handler(value)


Condition = Annotated[
    Annotated[AllOf, Tag(UNION_TAG + "all")]
    | Annotated[AnyOf, Tag(UNION_TAG + "any")]
    | Annotated[Not, Tag(UNION_TAG + "not")]
    | Annotated[ColumnCondition, Tag(UNION_TAG + "column")],
    Discriminator(
        _tag,
        custom_error_type="condition",
        custom_error_message=(
            "a condition is {column: <name>, op: <op>, value: <value>}, {all: [...]}, "
            "{any: [...]} or {not: <condition>}; ops: " + ", ".join(OPS)
        ),
    ),
    WrapValidator(_nested),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class _Holder(StrictModel):
    condition: Condition


def parse_condition(data: Any, *, what: str = "condition") -> Any:
    """Validate a condition given as plain data (as read from YAML).

    Raises
    ------
    ConfigError
        Naming the place of the mistake, e.g. ``condition.any[1].op``.

    Examples
    --------
    >>> parse_condition({"column": "Price", "op": ">", "value": 0}).value
    0
    """
    try:
        with pydantic_errors():
            return _Holder.model_validate({"condition": data}).condition
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what=what) from None


Location = tuple[str | int, ...]


def walk(condition: Any) -> Iterator[tuple[Location, Any]]:
    """Every node of a condition with its YAML location, depth first, in order.

    Iterative, so that deeply nested trees are fine.

    Examples
    --------
    >>> tree = parse_condition({"any": [{"not": {"column": "x", "op": "is_null"}}]})
    >>> [loc for loc, _ in walk(tree)]
    [(), ('any', 0), ('any', 0, 'not')]
    """
    stack: list[tuple[Location, Any]] = [((), condition)]
    while stack:
        loc, node = stack.pop()
        yield loc, node
        if isinstance(node, Not):
            stack.append(((*loc, "not"), node.item))
        elif isinstance(node, AllOf | AnyOf):
            key = "all" if isinstance(node, AllOf) else "any"
            stack.extend(
                ((*loc, key, i), item) for i, item in reversed(list(enumerate(node.items)))
            )


def leaves(condition: Any) -> list[ColumnCondition]:
    """The column conditions of a tree, in order.

    Examples
    --------
    >>> tree = parse_condition({"all": [{"column": "a", "op": "is_null"},
    ...                                 {"not": {"column": "b", "op": "is_null"}}]})
    >>> [leaf.column for leaf in leaves(tree)]
    ['a', 'b']
    """
    return [node for _, node in walk(condition) if isinstance(node, ColumnCondition)]


def depth(condition: Any) -> int:
    """Nesting depth of all / any / not (a column condition has depth 0).

    Examples
    --------
    >>> depth(parse_condition({"not": {"all": [{"column": "a", "op": "is_null"}]}}))
    2
    """
    return max(sum(1 for p in loc if isinstance(p, str)) for loc, _ in walk(condition))


def columns_of(condition: Any) -> list[str]:
    """The columns a condition reads, in order, each once.

    Examples
    --------
    >>> columns_of(parse_condition({"all": [{"column": "a", "op": "is_null"},
    ...                                     {"column": "b", "op": "==", "value": 1},
    ...                                     {"column": "a", "op": "not_null"}]}))
    ['a', 'b']
    """
    return list(dict.fromkeys(c.column for c in leaves(condition)))


def describe_condition(condition: Any) -> str:
    """The condition in words, for report entries, listings and messages.

    Examples
    --------
    >>> describe_condition(parse_condition({"not": {"column": "S", "op": "in", "value": ["B"]}}))
    "not (S in ['B'])"
    """
    if isinstance(condition, ColumnCondition):
        op = condition.op.replace("_", " ")
        if condition.op in NULL_OPS:
            return f"{condition.column} {op}"
        value = condition.value
        if isinstance(value, list | tuple):
            shown = preview(value)
        else:
            shown = repr(value) if isinstance(value, str) else str(value)
        return f"{condition.column} {op} {shown}"
    if isinstance(condition, Not):
        return f"not ({describe_condition(condition.item)})"
    word = "all of" if isinstance(condition, AllOf) else "any of"
    return f"{word} (" + "; ".join(describe_condition(c) for c in condition.items) + ")"


# ----------------------------------------------------------------------------- evaluation


def column_kind(values: pd.Series) -> str:
    """``"number"``, ``"text"``, ``"bool"``, ``"time"`` or ``"mixed"`` for a source column.

    Examples
    --------
    >>> column_kind(pd.Series(["a", None])), column_kind(pd.Series([1, 2]))
    ('text', 'number')
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_kind(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "text"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    kinds = {
        "string": "text",
        "empty": "text",
        "integer": "number",
        "floating": "number",
        "mixed-integer-float": "number",
        "decimal": "number",
        "boolean": "bool",
        "datetime": "time",
        "datetime64": "time",
        "date": "time",
    }
    return kinds.get(inferred, "mixed")


def _fix(kind: str, value: Any) -> str:
    if kind == "text":
        return f"write the value as text (quoted: '{value}')"
    if kind == "number":
        return "write a number (unquoted)"
    if kind == "time":
        return "write a date such as 2011-12-01 or '2011-12-01 09:00'"
    return "write true or false"


class _Context:
    """Where a condition sits (for messages) and the frame it is evaluated on."""

    def __init__(self, frame: pd.DataFrame, where: str) -> None:
        self.frame = frame
        self.where = where

    def error(self, cond: ColumnCondition, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: column {cond.column!r} {message}")

    def column(self, cond: ColumnCondition) -> tuple[pd.Series, str]:
        if cond.column not in self.frame.columns:
            names = [str(c) for c in self.frame.columns]
            raise ConfigError(
                f"{self.where}: column {cond.column!r} is not in the source table."
                f"{did_you_mean(cond.column, names)} Available columns: {available(names)}."
            )
        values = self.frame[cond.column]
        kind = column_kind(values)
        if kind == "mixed":
            raise self.error(
                cond,
                f"mixes kinds of values ({pd.api.types.infer_dtype(values, skipna=True)}), "
                "so it cannot be compared with a typed value. Fix: convert the column to one "
                "type before reading it.",
            )
        return values, kind

    def value(self, cond: ColumnCondition, kind: str, value: Any, values: pd.Series) -> Any:
        found = value_kind(value)
        if kind == "time" and found in ("time", "text"):
            try:
                stamp = pd.Timestamp(value)
            except (ValueError, TypeError):
                stamp = None
            if stamp is None or stamp is pd.NaT:
                raise self.error(
                    cond,
                    f"holds times; the value {value!r} is not a date. Fix: {_fix(kind, value)}.",
                ) from None
            zone = getattr(values.dtype, "tz", None)
            if zone is not None and stamp.tzinfo is None:
                stamp = stamp.tz_localize(zone)
            elif zone is None and stamp.tzinfo is not None:
                raise self.error(
                    cond,
                    f"holds times without a time zone; the value {value!r} has one. Fix: "
                    "leave the offset out of the value.",
                )
            return stamp
        if found != kind:
            raise self.error(
                cond,
                f"holds {kind} values, but op {cond.op!r} is given {found} {value!r}. "
                f"Fix: {_fix(kind, value)}.",
            )
        return value


def _mask(result: Any) -> np.ndarray:
    """A plain boolean array from a pandas result; missing counts as false."""
    if isinstance(result, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return np.asarray(pd.array(result, dtype="boolean").fillna(False), dtype=bool)
    return np.asarray(result, dtype=bool)


def _text_test(values: pd.Series, test: Callable[[pd.Series], Any]) -> np.ndarray:
    """A text test, run once per category of a categorical column."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = _mask(test(pd.Series(values.cat.categories.astype("str"))))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[np.maximum(codes, 0)], False)
    return _mask(test(values.astype("str") if values.dtype == object else values))


def _column(cond: ColumnCondition, context: _Context) -> np.ndarray:
    values, kind = context.column(cond)
    op = cond.op
    if op == "is_null":
        return values.isna().to_numpy()
    if op == "not_null":
        return values.notna().to_numpy()
    present = values.notna().to_numpy()
    if op in TEXT_OPS:
        if kind != "text":
            raise context.error(
                cond,
                f"holds {kind} values; op {op!r} works on text only. Fix: use a comparison "
                "or 'in' instead.",
            )
        piece = cond.value
        tests = {
            "starts_with": lambda s: s.str.startswith(piece),
            "ends_with": lambda s: s.str.endswith(piece),
            "contains": lambda s: s.str.contains(piece, regex=False),
        }
        return _text_test(values, tests[op]) & present
    if op in ("in", "not_in"):
        wanted = [context.value(cond, kind, v, values) for v in cond.value]
        inside = _mask(values.isin(wanted))
        return (inside if op == "in" else ~inside) & present
    if op == "between":
        low, high = (context.value(cond, kind, v, values) for v in cond.value)
        return _mask((values >= low) & (values <= high)) & present
    value = context.value(cond, kind, cond.value, values)
    if kind == "bool" and op not in ("==", "!="):
        raise context.error(cond, f"holds booleans; op {op!r} needs an order. Fix: use == or !=.")
    compare = {
        "==": values.__eq__,
        "!=": values.__ne__,
        "<": values.__lt__,
        "<=": values.__le__,
        ">": values.__gt__,
        ">=": values.__ge__,
    }[op]
    return _mask(compare(value)) & present


def _evaluate(condition: Any, context: _Context) -> np.ndarray:
    if isinstance(condition, ColumnCondition):
        return _column(condition, context)
    if isinstance(condition, Not):
        return ~_evaluate(condition.item, context)
    masks = (_evaluate(c, context) for c in condition.items)
    if isinstance(condition, AllOf):
        out = np.ones(len(context.frame), dtype=bool)
        for mask in masks:
            out &= mask
        return out
    out = np.zeros(len(context.frame), dtype=bool)
    for mask in masks:
        out |= mask
    return out


def evaluate(frame: pd.DataFrame, condition: Any, *, where: str) -> np.ndarray:
    """The boolean mask of the rows of ``frame`` where ``condition`` holds.

    Parameters
    ----------
    frame : DataFrame
        The source table.
    condition : Condition
        A parsed condition (see :func:`parse_condition`).
    where : str
        Where the condition comes from, for messages (e.g. ``"events.clean[2].drop"``).

    Raises
    ------
    ConfigError
        A column is missing, or a value does not fit the column's type or the op.
    """
    return _evaluate(condition, _Context(frame, where))
