"""The synthetic shop: metaseg's embedded default dataset, with a known answer.

:func:`make_shop` generates customers, their events in the standard schema and the
``truth`` (each customer's lifecycle *situation* and planted *persona*), so that the
whole flow (facts → rules → sub-segments) can be checked against what was planted.

Situations
----------
Every situation is recognisable by one rule on the facts computed at ``as_of``. The
rules are evaluated in this priority order and the first that holds wins; the
generator keeps a safety margin around every threshold, so the rules recover the
planted situation for every customer.

1. ``new`` — ``tenure_days <= 30``. Signed up 1-29.5 days before ``as_of``; everyone
   else signed up more than 31 days before. Nobody has an event before signing up.
2. ``hesitant`` — ``carts_since_last_purchase >= 1`` and
   ``1 <= days_since_last_cart <= 30``. The last cart addition is 1.2-29.5 days old and
   no purchase follows it; earlier orders, if any, are older than every abandoned cart.
3. ``active`` — ``recency_days <= 90``. The last order is 0.5-88 days old.
4. ``interested`` — ``days_since_last_view <= 30``. The last view is 0.3-29.5 days old
   and the customer never purchased.
5. ``dormant`` — ``90 < recency_days <= 365``. The last order is 92-363 days old and
   the customer has no event of any kind in the last 91 days.
6. ``churned`` — ``recency_days > 365``. At least one order, the last one 367-700 days
   old (less when ``years`` is short), and no event of any kind in the last 366 days.

Outside hesitant customers, every cart addition belongs to an order and comes 1-20
minutes before its checkout, so ``carts_since_last_purchase`` is 0 for the other
situations except ``new`` (which the first rule catches anyway).

Personas
--------
Planted inside the situations (``truth.persona``). The ranges are drawn uniformly per
customer; order values are log-normal (sigma 0.3) around the median given, the other
counts are Poisson. A customer's views and cart additions fall in the same categories
as their purchases. Inside a situation, any two personas' medians differ by a factor
of 2 or more in at least one of ``frequency``, ``avg_order_value``, ``n_views``,
``n_categories`` and ``carts_since_last_purchase``, and each persona is homogeneous on
the discrete traits, so a k selection on the log of those facts (with
``top_category_share``) finds the planted number of groups.

* active and dormant, 4 personas:

  - ``big_basket``: 2-4 orders of ~250 with 2-3 items each on average, 2-3
    categories, 0-4 browsing views.
  - ``frequent_small``: 15-30 orders of ~20, 3-5 categories with most orders in one,
    half of the customers prefer the store, 0-3 browsing views.
  - ``category_loyalist``: 5-10 orders of ~60, every event in one category
    (``top_category_share == 1``), 1-6 browsing views.
  - ``explorer``: 5-10 orders of ~40, 7-10 categories used evenly (low
    ``top_category_share``), 6-16 browsing views plus about 2 before each online
    order: the most views per purchase.

* churned, 2 personas: ``big_basket`` and ``frequent_small`` as above.
* hesitant, 3 personas:

  - ``returning_hesitant``: 3-8 past orders of ~70, then 1-2 cart additions within
    half a day that no purchase follows.
  - ``first_cart``: never purchased; 0-3 browsing views and exactly 1 cart addition,
    all in one category.
  - ``serial_carter``: 6-15 cart additions spread over up to 45 days, 6-18 browsing
    views, 3-6 categories; 15 % bought once before their first cart, the rest never.

* interested, 2 personas, both never purchased:

  - ``deep_browser``: 40-80 views over 6-10 categories.
  - ``focused_browser``: 5-10 views in one category.

* new, 2 personas:

  - ``quick_buyer``: 1-2 orders of ~45 since signup, one category.
  - ``window_shopper``: 12-30 views over 2-4 categories, nothing else.

Default shares are in :data:`DEFAULT_SITUATION_SHARES` and
:data:`DEFAULT_PERSONA_SHARES`; counts are allocated exactly (largest remainder), so a
share of 0.25 of 20,000 customers is exactly 5,000.

Tables
------
* customers: ``customer_id`` (int64, 1..n), ``signup_at`` (UTC), ``age`` (int64),
  ``gender``, ``region`` and ``channel`` (the preferred channel), all categories.
* events, sorted by ``customer_id`` then ``timestamp``: ``customer_id`` (int64),
  ``timestamp`` (``datetime64[ns, UTC]``, whole seconds, always before ``as_of``),
  ``event_type`` (category: view, add_to_cart, purchase, refund), ``amount``
  (float64; the line value of a purchase, the refunded value of a refund, NaN for
  views and cart additions), ``order_id`` (nullable ``Int64``: one id per order,
  shared by its purchase lines and its refund, increasing with the order's time;
  ``<NA>`` for views and cart additions), ``category`` (12 product categories) and
  ``channel`` (web, app or store; store orders have no views or cart additions, and
  30 % of online orders skip the cart). About 22 events per customer. A share
  ``refund_rate`` of the orders get one refund 1-21 days later, except where that
  would land after ``as_of`` or in a dormant or churned customer's quiet period
  (2.9 % of orders with the default 3 %).
* truth: ``customer_id``, ``situation`` and ``persona`` (categories).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._params import parse_as_of
from metaseg.datasets._events import SECONDS_PER_DAY, EventArrays, make_events
from metaseg.datasets._personas import (
    CATEGORIES,
    CHANNELS,
    DEFAULT_PERSONA_SHARES,
    DEFAULT_SITUATION_SHARES,
    EVENT_TYPES,
    GENDERS,
    PERSONA_NAMES,
    REGIONS,
    SITUATIONS,
)
from metaseg.datasets._plan import Shoppers, plan_shoppers
from metaseg.exceptions import ConfigError

__all__ = [
    "DEFAULT_PERSONA_SHARES",
    "DEFAULT_SITUATION_SHARES",
    "MIN_YEARS",
    "PERSONA",
    "SITUATION",
    "SITUATIONS",
    "Shop",
    "make_shop",
]

#: Column names of the ``truth`` table.
SITUATION = "situation"
PERSONA = "persona"
#: Shortest history that leaves room for churned customers (> 365 days quiet).
MIN_YEARS = 1.5
_SHARE_TOLERANCE = 1e-6


class Shop(NamedTuple):
    """The three tables of the synthetic shop; unpacks as ``customers, events, truth``."""

    customers: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame


def make_shop(
    n_customers: int = 20_000,
    seed: int = 0,
    *,
    as_of: str | datetime | pd.Timestamp = "2025-12-31",
    years: float = 2.0,
    situation_shares: Mapping[str, float] | None = None,
    persona_shares: Mapping[str, Mapping[str, float]] | None = None,
    refund_rate: float = 0.03,
) -> Shop:
    """Generate a synthetic shop with planted lifecycle situations and personas.

    See the module documentation for the exact situations, personas and the rules
    they satisfy.

    Parameters
    ----------
    n_customers : int, default 20_000
        Number of customers (about 22 events each).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives identical tables.
    as_of : str, datetime or Timestamp, default "2025-12-31"
        The date the facts are computed at; every event is strictly before it. A
        naive value is taken as UTC.
    years : float, default 2.0
        Length of the history before ``as_of``; at least :data:`MIN_YEARS`.
    situation_shares : mapping, optional
        Share of customers per situation, summing to 1; situations left out get 0.
        Defaults to :data:`DEFAULT_SITUATION_SHARES`.
    persona_shares : mapping, optional
        Per situation, the share of each of its personas, summing to 1; personas left
        out get 0 and situations left out keep :data:`DEFAULT_PERSONA_SHARES`.
    refund_rate : float, default 0.03
        Probability that an order is refunded, in [0, 1).

    Returns
    -------
    Shop
        A named tuple ``(customers, events, truth)`` of DataFrames.

    Raises
    ------
    ConfigError
        If a parameter is out of range, a share is negative, shares do not sum to 1,
        or a situation or persona name is unknown.

    Examples
    --------
    >>> customers, events, truth = make_shop(1_000, seed=1)
    >>> len(customers), int((truth["situation"] == "active").sum())
    (1000, 250)
    >>> sorted(events["event_type"].cat.categories)
    ['add_to_cart', 'purchase', 'refund', 'view']
    """
    n = _check_count(n_customers)
    seed = _check_seed(seed)
    params = check_shop_params(as_of, years, situation_shares, persona_shares, refund_rate)
    rng = np.random.default_rng(seed)
    cust = plan_shoppers(n, params.situations, params.personas, params.horizon, rng)
    ev = make_events(cust, params.refund_rate, rng)
    return shop_tables(cust, ev, params.as_of)


class ShopParams(NamedTuple):
    """The validated parameters of a shop (see :func:`make_shop`); ``horizon`` in days."""

    as_of: pd.Timestamp
    horizon: float
    situations: dict[str, float]
    personas: dict[str, dict[str, float]]
    refund_rate: float


def check_shop_params(
    as_of: object,
    years: object,
    situation_shares: Mapping[str, float] | None,
    persona_shares: Mapping[str, Mapping[str, float]] | None,
    refund_rate: object,
) -> ShopParams:
    """Validate the parameters :func:`make_shop` and ``write_shop`` share.

    Raises
    ------
    ConfigError
        Naming the parameter and the value received.
    """
    return ShopParams(
        as_of=parse_as_of(as_of),
        horizon=_check_years(years) * 365.25,
        situations=_check_situation_shares(situation_shares),
        personas=_check_persona_shares(persona_shares),
        refund_rate=_check_rate(refund_rate),
    )


def shop_tables(
    cust: Shoppers,
    ev: EventArrays,
    as_of: pd.Timestamp,
    *,
    first_id: int = 1,
    first_order: int = 0,
) -> Shop:
    """Turn a plan and its events into the shop's three DataFrames.

    Parameters
    ----------
    cust : Shoppers
        The plan (customer ``i`` of the plan gets the id ``first_id + i``).
    ev : EventArrays
        Its events, with order ids from 1 (0 where there is none).
    as_of : Timestamp
        The UTC date every age is counted back from.
    first_id : int, default 1
        The id of the plan's first customer.
    first_order : int, default 0
        Added to every order id, so that the orders of consecutive chunks never share one.
    """
    n = len(cust.situation)
    as_of_ns = as_of.as_unit("ns").value
    customer_id = np.arange(first_id, first_id + n, dtype=np.int64)
    customers = pd.DataFrame(
        {
            schema.CUSTOMER_ID: customer_id,
            schema.SIGNUP_AT: _timestamps(as_of_ns, np.rint(cust.signup * SECONDS_PER_DAY)),
            "age": cust.age,
            "gender": pd.Categorical.from_codes(cust.gender, categories=GENDERS),
            "region": pd.Categorical.from_codes(cust.region, categories=REGIONS),
            schema.CHANNEL: pd.Categorical.from_codes(cust.preferred, categories=CHANNELS),
        }
    )
    truth = pd.DataFrame(
        {
            schema.CUSTOMER_ID: customer_id.copy(),
            SITUATION: pd.Categorical.from_codes(cust.situation, categories=SITUATIONS),
            PERSONA: pd.Categorical.from_codes(cust.persona, categories=PERSONA_NAMES),
        }
    )
    missing = ev.order_id == 0
    order_id = ev.order_id if first_order == 0 else np.where(missing, 0, ev.order_id + first_order)
    events = pd.DataFrame(
        {
            schema.CUSTOMER_ID: ev.customer.astype(np.int64) + first_id,
            schema.TIMESTAMP: _timestamps(as_of_ns, ev.age_s),
            schema.EVENT_TYPE: pd.Categorical.from_codes(ev.event_type, categories=EVENT_TYPES),
            schema.AMOUNT: ev.amount,
            schema.ORDER_ID: pd.arrays.IntegerArray(order_id, missing),
            schema.CATEGORY: pd.Categorical.from_codes(ev.category, categories=CATEGORIES),
            schema.CHANNEL: pd.Categorical.from_codes(ev.channel, categories=CHANNELS),
        },
        copy=False,
    )
    return Shop(customers, events, truth)


def _timestamps(as_of_ns: int, age_s: np.ndarray) -> pd.DatetimeIndex:
    """Turn ages in seconds before ``as_of`` into UTC timestamps (nanoseconds)."""
    ns = as_of_ns - age_s.astype(np.int64) * 1_000_000_000
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def _check_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(
            f"n_customers must be a positive integer, got {value!r}; "
            "pass a whole number of customers such as n_customers=20_000."
        )
    return int(value)


def _check_seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ConfigError(
            f"seed must be a non-negative integer, got {value!r}; pass for example seed=0."
        )
    return int(value)


def _check_years(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) < MIN_YEARS
    ):
        raise ConfigError(
            f"years must be a number >= {MIN_YEARS} (churned customers need more than a "
            f"year of quiet history), got {value!r}; pass for example years=2.0."
        )
    return float(value)


def _check_rate(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise ConfigError(
            f"refund_rate must be a probability in [0, 1), got {value!r}; "
            "pass for example refund_rate=0.03."
        )
    return float(value)


def _check_shares(
    shares: object, names: tuple[str, ...], parameter: str, what: str, known: str
) -> dict[str, float]:
    """Validate one mapping of shares over ``names``; names left out get 0."""
    if not isinstance(shares, Mapping):
        raise ConfigError(
            f"{parameter} must be a mapping of {what} name to share, got "
            f"{type(shares).__name__} {shares!r}; pass for example "
            f"{{{names[0]!r}: 0.5, {names[-1]!r}: 0.5}}."
        )
    out = dict.fromkeys(names, 0.0)
    for name, share in shares.items():
        if name not in names:
            raise ConfigError(
                f"{parameter} has an unknown {what} {name!r}.{did_you_mean(str(name), names)} "
                f"{known}: {available(names)}."
            )
        if (
            isinstance(share, bool)
            or not isinstance(share, numbers.Real)
            or not math.isfinite(float(share))
            or float(share) < 0
        ):
            raise ConfigError(
                f"{parameter}[{name!r}] must be a share between 0 and 1, got {share!r}."
            )
        out[name] = float(share)
    total = sum(out.values())
    if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=_SHARE_TOLERANCE):
        raise ConfigError(
            f"{parameter} must sum to 1, got {total:g} from {dict(shares)!r}; "
            "rescale the shares so that they add up to 1."
        )
    return out


def _check_situation_shares(shares: Mapping[str, float] | None) -> dict[str, float]:
    if shares is None:
        return dict(DEFAULT_SITUATION_SHARES)
    return _check_shares(shares, SITUATIONS, "situation_shares", "situation", "Known situations")


def _check_persona_shares(
    shares: Mapping[str, Mapping[str, float]] | None,
) -> dict[str, dict[str, float]]:
    out = {s: dict(p) for s, p in DEFAULT_PERSONA_SHARES.items()}
    if shares is None:
        return out
    if not isinstance(shares, Mapping):
        raise ConfigError(
            f"persona_shares must be a mapping of situation to {{persona: share}}, got "
            f"{type(shares).__name__} {shares!r}; pass for example "
            "{'churned': {'big_basket': 0.5, 'frequent_small': 0.5}}."
        )
    for situation, inner in shares.items():
        if situation not in SITUATIONS:
            raise ConfigError(
                f"persona_shares has an unknown situation {situation!r}."
                f"{did_you_mean(str(situation), SITUATIONS)} "
                f"Known situations: {available(SITUATIONS)}."
            )
        names = tuple(DEFAULT_PERSONA_SHARES[situation])
        out[situation] = _check_shares(
            inner,
            names,
            f"persona_shares[{situation!r}]",
            "persona",
            f"The personas of {situation!r} are",
        )
    return out
