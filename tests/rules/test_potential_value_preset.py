"""The potential_value preset on hand-built facts and on the CDNOW sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg.rules import PRESET_NAMES, RuleSegmenter


def test_quadrants_and_at_risk_on_hand_built_facts() -> None:
    # eight buyers: monetary and clv split in halves among buyers; one never bought
    facts = pd.DataFrame(
        {
            "customer_id": range(9),
            "frequency": [3, 3, 3, 3, 1, 1, 1, 1, 0],
            "monetary": [500.0, 400.0, 300.0, 350.0, 10.0, 20.0, 30.0, 40.0, 0.0],
            "clv_365d": [90.0, 80.0, 1.0, 70.0, 60.0, 2.0, 3.0, 4.0, 0.0],
            "p_alive": [0.9, 0.8, 0.9, 0.2, 1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    segments = RuleSegmenter(rules="potential_value").fit(facts).predict(facts)
    assert segments.tolist() == [
        "stars",
        "stars",
        "cash_cows",
        "at_risk_of_losing",  # high value now, P(alive) 0.2 < 0.5
        "rising",
        "low_potential",
        "low_potential",
        "low_potential",
        "no_purchase",
    ]
    assert "potential_value" in PRESET_NAMES


def test_on_cdnow_potential_value_separates_customers(shared_data) -> None:
    from metaseg.clv import CLVSettings, add_clv_facts, fit_clv_model
    from metaseg.datasets.cdnow import CALIBRATION_END, load_cdnow
    from metaseg.facts import compute_facts

    events = load_cdnow(shared_data / "cdnow_sample")
    events = events[events["timestamp"] <= pd.Timestamp(CALIBRATION_END, tz="UTC")]
    facts = compute_facts(events, as_of=CALIBRATION_END, windows=(30,))
    facts = add_clv_facts(facts, events, fit_clv_model(events, facts, CLVSettings()))
    segments = RuleSegmenter(rules="potential_value").fit(facts).predict(facts)
    means = facts.groupby(segments.to_numpy())[["monetary", "clv_365d", "p_alive"]].mean()
    assert set(means.index) == {
        "stars",
        "cash_cows",
        "rising",
        "low_potential",
        "at_risk_of_losing",
    }
    assert means.loc["stars", "clv_365d"] > 3 * means.loc["cash_cows", "clv_365d"]
    assert means.loc["rising", "clv_365d"] > means.loc["low_potential", "clv_365d"]
    assert means.loc["at_risk_of_losing", "monetary"] > 2 * means.loc["rising", "monetary"]
    at_risk = facts.loc[(segments == "at_risk_of_losing").to_numpy(), "p_alive"]
    assert (at_risk < 0.5).all() and np.isfinite(at_risk).all()
