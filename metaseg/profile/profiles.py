"""Profiles of sub-segments: size, share and how each differs from its base segment.

All statistics are computed on the raw fact values (their own units), with one grouped
pass per statistic, so the cost grows with customers × features, not with the number of
segments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.features.presets import expand_features
from metaseg.profile._table import (
    FEATURE,
    canonical_order,
    check_profile,
    ranked_features,
)
from metaseg.profile.naming import (
    MAX_MISSING_SHARE,
    MIN_STD_DIFF,
    VocabularyLike,
    name_segments,
)

#: Columns of the table returned by :func:`segment_summary`, in order.
SUMMARY_COLUMNS: Final = (
    schema.BASE_SEGMENT,
    schema.SUB_SEGMENT,
    schema.SEGMENT,
    "size",
    "share_of_base",
    "share_of_all",
    "top_features",
    schema.SEGMENT_NAME,
)


def profile_segments(
    facts: pd.DataFrame,
    base_segments: pd.Series | Iterable[object],
    sub_segments: pd.Series | Iterable[int],
    *,
    features: str | Iterable[str],
) -> pd.DataFrame:
    """Describe every sub-segment against its base segment, one row per feature.

    Parameters
    ----------
    facts : DataFrame
        One row per customer.
    base_segments : Series or array-like
        Base segment of each customer; a Series is aligned on ``facts.index``.
    sub_segments : Series or array-like of int
        Sub-segment of each customer inside its base segment; ``-1`` (noise) is
        profiled like the others.
    features : str or iterable of str
        Numeric facts to profile; preset names (``"rfm"``, ...) are expanded.

    Returns
    -------
    DataFrame
        Columns ``metaseg.profile.PROFILE_COLUMNS``, one row per (base segment, sub-segment,
        feature), base segments sorted, sub-segments ascending with noise last, features
        in the given order. ``size`` counts customers; ``share_of_base`` and
        ``share_of_all`` divide it by the base segment's and by everyone's size.
        ``mean`` and ``median`` skip missing values and ``missing_share`` is the share of
        the sub-segment's customers missing the fact. ``median_lower`` and
        ``median_upper`` bound the median of the *whole* sub-segment whatever its missing
        values are: its median if every missing value were below (above) every known
        one. They equal ``median`` when nothing is missing and are NaN when half of the
        sub-segment or more is missing (a missing value is then a middle value, so the
        median is unbounded). ``parent_*`` describe the whole base segment (noise
        included); ``parent_missing_share`` is the share of its customers missing the
        fact and ``parent_std`` is the population standard deviation (``ddof=0``).
        ``lift = mean / parent_mean`` (NaN when ``parent_mean`` is 0 or missing) and
        ``std_diff = (mean - parent_mean) / parent_std`` (0 when the fact is constant in
        the base segment, NaN when a mean is missing).

    Raises
    ------
    ConfigError
        If a feature is not a column of ``facts`` or is not numeric.
    DataError
        If the segment labels are missing, misaligned or not integers.

    Examples
    --------
    >>> facts = pd.DataFrame({"frequency": [1.0, 1.0, 5.0, 5.0]})
    >>> table = profile_segments(facts, ["a"] * 4, [0, 0, 1, 1], features=["frequency"])
    >>> table[["segment", "mean", "lift", "std_diff"]].values.tolist()
    [['a/0', 1.0, 0.3333333333333333, -1.0], ['a/1', 5.0, 1.6666666666666667, 1.0]]
    """
    if not isinstance(facts, pd.DataFrame):
        raise DataError(f"facts must be a pandas DataFrame, got {type(facts).__name__}.")
    names = _numeric_features(facts, features)
    base = _base_labels(base_segments, facts)
    sub = _sub_labels(sub_segments, facts)
    values = pd.DataFrame(
        {name: facts[name].to_numpy(dtype="float64", na_value=np.nan) for name in names},
        index=pd.RangeIndex(len(facts)),
    )

    grouped = values.groupby([base, sub], sort=True)
    mean, median, count = grouped.mean(), grouped.median(), grouped.count()
    size = grouped.size()
    parent = values.groupby(base, sort=True)
    parent_size = parent.size()
    group_base = mean.index.get_level_values(0)
    group_sub = mean.index.get_level_values(1).to_numpy(dtype="int64")
    order = canonical_order(
        pd.DataFrame({schema.BASE_SEGMENT: group_base, schema.SUB_SEGMENT: group_sub})
    )

    def cells(table: pd.DataFrame) -> np.ndarray:
        return table.to_numpy(dtype="float64")[order].ravel()

    def parent_cells(table: pd.DataFrame) -> np.ndarray:
        return cells(table.reindex(group_base))

    n_features = len(names)
    sizes = size.to_numpy(dtype="int64")[order]
    base_sizes = parent_size.reindex(group_base).to_numpy(dtype="int64")[order]
    codes = [
        schema.segment_code(b, s) for b, s in zip(group_base[order], group_sub[order], strict=True)
    ]
    means, parent_means = cells(mean), parent_cells(parent.mean())
    parent_stds = parent_cells(parent.std(ddof=0))
    lower, upper = _median_bounds(values, grouped.ngroup().to_numpy(), median, size)
    out = pd.DataFrame(
        {
            schema.BASE_SEGMENT: np.repeat(np.asarray(group_base[order], dtype=object), n_features),
            schema.SUB_SEGMENT: np.repeat(group_sub[order], n_features),
            schema.SEGMENT: np.repeat(np.asarray(codes, dtype=object), n_features),
            FEATURE: np.tile(np.asarray(names, dtype=object), len(order)),
            "size": np.repeat(sizes, n_features),
            "share_of_base": np.repeat(sizes / base_sizes, n_features),
            "share_of_all": np.repeat(sizes / len(facts), n_features),
            "mean": means,
            "median": cells(median),
            "median_lower": cells(lower),
            "median_upper": cells(upper),
            "missing_share": 1.0 - cells(count) / np.repeat(sizes, n_features),
            "parent_mean": parent_means,
            "parent_median": parent_cells(parent.median()),
            "parent_missing_share": 1.0 - parent_cells(parent.count().div(parent_size, axis=0)),
            "parent_std": parent_stds,
            "lift": _safe_ratio(means, parent_means),
            "std_diff": _std_diff(means, parent_means, parent_stds),
        }
    )
    for column in (schema.BASE_SEGMENT, schema.SEGMENT, FEATURE):
        out[column] = out[column].astype("str")
    return out


def segment_summary(
    profile: pd.DataFrame,
    *,
    top_n: int = 3,
    min_std_diff: float = MIN_STD_DIFF,
    max_missing_share: float = MAX_MISSING_SHARE,
    max_phrases: int = 3,
    names: Mapping[str, str] | None = None,
    vocabulary: VocabularyLike | None = None,
    evidence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Summarise a profile into one row per sub-segment, with a name.

    Parameters
    ----------
    profile : DataFrame
        The output of :func:`profile_segments`.
    top_n : int
        How many distinguishing features to list, ranked by ``|std_diff|``.
    min_std_diff, max_missing_share, max_phrases, names, vocabulary
        Passed to :func:`metaseg.profile.naming.name_segments`: a name claims a trait only
        when the numbers back it (see :mod:`metaseg.profile.naming`).
    evidence : DataFrame, optional
        The profile the names are built from, with the same sub-segments as ``profile``
        (:func:`metaseg.profile.name_evidence`'s output, where the sub-segments of a
        shared fit read their group against the pool); ``profile`` by default. Sizes and
        ``top_features`` always come from ``profile``.

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS` in the profile's order. ``top_features`` reads
        like ``"avg_order_value (+1.84), frequency (-0.90)"`` (feature and signed
        ``std_diff``, whether or not a name may claim it); ``segment_name`` is the
        automatic or overriding name; :func:`metaseg.profile.verify_names` checks it.

    Examples
    --------
    >>> facts = pd.DataFrame({"frequency": [1.0, 1.0, 5.0, 5.0]})
    >>> table = profile_segments(facts, ["a"] * 4, [0, 0, 1, 1], features=["frequency"])
    >>> segment_summary(table)[["segment", "top_features", "segment_name"]].values.tolist()
    [['a/0', 'frequency (-1.00)', 'a · rare buyers'], ['a/1', 'frequency (+1.00)', 'a · frequent buyers']]
    """
    check_profile(profile)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ConfigError(f"top_n must be an integer >= 1, got {top_n!r}.")
    segment_names = name_segments(
        _checked_evidence(profile, evidence),
        min_std_diff=min_std_diff,
        max_missing_share=max_missing_share,
        max_phrases=max_phrases,
        names=names,
        vocabulary=vocabulary,
    )
    summary = profile.drop_duplicates(schema.SEGMENT)
    summary = summary.iloc[canonical_order(summary)][list(SUMMARY_COLUMNS[:6])]
    summary = summary.reset_index(drop=True)

    top = ranked_features(profile).groupby(schema.SEGMENT, sort=False).head(top_n)
    signed = top["std_diff"].map(lambda value: f"{value:+.2f}").astype("str")
    text = top[FEATURE].astype("str") + " (" + signed + ")"
    joined = text.groupby(top[schema.SEGMENT], sort=False).agg(", ".join)
    # one entry per sub-segment: a list keeps the text dtype even when nothing is ranked
    summary["top_features"] = pd.Series(
        [joined.get(code, "") for code in summary[schema.SEGMENT]], index=summary.index, dtype="str"
    )
    summary[schema.SEGMENT_NAME] = summary[schema.SEGMENT].map(segment_names).astype("str")
    return summary[list(SUMMARY_COLUMNS)]


