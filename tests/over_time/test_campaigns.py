"""Campaign results per segment: planted lifts are recovered within their intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError, DataQualityWarning
from metaseg.over_time import campaign_report

#: Planted per segment: holdout conversion rate, lift of sending, mean revenue per order.
PLANTED = {
    "active/0": (0.10, 1.0, 50.0),
    "active/1": (0.05, 1.6, 80.0),
    "dormant/0": (0.02, 2.5, 120.0),
}


def _labels() -> pd.DataFrame:
    codes = [c for c in PLANTED for _ in range(30_000)]
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(codes)),
            "base_segment": [c.split("/")[0] for c in codes],
            "segment": codes,
        }
    )


def _outcomes(labels: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    holdout = rng.random(len(labels)) < 0.3
    base_rate = labels["segment"].map({k: v[0] for k, v in PLANTED.items()}).to_numpy()
    lift = labels["segment"].map({k: v[1] for k, v in PLANTED.items()}).to_numpy()
    rate = np.where(holdout, base_rate, base_rate * lift)
    converted = rng.random(len(labels)) < rate
    basket = labels["segment"].map({k: v[2] for k, v in PLANTED.items()}).to_numpy()
    revenue = np.where(converted, rng.exponential(basket), 0.0)
    return pd.DataFrame(
        {
            "customer_id": labels["customer_id"],
            "campaign": "spring",
            "sent_at": pd.Timestamp("2025-03-01", tz="UTC"),
            "converted": converted,
            "revenue": revenue,
            "holdout": holdout,
        }
    )


#: Each test checks about a dozen intervals at once: a 99.9 % level keeps the chance that
#: one of them misses its planted value by bad luck near 1 %.
CONFIDENCE = 0.999


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    labels = _labels()
    return campaign_report(labels, _outcomes(labels), confidence=CONFIDENCE)


def test_a_lower_confidence_gives_narrower_intervals(report):
    labels = _labels()
    narrow = campaign_report(labels, _outcomes(labels), confidence=0.9)
    for column in ("lift_vs_holdout", "rate", "lift_vs_population"):
        low, high = (
            (f"{column}_low", f"{column}_high") if column != "rate" else ("rate_low", "rate_high")
        )
        assert ((narrow[high] - narrow[low]) <= (report[high] - report[low]) + 1e-12).all()


def test_planted_lift_against_the_holdout_is_inside_its_interval(report):
    rows = report[report["level"] == "segment"].set_index("segment")
    for code, (rate, lift, _) in PLANTED.items():
        row = rows.loc[code]
        assert row["lift_vs_holdout_low"] <= lift <= row["lift_vs_holdout_high"], code
        assert row["lift_vs_holdout_high"] / row["lift_vs_holdout_low"] < 2.0  # informative
        assert row["rate_low"] <= rate * lift <= row["rate_high"]
        assert row["holdout_rate"] == pytest.approx(rate, rel=0.25)
        # same basket when sent or not: the revenue lift is the conversion lift
        assert row["revenue_lift_vs_holdout_low"] <= lift <= row["revenue_lift_vs_holdout_high"]
        assert bool(row["enough_data"])


def test_lift_against_the_population_is_inside_its_interval(report):
    sent_rates = {code: rate * lift for code, (rate, lift, _) in PLANTED.items()}
    population = np.mean(list(sent_rates.values()))  # equal segment sizes
    rows = report[report["level"] == "segment"].set_index("segment")
    for code, rate in sent_rates.items():
        row = rows.loc[code]
        planted = rate / population
        assert row["lift_vs_population_low"] <= planted <= row["lift_vs_population_high"], code
    everyone = report[report["level"] == "all"].iloc[0]
    assert everyone["lift_vs_population"] == pytest.approx(1.0)
    assert everyone["sends"] + everyone["holdout_sends"] == 90_000


def test_levels_add_up(report):
    by_base = report[report["level"] == "base_segment"].set_index("segment")
    by_segment = report[report["level"] == "segment"]
    assert (
        by_base.loc["active", "sends"]
        == by_segment.loc[by_segment["base_segment"] == "active", "sends"].sum()
    )
    assert report["sends"][report["level"] == "segment"].sum() == report.loc[0, "sends"]


def test_small_segments_are_flagged_and_unlabelled_customers_reported():
    labels = _labels()
    outcomes = _outcomes(labels).iloc[::300].reset_index(drop=True)  # 300 sends
    extra = outcomes.iloc[:5].assign(customer_id=[10**9 + i for i in range(5)])
    with pytest.warns(DataQualityWarning, match="5 send"):
        report = campaign_report(labels, pd.concat([outcomes, extra]), min_sends=80)
    assert report.attrs["unlabelled_sends"] == 5
    rows = report[report["level"] == "segment"].set_index("segment")
    unlabelled = rows.loc["(unlabelled)"]
    assert unlabelled["sends"] + unlabelled["holdout_sends"] == 5
    assert not unlabelled["enough_data"] and "min_sends=80" in unlabelled["note"]
    assert report.loc[report["level"] == "all", "sends"].iloc[0] == (
        (~pd.concat([outcomes, extra])["holdout"]).sum()
    )


def test_zero_one_converted_and_several_campaigns():
    labels = _labels().iloc[:200]
    outcomes = pd.DataFrame(
        {
            "customer_id": np.tile(labels["customer_id"], 2),
            "campaign": ["a"] * 200 + ["b"] * 200,
            "sent_at": ["2025-03-01"] * 400,
            "converted": [1, 0] * 200,
        }
    )
    report = campaign_report(labels, outcomes, min_sends=10)
    assert sorted(report["campaign"].unique()) == ["a", "b"]
    assert (report.loc[report["level"] == "all", "conversion_rate"] == 0.5).all()
    assert report["revenue_per_send"].isna().all()
    assert report["lift_vs_holdout"].isna().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"converted": ["yes", "no"]}, "converted must be boolean"),
        ({"converted": [2, 0]}, r"values \[2\]"),
        ({"converted": [True, None]}, "converted is missing"),
        ({"revenue": [-5.0, 0.0]}, "negative"),
        ({"revenue": [np.nan, 0.0]}, "missing for 1 converted"),
        ({"sent_at": ["someday", "2025-01-01"]}, "not dates"),
        ({"holdout": ["x", "y"]}, "holdout must be boolean"),
    ],
)
def test_bad_outcomes_are_named(change, message):
    labels = _labels().iloc[:2]
    base = {
        "customer_id": [0, 1],
        "campaign": ["a", "a"],
        "sent_at": ["2025-03-01", "2025-03-01"],
        "converted": [True, False],
    }
    with pytest.raises(DataError, match=message):
        campaign_report(labels, pd.DataFrame(base | change))


def test_missing_columns_and_parameters():
    labels = _labels().iloc[:2]
    outcomes = pd.DataFrame({"customer_id": [0], "campaign": ["a"], "sent": ["2025-03-01"]})
    with pytest.raises(DataError, match="'sent_at'.*Did you mean 'sent'"):
        campaign_report(labels, outcomes)
    good = outcomes.rename(columns={"sent": "sent_at"}).assign(converted=[True])
    with pytest.raises(ConfigError, match="confidence"):
        campaign_report(labels, good, confidence=95)
    with pytest.raises(ConfigError, match="min_sends"):
        campaign_report(labels, good, min_sends=0)
    with pytest.raises(DataError, match="labels repeat"):
        campaign_report(pd.concat([labels, labels]), good)


def test_plot_campaign_lift(report):
    from metaseg.plots.campaigns import plot_campaign_lift

    fig = plot_campaign_lift(report, "holdout")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(PLANTED)[::-1]
    with pytest.raises(ConfigError, match="no campaign 'summer'"):
        plot_campaign_lift(report, campaign="summer")
