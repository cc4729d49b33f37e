"""What the segment report says, computed from a fitted segmentation (pure, no I/O).

:func:`report_content` turns a fitted :class:`~metaseg.model.MetaSegmenter` (read
through its fitted tables only: ``metrics_``, ``summary_``, ``profiles_``,
``labels_``, ``spec_``) into plain dataclasses that the HTML template lays out: one
:class:`BaseSection` per base segment, one :class:`SubSection` per sub-segment. Nothing
here formats HTML; the template escapes every text it receives.

Migration is measured against a previous labels table (the champion's) on the
customers both label; sub-segment codes are compared only when the model's ids were
matched to the previous segmentation's (``identity_``, see
:meth:`~metaseg.model.MetaSegmenter.with_identities`), since ids of two independent
fits mean nothing to each other; otherwise the report says where customers came from
by base segment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.profile import FEATURE, NAMED_FROM, claim_problem, phrase
from metaseg.profile.mix_phrases import category_words, is_mix
from metaseg.profile.naming import claimed_traits

#: Bootstrap stability (mean adjusted Rand index) from which a split is called stable;
#: the default of the promotion gate ``QualityGates.min_stability``.
STABLE_AT: Final = 0.6
#: Most features shown in a sub-segment's profile (strongest differences first).
MAX_PROFILE_FEATURES: Final = 8
#: Most traits listed that a name does not claim (the strongest ones).
MAX_UNCLAIMED: Final = 3
#: Most previous segments listed as sources of a sub-segment's customers.
MAX_SOURCES: Final = 3
#: Fitted attributes the report reads.
_FITTED = ("metrics_", "summary_", "profiles_", "labels_", "spec_")
#: Columns of a campaign table (the output of ``metaseg.over_time.campaign_report``).
_CAMPAIGN_COLUMNS = ("campaign", "level", schema.BASE_SEGMENT, schema.SEGMENT, "sends")


@dataclass(frozen=True)
class Evidence:
    """One trait of a profile row: in the name or not, and why."""

    feature: str
    phrase: str
    direction: str
    mean: float
    parent_mean: float
    median: float
    parent_median: float
    std_diff: float
    missing_share: float
    in_name: bool
    problem: str


@dataclass(frozen=True)
class ProfileRow:
    """A feature of a sub-segment against its parent base segment."""

    feature: str
    mean: float
    parent_mean: float
    lift: float
    std_diff: float
    missing_share: float


@dataclass(frozen=True)
class Source:
    """Where some of a sub-segment's customers were in the previous segmentation."""

    label: str
    customers: int
    share: float


@dataclass(frozen=True)
class Migration:
    """Customers of a sub-segment compared with the previous labels."""

    common: int
    new_customers: int
    kept_share: float | None
    compared: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class CampaignRow:
    """One campaign's result for one group (a base segment or a sub-segment)."""

    campaign: str
    sends: int
    conversion_rate: float
    rate_low: float
    rate_high: float
    lift_vs_population: float
    uplift: float
    lift_vs_holdout: float
    enough_data: bool
    note: str


@dataclass(frozen=True)
class SubSection:
    """Everything the report shows about one sub-segment."""

    code: str
    sub_segment: int
    name: str
    named_by_user: bool
    size: int
    share_of_base: float
    share_of_all: float
    evidence: tuple[Evidence, ...]
    #: The shared group whose numbers the name reads (``fit_on: shared``), e.g.
    #: ``"champions + loyal_customers/0"``, its size, and the pool it is compared
    #: with; empty strings and 0 when the name reads the sub-segment against its base.
    named_from: str
    named_from_size: int
    compared_with: str
    profile: tuple[ProfileRow, ...]
    examples: tuple[str, ...]
    migration: Migration | None
    campaigns: tuple[CampaignRow, ...]


@dataclass(frozen=True)
class BaseSection:
    """A base segment, its metrics and its sub-segments."""

    name: str
    size: int
    share: float
    algorithm: str
    k: float
    silhouette: float
    noise_share: float
    stability: float
    stability_verdict: str
    reason: str
    subs: tuple[SubSection, ...]
    campaigns: tuple[CampaignRow, ...]


