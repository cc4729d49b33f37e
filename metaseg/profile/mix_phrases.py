"""Phrases that read a sub-segment's category mix: "mostly kitchenware", "kitchenware + garden".

The category-mix facts (``mix_<category>`` and ``mix_other``, see
:mod:`metaseg.facts.category_mix`) are named together, as one phrase per sub-segment,
instead of one "mix_garden high" per column:

1. a category enters the phrase only when its *higher* share passes the same evidence
   rule as every other trait (:func:`metaseg.profile.naming.claim_problem` with
   direction ``"high"``); lower shares are not named (a lower share of one category is
   the other side of higher shares elsewhere);
2. the verified categories are ranked by how far their mean share is above the parent's
   (``mean - parent_mean``, in share points), ties by column name;
3. when the first one is the median customer's majority (``median >=``
   :data:`MOSTLY_SHARE`), the phrase is ``"mostly <category>"``; otherwise it lists the
   first :data:`MAX_CATEGORIES` joined by :data:`JOIN` (``"kitchenware + garden"``, or a
   single ``"kitchenware"``).

The phrase takes the place of the strongest of its traits (by ``|std_diff|``) among the
other phrases of the name. A category's words are its column name without the prefix,
``_`` read as a space (``mix_lunch_box`` -> "lunch box"); ``mix_other`` reads "other
categories". A user vocabulary entry for a ``mix_*`` column makes it an ordinary fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from metaseg.facts.category_mix import MIX_PREFIX, OTHER_COLUMN

#: Median share of the leading category from which the phrase says "mostly".
MOSTLY_SHARE: Final = 0.5
#: Most categories listed in one phrase.
MAX_CATEGORIES: Final = 2
#: Joins the categories of one phrase.
JOIN: Final = " + "
MOSTLY: Final = "mostly "


def is_mix(feature: str, vocabulary: Mapping[str, Any] | None = None) -> bool:
    """Whether ``feature`` is a category share named by this module.

    Examples
    --------
    >>> is_mix("mix_garden"), is_mix("frequency"), is_mix("mix_garden", {"mix_garden": {}})
    (True, False, False)
    """
    return feature.startswith(MIX_PREFIX) and feature not in (vocabulary or {})


def category_words(feature: str) -> str:
    """The words naming the category of a ``mix_*`` column.

    Examples
    --------
    >>> category_words("mix_lunch_box"), category_words("mix_other")
    ('lunch box', 'other categories')
    """
    if feature == OTHER_COLUMN:
        return "other categories"
    return feature[len(MIX_PREFIX) :].replace("_", " ")


def mix_phrase(rows: Sequence[Mapping[str, Any]]) -> str:
    """The phrase for a sub-segment's verified higher category shares (profile rows).

    Parameters
    ----------
    rows : sequence of mapping
        Profile rows (``feature``, ``mean``, ``parent_mean``, ``median``) whose "high"
        claim holds; at least one.

    Examples
    --------
    >>> a = {"feature": "mix_garden", "mean": 0.6, "parent_mean": 0.2, "median": 0.62}
    >>> b = {"feature": "mix_tools", "mean": 0.3, "parent_mean": 0.1, "median": 0.25}
    >>> mix_phrase([b, a])
    'mostly garden'
    >>> mix_phrase([b, a | {"median": 0.4}])
    'garden + tools'
    """
    ranked = sorted(
        rows, key=lambda r: (-(float(r["mean"]) - float(r["parent_mean"])), str(r["feature"]))
    )
    first = ranked[0]
    if float(first["median"]) >= MOSTLY_SHARE:
        return MOSTLY + category_words(str(first["feature"]))
    return JOIN.join(category_words(str(r["feature"])) for r in ranked[:MAX_CATEGORIES])


def parse_mix_phrase(part: str, features: Sequence[str]) -> list[tuple[str, bool]] | None:
    """The claims of a phrase: ``(feature, mostly)`` per category; None if not a mix phrase.

    Parameters
    ----------
    part : str
        One phrase of a name.
    features : sequence of str
        The sub-segment's profiled ``mix_*`` columns.

    Examples
    --------
    >>> parse_mix_phrase("mostly garden", ["mix_garden", "mix_tools"])
    [('mix_garden', True)]
    >>> parse_mix_phrase("tools + garden", ["mix_garden", "mix_tools"])
    [('mix_tools', False), ('mix_garden', False)]
    >>> parse_mix_phrase("big baskets", ["mix_garden"]) is None
    True
    """
    by_words = {category_words(f): f for f in features}
    if part.startswith(MOSTLY) and part[len(MOSTLY) :] in by_words:
        return [(by_words[part[len(MOSTLY) :]], True)]
    words = part.split(JOIN)
    if all(w in by_words for w in words):
        return [(by_words[w], False) for w in words]
    return None