# -- helpers -----------------------------------------------------------------------------


def _checked_evidence(profile: pd.DataFrame, evidence: pd.DataFrame | None) -> pd.DataFrame:
    """``evidence`` (or ``profile``), refused unless it holds the same sub-segments."""
    if evidence is None:
        return profile
    check_profile(evidence)
    own, named = set(profile[schema.SEGMENT]), set(evidence[schema.SEGMENT])
    if own != named:
        raise DataError(
            f"evidence must hold the sub-segments of the profile: {preview(sorted(own - named))} "
            f"are missing and {preview(sorted(named - own))} are extra. Pass "
            "name_evidence(profile, ...) of this profile."
        )
    return evidence


def _numeric_features(facts: pd.DataFrame, features: str | Iterable[str]) -> list[str]:
    names, origin = expand_features(features)
    if not names:
        raise ConfigError("features must name at least one numeric fact, got an empty list.")
    for name in names:
        came_from = f" (from preset {origin[name]!r})" if name in origin else ""
        if name not in facts.columns:
            raise ConfigError(
                f"profile feature {name!r}{came_from} is not a column of the facts."
                f"{did_you_mean(name, facts.columns)} Available: {available(facts.columns)}."
            )
        dtype = facts[name].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ConfigError(
                f"profile feature {name!r} has dtype {dtype}; profiles describe numeric "
                "facts (means, medians). Remove it from 'features' or profile a numeric "
                "fact derived from it."
            )
    return names


