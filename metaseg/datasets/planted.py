"""Shops with a planted structure drawn at random: a benchmark nobody tuned metaseg for.

:func:`draw_scenario` draws, from one seed, everything that shapes a shop: how many
customers fall in each lifecycle situation, how many *personas* (1 to 5) hide in each
situation, their shares (down to 5 %), how far apart they are and on which traits they
differ, and how much customers of one persona vary around it. :func:`make_planted_shop`
turns a scenario into the standard tables (customers, events, truth), so the whole flow
(facts → rules → sub-segments) is judged against what was planted.

Situations follow the ``lifecycle`` rules with their default thresholds, with a safety
margin around each threshold so the rules recover the situation of every customer:

=========== ====================================================================
situation   what every customer of it has
=========== ====================================================================
hesitant    1 or more cart additions 1.2-29.5 days old that no purchase follows;
            orders, if any, 35 days old or more
active      a last order 0.5-88 days old
interested  no order ever, a last view 0.3-29.5 days old, carts only 32 days old or more
dormant     a last order 92-363 days old and no event in the last 91 days
churned     a last order 367-700 days old and no event in the last 366 days
=========== ====================================================================

A persona is a point in the log space of its situation's *traits* (``PLANTED_SITUATIONS``):
``orders`` (mean number of orders; for hesitant customers the lowest level means never
bought), ``aov`` (median order value), ``views`` (mean views), ``categories`` (mean number
of categories) and ``carts`` (mean cart additions, hesitant and interested customers).
Each customer draws their own rates around their persona's: counts are Poisson with a
gamma-distributed rate (negative binomial), money is log-normal per customer and per
order. Any two personas of one situation differ by a factor of at least
``exp(separation)`` on at least ``MIN_TRAITS_APART`` traits; the other facts (recency
inside the situation's window, the spread of orders over time, age, region) are the
same for every persona and act as irrelevant features, while monetary, frequency and
the window counts are correlated by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.datasets._personas import CATEGORIES, CATEGORY_WEIGHTS, REGIONS
from metaseg.datasets._plan import allocate

__all__ = [
    "PLANTED_SITUATIONS",
    "PlantedPersona",
    "PlantedScenario",
    "PlantedShop",
    "draw_scenario",
    "make_planted_shop",
]

#: The situations of a planted shop and the traits on which their personas may differ.
PLANTED_SITUATIONS: dict[str, tuple[str, ...]] = {
    "hesitant": ("carts", "views", "orders"),
    "active": ("orders", "aov", "views", "categories"),
    "interested": ("views", "categories", "carts"),
    "dormant": ("orders", "aov", "views", "categories"),
    "churned": ("orders", "aov", "views", "categories"),
}
#: Range (natural scale) of each trait's base level, drawn log-uniformly per situation.
TRAIT_RANGES: dict[str, tuple[float, float]] = {
    "orders": (1.5, 10.0),
    "aov": (15.0, 200.0),
    "views": (1.0, 20.0),
    "categories": (1.2, 4.0),
    "carts": (1.2, 5.0),
}
#: Smallest share of a persona inside its situation.
MIN_PERSONA_SHARE = 0.05
#: Two personas of one situation differ on at least this many traits.
MIN_TRAITS_APART = 2
#: Smallest share of a situation among all customers.
MIN_SITUATION_SHARE = 0.08
_DAY_S = 86_400.0


@dataclass(frozen=True)
class PlantedPersona:
    """One planted group: its code (``situation/j``), share and trait levels."""

    code: str
    situation: str
    share: float
    traits: dict[str, float]
    bought_before: bool = True


@dataclass(frozen=True)
class PlantedScenario:
    """Everything drawn for one shop; :func:`make_planted_shop` only adds the noise.

    Attributes
    ----------
    seed : int
        The seed the scenario was drawn from (also seeds the shop).
    n_customers : int
    situation_shares : dict of str to float
    personas : tuple of PlantedPersona
    separation : float
        Smallest log-ratio between two personas of a situation on a trait they differ on.
    heterogeneity : float
        Gamma shape of the customers' rates around their persona's (smaller = wider).
    money_sigma : float
        Log-normal sigma of a customer's order value around their persona's median.
    """

    seed: int
    n_customers: int
    situation_shares: dict[str, float]
    personas: tuple[PlantedPersona, ...]
    separation: float
    heterogeneity: float
    money_sigma: float
    as_of: pd.Timestamp = field(default_factory=lambda: pd.Timestamp("2025-06-30", tz="UTC"))

    def n_personas(self) -> dict[str, int]:
        """Number of personas planted in each situation."""
        return {s: sum(p.situation == s for p in self.personas) for s in self.situation_shares}


class PlantedShop(NamedTuple):
    """The tables of a planted shop and the scenario it came from."""

    customers: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    scenario: PlantedScenario


def _floored_shares(rng: np.random.Generator, k: int, floor: float) -> np.ndarray:
    """k shares summing to 1, each at least ``floor``, the rest Dirichlet(1)."""
    return floor + (1.0 - k * floor) * rng.dirichlet(np.ones(k))


def _persona_codes(rng: np.random.Generator, k: int, n_traits: int) -> np.ndarray:
    """k level vectors in {-1, 0, 1}^n_traits, any two differing on at least two traits.

    The first one is the base (all 0). Distinct behaviours differ in more than one way;
    the draw is retried from scratch when it runs into a dead end.
    """
    while True:
        codes = [np.zeros(n_traits, dtype=int)]
        for _ in range(200):
            if len(codes) == k:
                return np.array(codes)
            candidate = rng.integers(-1, 2, size=n_traits)
            if all(np.count_nonzero(candidate != c) >= MIN_TRAITS_APART for c in codes):
                codes.append(candidate)


def draw_scenario(seed: int, n_customers: int = 20_000) -> PlantedScenario:
    """Draw the planted structure of one shop from ``seed``.

    Parameters
    ----------
    seed : int
        Seed of every random choice; the same seed gives the same scenario.
    n_customers : int, default 20_000

    Returns
    -------
    PlantedScenario

    Examples
    --------
    >>> scenario = draw_scenario(3, n_customers=2_000)
    >>> sum(scenario.situation_shares.values())
    1.0
    >>> all(1 <= k <= 5 for k in scenario.n_personas().values())
    True
    """
    rng = np.random.default_rng([seed, 0])
    situations = list(PLANTED_SITUATIONS)
    shares = _floored_shares(rng, len(situations), MIN_SITUATION_SHARE)
    separation = float(rng.uniform(np.log(3.0), np.log(8.0)))
    personas: list[PlantedPersona] = []
    for situation in situations:
        traits = PLANTED_SITUATIONS[situation]
        k = int(rng.integers(1, 6))
        base = {
            t: float(rng.uniform(np.log(TRAIT_RANGES[t][0]), np.log(TRAIT_RANGES[t][1])))
            for t in traits
        }
        codes = _persona_codes(rng, k, len(traits))
        persona_shares = _floored_shares(rng, k, MIN_PERSONA_SHARE)
        for j, code in enumerate(codes):
            jitter = 1.0 + 0.3 * rng.random(len(traits))
            levels = {
                t: float(np.exp(base[t] + c * separation * u))
                for t, c, u in zip(traits, code, jitter, strict=True)
            }
            # a hesitant persona at the bottom level of "orders" never bought anything
            bought = situation != "interested" and not (
                situation == "hesitant" and code[traits.index("orders")] < 0
            )
            personas.append(
                PlantedPersona(
                    code=f"{situation}/{j}",
                    situation=situation,
                    share=float(persona_shares[j]),
                    traits=levels,
                    bought_before=bought,
                )
            )
    return PlantedScenario(
        seed=seed,
        n_customers=n_customers,
        situation_shares=dict(zip(situations, (float(s) for s in shares), strict=True)),
        personas=tuple(personas),
        separation=separation,
        heterogeneity=float(rng.uniform(4.0, 10.0)),
        money_sigma=float(rng.uniform(0.15, 0.4)),
    )


#: Ages in days of (the last order, earlier orders' extra age, views) per situation.
_WINDOWS: dict[str, dict[str, tuple[float, float]]] = {
    "hesitant": {"last_order": (35.0, 300.0), "views": (1.2, 200.0), "carts": (1.2, 29.5)},
    "active": {"last_order": (0.5, 88.0), "views": (0.3, 150.0)},
    "interested": {"last_view": (0.3, 29.5), "views": (0.3, 200.0), "carts": (32.0, 200.0)},
    "dormant": {"last_order": (92.0, 363.0), "views": (92.0, 450.0)},
    "churned": {"last_order": (367.0, 700.0), "views": (367.0, 760.0)},
}


def make_planted_shop(scenario: PlantedScenario | int, n_customers: int = 20_000) -> PlantedShop:
    """Generate the customers, events and truth of a planted scenario.

    Parameters
    ----------
    scenario : PlantedScenario or int
        A scenario, or a seed for :func:`draw_scenario`.
    n_customers : int, default 20_000
        Used only when ``scenario`` is a seed.

    Returns
    -------
    PlantedShop
        ``customers`` (``customer_id``, ``signup_at``, ``age``, ``region``), ``events``
        in the standard schema, ``truth`` (``customer_id``, ``situation``, ``persona``)
        and the scenario.

    Examples
    --------
    >>> shop = make_planted_shop(5, n_customers=1_000)
    >>> len(shop.truth), bool(shop.truth["persona"].str.contains("/").all())
    (1000, True)
    """
    if not isinstance(scenario, PlantedScenario):
        scenario = draw_scenario(int(scenario), n_customers)
    rng = np.random.default_rng([scenario.seed, 1])
    n = scenario.n_customers
    personas = scenario.personas
    weights = np.array([scenario.situation_shares[p.situation] * p.share for p in personas])
    persona_of = np.repeat(np.arange(len(personas)), allocate(n, weights / weights.sum()))
    rng.shuffle(persona_of)
    ids = np.arange(1, n + 1, dtype=np.int64)

    def rate(trait: str, default: float = 0.0) -> np.ndarray:
        level = np.array([p.traits.get(trait, default) for p in personas])[persona_of]
        shape = scenario.heterogeneity
        return level * rng.gamma(shape, 1.0 / shape, size=n)

    situation = np.array([p.situation for p in personas])[persona_of]
    bought = np.array([p.bought_before for p in personas])[persona_of]
    frames = [
        _orders(rng, scenario, ids, situation, bought, rate("orders", 1.0), personas, persona_of),
        _views(rng, ids, situation, rate("views", 1.0)),
        _carts(rng, ids, situation, rate("carts", 1.0)),
    ]
    events = pd.concat([f for f in frames if len(f)], ignore_index=True)
    n_categories = 1 + rng.poisson(np.maximum(rate("categories", 1.5) - 1.0, 0.0))
    events[schema.CATEGORY] = _categories(rng, events[schema.CUSTOMER_ID].to_numpy(), n_categories)
    events = events.sort_values([schema.CUSTOMER_ID, "age_s"], ascending=[True, False])
    as_of_ns = scenario.as_of.value
    stamps = as_of_ns - (events.pop("age_s").to_numpy() * 1e9).astype(np.int64)
    events.insert(1, schema.TIMESTAMP, pd.to_datetime(stamps, utc=True).floor("s"))
    events = events.reset_index(drop=True)

    oldest = events.groupby(schema.CUSTOMER_ID)[schema.TIMESTAMP].min().reindex(ids)
    signup = oldest - pd.to_timedelta(rng.uniform(35.0, 400.0, size=n), unit="D")
    customers = pd.DataFrame(
        {
            schema.CUSTOMER_ID: ids,
            "signup_at": signup.to_numpy(),
            "age": np.clip(rng.normal(40.0, 12.0, size=n), 18, 90).round().astype(np.int64),
            "region": pd.Categorical(rng.choice(np.array(REGIONS), size=n)),
        }
    )
    truth = pd.DataFrame(
        {
            schema.CUSTOMER_ID: ids,
            "situation": situation,
            "persona": np.array([p.code for p in personas])[persona_of],
        }
    )
    return PlantedShop(customers, events, truth, scenario)


def _event_frame(
    customer: np.ndarray, age_days: np.ndarray, kind: str, amount: np.ndarray | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            schema.CUSTOMER_ID: customer,
            "age_s": age_days * _DAY_S,
            schema.EVENT_TYPE: kind,
            schema.AMOUNT: np.nan if amount is None else amount,
        }
    )


def _orders(
    rng: np.random.Generator,
    scenario: PlantedScenario,
    ids: np.ndarray,
    situation: np.ndarray,
    bought: np.ndarray,
    orders_rate: np.ndarray,
    personas: tuple[PlantedPersona, ...],
    persona_of: np.ndarray,
) -> pd.DataFrame:
    buyers = np.flatnonzero(bought)
    n_orders = 1 + rng.poisson(np.maximum(orders_rate[buyers] - 1.0, 0.0))
    lo, hi = np.array([_WINDOWS[s]["last_order"] for s in situation[buyers]]).T
    last = rng.uniform(lo, hi)
    span = rng.uniform(30.0, 500.0, size=buyers.size)  # irrelevant: how spread orders are
    owner = np.repeat(np.arange(buyers.size), n_orders)
    first_of = np.repeat(np.cumsum(n_orders) - n_orders, n_orders)
    is_last = np.arange(owner.size) == first_of
    age = last[owner] + np.where(is_last, 0.0, rng.random(owner.size) * span[owner])
    aov = np.array([p.traits.get("aov", 40.0) for p in personas])[persona_of[buyers]]
    customer_aov = aov * rng.lognormal(0.0, scenario.money_sigma, size=buyers.size)
    amount = np.round(customer_aov[owner] * rng.lognormal(0.0, 0.25, size=owner.size), 2)
    frame = _event_frame(ids[buyers][owner], age, schema.PURCHASE, amount)
    frame[schema.ORDER_ID] = pd.array(np.arange(1, owner.size + 1), dtype="Int64")
    return frame


def _views(
    rng: np.random.Generator, ids: np.ndarray, situation: np.ndarray, views_rate: np.ndarray
) -> pd.DataFrame:
    interested = situation == "interested"
    n_views = rng.poisson(views_rate) + interested  # interested customers view at least once
    owner = np.repeat(np.arange(ids.size), n_views)
    lo, hi = np.array([_WINDOWS[s]["views"] for s in situation]).T
    age = rng.uniform(lo[owner], hi[owner])
    # the first view of an interested customer is recent
    first_of = np.repeat(np.cumsum(n_views) - n_views, n_views)
    recent = interested[owner] & (np.arange(owner.size) == first_of)
    age[recent] = rng.uniform(*_WINDOWS["interested"]["last_view"], size=int(recent.sum()))
    return _event_frame(ids[owner], age, schema.VIEW)


def _carts(
    rng: np.random.Generator, ids: np.ndarray, situation: np.ndarray, carts_rate: np.ndarray
) -> pd.DataFrame:
    hesitant = situation == "hesitant"
    # hesitant customers have at least one recent cart; interested ones only old carts
    n_carts = np.where(
        hesitant,
        1 + rng.poisson(np.maximum(carts_rate - 1.0, 0.0)),
        rng.poisson(carts_rate) * (situation == "interested"),
    )
    owner = np.repeat(np.arange(ids.size), n_carts)
    lo, hi = np.array([_WINDOWS[s].get("carts", (0.0, 0.0)) for s in situation]).T
    age = rng.uniform(lo[owner], hi[owner])
    return _event_frame(ids[owner], age, schema.ADD_TO_CART)


def _categories(
    rng: np.random.Generator, customer: np.ndarray, n_categories: np.ndarray
) -> pd.Categorical:
    """One category per event, from the customer's own set of favourite categories."""
    n_all = len(CATEGORIES)
    k = np.minimum(n_categories, n_all)
    popularity = np.asarray(CATEGORY_WEIGHTS, dtype=float)
    # each customer's categories: a popularity-weighted random order, the first k kept
    keys = rng.random((k.size, n_all)) ** (1.0 / popularity)
    preference = np.argsort(-keys, axis=1)
    row = customer - 1
    slot = np.floor(rng.random(customer.size) * k[row]).astype(np.int64)
    codes = preference[row, slot]
    return pd.Categorical.from_codes(codes, categories=list(CATEGORIES))
