"""Fit plus prediction of the potential-value facts at scale (target: <= 60 s at 1M customers).

Draws a repeat-purchase summary of ``--n`` customers from the CDNOW BG/NBD estimates
(times floored to whole days, ages up to ``--max-weeks``), gives repeat customers
gamma-distributed mean spends, then times :class:`metaseg.clv.CLVModel` ``fit`` and
``predict`` (horizons 90 and 365 days, discounted at 10 % a year in 30-day steps).

Run: ``OMP_NUM_THREADS=1 python experiments/clv_scale.py --n 1000000``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from metaseg.clv import CLVModel, simulate_summary
from metaseg.clv.bgnbd import BGNBDFit

OUT = Path(__file__).with_name("results") / "clv_scale.json"
CDNOW = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, 2357, True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--max-weeks", type=float, default=78.0)
    args = parser.parse_args()
    summary = simulate_summary(CDNOW, n_customers=args.n, max_T=args.max_weeks, random_state=0)
    rng = np.random.default_rng(0)
    repeat = summary["frequency"] > 0
    # mean of x gamma(p=6.25, nu) spends with nu ~ gamma(q=3.74, rate 15.44), as in CDNOW
    nu = rng.gamma(3.74, 1 / 15.44, args.n)
    x = np.maximum(summary["frequency"].to_numpy(), 1)
    summary["monetary_value"] = np.where(repeat, rng.gamma(6.25 * x, 1 / (nu * x)), np.nan)
    model = CLVModel(horizons=(90, 365), discount_rate=0.1)
    t0 = time.perf_counter()
    model.fit(summary)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    facts = model.predict(summary)
    predict_s = time.perf_counter() - t0
    result = {
        "n_customers": args.n,
        "repeat_customers": int(repeat.sum()),
        "distinct_summaries": int(
            summary[["frequency", "recency", "T"]].drop_duplicates().shape[0]
        ),
        "fit_s": round(fit_s, 2),
        "predict_s": round(predict_s, 2),
        "total_s": round(fit_s + predict_s, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "bgnbd": {k: round(v, 4) for k, v in model.bgnbd_.params_.items()},
        "bgnbd_truth": CDNOW.params_,
        "gamma_gamma": {k: round(v, 4) for k, v in model.gamma_gamma_.params_.items()},
        "gamma_gamma_truth": {"p": 6.25, "q": 3.74, "gamma": 15.44},
        "facts_nan": int(facts.isna().sum().sum()),
        "load_average": os.getloadavg()[0],
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
