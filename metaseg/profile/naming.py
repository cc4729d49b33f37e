"""Short human-readable names for sub-segments, each trait in a name backed by the numbers.

A name is the base segment followed by up to ``max_phrases`` phrases, one per *verified*
trait, strongest first::

    dormant · big baskets · single category

A trait is a fact and a direction: ``"high"`` when the sub-segment is above its base
segment (its parent), ``"low"`` below. A name claims it only when all of these hold on the
profile row of that sub-segment and fact (see :func:`metaseg.profile.profile_segments`):

1. the mean moves by a margin: ``std_diff`` is at least ``min_std_diff`` (default
   :data:`MIN_STD_DIFF`) in the claimed direction;
2. the fact is known for most of the sub-segment: ``missing_share`` is at most
   ``max_missing_share`` (default :data:`MAX_MISSING_SHARE`), so a claim never rests on
   a known minority;
3. the median moves the same way *for the whole sub-segment*, whatever its missing values
   are: for "high", ``median_lower`` (its median if every missing value were below every
   known one) is above the parent's median; for "low", ``median_upper`` is below it. When
   they are equal (usual for 0/1 and other very discrete facts, e.g. a median of one
   order on both sides) the mean of rule 1 decides, provided the sub-segment misses no
   value of the fact.

So a sub-segment whose mean rises because of a few large values while its median falls is
not called "big baskets", and one where 75% of customers have no
``mean_days_between_orders`` is not called "fast repeaters".

The phrase for a trait comes from :data:`PHRASES`, then from :data:`WINDOW_PHRASES` for
window facts such as ``views_30d`` ("active browsers (30d)"), then falls back to
``"<feature> high"`` / ``"<feature> low"``. The category-mix facts (``mix_*``) make one
phrase together, "mostly kitchenware" or "kitchenware + garden", from the categories
whose higher share passes these rules (see :mod:`metaseg.profile.mix_phrases`). A sub-segment with no verified trait is
``"<base> · typical"``; the noise sub-segment (-1) is ``"<base> · unassigned"``. Names
are unique inside a base segment (see :func:`name_segments`) and user names given by
segment code replace them. :func:`verify_names` checks every claim of every name against
a profile and returns the violations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.profile._table import FEATURE, canonical_order, check_profile, ranked_features
from metaseg.profile.mix_phrases import MOSTLY_SHARE, is_mix, mix_phrase, parse_mix_phrase

VocabularyLike = Mapping[str, Mapping[str, str]]

SEPARATOR: Final = " · "
TYPICAL: Final = "typical"
UNASSIGNED: Final = "unassigned"
DIRECTIONS: Final = ("high", "low")

#: Smallest ``|std_diff|`` (difference of means in standard deviations of the base
#: segment) for a name to claim a trait: half a standard deviation, a "medium" effect
#: size, big enough to be visible in the medians and to matter to a marketer.
MIN_STD_DIFF: Final = 0.5

#: Largest share of a sub-segment that may miss a fact for a name to claim a trait of
#: that fact: beyond half, the known values are a minority and the median of the whole
#: sub-segment is unbounded, so nothing can be said about the whole sub-segment. (At
#: exactly half, rule 3 refuses too: a missing value is then one of the middle values.)
MAX_MISSING_SHARE: Final = 0.5

#: Two medians closer than this (relative to ``max(1, |parent median|)``) are a tie.
TIE_TOLERANCE: Final = 1e-9

#: Columns of the table returned by :func:`verify_names`, in order.
VIOLATION_COLUMNS: Final = (
    schema.SEGMENT,
    schema.SEGMENT_NAME,
    "claim",
    FEATURE,
    "direction",
    "problem",
    "std_diff",
    "median",
    "median_lower",
    "median_upper",
    "parent_median",
    "missing_share",
    "parent_missing_share",
)
_TEXT_COLUMNS: Final = VIOLATION_COLUMNS[:6]

#: Placeholder of the category-mix phrase while a name's phrases are ranked.
_MIX_SLOT: Final = "\x00mix"
#: A numeric suffix, `` (2)``, added to a name only as a last resort.
_NUMBER_SUFFIX: Final = re.compile(r" \(\d+\)$")
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
    "p_alive": {"high": "likely still buying", "low": "probably lapsed"},
    "expected_avg_order_value": {"high": "big expected baskets", "low": "small expected baskets"},
}

#: Phrases for the window facts ``<stem>_<w>d``; the window is appended, e.g. "(30d)".
WINDOW_PHRASES: Final[dict[str, dict[str, str]]] = {
    "purchases": {"high": "many purchases", "low": "few purchases"},
    "revenue": {"high": "high spend", "low": "low spend"},
    "views": {"high": "active browsers", "low": "quiet browsers"},
    "add_to_cart": {"high": "many carts", "low": "few carts"},
    # the potential-value facts of metaseg.clv, per horizon
    "expected_purchases": {"high": "likely to return", "low": "unlikely to return"},
    "clv": {"high": "high potential value", "low": "low potential value"},
    "discounted_clv": {"high": "high potential value", "low": "low potential value"},
}

_WINDOW: Final = re.compile(
    r"^(purchases|revenue|views|add_to_cart|expected_purchases|clv|discounted_clv)_(\d+)d$"
)


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


class _Rule(NamedTuple):
    """The margins a claim must pass (see the module docstring)."""

    min_std_diff: float
    max_missing_share: float


def name_segments(
    profile: pd.DataFrame,
    *,
    min_std_diff: float = MIN_STD_DIFF,
    max_missing_share: float = MAX_MISSING_SHARE,
    max_phrases: int = 3,
    names: Mapping[str, str] | None = None,
    vocabulary: VocabularyLike | None = None,
) -> pd.Series:
    """Name every sub-segment of a profile with its verified traits.

    Parameters
    ----------
    profile : DataFrame
        The output of :func:`metaseg.profile.profile_segments`.
    min_std_diff : float, default=MIN_STD_DIFF
        Smallest ``|std_diff|`` for a trait to appear in a name.
    max_missing_share : float, default=MAX_MISSING_SHARE
        Largest share of the sub-segment missing a fact for a trait of that fact to
        appear in a name, in ``[0, 0.5]``.
    max_phrases : int
        Most phrases in an automatic name, unless more are needed to tell names apart.
    names : mapping of str to str, optional
        Names that replace the automatic ones, by segment code (``{"dormant/2":
        "Sleeping whales"}``).
    vocabulary : mapping, optional
        Extra or replacement phrases, ``{feature: {"high": ..., "low": ...}}``.

    Returns
    -------
    Series
        Names indexed by segment code, in canonical order (base segments sorted,
        sub-segments ascending, noise last), named ``segment_name``. Every automatic name
        starts with its base segment.

    Notes
    -----
    A trait is claimed only when it passes the rules of the module docstring; the
    strongest ``max_phrases`` verified traits (by ``|std_diff|``) make the name. Names
    are then made unique inside each base segment, independently of row order: while
    names collide (with each other or with a user name), every colliding sub-segment
    with a further verified trait appends it. Sub-segments still colliding keep the
    name in canonical order (largest first) and the others get `` (2)``, `` (3)``, ...;
    a name equal to a user name always gets a number.

    Raises
    ------
    ConfigError
        If ``names`` has an unknown segment code (the message lists the codes), an empty
        name or two equal names in one base segment, or if an argument is invalid.
    DataError
        If ``profile`` is not a profile table.

    Examples
    --------
    >>> profile = pd.DataFrame({
    ...     "base_segment": "dormant", "sub_segment": [0, 0, 1, 1],
    ...     "segment": ["dormant/0", "dormant/0", "dormant/1", "dormant/1"],
    ...     "feature": ["avg_order_value", "frequency"] * 2,
    ...     "size": 10, "share_of_base": 0.5, "share_of_all": 0.1, "mean": 1.0,
    ...     "median": [80.0, 1.0, 20.0, 2.0], "median_lower": [80.0, 1.0, 20.0, 2.0],
    ...     "median_upper": [80.0, 1.0, 20.0, 2.0], "missing_share": 0.0,
    ...     "parent_mean": 1.0, "parent_median": [50.0, 1.0, 50.0, 1.0],
    ...     "parent_missing_share": 0.0, "parent_std": 1.0, "lift": 1.0,
    ...     "std_diff": [1.5, -0.8, -1.5, 0.1]})
    >>> name_segments(profile).tolist()
    ['dormant · big baskets · rare buyers', 'dormant · small baskets']
    >>> name_segments(profile, names={"dormant/1": "Bargain hunters"}).tolist()
    ['dormant · big baskets · rare buyers', 'Bargain hunters']
    """
    check_profile(profile)
    rule = _check_rule(min_std_diff, max_missing_share)
    _check_max_phrases(max_phrases)
    vocabulary = _check_vocabulary(vocabulary)
    segments = profile.drop_duplicates(schema.SEGMENT)
    segments = segments.iloc[canonical_order(segments)]
    overrides = _check_overrides(names, segments)
    phrases_of = _verified_phrases(profile, rule, vocabulary)

    result: dict[str, str] = {}
    for base, block in segments.groupby(schema.BASE_SEGMENT, sort=False):
        drafts = [
            _draft(code, sub, phrases_of.get(code, ()), max_phrases)
            for code, sub in zip(block[schema.SEGMENT], block[schema.SUB_SEGMENT], strict=True)
            if code not in overrides
        ]
        reserved = {overrides[code] for code in block[schema.SEGMENT] if code in overrides}
        automatic = _unique_names(str(base), drafts, reserved)
        for code in block[schema.SEGMENT]:
            result[code] = overrides.get(code) or automatic[code]
    return pd.Series(result, name=schema.SEGMENT_NAME, dtype="str")


def _verified_phrases(
    profile: pd.DataFrame, rule: _Rule, vocabulary: VocabularyLike
) -> dict[str, tuple[str, ...]]:
    """Segment code -> phrases of its verified traits, strongest first (noise excluded)."""
    ranked = ranked_features(profile, min_strength=rule.min_std_diff)
    found: dict[str, list[str]] = {}
    mixes: dict[str, list[dict[str, Any]]] = {}
    for row in ranked.to_dict("records"):
        direction = "high" if row["std_diff"] > 0 else "low"
        if row[schema.SUB_SEGMENT] == schema.NOISE or _problem(row, direction, rule):
            continue
        code, feature = str(row[schema.SEGMENT]), str(row[FEATURE])
        phrases = found.setdefault(code, [])
        if is_mix(feature, vocabulary):
            # one phrase for the whole mix, at the place of its strongest trait
            if direction == "high":
                if code not in mixes:
                    phrases.append(_MIX_SLOT)
                mixes.setdefault(code, []).append(row)
            continue
        text = phrase(feature, direction, vocabulary)
        if text not in phrases:
            phrases.append(text)
    return {
        code: tuple(mix_phrase(mixes[code]) if p == _MIX_SLOT else p for p in phrases)
        for code, phrases in found.items()
        if phrases
    }


def claim_problem(
    row: Mapping[str, Any],
    direction: str,
    *,
    min_std_diff: float = MIN_STD_DIFF,
    max_missing_share: float = MAX_MISSING_SHARE,
) -> str:
    """Say why a profile row does not support a trait, or return ``""`` when it does.

    Parameters
    ----------
    row : mapping
        One row of a profile table (``std_diff``, ``missing_share``, ``median_lower``,
        ``median_upper`` and ``parent_median`` are read).
    direction : {"high", "low"}
        The claimed direction.
    min_std_diff, max_missing_share : float
        The margins of the rules (see :func:`name_segments`).

    Returns
    -------
    str
        The first rule of the module docstring that fails, in words; empty when the
        claim holds.

    Raises
    ------
    ConfigError
        If ``direction`` or a margin is invalid.

    Examples
    --------
    >>> row = {"std_diff": 0.9, "missing_share": 0.0, "median_lower": 40.0,
    ...        "median_upper": 40.0, "parent_median": 55.0}
    >>> claim_problem(row, "high")
    "the median 40 is not above the base segment's median 55"
    >>> claim_problem(row | {"median_lower": 60.0, "median_upper": 60.0}, "high")
    ''
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {DIRECTIONS}, got {direction!r}.")
    return _problem(row, direction, _check_rule(min_std_diff, max_missing_share))


