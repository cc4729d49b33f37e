"""Named feature presets and the kinds of facts, defined in one place.

A preset is a short name for a list of facts (see CONTRIBUTING.md, "Facts") that suits a
kind of base segment. The window facts use the 30-day window, which ``compute_facts``
produces with its default ``windows``.

========== =================================================================================
preset     facts
========== =================================================================================
core       frequency, avg_order_value, n_views, carts_since_last_purchase, n_categories
rfm        recency_days, frequency, monetary
engagement n_views, n_add_to_cart, views_30d, add_to_cart_30d, carts_since_last_purchase,
           days_since_last_view, days_since_last_cart
basket     frequency, avg_order_value, n_categories, top_category_share
behaviour  days_since_last_event, recency_days, frequency, monetary, avg_order_value,
           n_categories, top_category_share, n_views, views_30d, add_to_cart_30d,
           carts_since_last_purchase, days_since_last_view
========== =================================================================================

``core`` is the default of every base segment: one fact for each dimension of
behaviour (how often, how much per order, how much browsing, how many carts left
without a purchase, how broad), none derived from another and none about timing.
Timing is what lifecycle rules already split on (recency, days since the last view or
cart), and derived facts repeat their parts (``monetary`` is frequency times order
value, window counts are part of the totals, ``top_category_share`` comes from the
category counts, ``n_add_to_cart`` counts the carts of every online order again);
either kind, left in, outweighs the behaviour the sub-segments should describe. With
the true k, the median within-segment ARI on the discovery benchmark
(``experiments/bench_discovery.py``) is 0.68 on ``behaviour`` and 0.91 on ``core``'s
facts; on the synthetic shop's active customers, whose carts mostly belong to online
orders, ``n_add_to_cart`` in place of ``carts_since_last_purchase`` splits the store
shoppers off as extra groups (ARI 0.72 against 1.00).

``behaviour`` works for segments with and without purchases: in a segment where nobody
bought, the purchase facts are constant (counts 0) or entirely missing (``recency_days``,
``avg_order_value``), and :class:`~metaseg.features.SegmentFeaturizer` drops them and
records why in ``dropped_features_``.

The kind of a fact (:func:`fact_kind`) is decided by its name, so that the choice of
``log1p="auto"`` is the same for every segment and never depends on the sample:

* ``count``: ``frequency``, ``n_*``, ``purchases_{w}d``, ``views_{w}d``,
  ``add_to_cart_{w}d``, ``carts_since_last_purchase``;
* ``money``: ``monetary``, ``gross_revenue``, ``avg_order_value``, ``revenue_{w}d``;
* ``duration``: ``*_days``, ``days_since_*`` and ``mean_days_between_orders``;
* ``share``: ``*_share`` and ``*_rate``;
* ``other``: anything else (customer attributes such as ``age``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Final, Literal

#: The fact registry's kinds, plus ``other`` for columns it does not declare.
ColumnKind = Literal["count", "money", "duration", "ratio", "timestamp", "other"]

PRESETS: Final[dict[str, tuple[str, ...]]] = {
    "core": (
        "frequency",
        "avg_order_value",
        "n_views",
        "carts_since_last_purchase",
        "n_categories",
    ),
    "rfm": ("recency_days", "frequency", "monetary"),
    "engagement": (
        "n_views",
        "n_add_to_cart",
        "views_30d",
        "add_to_cart_30d",
        "carts_since_last_purchase",
        "days_since_last_view",
        "days_since_last_cart",
    ),
    "basket": ("frequency", "avg_order_value", "n_categories", "top_category_share"),
    "behaviour": (
        "days_since_last_event",
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "n_categories",
        "top_category_share",
        "n_views",
        "views_30d",
        "add_to_cart_30d",
        "carts_since_last_purchase",
        "days_since_last_view",
    ),
}

#: Kinds whose columns ``log1p="auto"`` transforms (non-negative, right-skewed facts).
LOG1P_AUTO_KINDS: Final = ("count", "money")

_KIND_PATTERNS: Final[tuple[tuple[ColumnKind, re.Pattern[str]], ...]] = (
    ("count", re.compile(r"^(frequency|carts_since_last_purchase|n_\w+)$")),
    ("count", re.compile(r"^(purchases|views|add_to_cart)_\d+d$")),
    ("money", re.compile(r"^(monetary|gross_revenue|avg_order_value)$")),
    ("money", re.compile(r"^revenue_\d+d$")),
    ("duration", re.compile(r"^(\w+_days|days_since_\w+|mean_days_between_orders)$")),
    ("ratio", re.compile(r"^\w+_(share|rate)$")),
    # the potential-value facts of metaseg.clv
    ("money", re.compile(r"^(expected_avg_order_value|(discounted_)?clv_\d+d)$")),
    ("count", re.compile(r"^expected_purchases_\d+d$")),
    ("ratio", re.compile(r"^p_alive$")),
)
_WINDOW_SUFFIX: Final = re.compile(r"^(?P<stem>\w+)_(?P<days>\d+)d$")


def fact_kind(name: str, custom: Mapping[str, str] | None = None) -> ColumnKind:
    """Return the kind of a column: as the fact registry declares it, else from its name.

    Facts of :mod:`metaseg.facts.registry` (windowed ones for any window) have the kind
    declared there, and custom facts the kind given in ``custom`` (the facts table's
    ``attrs["fact_kinds"]``, see :mod:`metaseg.facts.custom`); other columns (customer
    attributes, a shop's own facts) get the kind their name suggests (``n_...`` counts,
    ``..._days`` durations, ``..._rate`` ratios), or ``other``.

    Parameters
    ----------
    name : str
        A column of the facts table.
    custom : mapping, optional
        Custom fact name -> kind.

    Returns
    -------
    {"count", "money", "duration", "ratio", "timestamp", "other"}

    Examples
    --------
    >>> fact_kind("views_30d"), fact_kind("avg_order_value"), fact_kind("age")
    ('count', 'money', 'other')
    >>> fact_kind("first_seen"), fact_kind("n_returns")
    ('timestamp', 'count')
    >>> fact_kind("sale_spend_90d", {"sale_spend_90d": "money"})
    'money'
    """
    text = str(name)
    if custom and text in custom:
        return custom[text]  # type: ignore[return-value]
    declared = _declared_kinds()
    window = _WINDOW_SUFFIX.match(text)
    key = f"{window['stem']}_{{w}}d" if window and text not in declared else text
    if key in declared:
        return declared[key]
    for kind, pattern in _KIND_PATTERNS:
        if pattern.match(text):
            return kind
    return "other"


@functools.cache
def _declared_kinds() -> dict[str, ColumnKind]:
    """Registry fact name (windowed ones with ``{w}``) -> declared kind."""
    from metaseg.facts.registry import FACTS

    return {fact.name: fact.kind for fact in FACTS}


def expand_features(features: str | Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Expand preset names into facts, keeping the first occurrence of each name.

    Parameters
    ----------
    features : str or iterable of str
        A preset name, or a list whose entries are fact names or preset names.

    Returns
    -------
    names : list of str
        The facts, in order, without duplicates.
    origin : dict
        For each name that came from a preset, the preset's name (for messages).

    Examples
    --------
    >>> expand_features(["rfm", "age", "frequency"])[0]
    ['recency_days', 'frequency', 'monetary', 'age']
    """
    entries = [features] if isinstance(features, str) else list(features)
    names: list[str] = []
    origin: dict[str, str] = {}
    for entry in entries:
        expanded = PRESETS.get(entry, (entry,))
        for name in expanded:
            if name in names:
                continue
            names.append(name)
            if entry in PRESETS:
                origin[name] = entry
    return names, origin
