"""Custom facts: per-customer facts a shop defines in YAML, next to the registry's.

They are declared under ``facts: custom:`` in a configuration (or passed to
:func:`metaseg.facts.compute_facts` as ``custom=``), one entry per fact, and compiled
into the same portable SQL as the registry facts (:mod:`metaseg.facts.custom_sql`), so
DuckDB and Spark compute them alike. Two shapes exist.

An **aggregate** over the events of each customer, filtered by event type, by a
condition on event columns (:mod:`metaseg.facts.event_filters`) and optionally by a
window ``(as_of - window_days, as_of]``::

    facts:
      custom:
        shoe_purchases_30d:              # "bought shoes at least twice in 30 days":
          aggregate: count               #   a rule then tests shoe_purchases_30d >= 2
          event_type: purchase
          where: {column: category, op: "==", value: shoes}
          window_days: 30
        sale_spend_90d:                  # "total spend on sale items in 90 days"
          aggregate: sum
          of: amount
          event_type: purchase
          where: {column: on_sale, op: "==", value: true}
          window_days: 90
        views_of_x:                      # "viewed product X but never bought it":
          aggregate: count               #   views_of_x >= 1 and purchases_of_x == 0
          event_type: view
          where: {column: product_id, op: "==", value: X}
        purchases_of_x:
          aggregate: count
          event_type: purchase
          where: {column: product_id, op: "==", value: X}

``aggregate`` is one of:

=============== ====================================== ========= ===================
aggregate       value                                  kind      no matching event
=============== ====================================== ========= ===================
count           matching events                        count     0
count_distinct  distinct non-empty values of ``of``    count     0
sum             sum of ``of`` (a number column)        money*    0.0
min, max        smallest / largest ``of``              money*    NaN
last_time       time of the last matching event (UTC)  timestamp NaT
days_since      days from that event to ``as_of``      duration  NaN
=============== ====================================== ========= ===================

(*) the kind is ``money`` when ``of`` is ``amount`` and ``count`` otherwise; set
``kind:`` (``count``, ``money``, ``ratio`` or ``duration``) to say otherwise. The kind
decides what ``log1p: auto`` does with the fact in the features, as for the registry's.
Duration facts (``days_since`` and the difference of two timestamps) count fractional
days, or complete days under ``durations: whole_days`` (given for every duration fact
or by name), exactly as the registry's do.
``event_type`` is one type or a list (default: every event); ``description`` is
optional text shown by :func:`metaseg.facts.describe_facts`.

A **ratio** or **difference** of two facts, each a registry fact (windowed ones for
the configured windows, e.g. ``purchases_30d``) or another custom fact::

        shoe_share_30d:
          ratio: [shoe_purchases_30d, purchases_30d]
        sale_minus_refunds:
          difference: [sale_spend_90d, monetary]

A ratio is ``a / b`` as a float, and is **missing (NaN) when ``b`` is 0** or either
side is missing; rules treat it as missing (it satisfies no comparison; test it with
``is_null``) and the features impute it. A difference ``a - b`` of two facts of the
same kind keeps that kind (two counts give a whole number); of two timestamps it is
the days from ``b`` to ``a`` (a duration).

Names start with a letter and hold letters, digits and ``_`` (at most 64); a name may
not be a registry fact's, for any window. Columns are checked against the events'
columns and types when the facts are computed (an extra column reaches the events
through ``extra:`` in the column mapping); values are bound SQL parameters, never SQL
text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    model_validator,
)

from metaseg import schema
from metaseg._messages import preview
from metaseg._yaml import config_error_from_pydantic
from metaseg.exceptions import ConfigError
from metaseg.facts import event_filters
from metaseg.facts.event_filters import ColumnName, EventCondition
from metaseg.facts.params import MAX_WINDOW_DAYS
from metaseg.facts.registry import FACTS, WINDOW_NAME_TOKEN, FactKind

AggregateName = Literal["count", "count_distinct", "sum", "min", "max", "last_time", "days_since"]
#: Aggregates that read a column (``of``), and those that must not.
_NEEDS_COLUMN: Final = ("count_distinct", "sum", "min", "max")
NUMERIC_AGGREGATES: Final = ("sum", "min", "max")
#: Most custom facts in one configuration.
MAX_CUSTOM_FACTS: Final = 200
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_REGISTRY_PATTERNS: Final = tuple(
    re.compile("^" + re.escape(f.name).replace(re.escape(WINDOW_NAME_TOKEN), r"\d+") + "$")
    for f in FACTS
)


def check_custom_name(name: Any) -> str:
    """Validate a custom fact's name: a letter, then letters, digits and ``_`` (<= 64).

    Examples
    --------
    >>> check_custom_name("shoe_purchases_30d")
    'shoe_purchases_30d'
    >>> check_custom_name("recency_days")
    Traceback (most recent call last):
    ...
    ValueError: 'recency_days' is the name of a built-in fact; choose another name, e.g. 'my_recency_days'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"a custom fact name starts with a letter and holds only letters, digits and "
            f"'_' (at most 64 characters), got {preview([name], 1)}"
        )
    if name == schema.CUSTOMER_ID or any(p.match(name) for p in _REGISTRY_PATTERNS):
        raise ValueError(
            f"{name!r} is the name of a built-in fact; choose another name, e.g. 'my_{name}'"
        )
    return name


