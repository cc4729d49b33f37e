"""CDNOW: the published BG/NBD and Gamma-Gamma estimates, and a 39-week holdout check.

Calibrates on 1997-01-01 .. 1997-09-30 (39 weeks), predicts each customer's purchase days
in the next 39 weeks (to 1998-06-30) and compares with what happened, beside a naive
baseline: the customer's repeat-purchase rate to date (frequency / T) times 39 weeks.
Writes ``experiments/results/clv_cdnow_holdout.json`` and, with ``--figure PATH``, a
figure of mean actual vs predicted purchases by calibration frequency.

Run: ``python experiments/clv_cdnow_holdout.py --figure docs/clv_cdnow_holdout.png``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metaseg.clv import CLVModel
from metaseg.datasets.cdnow import CALIBRATION_END, PUBLISHED, load_cdnow
from metaseg.facts.clv_summary import compute_repeat_summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdnow_sample"
OUT = Path(__file__).with_name("results") / "clv_cdnow_holdout.json"
HOLDOUT_DAYS = 273  # 39 weeks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--figure", type=Path, default=None)
    args = parser.parse_args()
    events = load_cdnow(args.data)
    summary = compute_repeat_summary(events, as_of=CALIBRATION_END, time_unit_days=7)
    t0 = time.perf_counter()
    model = CLVModel(horizons=(HOLDOUT_DAYS,)).fit(summary)
    fit_s = time.perf_counter() - t0
    predicted = model.predict(summary)[f"expected_purchases_{HOLDOUT_DAYS}d"].to_numpy()
    day = events["timestamp"].dt.floor("D")
    later = events.assign(day=day)[day > pd.Timestamp(CALIBRATION_END, tz="UTC")]
    actual = (
        later.groupby("customer_id")["day"]
        .nunique()
        .reindex(summary["customer_id"], fill_value=0)
        .to_numpy(dtype=float)
    )
    naive = (summary["frequency"] / summary["T"] * HOLDOUT_DAYS / 7).to_numpy()

    def score(pred: np.ndarray) -> dict[str, float]:
        return {
            "total": round(float(pred.sum()), 1),
            "aggregate_error_pct": round(100 * float(pred.sum() / actual.sum() - 1), 1),
            "mae_per_customer": round(float(np.abs(pred - actual).mean()), 3),
            "rmse_per_customer": round(float(np.sqrt(((pred - actual) ** 2).mean())), 3),
            "correlation": round(float(np.corrcoef(pred, actual)[0, 1]), 3),
        }

    result = {
        "customers": len(summary),
        "repeat_customers": int((summary["frequency"] > 0).sum()),
        "fit_s": round(fit_s, 3),
        "bgnbd": {k: round(v, 4) for k, v in model.bgnbd_.params_.items()},
        "bgnbd_log_likelihood": round(model.bgnbd_.log_likelihood, 2),
        "gamma_gamma": {k: round(v, 4) for k, v in model.gamma_gamma_.params_.items()},
        "published": PUBLISHED,
        "holdout_actual_total": float(actual.sum()),
        "bgnbd_holdout": score(predicted),
        "naive_rate_holdout": score(naive),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if args.figure is not None:
        _figure(summary["frequency"].to_numpy(), actual, predicted, naive, args.figure)


def _figure(freq, actual, predicted, naive, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = np.minimum(freq, 7)
    xs = np.arange(8)
    means = {
        name: [values[bins == b].mean() for b in xs]
        for name, values in (("actual", actual), ("BG/NBD", predicted), ("rate to date", naive))
    }
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(xs, means["actual"], "o-", color="black", label="actual")
    ax.plot(xs, means["BG/NBD"], "s--", color="tab:blue", label="BG/NBD expected")
    ax.plot(xs, means["rate to date"], "^:", color="tab:orange", label="rate to date")
    ax.set_xticks(xs, [str(b) for b in xs[:-1]] + ["7+"])
    ax.set_xlabel("repeat purchase days in calibration (weeks 1-39)")
    ax.set_ylabel("purchase days in weeks 40-78 (mean)")
    ax.set_title("CDNOW sample: 39-week holdout, 2,357 customers")
    ax.legend(frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
