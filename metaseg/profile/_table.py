"""The profile table's columns, its check, and the ranking of distinguishing features."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.exceptions import DataError

FEATURE: Final = "feature"

#: Columns of the table returned by :func:`metaseg.profile.profile_segments`, in order.
PROFILE_COLUMNS: Final = (
    schema.BASE_SEGMENT,
    schema.SUB_SEGMENT,
    schema.SEGMENT,
    FEATURE,
    "size",
    "share_of_base",
    "share_of_all",
    "mean",
    "median",
    "median_lower",
    "median_upper",
    "missing_share",
    "parent_mean",
    "parent_median",
    "parent_missing_share",
    "parent_std",
    "lift",
    "std_diff",
)


def check_profile(profile: object) -> pd.DataFrame:
    """Raise a DataError unless ``profile`` has the columns of ``profile_segments``."""
    if not isinstance(profile, pd.DataFrame):
        raise DataError(
            "profile must be the DataFrame returned by profile_segments, got "
            f"{type(profile).__name__}."
        )
    missing = [c for c in PROFILE_COLUMNS if c not in profile.columns]
    if missing:
        raise DataError(
            f"profile lacks column(s) {preview(missing)}; pass the table returned by "
            "metaseg.profile.profile_segments (a table saved by an older version lacks the "
            "median bounds and parent_missing_share: profile the facts again)."
        )
    return profile


def canonical_order(frame: pd.DataFrame) -> np.ndarray:
    """Return positions sorting rows by base segment, then sub-segment with noise last."""
    sub = frame[schema.SUB_SEGMENT].to_numpy(dtype="int64")
    base = frame[schema.BASE_SEGMENT].to_numpy(dtype=object)
    return np.lexsort((sub, sub == schema.NOISE, base))


def ranked_features(profile: pd.DataFrame, *, min_strength: float = 0.0) -> pd.DataFrame:
    """Return the profile rows with ``|std_diff| > 0`` and ``>= min_strength``, strongest first.

    Rows are grouped by segment in canonical order; inside a segment, ties in
    ``|std_diff|`` are broken by feature name, so the ranking never depends on row order.
    """
    strength = profile["std_diff"].abs()
    keep = strength.notna() & (strength > 0) & (strength >= min_strength)
    rows = profile.loc[keep].assign(_strength=strength[keep])
    rows = rows.sort_values([FEATURE], kind="stable").sort_values(
        "_strength", ascending=False, kind="stable"
    )
    return rows.iloc[canonical_order(rows)] if len(rows) else rows