def _check_window(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"window_days must be a whole number of days such as 30, got {value!r}")
    if not 0 < value <= MAX_WINDOW_DAYS:
        raise ValueError(f"window_days must be between 1 and {MAX_WINDOW_DAYS}, got {value}")
    return value


CustomName = Annotated[str, AfterValidator(check_custom_name)]
EventType = Annotated[str, Field(min_length=1, max_length=200)]


class _Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = Field(default=None, max_length=500)


class AggregateFact(_Definition):
    """An aggregate over each customer's matching events (see the module docstring)."""

    aggregate: AggregateName
    of: ColumnName | None = None
    event_type: EventType | list[EventType] | None = None
    where: EventCondition | None = None
    window_days: Annotated[Any, AfterValidator(_check_window)] = None
    kind: Literal["count", "money", "ratio", "duration"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AggregateFact:
        if self.aggregate in _NEEDS_COLUMN and self.of is None:
            raise ValueError(
                f"aggregate {self.aggregate!r} needs 'of: <column>', the event column it "
                "reads (e.g. of: amount)"
            )
        if self.aggregate not in _NEEDS_COLUMN and self.of is not None:
            hint = (
                "; to count distinct values use aggregate: count_distinct"
                if self.aggregate == "count"
                else " (it reads the event time)"
            )
            raise ValueError(f"aggregate {self.aggregate!r} takes no 'of'{hint}")
        if self.kind is not None and self.aggregate not in NUMERIC_AGGREGATES:
            raise ValueError(
                f"'kind' can be set for sum, min and max only; {self.aggregate!r} has a fixed kind"
            )
        if isinstance(self.event_type, list) and not self.event_type:
            raise ValueError("event_type is an empty list; name at least one type or leave it out")
        return self

    @property
    def event_types(self) -> tuple[str, ...]:
        """The event types counted (empty: every type)."""
        if self.event_type is None:
            return ()
        return (self.event_type,) if isinstance(self.event_type, str) else tuple(self.event_type)

    def columns(self) -> list[str]:
        """The event columns this fact reads besides id, time and type, in order."""
        names = [] if self.of is None else [self.of]
        if self.where is not None:
            names += [leaf.column for leaf in event_filters.leaves(self.where)]
        return list(dict.fromkeys(names))

    def definition(self) -> str:
        """A one-line reading of the fact.

        Examples
        --------
        >>> AggregateFact(aggregate="sum", of="amount", event_type="purchase",
        ...               window_days=90).definition()
        'sum of amount over purchase events in the last 90 days'
        """
        head = {
            "count": "count",
            "last_time": "time of the last",
            "days_since": "days since the last",
        }.get(self.aggregate, f"{self.aggregate.replace('_', ' ')} of {self.of} over")
        types = " or ".join(self.event_types) if self.event_types else "all"
        text = f"{head} {types} events"
        if self.where is not None:
            text += f" where {event_filters.describe_condition(self.where)}"
        if self.window_days is not None:
            text += f" in the last {self.window_days} days"
        return text


class RatioFact(_Definition):
    """``a / b`` of two facts; NaN when ``b`` is 0 or either is missing."""

    ratio: tuple[Annotated[str, Field(min_length=1)], Annotated[str, Field(min_length=1)]]

    @property
    def operands(self) -> tuple[str, str]:
        """The two facts, numerator first."""
        return self.ratio

    def definition(self) -> str:
        """A one-line reading of the fact."""
        return f"{self.ratio[0]} / {self.ratio[1]} (NaN when {self.ratio[1]} is 0)"


class DifferenceFact(_Definition):
    """``a - b`` of two facts of one kind (two timestamps give days)."""

    difference: tuple[Annotated[str, Field(min_length=1)], Annotated[str, Field(min_length=1)]]

    @property
    def operands(self) -> tuple[str, str]:
        """The two facts, the one subtracted from second."""
        return self.difference

    def definition(self) -> str:
        """A one-line reading of the fact."""
        return f"{self.difference[0]} - {self.difference[1]}"


def _shape(value: Any) -> str | None:
    if isinstance(value, _Definition):
        return type(value).__name__
    if not isinstance(value, dict):
        return None
    for key, tag in (("aggregate", "AggregateFact"), ("ratio", "RatioFact")):
        if key in value:
            return tag
    return "DifferenceFact" if "difference" in value else None


Definition = Annotated[
    Annotated[AggregateFact, Tag("AggregateFact")]
    | Annotated[RatioFact, Tag("RatioFact")]
    | Annotated[DifferenceFact, Tag("DifferenceFact")],
    Discriminator(
        _shape,
        custom_error_type="custom_fact_shape",
        custom_error_message=(
            "a custom fact is a mapping with 'aggregate' (e.g. {aggregate: count, "
            "event_type: purchase}), 'ratio: [a, b]' or 'difference: [a, b]'"
        ),
    ),
]


class CustomFacts(RootModel[dict[CustomName, Definition]]):
    """The custom facts of a configuration: name -> definition, in order.

    Examples
    --------
    >>> custom = parse_custom_facts({"shoes_30d": {
    ...     "aggregate": "count", "event_type": "purchase", "window_days": 30,
    ...     "where": {"column": "category", "op": "==", "value": "shoes"}}})
    >>> custom.names()
    ['shoes_30d']
    """

    root: dict[CustomName, Definition] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _acyclic(self) -> CustomFacts:
        if len(self.root) > MAX_CUSTOM_FACTS:
            raise ValueError(f"at most {MAX_CUSTOM_FACTS} custom facts, got {len(self.root)}")
        for name in self.root:
            _evaluation_order(self.root, name, ())
        return self

    def names(self) -> list[str]:
        """The custom facts' names, in order."""
        return list(self.root)

    def event_columns(self) -> list[str]:
        """The event columns the aggregates read besides id, time and type, in order."""
        found = [
            column
            for definition in self.root.values()
            if isinstance(definition, AggregateFact)
            for column in definition.columns()
        ]
        return list(dict.fromkeys(found))

    def __bool__(self) -> bool:
        return bool(self.root)

    def __len__(self) -> int:
        return len(self.root)


def _evaluation_order(defs: Mapping[str, Any], name: str, path: tuple[str, ...]) -> None:
    """Refuse a ratio/difference that refers to itself, directly or through others."""
    if name in path:
        cycle = " -> ".join((*path[path.index(name) :], name))
        raise ValueError(f"custom facts refer to each other in a cycle: {cycle}; break it")
    definition = defs.get(name)
    if isinstance(definition, RatioFact | DifferenceFact):
        for operand in definition.operands:
            _evaluation_order(defs, operand, (*path, name))


class _Untagged:
    """A pydantic error with the union tags taken out of its locations (YAML paths)."""

    def __init__(self, exc: ValidationError) -> None:
        self._exc = exc

    def error_count(self) -> int:
        return self._exc.error_count()

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        tags = ("AggregateFact", "RatioFact", "DifferenceFact")
        out = []
        for err in self._exc.errors(include_url=include_url):
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and (p in tags or p == "[key]"))
            )
            out.append({**err, "loc": loc})
        return out


