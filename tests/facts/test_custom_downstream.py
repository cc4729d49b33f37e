"""Custom facts downstream: rules, feature kinds, a fit, profiles, drift, report, run_fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.datasets import make_shop
from metaseg.facts import compute_facts

AS_OF = "2025-12-31"
CUSTOM = {
    "fashion_bought_90d": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "category", "op": "==", "value": "fashion"},
        "window_days": 90,
    },
    "app_spend_365d": {
        "aggregate": "sum",
        "of": "amount",
        "event_type": "purchase",
        "where": {"column": "channel", "op": "==", "value": "app"},
        "window_days": 365,
    },
    "app_share": {"ratio": ["app_spend_365d", "gross_revenue"]},
}
RULES = {
    "segments": [
        {
            "name": "fashion_fans",
            "condition": {"fact": "fashion_bought_90d", "op": ">=", "value": 2},
        },
        {"name": "buyers", "condition": {"fact": "frequency", "op": ">=", "value": 1}},
    ],
    "catch_all": "others",
}
# max_correlation None: on this shop the app share follows the app spend closely
FEATURES = {"features": ["rfm", "app_spend_365d", "app_share"], "max_correlation": None}


@pytest.fixture(scope="module")
def shop():
    return make_shop(n_customers=3_000, seed=2, as_of=AS_OF)


@pytest.fixture(scope="module")
def facts(shop):
    return compute_facts(shop.events, shop.customers, as_of=AS_OF, custom=CUSTOM)


def test_a_rule_reads_a_custom_fact(facts):
    from metaseg.rules import RuleSegmenter

    labels = RuleSegmenter(rules=RULES).fit(facts).predict(facts)
    fans = (facts["fashion_bought_90d"] >= 2).to_numpy()
    assert fans.sum() > 20
    assert (np.asarray(labels)[fans] == "fashion_fans").all()
    assert (np.asarray(labels)[~fans] != "fashion_fans").all()


def test_a_feature_preset_with_custom_facts_uses_their_kinds(facts):
    from metaseg.features import SegmentFeaturizer

    buyers = facts[facts["frequency"] >= 1]
    featurizer = SegmentFeaturizer(spec=FEATURES).fit(buyers)
    assert featurizer.input_features_[:3] == ["recency_days", "frequency", "monetary"]
    # money is log-transformed, a ratio is not, whatever the names suggest
    assert "app_spend_365d" in featurizer.log1p_features_
    assert "app_share" not in featurizer.log1p_features_
    # a custom count is dequantised like a registry count
    counts = SegmentFeaturizer(spec={"features": ["fashion_bought_90d", "frequency"]}).fit(buyers)
    assert "fashion_bought_90d" in counts.dequantized_features_
    assert "fashion_bought_90d" in counts.log1p_features_


def test_metasegmenter_fits_profiles_and_drifts_on_custom_facts(facts):
    from metaseg.model import MetaSegmenter
    from metaseg.over_time import drift_report

    model = MetaSegmenter(
        rules=RULES,
        default={"algorithm": "kmeans", "features": FEATURES},
        n_bootstrap=0,
        random_state=0,
    ).fit(facts)
    assert {"fashion_bought_90d", "app_spend_365d", "app_share"} <= set(model.feature_columns_)
    assert set(model.labels_["base_segment"]) == {"fashion_fans", "buyers", "others"}
    profiled = set(model.profiles_["feature"])
    assert {"app_spend_365d", "app_share"} <= profiled
    pd.testing.assert_frame_equal(
        model.predict(facts)[["customer_id", "segment"]],
        model.labels_[["customer_id", "segment"]],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = drift_report(model, facts, reference_facts=facts, warn=False)
    assert "app_share" in set(report.psi["fact"])
    # the segment report shows the custom facts among a segment's profile
    from metaseg.report.render import render_report

    html = render_report(model)
    assert "app_spend_365d" in html and "fashion_fans" in html


def test_run_fit_with_custom_facts_in_the_config(tmp_path):
    from metaseg import jobs
    from metaseg.config import load_config

    config = load_config(
        {
            "name": "custom-facts",
            "as_of": AS_OF,
            "data": {"source": "synthetic", "synthetic": {"n_customers": 1_500, "seed": 3}},
            "facts": {"windows": [30, 90], "custom": CUSTOM},
            "segmentation": {
                "rules": RULES,
                "default": {"algorithm": "kmeans", "features": FEATURES},
                "n_bootstrap": 0,
            },
            "tracking": {"experiment": "custom", "tracking_uri": f"sqlite:///{tmp_path / 'm.db'}"},
        }
    )
    outcome = jobs.run_fit(config, hooks=jobs.JobHooks(message=lambda m: None))
    assert {"fashion_bought_90d", "app_share"} <= set(outcome.facts.columns)
    assert "app_spend_365d" in outcome.model.feature_columns_
    assert (outcome.model.labels_["base_segment"] == "fashion_fans").any()
    assert outcome.run.run_id