@dataclass(frozen=True)
class ReportContent:
    """The whole report: title, overall figures and one section per base segment."""

    title: str
    n_customers: int
    n_base_segments: int
    n_sub_segments: int
    as_of: str
    model: str
    overall: Mapping[str, float]
    sections: tuple[BaseSection, ...]
    previous: str | None
    migration_note: str
    has_campaigns: bool
    campaigns_note: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def report_content(
    model: Any,
    *,
    title: str | None = None,
    previous: pd.DataFrame | None = None,
    previous_name: str = "champion",
    campaigns: pd.DataFrame | None = None,
    n_examples: int = 5,
    model_label: str = "",
    random_state: int | None = 0,
) -> ReportContent:
    """Gather what the report shows about every base segment and sub-segment.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted segmentation (read, not modified).
    title : str, optional
        The page title (default "Segment report").
    previous : DataFrame, optional
        The previous segmentation's labels (``customer_id``, ``base_segment``,
        ``segment``), e.g. the champion's; adds the migration of every sub-segment.
    previous_name : str
        How the report calls the previous segmentation.
    campaigns : DataFrame, optional
        Campaign results, the output of :func:`metaseg.over_time.campaign_report`.
    n_examples : int
        Example customers shown per sub-segment (drawn with ``random_state``).
    model_label : str
        Which model this is (e.g. ``shop version 3``), shown under the title.
    random_state : int or None
        Seed of the draw of example customers.

    Returns
    -------
    ReportContent

    Raises
    ------
    ConfigError
        If ``n_examples`` is not a non-negative integer.
    DataError
        If ``previous`` or ``campaigns`` lacks a column.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> content = report_content(model)
    >>> content.n_customers, sum(section.size for section in content.sections)
    (1500, 1500)
    """
    _check_model(model)
    if isinstance(n_examples, bool) or not isinstance(n_examples, int) or n_examples < 0:
        raise ConfigError(f"n_examples must be an integer >= 0, got {n_examples!r}.")
    labels = model.labels_
    user_names = set((model.spec_.names or {}).keys())
    examples = _examples(labels, n_examples, random_state)
    migration, migration_note = _migrations(model, previous, previous_name)
    campaign_rows = _campaign_rows(campaigns)
    summary = model.summary_
    profiles = model.profiles_
    evidence = model.name_evidence()
    sections = []
    for base, row in model.metrics_.iterrows():
        block = summary[summary[schema.BASE_SEGMENT] == base]
        subs = tuple(
            _sub_section(
                sub,
                profiles[profiles[schema.SEGMENT] == sub[schema.SEGMENT]],
                evidence[evidence[schema.SEGMENT] == sub[schema.SEGMENT]],
                user_names,
                examples,
                migration,
                campaign_rows,
            )
            for sub in block.to_dict("records")
        )
        stability = _float(row.get("stability"))
        sections.append(
            BaseSection(
                name=str(base),
                size=int(row["n_customers"]),
                share=_float(row["share"]),
                algorithm=str(row["algorithm"]),
                k=_float(row.get("k")),
                silhouette=_float(row.get("silhouette")),
                noise_share=_float(row.get("noise_share")),
                stability=stability,
                stability_verdict=_verdict(stability, bool(row["split"])),
                reason=str(row.get("reason") or ""),
                subs=subs,
                campaigns=campaign_rows.get((schema.BASE_SEGMENT, str(base)), ()),
            )
        )
    as_of = getattr(model, "as_of_", None)
    return ReportContent(
        title=title or "Segment report",
        n_customers=len(labels),
        n_base_segments=int((model.metrics_["n_customers"] > 0).sum()),
        n_sub_segments=len(summary),
        as_of="" if as_of is None else pd.Timestamp(as_of).isoformat(),
        model=model_label,
        overall={str(k): _float(v) for k, v in getattr(model, "overall_metrics_", {}).items()},
        sections=tuple(sections),
        previous=None if previous is None else previous_name,
        migration_note=migration_note,
        has_campaigns=campaigns is not None,
        campaigns_note=_campaigns_note(campaigns),
    )


