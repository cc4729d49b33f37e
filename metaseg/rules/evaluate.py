"""Vectorised evaluation of a condition tree into a boolean mask over the facts table.

Each node becomes numpy/pandas operations on whole columns; there is no loop over
customers. Types are checked against the data before anything is computed: comparing a
text attribute with a number, or asking ``within_days`` of a non-timestamp, is a
:class:`~metaseg.exceptions.RuleError` that names the segment, the YAML path and the
column, shows the value and says what to write instead.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from metaseg._messages import available, did_you_mean
from metaseg._yaml import format_location
from metaseg.exceptions import RuleError
from metaseg.rules.conditions import (
    AllOf,
    AnyOf,
    Between,
    CodeMatch,
    Compare,
    Membership,
    Not,
    NullCheck,
    RelativeTime,
    parse_condition,
    value_kind,
)
from metaseg.rules.limits import short_repr
from metaseg.rules.patterns import match_patterns

_DAY_SECONDS: Final = 86_400.0
_OPERATORS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_A_KIND: Final = {"number": "a number", "text": "text", "bool": "a boolean", "datetime": "a date"}
_KIND_WORDS: Final = {
    "number": "numbers",
    "text": "text",
    "bool": "booleans",
    "datetime": "timestamps",
    "empty": "only missing values",
}


@dataclass
class EvalContext:
    """What a condition is evaluated against.

    Parameters
    ----------
    facts : DataFrame
        One row per customer.
    as_of : Timestamp, optional
        The reference time of ``within_days`` / ``older_than_days``.
    codes : mapping of str to sequence of ndarray
        Score arrays per code name (one array per code position); a single score is
        also a code of one position.
    where : str
        Where the condition comes from, for messages (e.g. ``"segment 'new'"``).
    """

    facts: pd.DataFrame
    as_of: pd.Timestamp | None = None
    codes: Mapping[str, Sequence[np.ndarray]] = field(default_factory=dict)
    where: str = "condition"
    _kinds: dict[str, str] = field(default_factory=dict, repr=False)


def evaluate(node: Any, ctx: EvalContext, loc: tuple[Any, ...] = ()) -> np.ndarray:
    """Evaluate a parsed condition into a boolean array with one entry per row of ``ctx.facts``.

    Parameters
    ----------
    node : Condition
        A parsed condition (see :mod:`metaseg.rules.conditions`).
    ctx : EvalContext
        The facts, ``as_of`` and score codes.
    loc : tuple
        The node's YAML location, used in messages.

    Returns
    -------
    ndarray of bool

    Raises
    ------
    RuleError
        If a fact is missing, a type does not fit the operator or ``as_of`` is needed
        but unknown.

    Examples
    --------
    >>> from pydantic import TypeAdapter
    >>> from metaseg.rules.conditions import Condition
    >>> cond = TypeAdapter(Condition).validate_python(
    ...     {"all": [{"fact": "frequency", "op": ">=", "value": 2},
    ...              {"fact": "region", "op": "in", "value": ["north"]}]})
    >>> facts = pd.DataFrame({"frequency": [1, 3, 4], "region": ["north", "north", "south"]})
    >>> evaluate(cond, EvalContext(facts)).tolist()
    [False, True, False]
    """
    n = len(ctx.facts)
    if isinstance(node, AllOf):
        out = np.ones(n, dtype=bool)
        for i, item in enumerate(node.items):
            out &= evaluate(item, ctx, (*loc, "all", i))
        return out
    if isinstance(node, AnyOf):
        out = np.zeros(n, dtype=bool)
        for i, item in enumerate(node.items):
            out |= evaluate(item, ctx, (*loc, "any", i))
        return out
    if isinstance(node, Not):
        return ~evaluate(node.item, ctx, (*loc, "not"))
    if isinstance(node, CodeMatch):
        return _code_match(node, ctx, loc)
    if isinstance(node, NullCheck):
        missing = _column(node.fact, ctx, loc).isna().to_numpy(dtype=bool)
        return missing if node.op == "is_null" else ~missing
    if isinstance(node, RelativeTime):
        return _relative_time(node, ctx, loc)
    if isinstance(node, Compare | Between | Membership):
        return _compare(node, ctx, loc)
    raise RuleError(f"{ctx.where}, {_path(loc)}: not a condition ({type(node).__name__})")


def _path(loc: tuple[Any, ...]) -> str:
    return format_location(loc)


def _column(fact: str, ctx: EvalContext, loc: tuple[Any, ...]) -> pd.Series:
    if fact not in ctx.facts.columns:
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'fact'))}: fact {fact!r} is not a column of the "
            f"facts table.{did_you_mean(fact, map(str, ctx.facts.columns))} Available: "
            f"{available(map(str, ctx.facts.columns))}."
        )
    column = ctx.facts[fact]
    if isinstance(column, pd.DataFrame):
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'fact'))}: the facts table has several columns "
            f"named {fact!r}; give each column a unique name."
        )
    return column


def column_type(column: pd.Series) -> str:
    """Classify a column as ``number``, ``bool``, ``text``, ``datetime``, ``empty`` or ``other``.

    Examples
    --------
    >>> column_type(pd.Series([1.0, None])), column_type(pd.Series(["a", None]))
    ('number', 'text')
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_type(pd.Series(np.asarray(column, dtype=object)))
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    return {
        "string": "text",
        "boolean": "bool",
        "integer": "number",
        "floating": "number",
        "mixed-integer-float": "number",
        "datetime64": "datetime",
        "datetime": "datetime",
        "empty": "empty",
    }.get(inferred, "other")


