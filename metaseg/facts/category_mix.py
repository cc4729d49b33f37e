"""Category-mix facts: each customer's share of spend, purchases or views per category.

``facts: category_mix: {top: 8, basis: spend}`` adds one column per category among the
``top`` categories of the whole shop plus ``mix_other``:

``mix_<category>``
    the customer's share of the basis in that category;
``mix_other``
    the share in every other category, and of basis events without a category, unless
    ``uncategorised: exclude``.

The shares of a customer sum to 1. ``uncategorised`` says what a basis event without a
category is: ``other`` (the default) counts it in ``mix_other``; ``exclude`` leaves it out
of the composition, so the shares are of the categorised basis only. Use ``exclude``
when categories were derived and many events have none (a keyword table over product
descriptions): an unknown category says nothing about what a customer needs, and counted
as ``other`` it becomes the largest and noisiest share. A customer with no categorised
basis event then has NaN shares. The basis is ``spend`` (purchase amounts),
``purchases`` (purchase events) or ``views`` (view events). A customer without any basis
event (or whose basis sums to 0, e.g. purchases of amount 0) has **NaN in every mix
column**: the composition is undefined, like every other undefined ratio.

The top categories are ranked by their basis total over all customers (ties by name) at
the first computation and then **fixed**: the resolved list is recorded in
``facts.attrs["category_mix"]["categories"]``, a fitted
:class:`~metaseg.model.MetaSegmenter` keeps it, and scoring passes it back as
``categories`` so the same columns mean the same categories. Giving ``categories``
yourself fixes them from the start.

Column names come from the category text (lower case, runs of other characters than
letters and digits replaced by ``_``); two categories with the same column name, or a
category called ``other``, are an error. Category values are bound SQL parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from metaseg._yaml import config_error_from_pydantic
from metaseg.exceptions import ConfigError, DataError

#: Prefix of every category-mix column; the features stage recognises compositions by it.
MIX_PREFIX: Final = "mix_"
#: The column holding the share outside the top categories.
OTHER_COLUMN: Final = "mix_other"

Basis = Literal["spend", "purchases", "views"]
Uncategorised = Literal["other", "exclude"]
#: The settings of a category mix, as a fitted model records them and scoring passes back.
SETTINGS: Final = ("top", "basis", "categories", "uncategorised")

#: Per basis: the event flag of :mod:`metaseg.facts.registry` and the value summed.
_BASIS_SQL: Final = {
    "spend": ("is_purchase", "amt"),
    "purchases": ("is_purchase", "1"),
    "views": ("is_view", "1"),
}


class CategoryMix(BaseModel):
    """The ``facts: category_mix:`` section.

    Parameters
    ----------
    top : int
        How many categories get their own column (1-100).
    basis : {"spend", "purchases", "views"}
        What the shares are of.
    categories : list of str, optional
        The categories, fixed; default: the ``top`` largest by basis total, learned from
        the events at the first computation.
    uncategorised : {"other", "exclude"}
        Whether basis events without a category count in ``mix_other`` or are left out
        of the composition.

    Examples
    --------
    >>> CategoryMix(top=3).basis
    'spend'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    top: int = Field(default=8, ge=1, le=100)
    basis: Basis = "spend"
    categories: tuple[str, ...] | None = None
    uncategorised: Uncategorised = "other"

    @field_validator("categories")
    @classmethod
    def _distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("categories must list at least one category, or be left out")
        mix_columns(value)  # same-named columns raise here
        return value


def parse_category_mix(value: Any, *, what: str = "facts.category_mix") -> CategoryMix | None:
    """Return ``value`` as a :class:`CategoryMix` (None stays None).

    Examples
    --------
    >>> parse_category_mix({"top": 2, "basis": "views"}).top
    2
    >>> parse_category_mix(None) is None
    True
    """
    if value is None or isinstance(value, CategoryMix):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{what} must be a mapping such as {{top: 8, basis: spend}}, got "
            f"{type(value).__name__}: {value!r:.80}."
        )
    try:
        return CategoryMix.model_validate(dict(value))
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what=what) from None


def column_name(category: str) -> str:
    """The mix column of ``category``.

    Examples
    --------
    >>> column_name("Home & Garden")
    'mix_home_garden'
    """
    slug = re.sub(r"[^0-9a-z]+", "_", str(category).lower()).strip("_")
    if not slug:
        raise DataError(
            f"category {category!r} has no letter or digit to name its mix column; "
            "map it to a readable category (data mapping) or list categories explicitly."
        )
    return MIX_PREFIX + slug


def mix_columns(categories: Sequence[str]) -> list[str]:
    """The mix columns of ``categories``, then ``mix_other``; clashes raise.

    Examples
    --------
    >>> mix_columns(["garden", "kitchen"])
    ['mix_garden', 'mix_kitchen', 'mix_other']
    """
    seen: dict[str, str] = {}
    for category in categories:
        name = column_name(category)
        if name == OTHER_COLUMN:
            raise DataError(
                f"category {category!r} would be named {OTHER_COLUMN!r}, the column of the "
                "remaining categories; rename the category in the data mapping."
            )
        if name in seen:
            raise DataError(
                f"categories {seen[name]!r} and {category!r} both give the mix column "
                f"{name!r}; rename one of them in the data mapping."
            )
        seen[name] = category
    return [*seen, OTHER_COLUMN]


