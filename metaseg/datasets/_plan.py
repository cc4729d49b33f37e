"""The synthetic shop's plan: who each customer is and when they may act.

Every attribute is one numpy array over the customers (index ``i`` is customer
``i + 1``). Times are *ages* in days before ``as_of``, so "recent" means "small".
:mod:`metaseg.datasets._events` turns the plan into events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from metaseg.datasets._personas import (
    CATEGORY_WEIGHTS,
    CHANNELS,
    GENDER_WEIGHTS,
    MIN_SIGNUP,
    NEW_SIGNUP,
    PERSONA_NAMES,
    PERSONAS,
    REGION_WEIGHTS,
    SITUATIONS,
    TIMINGS,
)

#: Youngest age of a session's last event, in days (about half an hour before ``as_of``).
RECENT = 0.02
#: Sessions end at least this many days after signup (a session lasts at most an hour).
MARGIN = 0.05
#: Standard deviation of the customers' age around their persona's mean.
AGE_SD = 11.0
STORE = CHANNELS.index("store")


def persona_table(field: str) -> np.ndarray:
    """Return one :class:`~metaseg.datasets._personas.Persona` field indexed by persona code.

    Examples
    --------
    >>> persona_table("orders").shape
    (11, 2)
    """
    return np.array([getattr(p, field) for p in PERSONAS])


def uniform(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draw one uniform value per element between ``lo`` and ``hi``."""
    return lo + rng.random(len(lo)) * (hi - lo)


def draw(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category code per element from the probability row ``probs[rows]``."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(len(rows))
    return (u[:, None] >= cum[rows, :-1]).sum(axis=1).astype(np.int8)


def _normalised(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def allocate(n: int, shares: np.ndarray) -> np.ndarray:
    """Split ``n`` into whole counts proportional to ``shares`` (largest remainder).

    Examples
    --------
    >>> allocate(10, np.array([0.25, 0.25, 0.5])).tolist()
    [3, 2, 5]
    """
    raw = n * shares
    counts = np.floor(raw).astype(np.int64)
    rest = n - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:rest]] += 1
    return counts


@dataclass
class Shoppers:
    """The plan of every customer; ages are in days before ``as_of``.

    ``order_lo``/``browse_lo``/``cart_lo`` are the youngest ages of each kind of
    session (the sessions are spread up to ``signup - MARGIN``, abandoned carts up to
    ``cart_hi``); where ``*_pin`` is set, the customer's first session of that kind is
    placed exactly at the youngest age, which is what the lifecycle rules look at.
    """

    situation: np.ndarray
    persona: np.ndarray
    signup: np.ndarray
    quiet: np.ndarray
    order_lo: np.ndarray
    order_pin: np.ndarray
    browse_lo: np.ndarray
    browse_pin: np.ndarray
    cart_lo: np.ndarray
    cart_hi: np.ndarray
    n_orders: np.ndarray
    n_views: np.ndarray
    n_sessions: np.ndarray
    n_carts: np.ndarray
    n_categories: np.ndarray
    skew: np.ndarray
    favourites: np.ndarray
    preferred: np.ndarray
    online: np.ndarray
    age: np.ndarray
    gender: np.ndarray
    region: np.ndarray

    def categories(self, rng: np.random.Generator, cust: np.ndarray) -> np.ndarray:
        """Draw the category code of one event per entry of ``cust`` (customer index)."""
        u = rng.random(len(cust))
        rank = (self.n_categories[cust] * u ** self.skew[cust]).astype(np.int64)
        return self.favourites[cust, rank]


def plan_shoppers(
    n: int,
    situation_shares: Mapping[str, float],
    persona_shares: Mapping[str, Mapping[str, float]],
    horizon: float,
    rng: np.random.Generator,
) -> Shoppers:
    """Draw every customer's situation, persona, counts, tastes and time windows.

    Parameters
    ----------
    n : int
        Number of customers.
    situation_shares, persona_shares : mapping
        Validated shares: every situation present, each persona mapping complete.
    horizon : float
        Days of history before ``as_of``.
    rng : numpy.random.Generator
        The only source of randomness.
    """
    situation, persona = assign(n, situation_shares, persona_shares, rng)
    return plan_assigned(situation, persona, horizon, rng)


