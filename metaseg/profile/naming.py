"""Short human-readable names for sub-segments, built from their distinguishing features.

A name is the base segment followed by up to ``max_phrases`` phrases, one per feature
whose standardised difference from the base segment (``std_diff``) is at least
``min_std_diff`` in absolute value, strongest first::

    dormant · big baskets · single category

The phrase for a feature and a direction (``"high"`` when the sub-segment's mean is
above its base segment's, ``"low"`` below) comes from :data:`PHRASES`, then from
:data:`WINDOW_PHRASES` for window facts such as ``views_30d`` ("active browsers (30d)"),
then falls back to ``"<feature> high"`` / ``"<feature> low"``. A sub-segment with no
such feature is ``"<base> · typical"``; the noise sub-segment (-1) is
``"<base> · unassigned"``. Names are unique inside a base segment (see
:func:`name_segments`), and user names given by segment code replace them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError
from metaseg.profile._table import FEATURE, canonical_order, check_profile, ranked_features

VocabularyLike = Mapping[str, Mapping[str, str]]

SEPARATOR: Final = " · "
TYPICAL: Final = "typical"
UNASSIGNED: Final = "unassigned"
DIRECTIONS: Final = ("high", "low")

#: Phrase for each (fact, direction); the single place where the vocabulary lives.
PHRASES: Final[dict[str, dict[str, str]]] = {
    "recency_days": {"high": "long gone", "low": "recent"},
    "days_since_last_event": {"high": "inactive", "low": "recently active"},
    "tenure_days": {"high": "long-standing", "low": "newcomers"},
    "frequency": {"high": "frequent buyers", "low": "rare buyers"},
    "n_purchases": {"high": "many purchases", "low": "few purchases"},
    "monetary": {"high": "high value", "low": "low value"},
    "gross_revenue": {"high": "big spenders", "low": "small spenders"},
    "avg_order_value": {"high": "big baskets", "low": "small baskets"},
    "mean_days_between_orders": {"high": "slow repeaters", "low": "fast repeaters"},
    "n_categories": {"high": "many categories", "low": "few categories"},
    "top_category_share": {"high": "single category", "low": "varied categories"},
    "n_views": {"high": "heavy browsers", "low": "light browsers"},
    "n_add_to_cart": {"high": "heavy carters", "low": "rare carters"},
    "carts_since_last_purchase": {"high": "cart abandoners", "low": "few open carts"},
    "days_since_last_view": {"high": "stopped browsing", "low": "browsing lately"},
    "days_since_last_cart": {"high": "no recent carts", "low": "carting lately"},
    "n_refunds": {"high": "many refunds", "low": "few refunds"},
    "refund_rate": {"high": "frequent returners", "low": "rare returners"},
    "age": {"high": "older", "low": "younger"},
}

#: Phrases for the window facts ``<stem>_<w>d``; the window is appended, e.g. "(30d)".
WINDOW_PHRASES: Final[dict[str, dict[str, str]]] = {
    "purchases": {"high": "many purchases", "low": "few purchases"},
    "revenue": {"high": "high spend", "low": "low spend"},
    "views": {"high": "active browsers", "low": "quiet browsers"},
    "add_to_cart": {"high": "many carts", "low": "few carts"},
}

_WINDOW: Final = re.compile(r"^(purchases|revenue|views|add_to_cart)_(\d+)d$")


def phrase(feature: str, direction: str, vocabulary: VocabularyLike | None = None) -> str:
    """Return the phrase describing ``feature`` being ``direction`` ("high" or "low").

    Parameters
    ----------
    feature : str
        A fact name.
    direction : {"high", "low"}
        Whether the sub-segment is above or below its base segment.
    vocabulary : mapping, optional
        ``{feature: {"high": phrase, "low": phrase}}`` consulted before :data:`PHRASES`.

    Examples
    --------
    >>> phrase("avg_order_value", "high"), phrase("views_30d", "high"), phrase("age2", "low")
    ('big baskets', 'active browsers (30d)', 'age2 low')
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {DIRECTIONS}, got {direction!r}.")
    for table in (vocabulary or {}, PHRASES):
        entry = table.get(feature)
        if entry is not None and direction in entry:
            return entry[direction]
    window = _WINDOW.match(feature)
    if window is not None:
        return WINDOW_PHRASES[window.group(1)][direction] + " (" + window.group(2) + "d)"
    return feature + " " + direction


