"""The pymc-marketing backend (``metaseg[clv]``) finds the same CDNOW estimates."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.clv import CLVModel
from metaseg.datasets.cdnow import PUBLISHED

pytest.importorskip(
    "pymc_marketing", reason="pymc-marketing is not installed: pip install 'metaseg[clv]'"
)


def test_pymc_marketing_agrees_with_scipy_and_the_paper(cdnow_summary: pd.DataFrame) -> None:
    ours = CLVModel(horizons=(90,)).fit(cdnow_summary)
    theirs = CLVModel(horizons=(90,), backend="pymc-marketing").fit(cdnow_summary)
    for name, value in PUBLISHED["bgnbd"].items():
        if name != "log_likelihood":
            assert getattr(theirs.bgnbd_, name) == pytest.approx(value, rel=0.01), name
            assert getattr(theirs.bgnbd_, name) == pytest.approx(
                getattr(ours.bgnbd_, name), rel=1e-3
            )
    for name in ("p", "q", "gamma"):
        assert getattr(theirs.gamma_gamma_, name) == pytest.approx(
            PUBLISHED["gamma_gamma"][name], rel=0.01
        ), name
    assert theirs.bgnbd_.log_likelihood == pytest.approx(ours.bgnbd_.log_likelihood, abs=0.1)
    facts = theirs.predict(cdnow_summary)
    pd.testing.assert_series_equal(
        facts["clv_90d"], ours.predict(cdnow_summary)["clv_90d"], rtol=1e-2
    )