def parse_custom_facts(value: Any, *, what: str = "facts.custom") -> CustomFacts:
    """Parse custom facts (a mapping of name to definition, as written in YAML).

    Raises
    ------
    ConfigError
        With the YAML path of each problem, e.g. ``facts.custom.shoes_30d.where.op``.

    Examples
    --------
    >>> parse_custom_facts({"x": {"aggregate": "sum", "event_type": "purchase"}})
    Traceback (most recent call last):
    ...
    metaseg.exceptions.ConfigError: facts.custom is invalid (1 problem(s)):
      - x: Value error, aggregate 'sum' needs 'of: <column>', the event column it reads (e.g. of: amount) (got dict)
    """
    if isinstance(value, CustomFacts):
        return value
    if value is None:
        return CustomFacts()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{what} must be a mapping of fact name to definition, got "
            f"{type(value).__name__}; write for example\n  custom:\n    shoes_30d: "
            "{aggregate: count, event_type: purchase, window_days: 30}"
        )
    try:
        return CustomFacts.model_validate(dict(value))
    except ValidationError as exc:
        raise config_error_from_pydantic(_Untagged(exc), what=what) from None


def aggregate_kind(definition: AggregateFact) -> tuple[FactKind, str]:
    if definition.aggregate in ("count", "count_distinct"):
        return "count", "BIGINT"
    if definition.aggregate == "last_time":
        return "timestamp", "BIGINT"
    if definition.aggregate == "days_since":
        return "duration", "DOUBLE"
    default = "money" if definition.of == schema.AMOUNT else "count"
    return definition.kind or default, "DOUBLE"


