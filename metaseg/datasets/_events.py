"""The synthetic shop's events, generated from the plan in :mod:`metaseg.datasets._plan`.

Customers expand to sessions and sessions to events with ``np.repeat``; every kind of
event is one block of arrays, and the blocks are concatenated and sorted once by
customer then time. Ages are in seconds before ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metaseg.datasets._personas import EVENT_TYPES
from metaseg.datasets._plan import (
    MARGIN,
    RECENT,
    STORE,
    Shoppers,
    draw,
    persona_table,
    uniform,
)

SECONDS_PER_DAY = 86_400
#: Share of orders placed on the customer's preferred channel.
PREFERRED_CHANNEL_SHARE = 0.8
#: Share of online orders that go through the cart (the others use "buy now").
CART_SHARE = 0.7
#: Share of refunds that return the whole order (the others return part of it).
FULL_REFUND_SHARE = 0.6
#: Refunds come this many days after their order (range).
REFUND_DELAY = (1.0, 21.0)

VIEW, ADD_TO_CART, PURCHASE, REFUND = (EVENT_TYPES.index(t) for t in EVENT_TYPES)
Block = tuple[np.ndarray, ...]


@dataclass
class EventArrays:
    """The events, sorted by customer then time; ``order_id`` is 0 where there is none."""

    customer: np.ndarray
    age_s: np.ndarray
    event_type: np.ndarray
    amount: np.ndarray
    order_id: np.ndarray
    category: np.ndarray
    channel: np.ndarray


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each child's parent, a first-child flag and each parent's first child.

    Examples
    --------
    >>> parent, first, start = expand(np.array([2, 0, 1]))
    >>> parent.tolist(), first.tolist(), start.tolist()
    ([0, 0, 2], [True, False, True], [0, 2, 2])
    """
    counts = counts.astype(np.int64)
    starts = np.cumsum(counts) - counts
    parent = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.zeros(len(parent), dtype=bool)
    first[starts[counts > 0]] = True
    return parent, first, starts


def to_seconds(days: np.ndarray) -> np.ndarray:
    """Round ages in days to whole seconds."""
    return np.rint(days * SECONDS_PER_DAY).astype(np.int64)


def make_events(shoppers: Shoppers, refund_rate: float, rng: np.random.Generator) -> EventArrays:
    """Generate every customer's orders, browsing and abandoned carts.

    Parameters
    ----------
    shoppers : Shoppers
        The plan.
    refund_rate : float
        Probability that an order is refunded (kept only when the refund still falls
        in the customer's allowed time window).
    rng : numpy.random.Generator
        The only source of randomness.
    """
    blocks: list[Block] = []
    order_age_s = _orders(rng, blocks, shoppers, refund_rate)
    _browsing(rng, blocks, shoppers)
    _abandoned_carts(rng, blocks, shoppers)
    return _assemble(blocks, order_age_s)


def _block(
    cust: np.ndarray,
    age_s: np.ndarray,
    event_type: int,
    category: np.ndarray,
    channel: np.ndarray,
    amount: np.ndarray | None = None,
    order: np.ndarray | None = None,
) -> Block:
    """Pack one kind of events; ``order`` is the order's index (-1 for none)."""
    size = len(cust)
    return (
        cust.astype(np.int32),
        age_s,
        np.full(size, event_type, dtype=np.int8),
        np.full(size, np.nan) if amount is None else amount,
        np.full(size, -1, dtype=np.int64) if order is None else order,
        category.astype(np.int8),
        channel.astype(np.int8),
    )


