"""Benchmark: customer facts with DuckDB (from Parquet and from pandas) vs plain pandas.

Generates standard events once (``metaseg.datasets.make_shop`` by default, or a small
numpy generator with ``--generator uniform``), writes them to a temporary Parquet file,
then computes the facts three ways, each in a fresh subprocess so that its peak memory
(``resource.getrusage(...).ru_maxrss``) is its own:

* ``duckdb-parquet``: ``compute_facts(path)``, DuckDB reads the file directly;
* ``duckdb-pandas``: the events read into pandas first, then ``compute_facts(frame)``;
* ``pandas``: ``reference_facts`` of ``tests/facts/pandas_facts.py`` (groupby), the baseline.

The facts time excludes reading the Parquet file into pandas (reported apart); the
peak memory includes it. With ``--check`` the three results are compared.

Usage::

    python experiments/bench_facts.py                       # 1M customers, ~20M events
    python experiments/bench_facts.py --customers 50000 --generator uniform --check
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metaseg import schema

METHODS = ("duckdb-parquet", "duckdb-pandas", "pandas")
AS_OF = "2025-12-31"
EVENT_COLUMNS = [c for c in schema.EVENT_COLUMNS if c not in (schema.QUANTITY, schema.CHANNEL)]


def uniform_events(n_customers: int, seed: int = 0, events_per_customer: int = 20) -> pd.DataFrame:
    """Standard events from independent draws: ~``events_per_customer`` per customer.

    Event types are drawn with fixed shares (views 60 %, carts 25 %, purchases 12 %,
    refunds 3 %) over the two years before ``AS_OF``; each customer has 3 favourite
    categories out of 12; purchases are grouped ~2 per order.
    """
    rng = np.random.default_rng(seed)
    n = n_customers * events_per_customer
    customer = np.sort(rng.integers(1, n_customers + 1, n))
    end = pd.Timestamp(AS_OF, tz="UTC").value // 1000
    span = int(2 * 365 * 86_400 * 1e6)
    micros = end - rng.integers(1, span, n)
    kinds = np.array(["view", "add_to_cart", "purchase", "refund"])
    kind = rng.choice(4, size=n, p=[0.60, 0.25, 0.12, 0.03])
    amount = np.where(kind >= 2, rng.gamma(2.0, 30.0, n).round(2), np.nan)
    order = np.where(kind == 2, customer * 1_000 + rng.integers(0, 10, n), -1)
    favourites = rng.integers(0, 12, (n_customers + 1, 3))
    category = favourites[customer, rng.integers(0, 3, n)]
    return pd.DataFrame(
        {
            "customer_id": customer.astype("int64"),
            "timestamp": pd.to_datetime(micros, unit="us", utc=True),
            "event_type": pd.Categorical.from_codes(kind, kinds),
            "amount": amount,
            "order_id": pd.array(np.where(order < 0, None, order), dtype="Int64"),
            "category": pd.Categorical.from_codes(category, [f"cat{i:02d}" for i in range(12)]),
        }
    )


def generate(generator: str, n_customers: int, folder: Path) -> tuple[Path, Path, int]:
    """Write events and customers to Parquet in ``folder``; return paths and row count."""
    if generator == "shop":
        from metaseg.datasets import make_shop

        customers, events, _ = make_shop(n_customers=n_customers, seed=0, as_of=AS_OF)
        events = events[EVENT_COLUMNS]
    else:
        events = uniform_events(n_customers)
        customers = pd.DataFrame({"customer_id": np.arange(1, n_customers + 1)})
    events_path, customers_path = folder / "events.parquet", folder / "customers.parquet"
    events.to_parquet(events_path, index=False, row_group_size=1_000_000)
    customers.to_parquet(customers_path, index=False)
    return events_path, customers_path, len(events)


def worker(method: str, events_path: str, customers_path: str, threads: int, out: str) -> None:
    """Compute the facts one way and print a JSON line of timings and peak memory."""
    import importlib.util

    from metaseg.facts import compute_facts

    oracle = Path(__file__).resolve().parents[1] / "tests" / "facts" / "pandas_facts.py"
    spec = importlib.util.spec_from_file_location("pandas_facts", oracle)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reference_facts = module.reference_facts

    customers = pd.read_parquet(customers_path)
    load_s = 0.0
    if method != "duckdb-parquet":
        start = time.perf_counter()
        events = pd.read_parquet(events_path)
        load_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    if method == "duckdb-parquet":
        facts = compute_facts(events_path, customers, as_of=AS_OF, threads=threads)
    elif method == "duckdb-pandas":
        facts = compute_facts(events, customers, as_of=AS_OF, threads=threads)
    else:
        facts = reference_facts(events, customers, as_of=AS_OF)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    if out:
        facts.attrs = {}  # to_parquet stores attrs as JSON, and as_of is a Timestamp
        facts.to_parquet(out, index=False)
    print(
        json.dumps(
            {
                "method": method,
                "facts_s": seconds,
                "cpu_s": cpu_s,
                "load_s": load_s,
                "peak_gb": peak_gb,
                "rows": len(facts),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--generator", choices=("shop", "uniform"), default="shop")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--check", action="store_true", help="compare the results")
    parser.add_argument("--data-dir", help="keep the generated Parquet here and reuse it")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--events", help=argparse.SUPPRESS)
    parser.add_argument("--customers-path", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.events, args.customers_path, args.threads, args.out)
        return

    with tempfile.TemporaryDirectory(prefix="bench_facts_") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        if args.data_dir:
            data = Path(args.data_dir) / f"{args.generator}_{args.customers}"
            if not (data / "events.parquet").is_file():
                data.mkdir(parents=True, exist_ok=True)
                generate(args.generator, args.customers, data)
            events_path, customers_path = data / "events.parquet", data / "customers.parquet"
            n_events = pd.read_parquet(events_path, columns=["customer_id"]).shape[0]
        else:
            events_path, customers_path, n_events = generate(args.generator, args.customers, folder)
        print(
            f"{args.generator}: {args.customers:,} customers, {n_events:,} events, "
            f"ready in {time.perf_counter() - start:.1f} s "
            f"({events_path.stat().st_size / 1e6:.0f} MB Parquet); threads={args.threads}"
        )
        results = []
        for method in args.methods:
            out = str(folder / f"{method}.parquet") if args.check else ""
            command = [
                sys.executable,
                __file__,
                "--worker",
                method,
                "--events",
                str(events_path),
                "--customers-path",
                str(customers_path),
                "--threads",
                str(args.threads),
                "--out",
                out,
            ]
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            if done.returncode != 0:
                print(f"{method} failed:\n{done.stderr}")
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        table = pd.DataFrame(results).set_index("method")
        print(table.round(2).to_string())
        if "pandas" in table.index:
            for method in table.index.drop("pandas"):
                ratio = table.loc["pandas", "facts_s"] / table.loc[method, "facts_s"]
                print(f"{method}: {ratio:.1f}x faster than pandas groupby")
        if args.check:
            frames = {m: pd.read_parquet(folder / f"{m}.parquet") for m in table.index}
            first = next(iter(frames))
            for frame in frames.values():
                pd.testing.assert_frame_equal(frames[first], frame, check_exact=False, rtol=1e-9)
            print(f"results equal across {list(frames)}")


if __name__ == "__main__":
    main()
