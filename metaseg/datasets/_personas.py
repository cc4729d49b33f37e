"""The planted structure of the synthetic shop: situations, personas and their behaviour.

This module only holds data (frozen dataclasses and tuples); the vectorised generator
(:mod:`metaseg.datasets._plan` and :mod:`metaseg.datasets._events`) reads it. A *situation* is a lifecycle state that
the lifecycle rules recognise from the facts; a *persona* is a behaviour planted inside
a situation that a segmentation should rediscover as a sub-segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

#: Lifecycle situations in the priority order of the lifecycle rules.
SITUATIONS: Final = ("new", "hesitant", "active", "interested", "dormant", "churned")

#: Default share of customers in each situation.
DEFAULT_SITUATION_SHARES: Final = MappingProxyType(
    {
        "new": 0.08,
        "hesitant": 0.10,
        "active": 0.25,
        "interested": 0.15,
        "dormant": 0.22,
        "churned": 0.20,
    }
)

#: Default share of each persona inside its situation (every persona >= 10 %).
DEFAULT_PERSONA_SHARES: Final = MappingProxyType(
    {
        "new": MappingProxyType({"window_shopper": 0.60, "quick_buyer": 0.40}),
        "hesitant": MappingProxyType(
            {"returning_hesitant": 0.45, "first_cart": 0.35, "serial_carter": 0.20}
        ),
        "active": MappingProxyType(
            {
                "big_basket": 0.35,
                "category_loyalist": 0.30,
                "frequent_small": 0.20,
                "explorer": 0.15,
            }
        ),
        "interested": MappingProxyType({"focused_browser": 0.65, "deep_browser": 0.35}),
        "dormant": MappingProxyType(
            {
                "big_basket": 0.45,
                "category_loyalist": 0.25,
                "explorer": 0.15,
                "frequent_small": 0.15,
            }
        ),
        "churned": MappingProxyType({"big_basket": 0.70, "frequent_small": 0.30}),
    }
)

#: Product categories with their overall popularity (weights, normalised on use).
CATEGORIES: Final = (
    "fashion",
    "beauty",
    "grocery",
    "electronics",
    "home",
    "kitchen",
    "sports",
    "books",
    "kids",
    "health",
    "pets",
    "stationery",
)
CATEGORY_WEIGHTS: Final = (16, 12, 15, 8, 9, 8, 7, 6, 7, 5, 4, 3)

#: Event types, channels, genders and regions, with the shares used for the customers.
EVENT_TYPES: Final = ("view", "add_to_cart", "purchase", "refund")
CHANNELS: Final = ("web", "app", "store")
GENDERS: Final = ("female", "male", "other")
GENDER_WEIGHTS: Final = (0.52, 0.45, 0.03)
REGIONS: Final = (
    "Seoul",
    "Gyeonggi",
    "Busan",
    "Incheon",
    "Daegu",
    "Daejeon",
    "Gwangju",
    "Ulsan",
)
REGION_WEIGHTS: Final = (0.26, 0.33, 0.09, 0.08, 0.07, 0.06, 0.06, 0.05)


@dataclass(frozen=True)
class Persona:
    """How one persona behaves; every range is inclusive and drawn uniformly per customer.

    Parameters
    ----------
    name : str
        The persona's name, as written in the ``truth`` table.
    orders : tuple of int
        Range of the number of orders (the ``frequency`` fact).
    p_orders : float
        Probability that a customer of this persona has any order at all.
    aov : float
        Median order value; order values are log-normal around it.
    aov_sigma : float
        Standard deviation of the log order value.
    extra_items : float
        Poisson mean of line items per order beyond the first.
    order_views : float
        Poisson mean of views before checkout in an online order.
    browse_views : tuple of int
        Range of views outside orders (browsing sessions).
    browse_sessions : float
        Poisson mean of browsing sessions beyond the first.
    carts : tuple of int
        Range of abandoned cart additions (hesitant personas only).
    cart_views : float
        Poisson mean of views before each abandoned cart addition.
    cart_span : float
        Days over which the abandoned cart additions are spread, back from the last
        one; the persona's orders, if any, are older than all of them.
    categories : tuple of int
        Range of the number of categories the customer shops in.
    skew : float
        Concentration on the customer's first category: 1 spreads events evenly
        over the customer's categories, larger values favour the first one.
    channel_p : tuple of float
        Probabilities of the preferred channel (web, app, store).
    age : float
        Mean age of the persona's customers.
    history : float
        Minimum days between signup and the persona's anchor event.

    Examples
    --------
    >>> loyalist = next(p for p in PERSONAS if p.name == "category_loyalist")
    >>> loyalist.orders, loyalist.categories
    ((5, 10), (1, 1))
    """

    name: str
    orders: tuple[int, int] = (0, 0)
    p_orders: float = 1.0
    aov: float = 50.0
    aov_sigma: float = 0.3
    extra_items: float = 0.2
    order_views: float = 1.0
    browse_views: tuple[int, int] = (0, 4)
    browse_sessions: float = 1.0
    carts: tuple[int, int] = (0, 0)
    cart_views: float = 1.0
    cart_span: float = 0.5
    categories: tuple[int, int] = (1, 3)
    skew: float = 1.5
    channel_p: tuple[float, float, float] = (0.4, 0.4, 0.2)
    age: float = 38.0
    history: float = 30.0


PERSONAS: Final = (
    Persona(
        "big_basket",
        orders=(2, 4),
        aov=250.0,
        extra_items=1.5,
        order_views=1.0,
        browse_views=(0, 4),
        categories=(2, 3),
        skew=1.3,
        channel_p=(0.45, 0.25, 0.30),
        age=44.0,
        history=60.0,
    ),
    Persona(
        "frequent_small",
        orders=(15, 30),
        aov=20.0,
        extra_items=0.05,
        order_views=0.1,
        browse_views=(0, 3),
        categories=(3, 5),
        skew=2.5,
        channel_p=(0.10, 0.40, 0.50),
        age=34.0,
        history=180.0,
    ),
    Persona(
        "category_loyalist",
        orders=(5, 10),
        aov=60.0,
        extra_items=0.3,
        order_views=0.5,
        browse_views=(1, 6),
        categories=(1, 1),
        channel_p=(0.40, 0.40, 0.20),
        age=40.0,
        history=120.0,
    ),
    Persona(
        "explorer",
        orders=(5, 10),
        aov=40.0,
        extra_items=0.2,
        order_views=2.0,
        browse_views=(6, 16),
        browse_sessions=4.0,
        categories=(7, 10),
        skew=1.0,
        channel_p=(0.50, 0.45, 0.05),
        age=30.0,
        history=90.0,
    ),
    Persona(
        "returning_hesitant",
        orders=(3, 8),
        aov=70.0,
        extra_items=0.4,
        order_views=1.0,
        browse_views=(0, 5),
        carts=(1, 2),
        cart_views=1.0,
        categories=(2, 4),
        channel_p=(0.45, 0.45, 0.10),
        age=38.0,
        history=90.0,
    ),
    Persona(
        "first_cart",
        browse_views=(0, 3),
        carts=(1, 1),
        cart_views=1.0,
        categories=(1, 1),
        channel_p=(0.50, 0.50, 0.0),
        age=33.0,
        history=1.0,
    ),
    Persona(
        "serial_carter",
        orders=(1, 1),
        p_orders=0.15,
        aov=45.0,
        browse_views=(6, 18),
        browse_sessions=3.0,
        carts=(6, 15),
        cart_views=1.0,
        cart_span=45.0,
        categories=(3, 6),
        skew=1.2,
        channel_p=(0.40, 0.60, 0.0),
        age=29.0,
        history=60.0,
    ),
    Persona(
        "deep_browser",
        browse_views=(40, 80),
        browse_sessions=5.0,
        categories=(6, 10),
        skew=1.0,
        channel_p=(0.35, 0.65, 0.0),
        age=28.0,
        history=30.0,
    ),
    Persona(
        "focused_browser",
        browse_views=(5, 10),
        browse_sessions=1.0,
        categories=(1, 1),
        channel_p=(0.50, 0.50, 0.0),
        age=37.0,
        history=1.0,
    ),
    Persona(
        "quick_buyer",
        orders=(1, 2),
        aov=45.0,
        order_views=2.0,
        browse_views=(0, 3),
        categories=(1, 1),
        channel_p=(0.40, 0.45, 0.15),
        age=35.0,
    ),
    Persona(
        "window_shopper",
        browse_views=(12, 30),
        browse_sessions=1.0,
        categories=(2, 4),
        skew=1.0,
        channel_p=(0.45, 0.55, 0.0),
        age=31.0,
    ),
)

#: Persona names in the order of :data:`PERSONAS` (the ``persona`` categories).
PERSONA_NAMES: Final = tuple(p.name for p in PERSONAS)


@dataclass(frozen=True)
class Timing:
    """When a situation's customers act, in days before ``as_of``.

    Parameters
    ----------
    anchor : tuple of float or None
        Range of the age of the event that defines the situation. ``None`` for new
        customers, who only need a recent signup.
    pins : {"order", "cart", "view"} or None
        Which event the anchor fixes: the last order (active, dormant, churned), the
        last abandoned cart addition (hesitant) or the last view (interested, whose
        personas never order).
    quiet : float
        No event is younger than this many days (0 allows events up to ``as_of``).

    Examples
    --------
    >>> TIMINGS["dormant"].anchor, TIMINGS["dormant"].quiet
    ((92.0, 363.0), 91.0)
    """

    anchor: tuple[float, float] | None
    pins: Literal["order", "cart", "view"] | None = None
    quiet: float = 0.0


#: Timing of each situation; the margins keep every rule away from its threshold.
TIMINGS: Final = MappingProxyType(
    {
        "new": Timing(anchor=None),
        "hesitant": Timing(anchor=(1.2, 29.5), pins="cart"),
        "active": Timing(anchor=(0.5, 88.0), pins="order"),
        "interested": Timing(anchor=(0.3, 29.5), pins="view"),
        "dormant": Timing(anchor=(92.0, 363.0), pins="order", quiet=91.0),
        "churned": Timing(anchor=(367.0, 700.0), pins="order", quiet=366.0),
    }
)

#: New customers signed up this many days before ``as_of`` (range).
NEW_SIGNUP: Final = (1.0, 29.5)
#: Everyone else signed up at least this many days before ``as_of``.
MIN_SIGNUP: Final = 31.0
