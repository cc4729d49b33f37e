"""The typed condition tree: pydantic models parsed from YAML, one class per node kind.

A condition is a mapping. Its keys decide its kind:

- ``{all: [c1, c2, ...]}``: every condition holds;
- ``{any: [c1, c2, ...]}``: at least one holds;
- ``{not: c}``: the condition does not hold;
- ``{fact: x, op: "<=", value: 3}``: a comparison, ``op`` one of ``== != < <= > >=``;
- ``{fact: x, op: between, value: [lo, hi]}``: ``lo <= x <= hi`` (both ends inclusive);
- ``{fact: x, op: in, value: [a, b]}``: ``x`` is one of the values (``not_in``: none);
- ``{fact: x, op: is_null}``: the fact is missing (``not_null``: present);
- ``{fact: t, op: within_days, value: 30}``: timestamp ``t`` lies in
  ``(as_of - 30 days, as_of]``, the same window as the ``*_30d`` facts
  (``older_than_days``: ``t <= as_of - 30 days``; timestamps after ``as_of`` are neither);
- ``{code: RF, matches: "[4-5]5"}``: the score code matches a pattern, or any pattern of
  a list (see :mod:`metaseg.rules.patterns`); a single score is a code too.

Window counts are ordinary facts: "at least two purchases in the last 30 days" is
``{fact: purchases_30d, op: ">=", value: 2}``.

Missing values never satisfy a comparison, ``between``, ``in``, ``not_in``,
``within_days`` or ``older_than_days``; test for them with ``is_null``. (So
``{not: {fact: age, op: "<", value: 30}}`` does hold for a customer without an age.)

Values are data, never code: a value is a number, text, a boolean or a date, and a fact
name is a plain column name (letters, digits, ``_``, ``-`` and spaces; no leading ``__``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from metaseg import schema
from metaseg._yaml import config_error_from_pydantic
from metaseg.exceptions import RuleError
from metaseg.rules.limits import (
    MAX_CONDITION_DEPTH,
    MAX_NAME_CHARS,
    check_document,
    short_repr,
)
from metaseg.rules.patterns import CodePattern, PatternSyntaxError, parse_pattern

COMPARISON_OPS: Final = ("==", "!=", "<", "<=", ">", ">=")
RANGE_OPS: Final = ("between",)
MEMBERSHIP_OPS: Final = ("in", "not_in")
NULL_OPS: Final = ("is_null", "not_null")
TIME_OPS: Final = ("within_days", "older_than_days")
#: Every ``op`` a fact condition accepts.
FACT_OPS: Final = COMPARISON_OPS + RANGE_OPS + MEMBERSHIP_OPS + NULL_OPS + TIME_OPS
#: Keys that start a condition, in the order they are recognised.
CONDITION_KEYS: Final = ("all", "any", "not", "code", "fact")

#: Largest integer a value may hold: facts are compared as float64, exact up to 2**53.
MAX_EXACT_INT: Final = 2**53


def check_fact_name(name: str) -> str:
    """Validate a fact (column) name: plain characters only, no leading ``__``.

    Examples
    --------
    >>> check_fact_name("recency_days")
    'recency_days'
    """
    return schema.check_column_name(name, what="fact name", table="facts table")


def check_name(name: str) -> str:
    """Validate a segment, score, code or parameter name.

    A name starts with an ASCII letter and holds only letters, digits, ``_`` and ``-``.

    Examples
    --------
    >>> check_name("loyal_customers")
    'loyal_customers'
    """
    if not isinstance(name, str):
        raise ValueError(f"a name must be text, got {type(name).__name__}")
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"a name must have 1 to {MAX_NAME_CHARS} characters")
    ok = name[0].isascii() and name[0].isalpha()
    ok = ok and all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
    if not ok:
        raise ValueError(
            "a name starts with a letter and holds only letters, digits, '_' and '-' "
            "(for example 'cant_lose')"
        )
    return name


def value_kind(value: Any) -> str:
    """Return ``"bool"``, ``"number"``, ``"text"`` or ``"datetime"`` for a rule value.

    Examples
    --------
    >>> value_kind(3), value_kind("f"), value_kind(True)
    ('number', 'text', 'bool')
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date):
        return "datetime"
    raise TypeError(f"not a rule value: {type(value).__name__}")


def check_scalar(value: Any) -> Any:
    """Validate a value: a number, text, a boolean or a date; never null or NaN."""
    if value is None:
        raise ValueError("a value may not be null; test for missing facts with op: is_null")
    if isinstance(value, bool | str | dt.date):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise ValueError(f"the number is larger than {MAX_EXACT_INT:,} in size")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("a value may not be NaN; test for missing facts with op: is_null")
        return value
    raise ValueError(
        f"a value is a number, text, a boolean or a date, not a {type(value).__name__}"
    )


