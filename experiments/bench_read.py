"""Benchmark: a job's reading + facts from Parquet, pandas read first vs DuckDB reading the files.

Both methods run the job's own steps on the same Parquet files (the synthetic shop,
written once and cached), each in a fresh subprocess so that its peak memory
(``resource.getrusage(...).ru_maxrss``) is its own; they run in the same invocation, one
after the other, ``--repeat`` times each, so the ratio holds even on a busy machine:

* ``pandas``: ``metaseg.data.read_events`` (the events read into pandas, mapped and
  validated there), then ``compute_facts`` on the DataFrame: the path before;
* ``duckdb``: ``metaseg.jobs.load_inputs`` + ``build_facts``, which read and validate the
  events in DuckDB (``metaseg.data.engine_read``) and compute the facts on the same files.

Usage::

    python experiments/bench_read.py                  # 1M customers, ~22M events
    python experiments/bench_read.py --customers 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

AS_OF = "2025-12-31"


def make_files(n_customers: int, folder: Path) -> tuple[Path, Path]:
    """Write the synthetic shop's events and customers to Parquet once (cached)."""
    events, customers = folder / "events.parquet", folder / "customers.parquet"
    if not events.exists():
        from metaseg.datasets import make_shop

        folder.mkdir(parents=True, exist_ok=True)
        shop = make_shop(n_customers=n_customers, seed=0, as_of=AS_OF)
        shop.events.to_parquet(events, index=False)
        shop.customers.to_parquet(customers, index=False)
    return events, customers


def run_one(method: str, events: str, customers: str) -> dict[str, float]:
    """Read and compute the facts once in this process; times and peak RSS."""
    import warnings

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    if method == "pandas":
        from metaseg.data import read_customers, read_events
        from metaseg.facts import compute_facts

        frame, report = read_events(events, as_of=AS_OF)
        people, _ = read_customers(customers)
        read = time.perf_counter() - start
        facts = compute_facts(frame, people, as_of=AS_OF, report=report)
        n_events = len(frame)
    else:
        from metaseg.config import MetasegConfig
        from metaseg.jobs import build_facts, load_inputs

        config = MetasegConfig.model_validate({"data": {"source": "files"}})
        inputs = load_inputs(config, events=events, customers=customers, as_of=AS_OF)
        read = time.perf_counter() - start
        facts = build_facts(inputs, config, as_of=AS_OF)
        n_events = len(inputs.events)
    total = time.perf_counter() - start
    return {
        "read_s": read,
        "facts_s": total - read,
        "total_s": total,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "n_events": n_events,
        "n_customers": len(facts),
        "monetary_sum": float(facts["monetary"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("METHOD", "EVENTS", "CUSTOMERS"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return
    folder = args.folder or Path(f"/tmp/metaseg-bench-read-{args.customers}")
    start = time.perf_counter()
    events, customers = make_files(args.customers, folder)
    print(f"shop files ready in {time.perf_counter() - start:.1f} s ({folder})")
    print(f"load before: {os.getloadavg()}")
    results: dict[str, list[dict[str, float]]] = {"pandas": [], "duckdb": []}
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for _ in range(args.repeat):
        for method in results:
            out = subprocess.run(
                [sys.executable, __file__, "--one", method, str(events), str(customers)],
                capture_output=True, text=True, check=True, env=env,
            )  # fmt: skip
            results[method].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"load after: {os.getloadavg()}")
    print(
        f"{'method':<8} {'read s':>7} {'facts s':>8} {'total s':>8} {'peak MB':>8} {'events':>11}"
    )
    best = {m: min(r, key=lambda x: x["total_s"]) for m, r in results.items()}
    for method, row in best.items():
        print(
            f"{method:<8} {row['read_s']:>7.2f} {row['facts_s']:>8.2f} {row['total_s']:>8.2f} "
            f"{row['peak_mb']:>8.0f} {row['n_events']:>11,}"
        )
    same = {(r["n_customers"], round(r["monetary_sum"], 2)) for r in best.values()}
    ratio_t = best["duckdb"]["total_s"] / best["pandas"]["total_s"]
    ratio_m = best["duckdb"]["peak_mb"] / best["pandas"]["peak_mb"]
    print(
        f"duckdb/pandas: time x{ratio_t:.2f}, peak memory x{ratio_m:.2f}; same facts: {len(same) == 1}"
    )


if __name__ == "__main__":
    main()
