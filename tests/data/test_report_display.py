"""The data report and rule coverage render as HTML in notebooks."""

from __future__ import annotations

import pandas as pd

from metaseg.data.report import DataReport
from metaseg.rules import RuleSegmenter


def test_data_report_html_lists_every_entry():
    report = DataReport()
    report.add("validate_events", "dropped", "null customer_id", rows=3, column="customer_id")
    html = report._repr_html_()
    assert "3 rows dropped" in html and "<table" in html and "null customer_id" in html


def test_rule_coverage_html_lists_every_segment():
    facts = pd.DataFrame({"recency_days": [5.0, 200.0, 500.0]})
    rules = (
        "segments:\n  - name: active\n    condition: {fact: recency_days, op: '<=', value: 90}\n"
    )
    seg = RuleSegmenter(rules=rules).fit(facts)
    html = seg.coverage_._repr_html_()
    assert "3 customers" in html and "active" in html and "<table" in html