def _check_days(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("the number of days must be a number such as 30")
    if not math.isfinite(value) or value < 0:
        raise ValueError("the number of days must be finite and >= 0")
    return float(value)


def _same_kind(values: list[Any] | tuple[Any, ...]) -> None:
    kinds = {value_kind(v) for v in values}
    if len(kinds) > 1:
        raise ValueError(f"the values mix {' and '.join(sorted(kinds))}; use values of one kind")


FactName = Annotated[str, AfterValidator(check_fact_name)]
Name = Annotated[str, AfterValidator(check_name)]
Scalar = Annotated[Any, AfterValidator(check_scalar)]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AllOf(_Node):
    """Every condition in the list holds."""

    items: list[Condition] = Field(alias="all", min_length=1)


class AnyOf(_Node):
    """At least one condition in the list holds."""

    items: list[Condition] = Field(alias="any", min_length=1)


class Not(_Node):
    """The condition does not hold."""

    item: Condition = Field(alias="not")


class Compare(_Node):
    """``fact op value`` with ``op`` in ``== != < <= > >=``."""

    fact: FactName
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: Scalar


class Between(_Node):
    """``lo <= fact <= hi``."""

    fact: FactName
    op: Literal["between"]
    value: tuple[Scalar, Scalar]

    @model_validator(mode="after")
    def _ordered(self) -> Between:
        low, high = self.value
        _same_kind(self.value)
        if value_kind(low) != "bool" and _as_comparable(low) > _as_comparable(high):
            raise ValueError(
                f"between needs [low, high] with low <= high, got [{short_repr(low)}, {short_repr(high)}]; swap them"
            )
        return self


class Membership(_Node):
    """``fact`` is one of (``in``) or none of (``not_in``) the values."""

    fact: FactName
    op: Literal["in", "not_in"]
    value: list[Scalar] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Membership:
        _same_kind(self.value)
        return self


class NullCheck(_Node):
    """The fact is missing (``is_null``) or present (``not_null``)."""

    fact: FactName
    op: Literal["is_null", "not_null"]


class RelativeTime(_Node):
    """A timestamp fact within (or older than) a number of days before ``as_of``."""

    fact: FactName
    op: Literal["within_days", "older_than_days"]
    value: Annotated[Any, AfterValidator(_check_days)]


class CodeMatch(_Node):
    """A score code (or one score) matches a pattern, or any pattern of a list."""

    code: Name
    matches: str | list[str] = Field(min_length=1)

    @property
    def patterns(self) -> tuple[CodePattern, ...]:
        """The parsed patterns."""
        texts = [self.matches] if isinstance(self.matches, str) else self.matches
        return tuple(parse_pattern(t) for t in texts)

    @model_validator(mode="after")
    def _parse(self) -> CodeMatch:
        texts = [self.matches] if isinstance(self.matches, str) else self.matches
        for text in texts:
            try:
                parse_pattern(text)
            except PatternSyntaxError as exc:
                raise ValueError(f"pattern {text!r}: {exc}") from None
        return self


class _UnknownOp(_Node):
    """Receives fact conditions whose ``op`` is unknown, so the error points at ``op``."""

    fact: FactName
    op: Literal[FACT_OPS]  # type: ignore[valid-type]
    value: Any = None


def _tag(node: Any) -> str | None:
    if isinstance(node, _Node):
        return _TAGS_BY_TYPE.get(type(node))
    if not isinstance(node, dict):
        return None
    for key in ("all", "any", "not", "code"):
        if key in node:
            return f"node:{key}"
    if "fact" not in node:
        return None
    op = node.get("op")
    if not isinstance(op, str):
        return "node:unknown_op"
    for ops, tag in _OP_TAGS:
        if op in ops:
            return tag
    return "node:unknown_op"


_OP_TAGS: Final = (
    (COMPARISON_OPS, "node:compare"),
    (RANGE_OPS, "node:between"),
    (MEMBERSHIP_OPS, "node:membership"),
    (NULL_OPS, "node:null"),
    (TIME_OPS, "node:time"),
)
_TAGS_BY_TYPE: Final[dict[type, str]] = {
    AllOf: "node:all",
    AnyOf: "node:any",
    Not: "node:not",
    CodeMatch: "node:code",
    Compare: "node:compare",
    Between: "node:between",
    Membership: "node:membership",
    NullCheck: "node:null",
    RelativeTime: "node:time",
}
#: Prefix of the tags in pydantic error locations; they are removed from YAML paths.
TAG_PREFIX: Final = "node:"

Condition = Annotated[
    Annotated[AllOf, Tag("node:all")]
    | Annotated[AnyOf, Tag("node:any")]
    | Annotated[Not, Tag("node:not")]
    | Annotated[CodeMatch, Tag("node:code")]
    | Annotated[Compare, Tag("node:compare")]
    | Annotated[Between, Tag("node:between")]
    | Annotated[Membership, Tag("node:membership")]
    | Annotated[NullCheck, Tag("node:null")]
    | Annotated[RelativeTime, Tag("node:time")]
    | Annotated[_UnknownOp, Tag("node:unknown_op")],
    Discriminator(
        _tag,
        custom_error_type="condition_shape",
        custom_error_message=(
            "a condition is a mapping with one of the keys 'all', 'any', 'not', 'fact' "
            "or 'code', e.g. {fact: recency_days, op: '<=', value: 90}"
        ),
    ),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


def _as_comparable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(dt.UTC).replace(tzinfo=None)
        )
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def children(node: Any) -> tuple[tuple[str | int, ...], ...]:
    """Return the relative YAML locations of a node's sub-conditions.

    Examples
    --------
    >>> children(AllOf.model_validate({"all": [{"fact": "x", "op": "is_null"}]}))
    (('all', 0),)
    """
    if isinstance(node, AllOf):
        return tuple(("all", i) for i in range(len(node.items)))
    if isinstance(node, AnyOf):
        return tuple(("any", i) for i in range(len(node.items)))
    if isinstance(node, Not):
        return (("not",),)
    return ()


def child(node: Any, rel: tuple[str | int, ...]) -> Any:
    """Return the sub-condition of ``node`` at a location given by :func:`children`."""
    if isinstance(node, Not):
        return node.item
    return node.items[rel[1]]


def walk(node: Any) -> list[tuple[tuple[str | int, ...], Any]]:
    """List every node of a condition tree with its location relative to the root.

    Examples
    --------
    >>> tree = AnyOf.model_validate({"any": [{"not": {"fact": "x", "op": "is_null"}}]})
    >>> [loc for loc, _ in walk(tree)]
    [(), ('any', 0), ('any', 0, 'not')]
    """
    out: list[tuple[tuple[str | int, ...], Any]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), node)]
    while stack:
        loc, current = stack.pop()
        out.append((loc, current))
        for rel in reversed(children(current)):
            stack.append(((*loc, *rel), child(current, rel)))
    return out