@dataclass(frozen=True)
class ResolvedMix:
    """A category mix with its categories fixed: what the SQL generator needs."""

    basis: Basis
    categories: tuple[str, ...]
    top: int
    uncategorised: Uncategorised = "other"

    @property
    def columns(self) -> list[str]:
        """The output columns, in order."""
        return mix_columns(self.categories)

    def parameters(self) -> dict[str, str]:
        """The bound parameters holding the category values (``mix_0``, ...)."""
        return {f"mix_{i}": c for i, c in enumerate(self.categories)}

    def record(self) -> dict[str, Any]:
        """What ``facts.attrs["category_mix"]`` holds (plain values, saved with a model)."""
        return {
            "top": self.top,
            "basis": self.basis,
            "categories": list(self.categories),
            "uncategorised": self.uncategorised,
            "columns": self.columns,
        }


def recorded_settings(record: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in a recorded mix (``facts.attrs["category_mix"]``), to compute the
    same columns again; records written before ``uncategorised`` existed mean ``other``.

    Examples
    --------
    >>> recorded_settings({"top": 2, "basis": "spend", "categories": ["a", "b"],
    ...                    "columns": ["mix_a", "mix_b", "mix_other"]})
    {'top': 2, 'basis': 'spend', 'categories': ['a', 'b'], 'uncategorised': 'other'}
    """
    return {key: record.get(key, "other") for key in SETTINGS}


def top_categories_sql(events: str, basis: Basis, top: int) -> str:
    """SQL ranking the categories of the projected ``events`` by basis total.

    ``events`` is the projection of :mod:`metaseg.facts.sql` (columns ``cat``,
    ``is_purchase``, ...); ties are broken by category, so the ranking is deterministic.
    """
    flag, value = _BASIS_SQL[basis]
    return (
        f"SELECT cat, SUM({value}) AS total FROM {events}\n"
        f"WHERE {flag} AND cat IS NOT NULL\nGROUP BY cat\n"
        f"HAVING SUM({value}) > 0\nORDER BY total DESC, cat ASC\nLIMIT {int(top)}"
    )


def mix_cte(events: str, mix: ResolvedMix, parameter: Any) -> str:
    """The ``mix`` CTE: per customer the basis in each category and in total.

    ``parameter(name)`` renders a bound parameter placeholder of the dialect.
    """
    flag, value = _BASIS_SQL[mix.basis]
    if mix.uncategorised == "exclude":
        flag += " AND ev.cat IS NOT NULL"
    sums = [
        f"SUM(CASE WHEN cat = {parameter(name)} THEN v END) AS mix_sum_{i}"
        for i, name in enumerate(mix.parameters())
    ]
    return (
        "mix AS (\n  SELECT cid, "
        + ", ".join(sums)
        + ", SUM(v) AS mix_total\n"
        + f"  FROM (SELECT ev.cid, ev.cat, CAST({value} AS DOUBLE) AS v FROM {events}\n"
        + f"        WHERE {flag}) b\n  GROUP BY cid\n)"
    )


def mix_selects(mix: ResolvedMix, identifier: Any) -> list[str]:
    """The final SELECT items: each share and ``mix_other``, NaN without basis."""
    total = "NULLIF(mix_total, 0)"
    parts = [f"COALESCE(mix_sum_{i}, 0)" for i in range(len(mix.categories))]
    out = [
        f"CAST(COALESCE(mix_sum_{i}, 0) / {total} AS DOUBLE) AS {identifier(column)}"
        for i, column in enumerate(mix.columns[:-1])
    ]
    rest = " - ".join(["mix_total", *parts])
    # GREATEST skips NULLs in both engines: keep NaN when there is no basis
    other = f"CASE WHEN mix_total > 0 THEN GREATEST(({rest}) / mix_total, 0) END"
    out.append(f"CAST({other} AS DOUBLE) AS {identifier(OTHER_COLUMN)}")
    return out


def mix_join_columns(mix: ResolvedMix) -> list[str]:
    """The mix CTE's columns the ``joined`` CTE carries."""
    return [*(f"mix_sum_{i}" for i in range(len(mix.categories))), "mix_total"]


def resolve(mix: CategoryMix, ranked: Sequence[Any]) -> ResolvedMix:
    """Fix the categories: the given ones, else the ranked top ones found in the events.

    Raises
    ------
    DataError
        When no category was found to rank (no basis event has a category).
    """
    if mix.categories is not None:
        return ResolvedMix(mix.basis, tuple(mix.categories), mix.top, mix.uncategorised)
    found = tuple(str(c) for c in ranked if c is not None)
    if not found:
        raise DataError(
            f"facts.category_mix: no {mix.basis} event has a category, so there is no "
            "category to compute shares of. Map a category column (data mapping), change "
            "the basis, or remove category_mix."
        )
    return ResolvedMix(mix.basis, found[: mix.top], mix.top, mix.uncategorised)
