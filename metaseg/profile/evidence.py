"""The profile rows a sub-segment's automatic name rests on.

A sub-segment is named from how it differs from its parent. For most sub-segments the
parent is the base segment, and the evidence is the sub-segment's own rows of the
profile table. A sub-segment of a shared fit (``fit_on: shared``) is one base segment's
part of a group learned on the pooled customers of several base segments: it is named
from the whole group against the pool, so one group carries one name in every base
segment ("champions · home decor" and "loyal_customers · home decor"), instead of
passing the naming rule in one segment and missing it by a hair in the next.

:func:`name_evidence` builds that table: the profile, with the rows of every such
sub-segment replaced by its group's rows of the shared profile, under the sub-segment's
own code. Names are built from it (:func:`metaseg.profile.segment_summary`'s
``evidence``) and checked against it (:func:`metaseg.profile.verify_names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.exceptions import DataError
from metaseg.profile._table import FEATURE, check_profile

__all__ = ["NAMED_FROM", "name_evidence"]

#: Column of :func:`name_evidence`: the code of the rows the name reads (the
#: sub-segment's own code, or its shared group's code, e.g.
#: ``"champions + loyal_customers/0"``, whose base segment is the pool it is compared with).
NAMED_FROM: Final = "named_from"


def name_evidence(
    profile: pd.DataFrame,
    shared_profile: pd.DataFrame | None = None,
    groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The profile each sub-segment's automatic name is built from and checked against.

    Parameters
    ----------
    profile : DataFrame
        The output of :func:`metaseg.profile.profile_segments` (e.g. ``model.profiles_``):
        each sub-segment against its base segment.
    shared_profile : DataFrame, optional
        A profile of shared groups against their pool (e.g. ``model.shared_profiles_``).
    groups : mapping of str to str, optional
        Segment code -> the code of its group in ``shared_profile`` (e.g.
        ``model.shared_groups_``). Codes that are not in ``profile`` are ignored (a
        group can be empty in a base segment after an edit).

    Returns
    -------
    DataFrame
        ``profile``'s rows, in its order, plus the column :data:`NAMED_FROM`; the rows of
        every sub-segment in ``groups`` are its group's rows (statistics of the whole
        group, parent the pool) under the sub-segment's base segment, number and code.

    Raises
    ------
    DataError
        If a table is not a profile, or ``groups`` names a group ``shared_profile`` lacks.

    Examples
    --------
    >>> from metaseg.profile import profile_segments
    >>> facts = pd.DataFrame({"frequency": [1.0, 1.0, 5.0, 5.0, 2.0, 4.0]})
    >>> own = profile_segments(facts.iloc[:4], ["a"] * 4, [0, 0, 1, 1], features=["frequency"])
    >>> pool = profile_segments(facts, ["a + b"] * 6, [0, 0, 1, 1, 0, 1],
    ...                         features=["frequency"])
    >>> table = name_evidence(own, pool, {"a/0": "a + b/0"})
    >>> table[["segment", "named_from", "size"]].values.tolist()
    [['a/0', 'a + b/0', 3], ['a/1', 'a/1', 2]]
    """
    check_profile(profile)
    out = profile.copy()
    out[NAMED_FROM] = out[schema.SEGMENT].astype("str")
    if not groups:
        return out
    check_profile(shared_profile)
    codes = set(out[schema.SEGMENT].astype(str))
    wanted = {str(code): str(group) for code, group in groups.items() if str(code) in codes}
    by_group = dict(list(shared_profile.groupby(schema.SEGMENT, sort=False)))
    unknown = sorted({group for group in wanted.values() if group not in by_group})
    if unknown:
        raise DataError(
            f"shared groups {preview(unknown)} are not in the shared profile, whose groups "
            f"are {preview(sorted(by_group))}; pass the profile the groups were made with."
        )
    blocks = []
    for code, block in out.groupby(schema.SEGMENT, sort=False):
        if code in wanted:
            block = _as_segment(by_group[wanted[code]], block)
        blocks.append(block)
    joined = pd.concat(blocks).loc[out.index, list(out.columns)]
    return joined.astype(out.dtypes.to_dict()).reset_index(drop=True)


def _as_segment(group: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """A group's rows under one sub-segment's identifiers, feature for feature."""
    by_feature = group.set_index(FEATURE)
    missing = [f for f in own[FEATURE] if f not in by_feature.index]
    if missing:
        code = own[schema.SEGMENT].iloc[0]
        raise DataError(
            f"shared group {group[schema.SEGMENT].iloc[0]!r} has no profile row for "
            f"{preview(missing)}, which {code!r} is profiled on; pass the shared profile "
            "made with the same features."
        )
    rows = by_feature.loc[own[FEATURE].to_numpy()].reset_index()
    rows.index = own.index
    rows[NAMED_FROM] = rows[schema.SEGMENT].astype("str")
    for column in (schema.BASE_SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT):
        rows[column] = own[column].to_numpy()
    return rows