def facts_read(node: Any) -> list[str]:
    """The fact names a condition reads, in order of first use.

    Examples
    --------
    >>> tree = AllOf.model_validate({"all": [{"fact": "b", "op": "is_null"},
    ...                                      {"fact": "a", "op": ">", "value": 1}]})
    >>> facts_read(tree)
    ['b', 'a']
    """
    seen: dict[str, None] = {}
    for _, current in walk(node):
        fact = getattr(current, "fact", None)
        if isinstance(fact, str):
            seen.setdefault(fact, None)
    return list(seen)


def depth(node: Any) -> int:
    """Nesting depth of ``all`` / ``any`` / ``not`` levels (a leaf has depth 0)."""
    best = 0
    for loc, _ in walk(node):
        best = max(best, sum(1 for part in loc if part in ("all", "any", "not")))
    return best


class Untagged:
    """A view of a pydantic ValidationError without the condition tags in its locations.

    The discriminated union adds a tag such as ``node:compare`` to every error location;
    dropping it gives the YAML path a user can find, ``segments[3].condition.all[1].op``.
    """

    def __init__(self, exc: ValidationError) -> None:
        self._exc = exc

    def error_count(self) -> int:
        """Number of errors."""
        return self._exc.error_count()

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        """The errors, with tags removed from each ``loc``."""
        out = []
        for err in self._exc.errors(include_url=include_url):
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p.startswith(TAG_PREFIX))
            )
            out.append({**err, "loc": loc})
        return out


_CONDITION_ADAPTER: Final = TypeAdapter(Condition)


def parse_condition(condition: Any) -> Any:
    """Parse one condition (a mapping as written in YAML) into the typed tree.

    Raises
    ------
    RuleError
        With the path of the problem inside the condition.

    Examples
    --------
    >>> parse_condition({"fact": "frequency", "op": ">=", "value": 2})
    Compare(fact='frequency', op='>=', value=2)
    >>> parse_condition({"fact": "frequency", "op": "=>", "value": 2})
    Traceback (most recent call last):
    ...
    metaseg.exceptions.RuleError: condition is invalid (1 problem(s)):
      - op: Input should be '==', '!=', '<', '<=', '>', '>=', 'between', 'in', 'not_in', 'is_null', 'not_null', 'within_days' or 'older_than_days' (got '=>')
    """
    check_document(condition)
    try:
        parsed = _CONDITION_ADAPTER.validate_python(condition)
    except ValidationError as exc:
        raise RuleError(str(config_error_from_pydantic(Untagged(exc), what="condition"))) from None
    if depth(parsed) > MAX_CONDITION_DEPTH:
        raise RuleError(
            f"condition nests all/any/not more than {MAX_CONDITION_DEPTH} levels deep "
            "(metaseg.rules.limits.MAX_CONDITION_DEPTH); flatten it."
        )
    return parsed