def _kind(fact: str, column: pd.Series, ctx: EvalContext, loc: tuple[Any, ...]) -> str:
    kind = ctx._kinds.get(fact)
    if kind is None:
        kind = column_type(column)
        ctx._kinds[fact] = kind
    if kind == "other":
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'fact'))}: fact {fact!r} has dtype "
            f"{column.dtype} with mixed or unsupported values; rules compare numbers, text, "
            "booleans and timestamps. Convert the column to one of those."
        )
    return kind


def _as_values(column: pd.Series, kind: str) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(column.dtype):
        plain = pd.Series(np.asarray(column, dtype=object), index=column.index)
        if kind == "number":
            return pd.to_numeric(plain)
        if kind == "datetime":
            return pd.to_datetime(plain, utc=True)
        return plain
    return column


def _to_bool(result: Any) -> np.ndarray:
    if isinstance(result, pd.Series | pd.Index):
        return np.asarray(result.to_numpy(dtype=bool, na_value=False), dtype=bool)
    return np.asarray(result, dtype=bool)


def _align_time(value: Any, column: pd.Series) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    tz = getattr(column.dtype, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        return stamp.tz_localize("UTC")
    if tz is None and stamp.tzinfo is not None:
        return stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _check_value_fits(
    node: Compare | Between | Membership, kind: str, value: Any, ctx: EvalContext, loc: tuple
) -> None:
    have = value_kind(value)
    fits = have == kind or (kind == "datetime" and have == "text")
    if kind == "empty":
        fits = True
    if not fits:
        hint = {
            ("number", "text"): "write the number without quotes",
            ("text", "number"): "quote the value if the attribute is text (e.g. '30')",
            ("datetime", "number"): (
                "compare timestamps with op: within_days / older_than_days, or compare "
                "a day count such as tenure_days"
            ),
            ("number", "datetime"): "compare a timestamp fact, or use a number of days",
            ("bool", "number"): "write true or false",
            ("number", "bool"): "write a number",
        }.get((kind, have), f"use a value of the same kind as the fact ({_KIND_WORDS[kind]})")
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'value'))}: fact {node.fact!r} holds "
            f"{_KIND_WORDS[kind]} but the value {short_repr(value)} is {_A_KIND[have]}; {hint}."
        )
    if kind == "text" and node.op in ("<", "<=", ">", ">=", "between"):
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'op'))}: fact {node.fact!r} holds text, which has no "
            f"order for op {node.op!r}; use '==', '!=', 'in' or 'not_in'."
        )
    if kind == "bool" and node.op in ("<", "<=", ">", ">=", "between"):
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'op'))}: fact {node.fact!r} holds booleans; "
            f"use '==' or '!=' instead of {node.op!r}."
        )


def _prepare_value(value: Any, kind: str, column: pd.Series, ctx: EvalContext, loc) -> Any:
    if kind == "datetime":
        try:
            # Only ISO dates: words such as "now" or "today" would make rules depend on
            # the clock instead of as_of.
            if isinstance(value, str) and not value[:4].isdigit():
                raise ValueError(value)
            return _align_time(value, column)
        except (ValueError, TypeError, OverflowError):
            raise RuleError(
                f"{ctx.where}, {_path((*loc, 'value'))}: {short_repr(value)} is not a date or "
                "timestamp; write a date such as 2024-01-31."
            ) from None
    if kind == "number":
        return float(value)
    return value


