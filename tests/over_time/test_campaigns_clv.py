"""campaign_report weighs conversions by expected CLV: which segment is worth the money."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import DataError
from metaseg.over_time.campaigns import CLV_COLUMNS, REPORT_COLUMNS, campaign_report


def _data() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    # segment a: 4 sent (2 convert: CLV 100 and 0), 2 held out (none converts)
    # segment b: 4 sent (2 convert: CLV 10, 10), 2 held out (1 converts, CLV 10)
    ids = list(range(12))
    labels = pd.DataFrame(
        {
            "customer_id": ids,
            "base_segment": ["a"] * 6 + ["b"] * 6,
            "segment": ["a/0"] * 6 + ["b/0"] * 6,
        }
    )
    outcomes = pd.DataFrame(
        {
            "customer_id": ids,
            "campaign": "c",
            "sent_at": "2025-03-01",
            "converted": [1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0],
            "holdout": [False] * 4 + [True] * 2 + [False] * 4 + [True] * 2,
        }
    )
    clv = pd.Series([100.0, 0.0, 50.0, 50.0, 40.0, 40.0] + [10.0] * 6, index=ids)
    return labels, outcomes, clv


def test_expected_clv_weighs_the_conversions() -> None:
    labels, outcomes, clv = _data()
    report = campaign_report(labels, outcomes, min_sends=1, expected_clv=clv)
    assert list(report.columns) == [*REPORT_COLUMNS, *CLV_COLUMNS]
    rows = report.set_index("segment")
    a, b, everyone = rows.loc["a/0"], rows.loc["b/0"], rows.loc["(all)"]
    # a: both have the same conversion uplift (0.5 vs 0 and 0.5 vs 0.5 -> b has none)...
    assert a["uplift"] == pytest.approx(0.5) and b["uplift"] == pytest.approx(0.0)
    # ... and by value: a converts 100 of 200 of expected CLV sent, none held out
    assert a["mean_expected_clv"] == pytest.approx(50.0)
    assert a["clv_weighted_rate"] == pytest.approx(0.5)
    assert a["clv_weighted_uplift"] == pytest.approx(0.5)
    assert a["expected_clv_gain_per_send"] == pytest.approx(25.0)
    assert b["clv_weighted_rate"] == pytest.approx(0.5)
    assert b["expected_clv_gain_per_send"] == pytest.approx(0.0)
    # the population: (100 + 10 + 10) of (200 + 40) sent CLV
    assert everyone["clv_weighted_rate"] == pytest.approx(120 / 240)
    assert a["clv_weighted_lift_vs_population"] == pytest.approx(0.5 / 0.5)


def test_without_expected_clv_the_report_is_unchanged() -> None:
    labels, outcomes, _ = _data()
    assert list(campaign_report(labels, outcomes, min_sends=1).columns) == list(REPORT_COLUMNS)


def test_expected_clv_errors_name_the_problem() -> None:
    labels, outcomes, clv = _data()
    with pytest.raises(DataError, match="no value for 1 send"):
        campaign_report(labels, outcomes, min_sends=1, expected_clv=clv.drop(3))
    with pytest.raises(DataError, match="finite and >= 0"):
        campaign_report(labels, outcomes, min_sends=1, expected_clv=clv.replace(0.0, -1.0))
    with pytest.raises(DataError, match="Series indexed by customer_id"):
        campaign_report(labels, outcomes, min_sends=1, expected_clv=clv.to_numpy())