def _orders(
    rng: np.random.Generator, blocks: list[Block], shop: Shoppers, refund_rate: float
) -> np.ndarray:
    """Orders: views, cart additions, the purchase lines and refunds; returns order ages."""
    cust, first, _ = expand(shop.n_orders)
    lo = shop.order_lo[cust]
    age = uniform(rng, lo, shop.signup[cust] - MARGIN)
    pinned = first & shop.order_pin[cust]
    age[pinned] = lo[pinned]
    age_s = to_seconds(age)
    per = shop.persona[cust]
    other = draw(rng, persona_table("channel_p").astype(float), per)
    chan = np.where(rng.random(len(cust)) < PREFERRED_CHANNEL_SHARE, shop.preferred[cust], other)
    online = chan != STORE
    value = rng.lognormal(np.log(persona_table("aov")[per]), persona_table("aov_sigma")[per])

    # Line items share the order's id and time; the value is split at random.
    n_items = 1 + rng.poisson(persona_table("extra_items")[per])
    line_order, _, line_start = expand(n_items)
    weight = rng.gamma(2.0, size=len(line_order))
    weight /= np.bincount(line_order, weight, minlength=len(cust))[line_order]
    line_amount = np.maximum(np.round(value[line_order] * weight, 2), 0.01)
    line_cust = cust[line_order]
    line_cat = shop.categories(rng, line_cust)
    line_chan = chan[line_order]
    blocks.append(
        _block(line_cust, age_s[line_order], PURCHASE, line_cat, line_chan, line_amount, line_order)
    )

    # Online orders that go through the cart: one cart addition per line item, 1-20
    # minutes before checkout.
    via_cart = online & (rng.random(len(cust)) < CART_SHARE)
    carted = np.flatnonzero(via_cart[line_order])
    cart_age = age_s[line_order[carted]] + rng.integers(60, 1200, len(carted))
    blocks.append(
        _block(line_cust[carted], cart_age, ADD_TO_CART, line_cat[carted], line_chan[carted])
    )

    # Views in the hour before an online checkout.
    n_views = rng.poisson(persona_table("order_views")[per]) * online
    view_order, _, _ = expand(n_views)
    view_cust = cust[view_order]
    view_age = age_s[view_order] + rng.integers(1200, 3600, len(view_order))
    blocks.append(
        _block(view_cust, view_age, VIEW, shop.categories(rng, view_cust), chan[view_order])
    )

    # Refunds of a whole or part order, kept only inside the customer's allowed window
    # (a dormant customer's refund never lands in the last 90 days, none after as_of).
    total = np.bincount(line_order, line_amount, minlength=len(cust))
    refund_age = age - rng.uniform(*REFUND_DELAY, len(cust))
    partial = np.round(total * rng.uniform(0.2, 0.9, len(cust)), 2)
    amount = np.where(rng.random(len(cust)) < FULL_REFUND_SHARE, total, partial)
    wanted = rng.random(len(cust)) < refund_rate
    keep = np.flatnonzero(wanted & (refund_age >= shop.quiet[cust] + RECENT))
    blocks.append(
        _block(
            cust[keep],
            to_seconds(refund_age[keep]),
            REFUND,
            line_cat[line_start[keep]],
            chan[keep],
            np.maximum(amount[keep], 0.01),
            keep.astype(np.int64),
        )
    )
    return age_s


def _browsing(rng: np.random.Generator, blocks: list[Block], shop: Shoppers) -> None:
    """Browsing sessions; each customer's views are spread at random over them."""
    s_cust, s_first, s_start = expand(shop.n_sessions)
    lo = shop.browse_lo[s_cust]
    s_age = uniform(rng, lo, shop.signup[s_cust] - MARGIN)
    pinned = s_first & shop.browse_pin[s_cust]
    s_age[pinned] = lo[pinned]
    s_age_s = to_seconds(s_age)
    cust, first, _ = expand(shop.n_views)
    local = (rng.random(len(cust)) * shop.n_sessions[cust]).astype(np.int64)
    local[first] = 0  # the pinned session always has a view
    age_s = s_age_s[s_start[cust] + local] + rng.integers(0, 1800, len(cust))
    blocks.append(_block(cust, age_s, VIEW, shop.categories(rng, cust), shop.online[cust]))


def _abandoned_carts(rng: np.random.Generator, blocks: list[Block], shop: Shoppers) -> None:
    """Cart additions that no purchase follows (hesitant customers), with a few views."""
    cust, first, _ = expand(shop.n_carts)
    lo = shop.cart_lo[cust]
    age = uniform(rng, lo, shop.cart_hi[cust])
    age[first] = lo[first]
    age_s = to_seconds(age)
    cart_age = age_s + rng.integers(0, 600, len(cust))
    blocks.append(
        _block(cust, cart_age, ADD_TO_CART, shop.categories(rng, cust), shop.online[cust])
    )
    n_views = rng.poisson(persona_table("cart_views")[shop.persona[cust]])
    view_cart, _, _ = expand(n_views)
    view_cust = cust[view_cart]
    view_age = age_s[view_cart] + rng.integers(600, 2400, len(view_cart))
    blocks.append(
        _block(view_cust, view_age, VIEW, shop.categories(rng, view_cust), shop.online[view_cust])
    )


def _assemble(blocks: list[Block], order_age_s: np.ndarray) -> EventArrays:
    """Concatenate the blocks, sort by customer then time and number the orders."""
    columns = [np.concatenate([b[i] for b in blocks]) for i in range(7)]
    blocks.clear()
    cust, age_s = columns[0], columns[1]
    span = int(age_s.max(initial=0)) + 1
    key = cust.astype(np.int64) * span + (span - 1 - age_s)
    order = np.argsort(key, kind="stable")
    del key, cust, age_s
    columns = [c[order] for c in columns]
    del order
    # Order ids increase with the order's time, from 1; index -1 (no order) maps to 0.
    by_time = np.argsort(-order_age_s, kind="stable")
    order_id = np.empty(len(order_age_s) + 1, dtype=np.int64)
    order_id[by_time] = np.arange(1, len(order_age_s) + 1, dtype=np.int64)
    order_id[-1] = 0
    return EventArrays(
        customer=columns[0],
        age_s=columns[1],
        event_type=columns[2],
        amount=columns[3],
        order_id=order_id[columns[4]],
        category=columns[5],
        channel=columns[6],
    )
