"""Profiles and names of sub-segments: size, share, what makes each differ from its parent.

Every trait a name claims is backed by the profile (mean, median and missing values;
see :mod:`metaseg.profile.naming`), and :func:`verify_names` re-checks them.

Examples
--------
>>> import pandas as pd
>>> from metaseg.profile import profile_segments, segment_summary, verify_names
>>> facts = pd.DataFrame({"avg_order_value": [20.0, 22.0, 90.0, 110.0]})
>>> profile = profile_segments(facts, ["dormant"] * 4, [0, 0, 1, 1],
...                            features=["avg_order_value"])
>>> summary = segment_summary(profile)
>>> summary["segment_name"].tolist()
['dormant · small baskets', 'dormant · big baskets']
>>> verify_names(profile, summary).empty
True
"""

from metaseg.profile._table import FEATURE, PROFILE_COLUMNS, check_profile
from metaseg.profile.evidence import NAMED_FROM, name_evidence
from metaseg.profile.naming import (
    MAX_MISSING_SHARE,
    MIN_STD_DIFF,
    PHRASES,
    VIOLATION_COLUMNS,
    WINDOW_PHRASES,
    claim_problem,
    name_segments,
    phrase,
    verify_names,
)
from metaseg.profile.profiles import SUMMARY_COLUMNS, profile_segments, segment_summary

__all__ = [
    "FEATURE",
    "MAX_MISSING_SHARE",
    "MIN_STD_DIFF",
    "NAMED_FROM",
    "PHRASES",
    "PROFILE_COLUMNS",
    "SUMMARY_COLUMNS",
    "VIOLATION_COLUMNS",
    "WINDOW_PHRASES",
    "check_profile",
    "claim_problem",
    "name_evidence",
    "name_segments",
    "phrase",
    "profile_segments",
    "segment_summary",
    "verify_names",
]