def _problem(row: Mapping[str, Any], direction: str, rule: _Rule) -> str:
    """Rules 1 to 3 of the module docstring, in order; ``""`` when all hold."""
    sign = 1.0 if direction == "high" else -1.0
    std_diff = float(row["std_diff"])
    if not math.isfinite(std_diff):
        return "std_diff is unknown (no value of the fact in the sub-segment or its parent)"
    if sign * std_diff <= 0 or sign * std_diff < rule.min_std_diff:
        return (
            f"std_diff is {std_diff:+.2f}; claiming {direction!r} needs "
            f"{sign * rule.min_std_diff:+.2f} or beyond"
        )
    missing = float(row["missing_share"])
    if missing > rule.max_missing_share:
        return (
            f"missing for {missing:.0%} of the sub-segment; a claim needs at most "
            f"{rule.max_missing_share:.0%} missing"
        )
    return _median_problem(row, direction, missing)


def _median_problem(row: Mapping[str, Any], direction: str, missing: float) -> str:
    """Rule 3: the whole sub-segment's median is on the claimed side of the parent's."""
    bound = float(row["median_lower" if direction == "high" else "median_upper"])
    parent = float(row["parent_median"])
    side = "above" if direction == "high" else "below"
    if not math.isfinite(parent):
        return "the base segment's median is unknown"
    if not math.isfinite(bound):
        return (
            f"with {missing:.0%} missing, the median of the whole sub-segment is unbounded "
            "(a missing value could be the median)"
        )
    gap = bound - parent if direction == "high" else parent - bound
    tolerance = TIE_TOLERANCE * max(1.0, abs(parent))
    if gap > tolerance:
        return ""
    if gap >= -tolerance and missing == 0:
        return ""  # a tie, usual for very discrete facts: the mean (std_diff) decides
    if missing == 0:
        return f"the median {bound:.4g} is not {side} the base segment's median {parent:.4g}"
    return (
        f"with {missing:.0%} missing, the median of the whole sub-segment can be "
        f"{bound:.4g}, not {side} the base segment's median {parent:.4g}"
    )