def describe_custom(custom: CustomFacts) -> list[tuple[str, str, str]]:
    """``(name, kind, description)`` rows of custom facts, before any data is seen.

    The kind of a ratio/difference of registry facts needs no data; that of an
    aggregate is known from its definition (``sum``/``min``/``max`` default as in the
    module docstring).

    Examples
    --------
    >>> describe_custom(parse_custom_facts({"a": {"aggregate": "count"}}))
    [('a', 'count', 'Custom: count all events.')]
    """
    rows = []
    for name, definition in custom.root.items():
        text = f"Custom: {definition.definition()}."
        if definition.description:
            text = f"{definition.description} ({text[0].lower()}{text[1:-1]})."
        rows.append((name, _static_kind(definition, custom), text))
    return rows


def _static_kind(definition: Any, custom: CustomFacts) -> str:
    from metaseg.facts.registry import FACTS_BY_NAME

    if isinstance(definition, AggregateFact):
        return aggregate_kind(definition)[0]
    if isinstance(definition, RatioFact):
        return "ratio"
    first = definition.difference[0]
    if first in custom.root:
        kind = _static_kind(custom.root[first], custom)
    else:
        match = re.match(r"^(?P<stem>\w+)_(?P<w>\d+)d$", first)
        key = f"{match['stem']}_{{w}}d" if match and first not in FACTS_BY_NAME else first
        fact = FACTS_BY_NAME.get(key)
        kind = fact.kind if fact is not None else "duration"
    return "duration" if kind == "timestamp" else kind
