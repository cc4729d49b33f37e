"""The potential-value facts in the fit, score and drift jobs: fitted once, kept in the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metaseg import jobs
from metaseg._yaml import load_yaml
from metaseg.config import load_config
from metaseg.exceptions import ConfigError
from metaseg.tracking import load_champion, promote

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "potential_value.yaml"


def _config(uri: str) -> object:
    """The shipped example, on a smaller shop and a temporary MLflow store."""
    document = load_yaml(CONFIG, what="configuration")
    document["data"]["synthetic"] = {"n_customers": 2_000, "seed": 2}
    document["tracking"] = {"experiment": "clv", "tracking_uri": uri, "register": "clv-shop"}
    return load_config(document)


def test_fit_keeps_the_clv_model_and_scoring_uses_it(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = _config(uri)
    fitted = jobs.run_fit(config)
    model = fitted.model
    assert model.clv_ is not None and model.clv_.bgnbd_.converged
    assert {"p_alive", "clv_365d", "discounted_clv_365d"} <= set(fitted.facts.columns)
    assert not fitted.facts[["p_alive", "clv_365d"]].isna().any().any()
    # customers who never bought have the documented values
    never = fitted.facts["frequency"] == 0
    assert never.any()
    assert (fitted.facts.loc[never, "p_alive"] == 0).all()
    assert (fitted.facts.loc[never, "clv_365d"] == 0).all()
    counted = [e for e in fitted.inputs.report.entries if "without a purchase" in e.reason]
    assert counted and counted[0].rows == int(never.sum())
    assert set(model.labels_["base_segment"]) >= {"stars", "rising", "no_purchase"}
    from mlflow.tracking import MlflowClient

    logged = MlflowClient(uri).get_run(fitted.run.run_id).data.metrics
    assert logged["clv.bgnbd.r"] == pytest.approx(model.clv_.bgnbd_.r)
    assert logged["clv.gamma_gamma.n_customers"] == model.clv_.gamma_gamma_.n_customers

    promote(
        "clv-shop",
        "1",
        gates={"min_stability": None, "min_sub_segment_size": None},
        tracking_uri=uri,
    )
    champion = load_champion("clv-shop", tracking_uri=uri)
    # the pickled, hash-checked model carries the same fitted parameters
    assert champion.model.clv_.bgnbd_ == model.clv_.bgnbd_
    scored = jobs.run_score(config, "models:/clv-shop@champion", tracking_uri=uri)
    assert "p_alive" in scored.facts.columns
    np.testing.assert_allclose(scored.facts["clv_365d"], fitted.facts["clv_365d"])
    pd.testing.assert_series_equal(
        scored.labels["segment"].reset_index(drop=True),
        model.labels_["segment"].reset_index(drop=True),
    )
    # drift compares the potential-value facts the model reads, computed with its own model
    drift = jobs.run_drift(config, "models:/clv-shop@champion", tracking_uri=uri)
    assert {"p_alive", "clv_365d"} <= set(drift.report.psi["fact"])
    psi = drift.report.psi
    clv_rows = psi[(psi["fact"] == "clv_365d") & (psi["n_reference"] >= 50)]
    assert len(clv_rows) >= 5 and (clv_rows["psi"] < 0.01).all()  # same data: no drift


def test_validate_computes_the_clv_facts_the_rules_read(tmp_path) -> None:
    config = _config(f"sqlite:///{tmp_path / 'mlflow.db'}")
    outcome = jobs.run_validate(config)
    assert "clv_365d" in outcome.facts.columns
    without = load_config({**config.model_dump(by_alias=True), "facts": {}})
    with pytest.raises(Exception, match="clv_365d"):
        jobs.run_validate(without)


def test_config_errors_name_the_setting() -> None:
    with pytest.raises(ConfigError, match="facts.clv.horizons"):
        load_config({"facts": {"clv": {"horizons": [0]}}})
    with pytest.raises(ConfigError, match="facts.clv.backend"):
        load_config({"facts": {"clv": {"backend": "lifetimes"}}})


def test_a_model_with_clv_predicts_from_events_with_its_own_clv_facts() -> None:
    from metaseg.clv import CLVSettings, add_clv_facts, fit_clv_model
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts
    from metaseg.model import MetaSegmenter

    shop = make_shop(n_customers=1_500, seed=5)
    facts = compute_facts(shop.events, shop.customers)
    clv = fit_clv_model(shop.events, facts, CLVSettings(horizons=(365,)))
    facts = add_clv_facts(facts, shop.events, clv)
    model = MetaSegmenter(rules="potential_value", n_bootstrap=0, random_state=0)
    model.fit(facts, clv=clv)
    assert model.clv_ is clv
    from_events = model.predict(shop.events, customers=shop.customers)
    from_facts = model.predict(facts)
    assert from_events["segment"].tolist() == from_facts["segment"].tolist()