# -- unique names ------------------------------------------------------------------------


@dataclass
class _Draft:
    """An automatic name being built: the first ``used`` of the verified phrases."""

    code: str
    phrases: tuple[str, ...]
    empty: str  # the word when no phrase is used: "typical" or "unassigned"
    used: int

    def text(self, base: str) -> str:
        words = SEPARATOR.join(self.phrases[: self.used]) if self.used else self.empty
        return base + SEPARATOR + words

    def can_grow(self) -> bool:
        return self.used < len(self.phrases)


def _draft(code: str, sub: int, phrases: Iterable[str], max_phrases: int) -> _Draft:
    if sub == schema.NOISE:
        return _Draft(code, (), UNASSIGNED, 0)
    phrases = tuple(phrases)
    return _Draft(code, phrases, TYPICAL, min(max_phrases, len(phrases)))


def _unique_names(base: str, drafts: list[_Draft], reserved: set[str]) -> dict[str, str]:
    """Final names of one base segment's drafts (in canonical order), none in ``reserved``."""
    while True:
        growing = [d for d in _clashing(base, drafts, reserved) if d.can_grow()]
        if not growing:
            break
        for draft in growing:
            draft.used += 1
    counts: dict[str, int] = {}
    for draft in drafts:
        counts[draft.text(base)] = counts.get(draft.text(base), 0) + 1
    taken = set(reserved) | {text for text, n in counts.items() if n == 1}
    names: dict[str, str] = {}
    for draft in drafts:
        text = draft.text(base)
        unique = counts[text] == 1 and text not in reserved
        first_of_clash = text not in taken  # the largest of a clash keeps the name
        names[draft.code] = text if unique or first_of_clash else _numbered(text, taken)
        taken.add(names[draft.code])
    return names