# ------------------------------------------------------------------ sections
def _sub_section(
    sub: Mapping[str, Any],
    profile: pd.DataFrame,
    evidence: pd.DataFrame,
    user_names: set[str],
    examples: Mapping[str, tuple[str, ...]],
    migration: Mapping[str, Migration],
    campaigns: Mapping[tuple[str, str], tuple[CampaignRow, ...]],
) -> SubSection:
    code = str(sub[schema.SEGMENT])
    name = str(sub[schema.SEGMENT_NAME])
    by_user = code in user_names
    named_from = str(evidence[NAMED_FROM].iloc[0]) if len(evidence) else code
    shared = named_from != code
    claimed = (
        frozenset() if by_user else claimed_traits(evidence, name, str(sub[schema.BASE_SEGMENT]))
    )
    return SubSection(
        code=code,
        sub_segment=int(sub[schema.SUB_SEGMENT]),
        name=name,
        named_by_user=by_user,
        size=int(sub["size"]),
        share_of_base=_float(sub["share_of_base"]),
        share_of_all=_float(sub["share_of_all"]),
        evidence=_evidence(evidence, claimed),
        named_from=named_from if shared else "",
        named_from_size=int(evidence["size"].iloc[0]) if shared else 0,
        compared_with=named_from.rpartition("/")[0] if shared else "",
        profile=_profile_rows(profile),
        examples=examples.get(code, ()),
        migration=migration.get(code),
        campaigns=campaigns.get((schema.SEGMENT, code), ()),
    )


def _ranked(profile: pd.DataFrame) -> pd.DataFrame:
    strength = profile["std_diff"].abs().fillna(-1.0)
    order = np.lexsort((profile[FEATURE].astype(str).to_numpy(), -strength.to_numpy()))
    return profile.iloc[order]


def _evidence(profile: pd.DataFrame, claimed: frozenset[tuple[str, str]]) -> tuple[Evidence, ...]:
    """The traits the name claims, then the strongest differences it does not claim."""
    out = []
    for row in _ranked(profile).to_dict("records"):
        std_diff = _float(row["std_diff"])
        if not math.isfinite(std_diff) or std_diff == 0:
            continue
        feature = str(row[FEATURE])
        direction = "high" if std_diff > 0 else "low"
        problem = claim_problem(row, direction)
        in_name = (feature, direction) in claimed and not problem
        if not in_name and sum(not e.in_name for e in out) >= MAX_UNCLAIMED:
            continue
        out.append(
            Evidence(
                feature=feature,
                phrase=_trait_words(feature, direction),
                direction=direction,
                mean=_float(row["mean"]),
                parent_mean=_float(row["parent_mean"]),
                median=_float(row["median"]),
                parent_median=_float(row["parent_median"]),
                std_diff=std_diff,
                missing_share=_float(row["missing_share"]),
                in_name=in_name,
                problem=problem or ("" if in_name else "not among the traits the name lists"),
            )
        )
    return tuple(sorted(out, key=lambda e: not e.in_name))


def _trait_words(feature: str, direction: str) -> str:
    """A trait in words: its phrase, or for a category share the category and the side."""
    if is_mix(feature):
        return f"{category_words(feature)} ({'more' if direction == 'high' else 'less'})"
    return phrase(feature, direction)


def _profile_rows(profile: pd.DataFrame) -> tuple[ProfileRow, ...]:
    rows = _ranked(profile).head(MAX_PROFILE_FEATURES).to_dict("records")
    return tuple(
        ProfileRow(
            feature=str(r[FEATURE]),
            mean=_float(r["mean"]),
            parent_mean=_float(r["parent_mean"]),
            lift=_float(r["lift"]),
            std_diff=_float(r["std_diff"]),
            missing_share=_float(r["missing_share"]),
        )
        for r in rows
    )


def _examples(
    labels: pd.DataFrame, n_examples: int, random_state: int | None
) -> dict[str, tuple[str, ...]]:
    """Up to ``n_examples`` customer ids per segment code, drawn with the seed."""
    if n_examples == 0 or labels.empty:
        return {}
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(labels))
    shuffled = labels.iloc[order]
    picked = shuffled.groupby(schema.SEGMENT, sort=False).head(n_examples)
    out: dict[str, list[str]] = {}
    for code, customer in zip(picked[schema.SEGMENT], picked[schema.CUSTOMER_ID], strict=True):
        out.setdefault(str(code), []).append(str(customer))
    return {code: tuple(ids) for code, ids in out.items()}