def _aligned(labels: pd.Series | Iterable[object], facts: pd.DataFrame, what: str) -> pd.Series:
    if isinstance(labels, pd.Series):
        if not labels.index.equals(facts.index):
            if not labels.index.is_unique or not facts.index.isin(labels.index).all():
                absent = facts.index[~facts.index.isin(labels.index)]
                raise DataError(
                    f"{what} is not indexed like the facts: {len(absent):,} customer row(s) "
                    f"have no label (e.g. index {preview(absent.tolist(), limit=3)}) or the "
                    f"index has duplicates. Pass labels indexed like the facts."
                )
            labels = labels.reindex(facts.index)
        values = labels.reset_index(drop=True)
    else:
        values = pd.Series(list(labels) if not isinstance(labels, np.ndarray) else labels)
        if len(values) != len(facts):
            raise DataError(
                f"{what} has {len(values):,} labels for {len(facts):,} customers; give one "
                "label per row of the facts."
            )
    missing = values.isna()
    if missing.any():
        raise DataError(
            f"{what} is missing for {int(missing.sum()):,} customer(s) (e.g. facts rows "
            f"{preview(np.flatnonzero(missing.to_numpy())[:3].tolist())}); every customer "
            "needs a label (use the catch-all base segment, or sub-segment -1)."
        )
    return values