def _clashing(base: str, drafts: list[_Draft], reserved: set[str]) -> list[_Draft]:
    texts = [d.text(base) for d in drafts]
    return [d for d, t in zip(drafts, texts, strict=True) if t in reserved or texts.count(t) > 1]


def _numbered(text: str, taken: set[str]) -> str:
    number = 2
    while f"{text} ({number})" in taken:
        number += 1
    return f"{text} ({number})"


# -- verification ------------------------------------------------------------------------


def verify_names(
    profile: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    min_std_diff: float = MIN_STD_DIFF,
    max_missing_share: float = MAX_MISSING_SHARE,
    vocabulary: VocabularyLike | None = None,
) -> pd.DataFrame:
    """Check every claim of every name against a profile; return the violations.

    Parameters
    ----------
    profile : DataFrame
        The output of :func:`metaseg.profile.profile_segments` (e.g. ``model.profiles_``).
    summary : DataFrame
        One row per sub-segment with ``base_segment``, ``sub_segment``, ``segment`` and
        ``segment_name`` (e.g. :func:`metaseg.profile.segment_summary`'s output or
        ``model.summary_``).
    names : mapping of str to str, optional
        User names by segment code (e.g. ``model.spec_.names``): they claim nothing and
        are only checked for uniqueness. Every other name must be automatic.
    min_std_diff, max_missing_share, vocabulary
        The rules and phrases the names were built with (see :func:`name_segments`).

    Returns
    -------
    DataFrame
        Columns :data:`VIOLATION_COLUMNS`, one row per violation, empty when every claim
        holds. ``claim`` is the phrase at fault, ``feature`` and ``direction`` the trait
        it stands for, ``problem`` what is wrong, in words; the numeric columns are the
        profile row's statistics (NaN when the violation is not about a trait). The
        violations are: a trait that fails a rule of the module docstring, a phrase of
        no profiled fact, an automatic name that does not start with its base segment,
        "unassigned" on a sub-segment other than noise, and a name shared by two
        sub-segments of one base segment.

    Raises
    ------
    ConfigError
        If an argument is invalid.
    DataError
        If ``profile`` is not a profile table or ``summary`` lacks a column.

    Examples
    --------
    >>> from metaseg.profile import profile_segments, segment_summary
    >>> facts = pd.DataFrame({"frequency": [1.0, 1.0, 5.0, 5.0]})
    >>> table = profile_segments(facts, ["a"] * 4, [0, 0, 1, 1], features=["frequency"])
    >>> verify_names(table, segment_summary(table)).empty
    True
    >>> wrong = segment_summary(table).assign(segment_name="a · frequent buyers")
    >>> found = verify_names(table, wrong)
    >>> found[["segment", "claim"]].values.tolist()
    [['a/0', ''], ['a/1', ''], ['a/0', 'frequent buyers']]
    >>> print(found["problem"].iloc[0])
    name shared with ['a/1'] in base segment 'a'
    >>> print(found["problem"].iloc[2])
    std_diff is -1.00; claiming 'high' needs +0.50 or beyond
    """
    check_profile(profile)
    rule = _check_rule(min_std_diff, max_missing_share)
    vocabulary = _check_vocabulary(vocabulary)
    _check_summary(summary)
    user = _user_codes(names)
    cells = {(str(r[schema.SEGMENT]), str(r[FEATURE])): r for r in profile.to_dict("records")}
    features_of: dict[str, list[str]] = {}
    for code, feature in cells:
        features_of.setdefault(code, []).append(feature)

    found = _shared_names(summary)
    for row in summary.to_dict("records"):
        if str(row[schema.SEGMENT]) not in user:
            found.extend(_name_violations(row, features_of, cells, rule, vocabulary))
    return _violation_table(found)