def _compare(node: Compare | Between | Membership, ctx: EvalContext, loc) -> np.ndarray:
    column = _column(node.fact, ctx, loc)
    kind = _kind(node.fact, column, ctx, loc)
    raw_values = list(node.value) if isinstance(node, Between | Membership) else [node.value]
    for value in raw_values:
        _check_value_fits(node, kind, value, ctx, loc)
    present = column.notna().to_numpy(dtype=bool)
    if kind == "empty":
        return np.zeros(len(column), dtype=bool)
    data = _as_values(column, kind)
    values = [_prepare_value(v, kind, data, ctx, loc) for v in raw_values]
    if kind == "number":
        array = data.to_numpy(dtype="float64", na_value=np.nan)
        if isinstance(node, Compare):
            with np.errstate(invalid="ignore"):
                return _OPERATORS[node.op](array, values[0]) & present
        if isinstance(node, Between):
            with np.errstate(invalid="ignore"):
                return (array >= values[0]) & (array <= values[1]) & present
        hit = np.isin(array, np.asarray(values, dtype="float64"))
        return (hit if node.op == "in" else ~hit) & present
    if isinstance(node, Compare):
        return _to_bool(_OPERATORS[node.op](data, values[0])) & present
    if isinstance(node, Between):
        return _to_bool((data >= values[0]) & (data <= values[1])) & present
    hit = _to_bool(data.isin(values))
    return (hit if node.op == "in" else ~hit) & present


def _relative_time(node: RelativeTime, ctx: EvalContext, loc) -> np.ndarray:
    column = _column(node.fact, ctx, loc)
    kind = _kind(node.fact, column, ctx, loc)
    if kind == "empty":
        return np.zeros(len(column), dtype=bool)
    if kind != "datetime":
        hint = (
            f"for a day count write {{fact: {node.fact}, op: '<=', value: {node.value:g}}}"
            if kind == "number"
            else "use a timestamp fact such as signup_at"
        )
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'op'))}: op {node.op!r} needs a timestamp fact but "
            f"{node.fact!r} holds {_KIND_WORDS[kind]}; {hint}."
        )
    if ctx.as_of is None:
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'op'))}: op {node.op!r} on {node.fact!r} counts days "
            "back from an as-of date, and none is known; pass as_of=... or use facts from "
            "compute_facts (they carry facts.attrs['as_of'])."
        )
    data = _as_values(column, kind)
    as_of = _align_time(ctx.as_of, data)
    seconds = (as_of - data).dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    days = seconds / _DAY_SECONDS
    with np.errstate(invalid="ignore"):
        if node.op == "within_days":
            return (days >= 0) & (days < node.value)
        return days >= node.value


def _code_match(node: CodeMatch, ctx: EvalContext, loc) -> np.ndarray:
    scores = ctx.codes.get(node.code)
    if scores is None:
        raise RuleError(
            f"{ctx.where}, {_path((*loc, 'code'))}: code {node.code!r} is not defined."
            f"{did_you_mean(node.code, ctx.codes)} Defined codes and scores: "
            f"{available(ctx.codes)}."
        )
    for pattern in node.patterns:
        if len(pattern) != len(scores):
            raise RuleError(
                f"{ctx.where}, {_path((*loc, 'matches'))}: pattern {pattern.text!r} has "
                f"{len(pattern)} position(s) but code {node.code!r} has {len(scores)}; "
                "write one digit or [class] per score."
            )
    return match_patterns(node.patterns, scores)


def as_timestamp(value: Any, what: str = "as_of") -> pd.Timestamp:
    """Turn ``as_of`` (a date, datetime, ISO text or Timestamp) into a Timestamp.

    Examples
    --------
    >>> as_timestamp("2024-01-31")
    Timestamp('2024-01-31 00:00:00')
    """
    if isinstance(value, pd.Timestamp):
        stamp = value
    elif isinstance(value, dt.date | str | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            stamp = pd.NaT
    else:
        raise RuleError(
            f"{what} must be a date, a timestamp or ISO text such as '2024-01-31', got "
            f"{type(value).__name__} {short_repr(value)}."
        )
    if pd.isna(stamp):
        raise RuleError(
            f"{what}={short_repr(value)} is not a valid date; write it like '2024-01-31'."
        )
    return stamp


def condition_mask(condition: Any, facts: pd.DataFrame, *, as_of: Any = None) -> np.ndarray:
    """Evaluate one condition on a facts table and return a boolean mask.

    Parameters
    ----------
    condition : dict or parsed condition
        A condition tree on facts (``code`` conditions need a RuleSegmenter's scores).
    facts : DataFrame
    as_of : date-like, optional
        Reference time of relative-time conditions; defaults to ``facts.attrs["as_of"]``.

    Returns
    -------
    ndarray of bool, one entry per row of ``facts``

    Raises
    ------
    RuleError
        If the condition is invalid or does not fit the facts.

    Examples
    --------
    >>> facts = pd.DataFrame({"purchases_30d": [0, 2, 5]})
    >>> condition_mask({"fact": "purchases_30d", "op": ">=", "value": 2}, facts).tolist()
    [False, True, True]
    """
    parsed = parse_condition(condition) if isinstance(condition, dict) else condition
    stamp = as_of if as_of is not None else facts.attrs.get("as_of")
    ctx = EvalContext(facts, as_of=None if stamp is None else as_timestamp(stamp))
    return evaluate(parsed, ctx)
