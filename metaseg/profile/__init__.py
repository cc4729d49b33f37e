"""Profiles and names of sub-segments: size, share, what makes each differ from its parent.

Examples
--------
>>> import pandas as pd
>>> from metaseg.profile import profile_segments, segment_summary
>>> facts = pd.DataFrame({"avg_order_value": [20.0, 22.0, 90.0, 110.0]})
>>> profile = profile_segments(facts, ["dormant"] * 4, [0, 0, 1, 1],
...                            features=["avg_order_value"])
>>> segment_summary(profile)["segment_name"].tolist()
['dormant · small baskets', 'dormant · big baskets']
"""

from metaseg.profile._table import FEATURE, PROFILE_COLUMNS, check_profile
from metaseg.profile.naming import PHRASES, WINDOW_PHRASES, name_segments, phrase
from metaseg.profile.profiles import SUMMARY_COLUMNS, profile_segments, segment_summary

__all__ = [
    "FEATURE",
    "PHRASES",
    "PROFILE_COLUMNS",
    "SUMMARY_COLUMNS",
    "WINDOW_PHRASES",
    "check_profile",
    "name_segments",
    "phrase",
    "profile_segments",
    "segment_summary",
]