def _name_violations(
    row: Mapping[str, Any],
    features_of: Mapping[str, list[str]],
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
    rule: _Rule,
    vocabulary: VocabularyLike,
) -> list[dict[str, Any]]:
    """The violations of one summary row's automatic name."""
    code, name = str(row[schema.SEGMENT]), str(row[schema.SEGMENT_NAME])
    prefix = str(row[schema.BASE_SEGMENT]) + SEPARATOR
    if not name.startswith(prefix):
        problem = f"does not start with its base segment: automatic names read '{prefix}<traits>'"
        return [_violation(code, name, problem)]
    noise = int(row[schema.SUB_SEGMENT]) == schema.NOISE
    found = []
    for part in _NUMBER_SUFFIX.sub("", name[len(prefix) :]).split(SEPARATOR):
        if part == UNASSIGNED and not noise:
            found.append(_violation(code, name, "only the noise sub-segment is unassigned"))
        elif part not in (TYPICAL, UNASSIGNED):
            claim = _claim_violation(code, name, part, features_of, cells, rule, vocabulary)
            found.extend([claim] if claim else [])
    return found


def _claim_violation(
    code: str,
    name: str,
    part: str,
    features_of: Mapping[str, list[str]],
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
    rule: _Rule,
    vocabulary: VocabularyLike,
) -> dict[str, Any] | None:
    """The violation of one phrase of a name; None when a trait it stands for holds."""
    mix = parse_mix_phrase(part, [f for f in features_of.get(code, []) if is_mix(f, vocabulary)])
    if mix is not None:
        return _mix_violation(code, name, part, mix, cells, rule)
    traits = _phrase_traits(part, features_of.get(code, []), vocabulary)
    if not traits:
        problem = "is the phrase of no profiled fact of this sub-segment"
        return _violation(code, name, problem, claim=part)
    checked = [(_problem(cells[(code, f)], d, rule), f, d) for f, d in traits]
    if any(not problem for problem, _, _ in checked):
        return None
    problem, feature, direction = checked[0]
    return _violation(code, name, problem, part, feature, direction, cells[(code, feature)])


