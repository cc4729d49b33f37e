"""BG/NBD and Gamma-Gamma on the CDNOW sample agree with the published estimates to 1 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.clv import CLVModel, fit_bgnbd, fit_gamma_gamma
from metaseg.datasets.cdnow import PUBLISHED


def test_bgnbd_matches_fader_hardie_lee_2005(cdnow_summary: pd.DataFrame) -> None:
    fit = fit_bgnbd(cdnow_summary)
    published = PUBLISHED["bgnbd"]
    assert fit.converged and fit.n_customers == 2357
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(published[name], rel=0.01), name
    assert fit.log_likelihood == pytest.approx(published["log_likelihood"], rel=0.01)
    # and to the published rounding: the optimum is the paper's
    assert fit.log_likelihood == pytest.approx(published["log_likelihood"], abs=0.05)


def test_gamma_gamma_matches_fader_hardie_lee_2005(cdnow_summary: pd.DataFrame) -> None:
    fit = fit_gamma_gamma(cdnow_summary)
    published = PUBLISHED["gamma_gamma"]
    assert fit.converged and fit.n_customers == published["n_customers"]
    for name in ("p", "q", "gamma"):
        assert getattr(fit, name) == pytest.approx(published[name], rel=0.01), name


def test_fit_does_not_depend_on_the_starting_point(cdnow_summary: pd.DataFrame) -> None:
    a = fit_bgnbd(cdnow_summary)
    b = fit_bgnbd(cdnow_summary, initial=(2.0, 10.0, 0.5, 5.0))
    np.testing.assert_allclose(list(a.params_.values()), list(b.params_.values()), rtol=1e-3)


def test_holdout_beats_the_naive_rate(
    cdnow_events: pd.DataFrame, cdnow_summary: pd.DataFrame
) -> None:
    """The 39 weeks after calibration: BG/NBD is closer per customer than the rate to date."""
    from metaseg.datasets.cdnow import CALIBRATION_END

    model = CLVModel(horizons=(273,)).fit(cdnow_summary)
    predicted = model.predict(cdnow_summary)["expected_purchases_273d"].to_numpy()
    days = cdnow_events.assign(day=cdnow_events["timestamp"].dt.floor("D"))
    later = days[days["day"] > pd.Timestamp(CALIBRATION_END, tz="UTC")]
    actual = (
        later.groupby("customer_id")["day"]
        .nunique()
        .reindex(cdnow_summary["customer_id"], fill_value=0)
        .to_numpy()
    )
    naive = (cdnow_summary["frequency"] / cdnow_summary["T"] * 39.0).to_numpy()
    assert abs(predicted.sum() / actual.sum() - 1) < 0.15
    assert abs(naive.sum() / actual.sum() - 1) > 0.4
    assert np.abs(predicted - actual).mean() < np.abs(naive - actual).mean()
    assert np.corrcoef(predicted, actual)[0, 1] > np.corrcoef(naive, actual)[0, 1] > 0.5
