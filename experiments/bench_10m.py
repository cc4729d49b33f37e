"""Benchmark: the synthetic shop end to end at 10M customers on one machine, stage by stage.

Each stage runs in a fresh Python process, so its peak resident memory (the child's own
``ru_maxrss``) is its own and nothing carries over in memory between stages; the stages
hand over files, as a scheduled pipeline would:

1. ``generate``: :func:`metaseg.datasets.write_shop` writes customers, events and truth to
   partitioned Parquet, one chunk of customers at a time;
2. ``facts``: :func:`metaseg.facts.compute_facts` over the events folder (DuckDB reads the
   Parquet files, with ``memory_limit`` and a spill folder), written to ``facts.parquet``;
3. ``fit``: ``MetaSegmenter`` with the segmentation block of ``configs/shop.yaml`` on the
   facts (each base segment fitted on at most ``max_fit_rows`` customers), then
   :func:`metaseg.tracking.log_fit` to a local sqlite MLflow store, registered;
4. ``score``: :func:`metaseg.tracking.load_champion` of that version, then
   :func:`metaseg.batch_score.score_to_parquet`: facts read a batch at a time, labels
   appended to ``labels.parquet`` a batch at a time, then compared with the labels the
   file held (none at first) by DuckDB over the two files;
5. ``rescore``: the score stage again, so the diff is against the 10M labels of stage 4
   (every ``scored_at`` changed: every label is "updated").

The table gives each stage's wall time (process start to end, imports included) and peak
RSS, the total, and the load average (``/proc/loadavg``) before and after. A last,
untimed check reads the labels and the planted truth with DuckDB and reports the
adjusted Rand index against situation x persona on a 1M-customer sample.

Usage::

    python experiments/bench_10m.py --customers 1000000            # develop
    OMP_NUM_THREADS=2 python experiments/bench_10m.py                # 10M, ~15 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "shop.yaml"
AS_OF = "2025-12-31"
WINDOWS = (7, 30, 90, 365)
MODEL = "shop10m"
#: ``rescore`` scores again into the same file: the streamed diff against 10M labels.
STAGES = ("generate", "facts", "fit", "score", "rescore")


def _peak_gb() -> float:
    """This process's peak resident memory in GB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ------------------------------------------------------------------------ stages
