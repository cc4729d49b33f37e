"""Fit BG/NBD and Gamma-Gamma with pymc-marketing (the optional ``metaseg[clv]`` extra).

``pymc_marketing.clv.BetaGeoModel`` and ``GammaGammaModel`` are fitted by maximum a
posteriori with flat priors, which is the maximum-likelihood optimum; the estimates are
returned as the same :class:`~metaseg.clv.BGNBDFit` / :class:`~metaseg.clv.GammaGammaFit`
the scipy path gives, so prediction, pickling and the facts do not depend on the backend.
pymc-marketing is imported here only, when this backend is chosen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.clv._inputs import check_summary
from metaseg.clv.bgnbd import BGNBDFit
from metaseg.clv.bgnbd import log_likelihood as bgnbd_log_likelihood
from metaseg.clv.gamma_gamma import GammaGammaFit
from metaseg.clv.gamma_gamma import log_likelihood as gg_log_likelihood
from metaseg.exceptions import ConfigError, DataError

#: How to get the backend when it is missing.
INSTALL_HINT = "pip install 'metaseg[clv]' (pymc-marketing)"


def fit_with_pymc_marketing(summary: pd.DataFrame) -> tuple[BGNBDFit, GammaGammaFit]:
    """Fit both models with pymc-marketing by MAP under flat priors.

    Parameters
    ----------
    summary : DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T`` and ``monetary_value``.

    Returns
    -------
    (BGNBDFit, GammaGammaFit)

    Raises
    ------
    ConfigError
        When pymc-marketing is not installed (with the command that installs it).
    """
    try:
        from pymc_extras.prior import Prior
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    except ImportError as exc:
        raise ConfigError(
            f"facts.clv.backend 'pymc-marketing' needs pymc-marketing ({exc}); install it "
            f"with {INSTALL_HINT}, or use backend: scipy."
        ) from None
    x, t_x, T = check_summary(summary, "fit_with_pymc_marketing")
    data = pd.DataFrame(
        {
            "customer_id": np.arange(len(summary)),
            "frequency": x,
            "recency": t_x,
            "T": T,
        }
    )
    flat = {name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}
    bg = BetaGeoModel(data=data, model_config=flat)
    bg.fit(method="map", progressbar=False)
    params = np.array([_value(bg, name) for name in ("r", "alpha", "a", "b")])
    ll = bgnbd_log_likelihood(params, x, t_x, T, np.ones_like(x))
    bgnbd = BGNBDFit(*map(float, params), ll, len(data), bool(np.isfinite(ll)))

    m = summary["monetary_value"].to_numpy(dtype=np.float64)
    repeat = (x > 0) & np.isfinite(m)
    if (m[repeat] <= 0).any():
        raise DataError(
            "fit_with_pymc_marketing: monetary_value must be > 0 for repeat customers; "
            f"{int((m[repeat] <= 0).sum()):,} are not."
        )
    spend = pd.DataFrame(
        {
            "customer_id": summary[schema.CUSTOMER_ID].to_numpy()[repeat]
            if schema.CUSTOMER_ID in summary.columns
            else np.flatnonzero(repeat),
            "frequency": x[repeat],
            "monetary_value": m[repeat],
        }
    )
    gg = GammaGammaModel(
        data=spend, model_config={name: Prior("HalfFlat") for name in ("p", "q", "v")}
    )
    gg.fit(method="map", progressbar=False)
    p, q, v = (_value(gg, name) for name in ("p", "q", "v"))
    gg_ll = gg_log_likelihood(np.array([p, q, v]), x[repeat], m[repeat], np.ones(repeat.sum()))
    return bgnbd, GammaGammaFit(p, q, v, gg_ll, int(repeat.sum()), bool(np.isfinite(gg_ll)))


def _value(model: object, name: str) -> float:
    return float(np.asarray(model.fit_result[name].values).ravel()[0])  # type: ignore[attr-defined]
