"""Can pymc-marketing's CLV models be metaseg's core path? Import time, fit time, accuracy.

Fits ``pymc_marketing.clv.BetaGeoModel`` and ``GammaGammaModel`` by MAP with flat priors
(so the optimum is the maximum-likelihood one) on the CDNOW sample, compares the
parameters with the published ones and with metaseg's own maximum-likelihood fit, and
times fit plus prediction on a summary of ``--n`` customers drawn from the fitted
BG/NBD. Needs ``pip install pymc-marketing`` (the ``clv-bayes`` extra).

Run: ``python experiments/clv_pymc_marketing.py --n 1000000``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from metaseg.clv import fit_bgnbd, fit_gamma_gamma, simulate_summary
from metaseg.datasets.cdnow import CALIBRATION_END, PUBLISHED, load_cdnow
from metaseg.facts.clv_summary import compute_repeat_summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdnow_sample"

OUT = Path(__file__).with_name("results") / "clv_pymc_marketing.json"


def _pymc_fit(summary, repeat):
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    flat = {k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")}
    data = summary[["customer_id", "frequency", "recency", "T"]]
    t0 = time.perf_counter()
    bg = BetaGeoModel(data=data, model_config=flat)
    bg.fit(method="map")
    t_bg = time.perf_counter() - t0
    post = bg.fit_result
    bg_params = {k: float(post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
    t0 = time.perf_counter()
    gg = GammaGammaModel(
        data=repeat[["customer_id", "frequency", "monetary_value"]],
        model_config={k: Prior("HalfFlat") for k in ("p", "q", "v")},
    )
    gg.fit(method="map")
    t_gg = time.perf_counter() - t0
    gg_params = {k: float(gg.fit_result[k].values.ravel()[0]) for k in ("p", "q", "v")}
    t0 = time.perf_counter()
    expected = bg.expected_purchases(data=data, future_t=52).values.ravel()
    alive = bg.expected_probability_alive(data=data).values.ravel()
    t_pred = time.perf_counter() - t0
    times = {"bgnbd_fit_s": t_bg, "gg_fit_s": t_gg, "predict_s": t_pred}
    return bg_params, gg_params, times, (expected, alive)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    import pymc_marketing.clv  # noqa: F401

    result: dict = {"import_s": time.perf_counter() - t0}
    summary = compute_repeat_summary(load_cdnow(DATA), as_of=CALIBRATION_END)
    repeat = summary[summary["frequency"] > 0]
    bg, gg, times, _ = _pymc_fit(summary, repeat)
    ours_bg = fit_bgnbd(summary)
    ours_gg = fit_gamma_gamma(repeat)
    result["cdnow"] = {
        "pymc_bgnbd": bg,
        "pymc_gamma_gamma": gg,
        "metaseg_bgnbd": ours_bg.params_,
        "metaseg_gamma_gamma": ours_gg.params_,
        "published": PUBLISHED,
        "times": times,
    }
    big = simulate_summary(ours_bg, n_customers=args.n, max_T=78.0, random_state=0)
    # mean of x gamma(p, nu) spends with nu ~ gamma(q, rate gamma): the Gamma-Gamma process
    rng = np.random.default_rng(0)
    nu = rng.gamma(ours_gg.q, 1 / ours_gg.gamma, len(big))
    x = np.maximum(big["frequency"].to_numpy(), 1)
    big["monetary_value"] = rng.gamma(ours_gg.p * x, 1 / (nu * x))
    big_repeat = big[big["frequency"] > 0].copy()
    t0 = time.perf_counter()
    try:
        big_bg, big_gg, big_times, (expected, alive) = _pymc_fit(big, big_repeat)
        big_times["total_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours_big_bg = fit_bgnbd(big)
        ours_big_gg = fit_gamma_gamma(big_repeat)
        ours_s = time.perf_counter() - t0
        result["large"] = {
            "n": args.n,
            **big_times,
            "pymc_bgnbd": big_bg,
            "pymc_gamma_gamma": big_gg,
            "metaseg_bgnbd": ours_big_bg.params_,
            "metaseg_bgnbd_log_likelihood": ours_big_bg.log_likelihood,
            "metaseg_gamma_gamma": ours_big_gg.params_,
            "metaseg_fit_s": ours_s,
            "simulated_from": ours_bg.params_,
            "pymc_predictions_finite": bool(
                np.isfinite(expected).all() and np.isfinite(alive).all()
            ),
        }
    except Exception as exc:  # the figure is the point: record what failed
        result["large"] = {"n": args.n, "error": repr(exc), "after_s": time.perf_counter() - t0}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, default=float))
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