def stage_generate(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metaseg.datasets import write_shop

    files = write_shop(
        work / "shop",
        args.customers,
        seed=args.seed,
        chunk_customers=args.chunk,
        as_of=AS_OF,
        overwrite=True,
    )
    return {"n_events": files.n_events, "chunks": files.n_chunks}


def stage_facts(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metaseg.facts import compute_facts

    customers = pd.read_parquet(work / "shop" / "customers")
    start = time.perf_counter()
    facts = compute_facts(
        work / "shop" / "events",
        customers,
        as_of=AS_OF,
        windows=WINDOWS,
        memory_limit=args.memory_limit,
        temp_directory=work / "spill",
    )
    seconds = time.perf_counter() - start
    del customers
    facts.attrs = {}  # as_of is a Timestamp, which pandas cannot keep in Parquet metadata
    facts.to_parquet(work / "facts.parquet", index=False, row_group_size=args.batch)
    return {"compute_facts_s": seconds, "n_customers": len(facts), "n_facts": facts.shape[1]}


def stage_fit(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metaseg.config import load_config
    from metaseg.model import MetaSegmenter
    from metaseg.tracking import log_fit

    facts = pd.read_parquet(work / "facts.parquet")
    facts.attrs = {"as_of": pd.Timestamp(AS_OF, tz="UTC"), "windows": WINDOWS}
    config = load_config(CONFIG)
    start = time.perf_counter()
    model = MetaSegmenter.from_config(config.segmentation).fit(facts, progress=False)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    run = log_fit(
        model,
        facts,
        experiment="bench_10m",
        register=MODEL,
        tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        config=config,
        artifacts_dir=work / "artifacts",
        progress=False,
    )
    log_s = time.perf_counter() - start
    (work / "version.txt").write_text(str(run.registered_version))
    return {
        "fit_s": fit_s,
        "log_s": log_s,
        "k": {k: None if pd.isna(v) else int(v) for k, v in model.metrics_["k"].items()},
        "fit_rows": {k: int(v) for k, v in model.metrics_["fit_rows"].fillna(0).items()},
    }


def stage_score(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metaseg.batch_score import score_to_parquet
    from metaseg.tracking import load_champion

    start = time.perf_counter()
    version = (work / "version.txt").read_text().strip()
    loaded = load_champion(MODEL, version=version, tracking_uri=f"sqlite:///{work / 'mlflow.db'}")
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    out = score_to_parquet(
        loaded, work / "facts.parquet", work / "labels.parquet", batch_size=args.batch, as_of=AS_OF
    )
    return {
        "load_s": load_s,
        "score_export_s": time.perf_counter() - start,
        "n_labels": out.n_rows,
        "batches": out.n_batches,
        "labels_mb": out.path.stat().st_size / 1e6,
        "diff": out.diff.summary(),
        "written": out.written,
    }


def stage_rescore(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The score stage again: its labels are now diffed against the 10M labels written."""
    return stage_score(work, args)


def check_quality(work: Path, sample: int, seed: int) -> dict[str, Any]:
    """ARI of the labels against situation x persona on a seeded sample (untimed)."""
    import duckdb
    from sklearn.metrics import adjusted_rand_score

    con = duckdb.connect()
    frame = con.execute(
        "SELECT l.segment, t.situation || '/' || t.persona AS planted "
        "FROM read_parquet(?) l JOIN read_parquet(?) t USING (customer_id) "
        f"USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE ({int(seed)})",
        [str(work / "labels.parquet"), str(work / "shop" / "truth" / "*.parquet")],
    ).df()
    counts = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM read_parquet(?)",
        [str(work / "labels.parquet")],
    ).fetchone()
    return {
        "ari_overall": float(adjusted_rand_score(frame["planted"], frame["segment"])),
        "sample": len(frame),
        "labels": int(counts[0]),
        "distinct_customers": int(counts[1]),
    }


# ------------------------------------------------------------------------ driver
def run_stage(name: str, work: Path, argv: list[str]) -> dict[str, Any]:
    """Run one stage in a fresh interpreter; return its figures with wall time and peak RSS."""
    command = [sys.executable, __file__, "--stage", name, "--work", str(work), *argv]
    load_before = _load()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"stage {name} failed (exit {done.returncode}):\n{tail}")
    result = json.loads(lines[-1])
    result.update(stage=name, wall_s=wall, load_before=load_before, load_after=_load())
    return result


def print_table(results: list[dict[str, Any]], customers: int) -> None:
    events = next((r["n_events"] for r in results if "n_events" in r), 0)
    print(f"\n{customers:,} customers, {events:,} events; {os.cpu_count()} cores")
    print("| stage | wall | peak RSS | details | load (1/5/15 min) before → after |")
    print("|---|---|---|---|---|")
    for r in results:
        details = {
            "generate": lambda r: f"{r['chunks']} chunks",
            "facts": lambda r: f"compute_facts {r['compute_facts_s']:.0f} s",
            "fit": lambda r: f"fit {r['fit_s']:.0f} s + log_fit {r['log_s']:.0f} s",
            "score": lambda r: (
                f"load {r['load_s']:.1f} s + predict, write and diff {r['score_export_s']:.0f} s "
                f"({r['batches']} batches, {r['labels_mb']:.0f} MB): {r['diff']}"
            ),
        }[r["stage"].replace("rescore", "score")](r)
        print(
            f"| {r['stage']} | {r['wall_s']:.0f} s | {r['peak_gb']:.1f} GB | {details} | "
            f"{r['load_before']} → {r['load_after']} |"
        )
    total = sum(r["wall_s"] for r in results)
    peak = max(r["peak_gb"] for r in results)
    print(f"| **total** | **{total:.0f} s ({total / 60:.1f} min)** | **{peak:.1f} GB** | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=500_000, help="customers per shop chunk")
    parser.add_argument("--batch", type=int, default=500_000, help="customers per score batch")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit of facts")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--quality-sample", type=int, default=1_000_000)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:
        figures = globals()[f"stage_{args.stage}"](args.work, args)
        figures["peak_gb"] = _peak_gb()
        print(json.dumps(figures))
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="metaseg-bench-10m-"))
    work.mkdir(parents=True, exist_ok=True)
    argv = [
        f"--customers={args.customers}",
        f"--seed={args.seed}",
        f"--chunk={args.chunk}",
        f"--batch={args.batch}",
        f"--memory-limit={args.memory_limit}",
    ]
    results = []
    try:
        for name in STAGES:
            results.append(run_stage(name, work, argv))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        print_table(results, args.customers)
        quality = check_quality(work, args.quality_sample, args.seed)
        print(f"\nquality (untimed): {json.dumps(quality)}")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