def _phrase_traits(
    part: str, features: Iterable[str], vocabulary: VocabularyLike
) -> list[tuple[str, str]]:
    """The (feature, direction) pairs whose phrase is ``part`` (mix phrases aside)."""
    return [
        (feature, direction)
        for feature in features
        for direction in DIRECTIONS
        if phrase(feature, direction, vocabulary) == part
    ]


def claimed_traits(
    profile_rows: pd.DataFrame,
    name: str,
    base: str,
    vocabulary: VocabularyLike | None = None,
) -> frozenset[tuple[str, str]]:
    """The traits an automatic name claims: ``(feature, direction)`` per phrase.

    Whether each holds is :func:`claim_problem`'s question; this only reads the name.

    Parameters
    ----------
    profile_rows : DataFrame
        The sub-segment's rows of the profile its name was built from (``feature``).
    name : str
        Its name, ``"<base> · <phrase> · ..."``; a name that does not start with
        ``base`` (a user name) claims nothing.
    base : str
        Its base segment.
    vocabulary : mapping, optional
        The phrases the name was built with (see :func:`name_segments`).

    Examples
    --------
    >>> rows = pd.DataFrame({"feature": ["frequency", "mix_garden", "mix_tools"]})
    >>> sorted(claimed_traits(rows, "a · frequent buyers · garden + tools (2)", "a"))
    [('frequency', 'high'), ('mix_garden', 'high'), ('mix_tools', 'high')]
    >>> claimed_traits(rows, "Garden lovers", "a")
    frozenset()
    """
    vocabulary = _check_vocabulary(vocabulary)
    prefix = base + SEPARATOR
    if not name.startswith(prefix):
        return frozenset()
    features = [str(f) for f in profile_rows[FEATURE]]
    mixes = [f for f in features if is_mix(f, vocabulary)]
    found: set[tuple[str, str]] = set()
    for part in _NUMBER_SUFFIX.sub("", name[len(prefix) :]).split(SEPARATOR):
        mix = parse_mix_phrase(part, mixes)
        if mix is not None:
            found.update((feature, "high") for feature, _ in mix)
        else:
            found.update(_phrase_traits(part, features, vocabulary))
    return frozenset(found)