def _base_labels(labels: pd.Series | Iterable[object], facts: pd.DataFrame) -> pd.Series:
    return _aligned(labels, facts, "base_segments").astype("str").rename(schema.BASE_SEGMENT)


def _sub_labels(labels: pd.Series | Iterable[int], facts: pd.DataFrame) -> pd.Series:
    values = _aligned(labels, facts, "sub_segments")
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() | (numeric != np.round(numeric)) | (numeric < schema.NOISE)
    if bad.any():
        raise DataError(
            f"sub_segments must be integers >= {schema.NOISE} ({schema.NOISE} = noise); "
            f"got {preview(values[bad].unique().tolist(), limit=3)} in {int(bad.sum()):,} "
            "row(s)."
        )
    return numeric.astype("int64").rename(schema.SUB_SEGMENT)


def _median_bounds(
    values: pd.DataFrame, group: np.ndarray, median: pd.DataFrame, size: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bounds of each group's median over all its rows, whatever its missing values are.

    Parameters
    ----------
    values : DataFrame
        One row per customer, one column per feature.
    group : ndarray of int
        Group number of each row, ``0 .. len(median) - 1`` in the order of ``median``.
    median : DataFrame
        The groups' medians of the known values (one row per group).
    size : Series
        The groups' sizes, in the same order.

    Returns
    -------
    (DataFrame, DataFrame)
        Shaped like ``median``: the median of all the group's rows with every missing
        value put below (lower bound) or above (upper bound) every known one; the median
        itself where nothing is missing, NaN where a missing value would be a middle one.
    """
    sizes = size.to_numpy(dtype="int64")
    lower = pd.DataFrame(np.nan, index=median.index, columns=median.columns)
    upper = lower.copy()
    for name in values.columns:
        column = values[name].to_numpy(dtype="float64")
        known = ~np.isnan(column)
        ordered = _sorted_by_group(group[known], column[known])
        counts = np.bincount(group[known], minlength=len(sizes))
        starts = np.cumsum(counts) - counts
        missing = sizes - counts
        exact = median[name].to_numpy(dtype="float64")
        complete = missing == 0
        lower[name] = np.where(complete, exact, _middle(ordered, starts, counts, sizes, missing))
        upper[name] = np.where(complete, exact, _middle(ordered, starts, counts, sizes, 0))
    return lower, upper


def _sorted_by_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    return value[np.lexsort((value, group))]


def _middle(
    ordered: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    shift: np.ndarray | int,
) -> np.ndarray:
    """Median of each group whose known values take the ranks ``shift`` onwards.

    A group has ``sizes`` rows and ``counts`` known values, sorted in ``ordered`` from
    ``starts``; its missing values take the other ranks. NaN where a middle rank is not a
    known value.
    """
    first = (sizes - 1) // 2 - shift  # ranks of the middle pair among the known values
    second = sizes // 2 - shift
    ok = (counts > 0) & (first >= 0) & (second < counts)
    out = np.full(len(counts), np.nan)
    out[ok] = (ordered[starts[ok] + first[ok]] + ordered[starts[ok] + second[ok]]) / 2.0
    return out


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    ok = np.isfinite(numerator) & np.isfinite(denominator) & (denominator != 0)
    np.divide(numerator, denominator, out=out, where=ok)
    return out


def _std_diff(mean: np.ndarray, parent_mean: np.ndarray, parent_std: np.ndarray) -> np.ndarray:
    out = _safe_ratio(mean - parent_mean, parent_std)
    constant = np.isfinite(mean) & np.isfinite(parent_mean) & (parent_std == 0)
    out[constant] = 0.0
    return out
