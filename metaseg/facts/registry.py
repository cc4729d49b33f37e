"""The fact registry: every customer fact, defined once, from which the SQL is generated.

A fact is computed in two steps. First, per-customer *aggregates* are taken over the
events known at ``as_of`` (:data:`AGGREGATES`); then each :class:`Fact` is a SQL
expression over those aggregates, plus the few columns the query skeleton in
:mod:`metaseg.facts.sql` adds (carts after the last purchase, category counts, the
signup time). Both steps read a projection of the events with fixed internal names:

``cid``
    the customer id
``ts``
    the event time in integer microseconds since the Unix epoch
``is_purchase``, ``is_view``, ``is_cart``, ``is_refund``
    whether the event has that type (compared once per event, see :data:`EVENT_FLAGS`)
``amt``
    the amount
``oid``, ``cat``
    the order id and the category (only when the events have them)

Two tokens stand for values the query builder renders: ``@AS_OF`` (the bound
``as_of`` parameter, in epoch microseconds) and ``@WINDOW_US`` (a validated window
length, in microseconds). Every other piece of SQL here is a constant of this module;
no user text ever reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd

from metaseg import schema
from metaseg.facts.durations import UNIT_DESCRIPTIONS, check_durations
from metaseg.facts.params import check_windows

FactKind = Literal["count", "duration", "money", "ratio", "timestamp"]

#: Window lengths in days used when none are given.
DEFAULT_WINDOWS: Final = (7, 30, 90, 365)

#: Microseconds in a day: durations are microsecond differences divided by this.
US_PER_DAY: Final = 86_400_000_000

AS_OF_TOKEN: Final = "@AS_OF"
WINDOW_TOKEN: Final = "@WINDOW_US"
WINDOW_NAME_TOKEN: Final = "{w}"


def sql_literal(text: str) -> str:
    """Render a constant of this package as a SQL string literal (quotes doubled).

    Examples
    --------
    >>> sql_literal("add_to_cart")
    "'add_to_cart'"
    """
    return "'" + text.replace("'", "''") + "'"


#: Boolean event-type flags of the projected events, with the type each one tests.
EVENT_FLAGS: Final = (
    ("is_purchase", schema.PURCHASE),
    ("is_view", schema.VIEW),
    ("is_cart", schema.ADD_TO_CART),
    ("is_refund", schema.REFUND),
)
_PURCHASE, _VIEW, _CART, _REFUND = (flag for flag, _ in EVENT_FLAGS)
_IN_WINDOW = f"ts > {AS_OF_TOKEN} - {WINDOW_TOKEN}"


def _count_if(condition: str) -> str:
    # COUNT of a CASE without ELSE: as portable as SUM(... ELSE 0) and much faster in DuckDB.
    return f"COUNT(CASE WHEN {condition} THEN 1 END)"


def _sum_if(condition: str, value: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} END)"


def _min_if(condition: str, value: str) -> str:
    return f"MIN(CASE WHEN {condition} THEN {value} END)"


def _max_if(condition: str, value: str) -> str:
    return f"MAX(CASE WHEN {condition} THEN {value} END)"


@dataclass(frozen=True)
class Aggregate:
    """A per-customer aggregate over the events known at ``as_of``.

    Parameters
    ----------
    name : str
        Internal column name the fact expressions refer to.
    sql : str
        The aggregate expression over the internal event columns.
    without_order_id : str, optional
        The expression to use when the events have no ``order_id`` column.
    windowed : bool
        Whether the aggregate is repeated once per window (``name`` then holds ``{w}``).
    """

    name: str
    sql: str
    without_order_id: str | None = None
    windowed: bool = False


@dataclass(frozen=True)
class Fact:
    """One customer fact: its name, kind, meaning and SQL expression.

    Parameters
    ----------
    name : str
        Output column name; windowed facts hold ``{w}``, e.g. ``"purchases_{w}d"``.
    kind : {"count", "duration", "money", "ratio", "timestamp"}
        Counts are int64 and default to 0; money is float64 and defaults to 0.0;
        durations (float days back from ``as_of``) and ratios are float64 and
        undefined values are NaN; timestamps are UTC and undefined values are NaT.
    description : str
        What the fact means, for documentation and profiles.
    expression : str
        SQL over the aggregates (and the skeleton's extra columns) giving the value;
        timestamps and durations are computed in epoch microseconds.
    default_if_empty : int, float or None
        The value for a customer without any event (None: NaN or NaT).
    windowed : bool
        Whether the fact is repeated once per window.
    whole_days : str, optional
        For a duration: the expression in whole days, rounded down like pandas'
        ``Timedelta.days`` (used with ``durations="whole_days"``, see
        :mod:`metaseg.facts.durations`).
    """

    name: str
    kind: FactKind
    description: str
    expression: str
    default_if_empty: int | float | None
    windowed: bool = False
    whole_days: str | None = None

    def expand(self, windows: tuple[int, ...]) -> list[tuple[str, int | None]]:
        """Return ``(column name, window)`` pairs, one per window for a windowed fact.

        Examples
        --------
        >>> FACTS_BY_NAME["purchases_{w}d"].expand((7, 30))
        [('purchases_7d', 7), ('purchases_30d', 30)]
        """
        if not self.windowed:
            return [(self.name, None)]
        return [(self.name.replace(WINDOW_NAME_TOKEN, str(w)), w) for w in windows]


AGGREGATES: Final[tuple[Aggregate, ...]] = (
    Aggregate("first_us", "MIN(ts)"),
    Aggregate("last_us", "MAX(ts)"),
    Aggregate("n_purchase", _count_if(_PURCHASE)),
    Aggregate("n_view", _count_if(_VIEW)),
    Aggregate("n_cart", _count_if(_CART)),
    Aggregate("n_refund", _count_if(_REFUND)),
    # Purchases without an order id are each their own order; the distinct order ids
    # are counted apart (see metaseg.facts.sql), and without an order_id column every
    # purchase is an order.
    Aggregate(
        "unordered_purchases",
        _count_if(f"{_PURCHASE} AND oid IS NULL"),
        without_order_id=_count_if(_PURCHASE),
    ),
    Aggregate("gross", _sum_if(_PURCHASE, "amt")),
    Aggregate("refunded", _sum_if(_REFUND, "amt")),
    Aggregate("first_purchase_us", _min_if(_PURCHASE, "ts")),
    Aggregate("last_purchase_us", _max_if(_PURCHASE, "ts")),
    Aggregate("last_cart_us", _max_if(_CART, "ts")),
    Aggregate("last_view_us", _max_if(_VIEW, "ts")),
    Aggregate("purchases_{w}", _count_if(f"{_PURCHASE} AND {_IN_WINDOW}"), windowed=True),
    Aggregate("revenue_{w}", _sum_if(f"{_PURCHASE} AND {_IN_WINDOW}", "amt"), windowed=True),
    Aggregate("views_{w}", _count_if(f"{_VIEW} AND {_IN_WINDOW}"), windowed=True),
    Aggregate("carts_{w}", _count_if(f"{_CART} AND {_IN_WINDOW}"), windowed=True),
)


def _days_since(column: str) -> str:
    return f"CAST({AS_OF_TOKEN} - {column} AS DOUBLE) / {US_PER_DAY}"


def whole_days_of(micros: str, per: str = str(US_PER_DAY)) -> str:
    """Complete ``per`` periods in ``micros`` (rounded down), as a DOUBLE.

    Integer arithmetic: ``m - ((m % p) + p) % p`` is the largest multiple of ``p`` not
    above ``m`` (also for negative ``m``, where ``%`` keeps the sign of ``m`` in both
    engines), and dividing an exact multiple gives a whole number with no rounding.
    """
    m, p = f"({micros})", f"({per})"
    return f"CAST(({m} - ((({m} % {p}) + {p}) % {p})) / {p} AS DOUBLE)"


def _whole_days_since(column: str) -> str:
    return whole_days_of(f"{AS_OF_TOKEN} - {column}")


def _tenure(days_since: Callable[[str], str]) -> str:
    return (
        f"CASE WHEN signup_us > {AS_OF_TOKEN} THEN NULL "
        f"ELSE {days_since('COALESCE(signup_us, first_us)')} END"
    )


FACTS: Final[tuple[Fact, ...]] = (
    Fact("first_seen", "timestamp", "Time of the customer's first event (UTC).", "first_us", None),
    Fact("last_seen", "timestamp", "Time of the customer's last event (UTC).", "last_us", None),
    Fact(
        "recency_days",
        "duration",
        "Days from the last purchase to as_of (NaN if no purchase).",
        _days_since("last_purchase_us"),
        None,
        whole_days=_whole_days_since("last_purchase_us"),
    ),
    Fact(
        "days_since_last_event",
        "duration",
        "Days from the last event of any type to as_of (NaN if no event).",
        _days_since("last_us"),
        None,
        whole_days=_whole_days_since("last_us"),
    ),
    Fact(
        "tenure_days",
        "duration",
        "Days from signup_at to as_of when signup_at is known, else from the first event; "
        "NaN when neither is known or signup_at is after as_of.",
        _tenure(_days_since),
        None,
        whole_days=_tenure(_whole_days_since),
    ),
    Fact(
        "frequency",
        "count",
        "Distinct purchase orders; without order_id each purchase event is an order.",
        "n_orders",
        0,
    ),
    Fact("n_purchases", "count", "Purchase events.", "n_purchase", 0),
    Fact("n_views", "count", "View events.", "n_view", 0),
    Fact("n_add_to_cart", "count", "Add-to-cart events.", "n_cart", 0),
    Fact("n_refunds", "count", "Refund events.", "n_refund", 0),
    Fact("gross_revenue", "money", "Sum of purchase amounts.", "gross", 0.0),
    Fact(
        "monetary",
        "money",
        "Gross revenue minus refunded amounts (negative when refunds exceed purchases).",
        "COALESCE(gross, 0) - COALESCE(refunded, 0)",
        0.0,
    ),
    Fact(
        "avg_order_value",
        "money",
        "Gross revenue per order (NaN if no order).",
        "COALESCE(gross, 0) / NULLIF(n_orders, 0)",
        None,
    ),
    Fact(
        "mean_days_between_orders",
        "duration",
        "Days from the first to the last purchase divided by (frequency - 1) "
        "(NaN if fewer than 2 orders).",
        f"CASE WHEN n_orders >= 2 THEN CAST(last_purchase_us - first_purchase_us AS DOUBLE) "
        f"/ {US_PER_DAY} / (n_orders - 1) END",
        None,
        whole_days=f"CASE WHEN n_orders >= 2 THEN "
        f"{whole_days_of('last_purchase_us - first_purchase_us', f'(n_orders - 1) * {US_PER_DAY}')} END",
    ),
    Fact(
        "purchases_{w}d",
        "count",
        "Purchase events in the last {w} days, i.e. in (as_of - {w} days, as_of].",
        "purchases_{w}",
        0,
        windowed=True,
    ),
    Fact(
        "revenue_{w}d",
        "money",
        "Sum of purchase amounts in the last {w} days.",
        "revenue_{w}",
        0.0,
        windowed=True,
    ),
    Fact(
        "views_{w}d",
        "count",
        "View events in the last {w} days.",
        "views_{w}",
        0,
        windowed=True,
    ),
    Fact(
        "add_to_cart_{w}d",
        "count",
        "Add-to-cart events in the last {w} days.",
        "carts_{w}",
        0,
        windowed=True,
    ),
    Fact(
        "carts_since_last_purchase",
        "count",
        "Add-to-cart events strictly after the last purchase (all of them if no purchase); "
        "a cart at the same time as the last purchase counts as before it.",
        "carts_after_last_purchase",
        0,
    ),
    Fact(
        "days_since_last_cart",
        "duration",
        "Days from the last add-to-cart event to as_of (NaN if none).",
        _days_since("last_cart_us"),
        None,
        whole_days=_whole_days_since("last_cart_us"),
    ),
    Fact(
        "days_since_last_view",
        "duration",
        "Days from the last view event to as_of (NaN if none).",
        _days_since("last_view_us"),
        None,
        whole_days=_whole_days_since("last_view_us"),
    ),
    Fact(
        "refund_rate",
        "ratio",
        "Refunded amount / gross revenue (NaN if gross revenue is 0, e.g. no purchase).",
        "COALESCE(refunded, 0) / NULLIF(gross, 0)",
        None,
    ),
    Fact(
        "n_categories",
        "count",
        "Distinct categories over all events with a category (0 if none or no category column).",
        "n_categories",
        0,
    ),
    Fact(
        "top_category_share",
        "ratio",
        "Share of the events with a category that fall in the customer's most frequent "
        "category (NaN if none).",
        "CAST(top_category_events AS DOUBLE) / NULLIF(category_events, 0)",
        None,
    ),
)

FACTS_BY_NAME: Final = {fact.name: fact for fact in FACTS}

#: The duration facts, whose days are counted as ``durations`` says.
DURATION_FACTS: Final = tuple(fact.name for fact in FACTS if fact.kind == "duration")


def duration_units(
    durations: str | Mapping[str, str] | None = None, custom: Iterable[str] = ()
) -> dict[str, str]:
    """Return the convention (``fractional`` or ``whole_days``) of every duration fact.

    ``custom`` names the custom duration facts (``days_since`` aggregates and
    differences of two timestamps): ``durations="whole_days"`` covers them too, and a
    mapping may name them. See :mod:`metaseg.facts.durations`.

    Examples
    --------
    >>> duration_units({"recency_days": "whole_days"})["recency_days"]
    'whole_days'
    """
    return check_durations(durations, (*DURATION_FACTS, *custom))


def fact_expression(fact: Fact, units: Mapping[str, str]) -> str:
    """The SQL expression of ``fact`` under the duration conventions ``units``."""
    if fact.whole_days is not None and units.get(fact.name) == "whole_days":
        return fact.whole_days
    return fact.expression


def fact_columns(windows: Iterable[int] = DEFAULT_WINDOWS) -> list[str]:
    """Return the fact column names, in output order, for the given windows.

    Examples
    --------
    >>> fact_columns((7,))[:3]
    ['first_seen', 'last_seen', 'recency_days']
    >>> [c for c in fact_columns((7,)) if c.endswith("_7d")]
    ['purchases_7d', 'revenue_7d', 'views_7d', 'add_to_cart_7d']
    """
    windows = check_windows(windows)
    return [name for fact in FACTS for name, _ in fact.expand(windows)]


def describe_facts(
    windows: Iterable[int] = DEFAULT_WINDOWS, durations: Any = None, custom: Any = None
) -> pd.DataFrame:
    """Return one row per fact column: ``name``, ``kind`` and ``description``.

    Parameters
    ----------
    windows : iterable of int
        Window lengths in days; windowed facts get one row per window.
    durations : str or mapping, optional
        How duration facts count days (``fractional``, the default, or ``whole_days``;
        see :mod:`metaseg.facts.durations`); their descriptions end with it.
    custom : CustomFacts or mapping, optional
        Custom facts (:mod:`metaseg.facts.custom`), listed after the registry's with
        their definition in the description.

    Examples
    --------
    >>> table = describe_facts(windows=(30,))
    >>> table.loc[table["name"] == "purchases_30d", "description"].item()
    'Purchase events in the last 30 days, i.e. in (as_of - 30 days, as_of].'
    >>> table = describe_facts(windows=(30,), durations="whole_days")
    >>> table.loc[table["name"] == "recency_days", "description"].item()
    'Days from the last purchase to as_of (NaN if no purchase). Whole days, rounded down like pandas Timedelta.days.'
    """
    windows = check_windows(windows)
    units = duration_units(durations)
    rows = []
    for fact in FACTS:
        for name, w in fact.expand(windows):
            description = fact.description.replace(WINDOW_NAME_TOKEN, str(w))
            if fact.name in units:
                description += " " + UNIT_DESCRIPTIONS[units[fact.name]]
            rows.append((name, fact.kind, description))
    if custom is not None:
        from metaseg.facts.custom import describe_custom, parse_custom_facts

        rows += describe_custom(parse_custom_facts(custom))
    return pd.DataFrame(rows, columns=["name", "kind", "description"])
