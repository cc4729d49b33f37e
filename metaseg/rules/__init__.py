"""Base segments from declarative rules: a safe YAML rule language and RuleSegmenter.

Rules are data, never code. A rules document (see :mod:`metaseg.rules.spec`) lists
segments in priority order, each with a typed condition tree
(:mod:`metaseg.rules.conditions`); optional scores turn facts into 1..N scores by
learned quantiles or fixed cuts (:mod:`metaseg.rules.scores`) and codes join them into
strings matched by a tiny pattern language (:mod:`metaseg.rules.patterns`). Size limits
are in :mod:`metaseg.rules.limits`.

Examples
--------
>>> import pandas as pd
>>> facts = pd.DataFrame({"recency_days": [5.0, 200.0, 500.0]})
>>> RuleSegmenter(rules='''
... segments:
...   - name: active
...     condition: {fact: recency_days, op: "<=", value: 90}
... catch_all: lapsed
... ''').fit_predict(facts).tolist()
['active', 'lapsed', 'lapsed']
"""

from __future__ import annotations

from metaseg.rules.combine import CombinedRuleSegmenter, rule_segmenter
from metaseg.rules.conditions import parse_condition
from metaseg.rules.coverage import Coverage
from metaseg.rules.evaluate import condition_mask
from metaseg.rules.presets import PRESET_NAMES, preset_path
from metaseg.rules.segmenter import RuleSegmenter
from metaseg.rules.spec import RuleSpec, ScoreSpec, SegmentSpec, parse_rules

__all__ = [
    "CombinedRuleSegmenter",
    "PRESET_NAMES",
    "Coverage",
    "RuleSegmenter",
    "RuleSpec",
    "ScoreSpec",
    "SegmentSpec",
    "condition_mask",
    "parse_condition",
    "parse_rules",
    "preset_path",
    "rule_segmenter",
]