def name_segments(
    profile: pd.DataFrame,
    *,
    min_std_diff: float = 0.5,
    max_phrases: int = 3,
    names: Mapping[str, str] | None = None,
    vocabulary: VocabularyLike | None = None,
) -> pd.Series:
    """Name every sub-segment of a profile.

    Parameters
    ----------
    profile : DataFrame
        The output of :func:`metaseg.profile.profile_segments`.
    min_std_diff : float
        Smallest ``|std_diff|`` for a feature to appear in a name.
    max_phrases : int
        Most phrases in an automatic name.
    names : mapping of str to str, optional
        Names that replace the automatic ones, by segment code (``{"dormant/2":
        "Sleeping whales"}``).
    vocabulary : mapping, optional
        Extra or replacement phrases, ``{feature: {"high": ..., "low": ...}}``.

    Returns
    -------
    Series
        Names indexed by segment code, in canonical order (base segments sorted,
        sub-segments ascending, noise last), named ``segment_name``.

    Notes
    -----
    Names are made unique inside each base segment deterministically: sub-segments are
    named in canonical order (largest first) and user names are reserved first. When an
    automatic name is taken, the segment's next distinguishing phrases (beyond
    ``max_phrases``, still above ``min_std_diff``) are appended one at a time; if it is
    still taken, `` (2)``, `` (3)``, ... is appended.

    Raises
    ------
    ConfigError
        If ``names`` has an unknown segment code (the message lists the codes), an empty
        name or two equal names in one base segment, or if an argument is invalid.

    Examples
    --------
    >>> profile = pd.DataFrame({
    ...     "base_segment": "dormant", "sub_segment": [0, 0, 1, 1],
    ...     "segment": ["dormant/0", "dormant/0", "dormant/1", "dormant/1"],
    ...     "feature": ["avg_order_value", "frequency"] * 2,
    ...     "size": 10, "share_of_base": 0.5, "share_of_all": 0.1, "mean": 1.0,
    ...     "median": 1.0, "missing_share": 0.0, "parent_mean": 1.0, "parent_median": 1.0,
    ...     "parent_std": 1.0, "lift": 1.0, "std_diff": [1.5, -0.8, -1.5, 0.1]})
    >>> name_segments(profile).tolist()
    ['dormant · big baskets · rare buyers', 'dormant · small baskets']
    >>> name_segments(profile, names={"dormant/1": "Bargain hunters"}).tolist()
    ['dormant · big baskets · rare buyers', 'Bargain hunters']
    """
    check_profile(profile)
    _check_arguments(min_std_diff, max_phrases)
    vocabulary = _check_vocabulary(vocabulary)
    segments = profile.drop_duplicates(schema.SEGMENT)
    segments = segments.iloc[canonical_order(segments)]
    overrides = _check_overrides(names, segments)

    ranked = ranked_features(profile, min_strength=min_std_diff)
    directions = ranked["std_diff"].gt(0).map({True: "high", False: "low"})
    phrases_of: dict[str, list[str]] = {}
    for code, feature, direction in zip(
        ranked[schema.SEGMENT], ranked[FEATURE], directions, strict=True
    ):
        text = phrase(feature, direction, vocabulary)
        found = phrases_of.setdefault(code, [])
        if text not in found:
            found.append(text)

    result: dict[str, str] = {}
    for base, block in segments.groupby(schema.BASE_SEGMENT, sort=False):
        taken = {overrides[c] for c in block[schema.SEGMENT] if c in overrides}
        for code, sub in zip(block[schema.SEGMENT], block[schema.SUB_SEGMENT], strict=True):
            if code in overrides:
                result[code] = overrides[code]
                continue
            if sub == schema.NOISE:
                candidates = [str(base) + SEPARATOR + UNASSIGNED]
            else:
                candidates = _candidates(str(base), phrases_of.get(code, []), max_phrases)
            name = _first_free(candidates, taken)
            taken.add(name)
            result[code] = name
    return pd.Series(result, name=schema.SEGMENT_NAME, dtype="str")


