"""CLVModel: the potential-value facts, their documented values and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from metaseg.clv import CLVModel, clv_fact_columns, fit_bgnbd, simulate_summary
from metaseg.clv.bgnbd import BGNBDFit
from metaseg.exceptions import ConfigError, DataError

PUBLISHED_FIT = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, 2357, True)


@pytest.fixture(scope="module")
def model(cdnow_summary: pd.DataFrame) -> CLVModel:
    return CLVModel(horizons=(90, 365), discount_rate=0.1).fit(cdnow_summary)


def test_facts_of_every_kind_of_customer(model: CLVModel, cdnow_summary: pd.DataFrame) -> None:
    ids = pd.Series(list(cdnow_summary["customer_id"]) + [99_999])  # the last never bought
    facts = model.predict(cdnow_summary, customer_ids=ids)
    assert list(facts.columns) == ["customer_id", *clv_fact_columns((90, 365))]
    assert not facts.isna().any().any()
    gg = model.gamma_gamma_
    never = facts.iloc[-1]
    assert never["p_alive"] == 0.0 and never["expected_purchases_365d"] == 0.0
    assert never["clv_365d"] == 0.0 and never["discounted_clv_365d"] == 0.0
    assert never["expected_avg_order_value"] == pytest.approx(gg.population_mean)
    single = facts.iloc[:-1][(cdnow_summary["frequency"] == 0).to_numpy()]
    # single purchase day: alive by construction, spend = population mean, purchases > 0
    assert (single["p_alive"] == 1.0).all()
    assert np.allclose(single["expected_avg_order_value"], gg.population_mean)
    assert (single["expected_purchases_90d"] > 0).all()
    repeat = facts.iloc[:-1][(cdnow_summary["frequency"] > 0).to_numpy()]
    assert repeat["p_alive"].between(0, 1).all() and repeat["p_alive"].min() < 0.2
    assert (facts["expected_purchases_365d"] >= facts["expected_purchases_90d"]).all()
    assert (facts["discounted_clv_365d"] <= facts["clv_365d"] + 1e-9).all()
    assert (facts["discounted_clv_365d"] < facts["clv_365d"]).sum() > 2000
    np.testing.assert_allclose(
        facts["clv_90d"], facts["expected_purchases_90d"] * facts["expected_avg_order_value"]
    )


def test_long_silence_lowers_p_alive_and_purchases() -> None:
    # the worked example of Fader, Hardie & Lee (2005): x = 2, t_x = 30.43, T = 38.86
    base = PUBLISHED_FIT.p_alive([2], [30.43], [38.86])[0]
    silent = PUBLISHED_FIT.p_alive([2], [5.0], [38.86])[0]
    assert silent < base < 1
    more = PUBLISHED_FIT.expected_purchases(39, [2], [30.43], [38.86])[0]
    less = PUBLISHED_FIT.expected_purchases(39, [2], [5.0], [38.86])[0]
    assert less < more
    # the paper's figure for this customer: 1.226 expected purchases in the next 39 weeks
    assert more == pytest.approx(1.226, abs=0.005)


def test_conditional_expectation_matches_simulation() -> None:
    """Expected purchases of new customers agree with purchases drawn from the model."""
    fit = PUBLISHED_FIT
    drawn = simulate_summary(
        fit, n_customers=100_000, max_T=39.0, days_per_unit=None, random_state=1
    )
    # a customer aged T has the purchases a new customer makes in T: compare means
    expected = fit.expected_purchases_new(drawn["T"].to_numpy()).mean()
    observed = drawn["frequency"].mean()
    assert observed == pytest.approx(expected, rel=0.03)
    drawn = simulate_summary(fit, n_customers=100_000, max_T=39.0, random_state=1)
    # and the parameters come back from a large draw
    refit = fit_bgnbd(drawn)
    assert refit.r == pytest.approx(fit.r, rel=0.1)
    assert refit.alpha == pytest.approx(fit.alpha, rel=0.15)


def test_errors_name_the_parameter(cdnow_summary: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        CLVModel().predict(cdnow_summary)
    with pytest.raises(ConfigError, match="horizons"):
        CLVModel(horizons=(0,)).fit(cdnow_summary)
    with pytest.raises(ConfigError, match="discount_rate"):
        CLVModel(discount_rate=-0.1).fit(cdnow_summary)
    with pytest.raises(ConfigError, match="step_days"):
        CLVModel(step_days=0).fit(cdnow_summary)
    with pytest.raises(DataError, match="recency must not exceed T"):
        fit_bgnbd(cdnow_summary.assign(recency=cdnow_summary["T"] + 1))
    with pytest.raises(DataError, match="'T'"):
        fit_bgnbd(cdnow_summary.drop(columns="T"))
    with pytest.raises(DataError, match="at least 2"):
        fit_bgnbd(cdnow_summary.assign(frequency=0))
    with pytest.raises(ConfigError, match="time_unit_days"):
        CLVModel(time_unit_days=1.0).fit(cdnow_summary)  # summary is in weeks


def test_repeat_purchases_worth_nothing_are_left_out_and_counted(
    cdnow_summary: pd.DataFrame,
) -> None:
    from metaseg.clv import fit_gamma_gamma
    from metaseg.exceptions import DataQualityWarning

    free = cdnow_summary.copy()
    repeaters = free.index[free["frequency"] > 0][:3]
    free.loc[repeaters, "monetary_value"] = 0.0
    with pytest.warns(DataQualityWarning, match="3 repeat customer"):
        fit = fit_gamma_gamma(free)
    assert fit.n_without_value == 3 and fit.n_customers == 943
    model = CLVModel(horizons=(90,))
    with pytest.warns(DataQualityWarning):
        model.fit(free)
    value = model.predict(free).loc[repeaters, "expected_avg_order_value"]
    assert ((value > 0) & (value < model.gamma_gamma_.population_mean)).all()
    with pytest.raises(DataError, match=">= 0"):
        fit_gamma_gamma(free.assign(monetary_value=-free["monetary_value"]))


def test_bgnbd_gradient_matches_finite_differences(cdnow_summary: pd.DataFrame) -> None:
    from scipy.optimize import approx_fprime

    from metaseg.clv.bgnbd import log_likelihood, log_likelihood_gradient

    x, t_x, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.ones_like(x)
    for params in ([0.243, 4.414, 0.793, 2.426], [1.3, 0.7, 2.1, 0.4]):
        point = np.array(params)
        _, gradient = log_likelihood_gradient(point, x, t_x, T, w)
        numeric = approx_fprime(point, lambda p: log_likelihood(p, x, t_x, T, w), 1e-6)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-2)