def _migrations(
    model: Any, previous: pd.DataFrame | None, previous_name: str
) -> tuple[dict[str, Migration], str]:
    if previous is None:
        return {}, ""
    from metaseg.alignment import align_labels

    _require("previous", previous, (schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SEGMENT))
    current = model.labels_
    aligned = align_labels(
        previous,
        current,
        (schema.BASE_SEGMENT, schema.SEGMENT),
        names=(f"{previous_name} labels", "labels"),
        owner="report",
    )
    matched = getattr(model, "identity_", None) is not None
    column = schema.SEGMENT if matched else schema.BASE_SEGMENT
    before = aligned.column(column, 0).astype(str).to_numpy()
    after_code = aligned.column(schema.SEGMENT, 1).astype(str).to_numpy()
    after_base = aligned.column(schema.BASE_SEGMENT, 1).astype(str).to_numpy()
    counts = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([after_code, before]))
        .groupby(level=[0, 1])
        .sum()
    )
    sizes = current[schema.SEGMENT].astype(str).value_counts()
    out: dict[str, Migration] = {}
    for code, size in sizes.items():
        part = counts.loc[code] if code in counts.index.get_level_values(0) else pd.Series()
        common = int(part.sum())
        part = part.sort_values(ascending=False, kind="stable")
        target = code if matched else after_base[after_code == code][0] if common else None
        kept = int(part.get(target, 0)) if target is not None else 0
        out[str(code)] = Migration(
            common=common,
            new_customers=int(size) - common,
            kept_share=kept / common if common else None,
            compared="sub-segment" if matched else "base segment",
            sources=tuple(
                Source(str(label), int(n), int(n) / common)
                for label, n in part.head(MAX_SOURCES).items()
            ),
        )
    if matched:
        note = (
            f"Sub-segment ids were matched to the {previous_name}'s, so 'kept' counts customers "
            "who stayed in the same sub-segment."
        )
    else:
        note = (
            f"This model's sub-segment ids were not matched to the {previous_name}'s (two "
            "independent fits number their sub-segments independently), so migration is "
            "shown by base segment: 'kept' counts customers who stayed in the same base segment."
        )
    note += (
        f" {aligned.n_common:,} customers are labelled by both, {aligned.n_only_second:,} only "
        f"by this model, {aligned.n_only_first:,} only by the {previous_name}."
    )
    return out, note


def _campaign_rows(
    campaigns: pd.DataFrame | None,
) -> dict[tuple[str, str], tuple[CampaignRow, ...]]:
    if campaigns is None:
        return {}
    _require("campaigns", campaigns, _CAMPAIGN_COLUMNS)
    out: dict[tuple[str, str], list[CampaignRow]] = {}
    for row in campaigns.to_dict("records"):
        level = str(row["level"])
        if level == schema.BASE_SEGMENT:
            key = (level, str(row[schema.BASE_SEGMENT]))
        elif level == schema.SEGMENT:
            key = (level, str(row[schema.SEGMENT]))
        else:
            continue
        out.setdefault(key, []).append(
            CampaignRow(
                campaign=str(row["campaign"]),
                sends=int(row["sends"]),
                conversion_rate=_float(row.get("conversion_rate")),
                rate_low=_float(row.get("rate_low")),
                rate_high=_float(row.get("rate_high")),
                lift_vs_population=_float(row.get("lift_vs_population")),
                uplift=_float(row.get("uplift")),
                lift_vs_holdout=_float(row.get("lift_vs_holdout")),
                enough_data=bool(row.get("enough_data", True)),
                note=str(row.get("note") or ""),
            )
        )
    return {key: tuple(rows) for key, rows in out.items()}


def _campaigns_note(campaigns: pd.DataFrame | None) -> str:
    if campaigns is None:
        return ""
    names = sorted({str(c) for c in campaigns["campaign"]})
    return f"{len(names)} campaign(s): {', '.join(names)}." if names else "No campaign sends."


# ------------------------------------------------------------------ helpers
def _verdict(stability: float, split: bool) -> str:
    if not split:
        return "not split"
    if not math.isfinite(stability):
        return "not measured"
    return "stable" if stability >= STABLE_AT else "unstable"


def _float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return number


def _require(what: str, frame: Any, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"report: {what} must be a DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"report: {what} lacks the column(s) {preview(missing)}; available: "
            f"{available(frame.columns)}."
        )


def _check_model(model: Any) -> None:
    missing = [name for name in _FITTED if not hasattr(model, name)]
    if missing:
        raise ConfigError(
            f"report: model must be a fitted metaseg MetaSegmenter, got {type(model).__name__} "
            f"without {missing[0]}. Fit it with MetaSegmenter(...).fit(facts) or load a "
            "registered one with metaseg.tracking.load_champion(name).model."
        )