def _candidates(base: str, phrases: list[str], max_phrases: int) -> list[str]:
    if not phrases:
        return [base + SEPARATOR + TYPICAL]
    return [
        base + SEPARATOR + SEPARATOR.join(phrases[:k])
        for k in range(min(max_phrases, len(phrases)), len(phrases) + 1)
    ]


def _first_free(candidates: list[str], taken: set[str]) -> str:
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    number = 2
    while candidates[0] + f" ({number})" in taken:
        number += 1
    return candidates[0] + f" ({number})"


def _check_arguments(min_std_diff: float, max_phrases: int) -> None:
    if (
        isinstance(min_std_diff, bool)
        or not isinstance(min_std_diff, int | float)
        or not math.isfinite(min_std_diff)
        or min_std_diff < 0
    ):
        raise ConfigError(
            f"min_std_diff must be a finite number >= 0 (e.g. 0.5), got {min_std_diff!r}."
        )
    if isinstance(max_phrases, bool) or not isinstance(max_phrases, int) or max_phrases < 1:
        raise ConfigError(f"max_phrases must be an integer >= 1, got {max_phrases!r}.")


def _check_vocabulary(vocabulary: VocabularyLike | None) -> dict[str, dict[str, str]]:
    if vocabulary is None:
        return {}
    if not isinstance(vocabulary, Mapping):
        raise ConfigError(
            "vocabulary must map a feature to {'high': phrase, 'low': phrase}, got "
            f"{type(vocabulary).__name__}."
        )
    checked: dict[str, dict[str, str]] = {}
    for feature, entry in vocabulary.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"vocabulary[{feature!r}] must be a mapping like {{'high': '...', 'low': "
                f"'...'}}, got {entry!r}."
            )
        for direction, text in entry.items():
            if direction not in DIRECTIONS:
                raise ConfigError(
                    f"vocabulary[{feature!r}] has direction {direction!r}; use 'high' or 'low'."
                )
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(
                    f"vocabulary[{feature!r}][{direction!r}] must be a non-empty phrase, "
                    f"got {text!r}."
                )
        checked[str(feature)] = {str(d): str(t).strip() for d, t in entry.items()}
    return checked


def _check_overrides(names: Mapping[str, str] | None, segments: pd.DataFrame) -> dict[str, str]:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise ConfigError(
            "names must map segment codes to names, e.g. {'dormant/2': 'Sleeping whales'}, "
            f"got {type(names).__name__}."
        )
    codes = segments[schema.SEGMENT].tolist()
    unknown = [code for code in names if code not in codes]
    if unknown:
        raise ConfigError(
            f"names: unknown segment code(s) {preview(unknown)}."
            f"{did_you_mean(str(unknown[0]), codes)} Existing codes: {available(codes)}."
        )
    checked: dict[str, str] = {}
    for code, text in names.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"names[{code!r}] must be a non-empty name, got {text!r}.")
        checked[code] = text.strip()
    base_of = dict(zip(segments[schema.SEGMENT], segments[schema.BASE_SEGMENT], strict=True))
    seen: dict[tuple[str, str], str] = {}
    for code, text in checked.items():
        key = (base_of[code], text)
        if key in seen:
            raise ConfigError(
                f"names: {seen[key]!r} and {code!r} are both named {text!r}; names must be "
                f"unique inside base segment {base_of[code]!r}."
            )
        seen[key] = code
    return checked