def plan_assigned(
    situation: np.ndarray, persona: np.ndarray, horizon: float, rng: np.random.Generator
) -> Shoppers:
    """Draw the plan of customers whose situation and persona codes are already given.

    :func:`plan_shoppers` is :func:`assign` followed by this; a shop written in chunks
    assigns every customer once and plans each chunk's customers with its own generator.
    """
    n = len(situation)
    orders, views, carts = (persona_table(f) for f in ("orders", "browse_views", "carts"))
    has_orders = rng.random(n) < persona_table("p_orders")[persona]
    n_orders = np.where(has_orders, rng.integers(orders[persona, 0], orders[persona, 1] + 1), 0)
    n_views = rng.integers(views[persona, 0], views[persona, 1] + 1)
    extra_sessions = rng.poisson(persona_table("browse_sessions")[persona])
    n_sessions = np.where(n_views > 0, np.minimum(n_views, 1 + extra_sessions), 0)
    n_carts = rng.integers(carts[persona, 0], carts[persona, 1] + 1)
    windows = _windows(situation, persona, horizon, rng)

    # Tastes: a popularity-weighted random order of the categories per customer
    # (Gumbel top-k), how many of them the customer uses and how unevenly.
    cats = persona_table("categories")
    n_categories = rng.integers(cats[persona, 0], cats[persona, 1] + 1).astype(np.int8)
    weights = np.log(np.asarray(CATEGORY_WEIGHTS, dtype=float))
    keys = weights + rng.gumbel(size=(n, len(CATEGORY_WEIGHTS)))
    favourites = np.argsort(-keys, axis=1).astype(np.int8)
    del keys

    preferred = draw(rng, persona_table("channel_p").astype(float), persona)
    online = np.where(preferred == STORE, rng.integers(0, 2, n), preferred).astype(np.int8)
    age = np.rint(rng.normal(persona_table("age")[persona], AGE_SD))
    return Shoppers(
        situation=situation,
        persona=persona,
        **windows,
        n_orders=n_orders,
        n_views=n_views,
        n_sessions=n_sessions,
        n_carts=n_carts,
        n_categories=n_categories,
        skew=persona_table("skew").astype(float)[persona],
        favourites=favourites,
        preferred=preferred,
        online=online,
        age=np.clip(age, 18, 85).astype(np.int64),
        gender=rng.choice(len(GENDER_WEIGHTS), n, p=_normalised(GENDER_WEIGHTS)).astype(np.int8),
        region=rng.choice(len(REGION_WEIGHTS), n, p=_normalised(REGION_WEIGHTS)).astype(np.int8),
    )


def assign(
    n: int,
    situation_shares: Mapping[str, float],
    persona_shares: Mapping[str, Mapping[str, float]],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Give every customer a situation and a persona code, in exact proportions, shuffled."""
    sit_counts = allocate(n, np.array([situation_shares[s] for s in SITUATIONS], dtype=float))
    sit_codes, per_codes, counts = [], [], []
    for s_code, (name, size) in enumerate(zip(SITUATIONS, sit_counts, strict=True)):
        names = list(persona_shares[name])
        shares = np.array([persona_shares[name][p] for p in names], dtype=float)
        for p_name, count in zip(names, allocate(int(size), shares), strict=True):
            sit_codes.append(s_code)
            per_codes.append(PERSONA_NAMES.index(p_name))
            counts.append(int(count))
    shuffle = rng.permutation(n)
    situation = np.repeat(np.array(sit_codes, dtype=np.int8), counts)[shuffle]
    persona = np.repeat(np.array(per_codes, dtype=np.int8), counts)[shuffle]
    return situation, persona


def _windows(
    situation: np.ndarray, persona: np.ndarray, horizon: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Place each customer's anchor event and signup so that the lifecycle rules hold."""
    n = len(situation)
    history = persona_table("history").astype(float)
    cart_span = persona_table("cart_span").astype(float)
    w = {
        "signup": np.empty(n),
        "quiet": np.zeros(n),
        "order_lo": np.full(n, RECENT),
        "order_pin": np.zeros(n, dtype=bool),
        "browse_lo": np.full(n, RECENT),
        "browse_pin": np.zeros(n, dtype=bool),
        "cart_lo": np.full(n, RECENT),
        "cart_hi": np.full(n, RECENT),
    }
    for s_code, name in enumerate(SITUATIONS):
        idx = np.flatnonzero(situation == s_code)
        size = len(idx)
        timing = TIMINGS[name]
        if size == 0:
            continue
        if timing.anchor is None:
            w["signup"][idx] = uniform(
                rng, np.full(size, NEW_SIGNUP[0]), np.full(size, NEW_SIGNUP[1])
            )
            continue
        hist = history[persona[idx]]
        a_lo = np.full(size, timing.anchor[0])
        a_hi = np.maximum(a_lo, np.minimum(timing.anchor[1], horizon - hist - 1.0))
        anchor = uniform(rng, a_lo, a_hi)
        latest = anchor
        w["quiet"][idx] = timing.quiet
        w["browse_lo"][idx] = timing.quiet + RECENT
        if timing.pins == "cart":
            # Abandoned carts span back from the anchor; orders are older than all of them.
            cart_hi = anchor + cart_span[persona[idx]]
            w["cart_lo"][idx], w["cart_hi"][idx] = anchor, cart_hi
            w["order_lo"][idx] = cart_hi + 1.0
            latest = cart_hi
        elif timing.pins == "view":
            w["browse_lo"][idx], w["browse_pin"][idx] = anchor, True
        else:
            w["order_lo"][idx], w["order_pin"][idx] = anchor, True
        low = np.minimum(np.maximum(MIN_SIGNUP, latest + hist), horizon - 0.5)
        w["signup"][idx] = uniform(rng, low, np.full(size, horizon))
    return w