def _mix_violation(
    code: str,
    name: str,
    part: str,
    claims: list[tuple[str, bool]],
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
    rule: _Rule,
) -> dict[str, Any] | None:
    """The violation of a category-mix phrase: every category must be verified "high"."""
    for feature, mostly in claims:
        cell = cells[(code, feature)]
        problem = _problem(cell, "high", rule)
        if not problem and mostly and not float(cell["median"]) >= MOSTLY_SHARE:
            problem = (
                f"the median share {float(cell['median']):.2f} is below {MOSTLY_SHARE}; "
                "'mostly' needs the median customer's majority"
            )
        if problem:
            return _violation(code, name, problem, part, feature, "high", cell)
    return None


def _shared_names(summary: pd.DataFrame) -> list[dict[str, Any]]:
    found = []
    keys = [schema.BASE_SEGMENT, schema.SEGMENT_NAME]
    for (base, name), block in summary.groupby(keys, sort=True):
        codes = [str(code) for code in block[schema.SEGMENT]]
        for code in codes if len(codes) > 1 else []:
            others = [other for other in codes if other != code]
            problem = f"name shared with {preview(others)} in base segment {base!r}"
            found.append(_violation(code, str(name), problem))
    return found


def _violation(
    code: str,
    name: str,
    problem: str,
    claim: str = "",
    feature: str = "",
    direction: str = "",
    cell: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    text = dict(zip(_TEXT_COLUMNS, (code, name, claim, feature, direction, problem), strict=True))
    numbers = {column: (cell or {}).get(column, math.nan) for column in VIOLATION_COLUMNS[6:]}
    return text | numbers


def _violation_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(VIOLATION_COLUMNS))
    for column in VIOLATION_COLUMNS:
        table[column] = table[column].astype("str" if column in _TEXT_COLUMNS else "float64")
    return table


# -- argument checks ---------------------------------------------------------------------


def _check_rule(min_std_diff: float, max_missing_share: float) -> _Rule:
    if not _is_number(min_std_diff) or min_std_diff < 0:
        raise ConfigError(
            f"min_std_diff must be a finite number >= 0 (e.g. {MIN_STD_DIFF}), got "
            f"{min_std_diff!r}."
        )
    if not _is_number(max_missing_share) or not 0 <= max_missing_share <= MAX_MISSING_SHARE:
        raise ConfigError(
            f"max_missing_share must be a number in [0, {MAX_MISSING_SHARE}] (beyond half "
            "missing, the median of the whole sub-segment is unbounded), got "
            f"{max_missing_share!r}."
        )
    return _Rule(float(min_std_diff), float(max_missing_share))


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _check_max_phrases(max_phrases: int) -> None:
    if isinstance(max_phrases, bool) or not isinstance(max_phrases, int) or max_phrases < 1:
        raise ConfigError(f"max_phrases must be an integer >= 1, got {max_phrases!r}.")


def _check_summary(summary: object) -> None:
    needed = (schema.BASE_SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT, schema.SEGMENT_NAME)
    if not isinstance(summary, pd.DataFrame):
        raise DataError(
            "summary must be the DataFrame returned by segment_summary (or model.summary_), "
            f"got {type(summary).__name__}."
        )
    missing = [column for column in needed if column not in summary.columns]
    if missing:
        raise DataError(
            f"summary lacks column(s) {preview(missing)}; pass the table returned by "
            "metaseg.profile.segment_summary (or model.summary_)."
        )


def _user_codes(names: Mapping[str, str] | None) -> set[str]:
    if names is None:
        return set()
    if not isinstance(names, Mapping):
        raise ConfigError(
            "names must map segment codes to user names, e.g. {'dormant/2': 'Sleeping "
            f"whales'}}, got {type(names).__name__}."
        )
    return {str(code) for code in names}


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
