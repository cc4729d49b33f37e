"""Benchmark: fit, log and score the synthetic shop at 10k, 100k and 1M customers.

For every size the shop is generated once (``make_shop``) and written to Parquet; then
each phase runs in a fresh subprocess so that its peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own:

* ``fit``: the fit job of ``metaseg fit`` (:func:`metaseg.jobs.run_fit` with
  ``configs/shop.yaml``: read, facts by DuckDB from the Parquet events, sub-segments,
  logged to a temporary sqlite MLflow store and registered), then ``promote``; each
  stage is timed through the job's hooks and peak memory is noted after it (it only grows);
* ``score``: the score job of ``metaseg score`` (:func:`metaseg.jobs.run_score`: load
  the champion, read, facts, predict, write the labels to Parquet);
* ``baseline-kmeans``: the hand-written pipeline of ``experiments/_baseline.py``
  (pandas groupby facts, StandardScaler, k-means with k by the silhouette of all rows,
  stopped when ``--kmeans-budget`` seconds are spent);
* ``baseline-hdbscan``: the same facts, HDBSCAN on all rows, killed after
  ``--hdbscan-timeout`` seconds.

Quality is the adjusted Rand index (ARI) against the planted personas: overall
against situation x persona, and within each planted situation against the persona.
``--agreement-size`` customers are also fitted with ``max_fit_rows`` at its default and
smaller values, and compared with a fit on every row (sample-then-assign agreement).
``--profile`` prints the top functions of the fit under cProfile.

Usage::

    python experiments/bench_scale.py --sizes 10000,100000          # quick
    python experiments/bench_scale.py --sizes 1000000               # the target run
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "shop.yaml"
AS_OF = "2025-12-31"
EVENT_COLUMNS = ["customer_id", "timestamp", "event_type", "amount", "order_id", "category"]
NO_GATES = {
    "min_stability": None,
    "max_noise_share": None,
    "min_sub_segment_share": None,
    "min_sub_segment_size": None,
    "max_catch_all_share": None,
}


# ------------------------------------------------------------------ helpers
def peak_gb() -> float:
    """Peak resident memory of this process so far, in GB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def ari_vs_truth(ids: np.ndarray, labels: np.ndarray, truth: pd.DataFrame) -> dict[str, Any]:
    """ARI of ``labels`` against situation x persona, and against persona per situation."""
    from sklearn.metrics import adjusted_rand_score

    frame = pd.DataFrame({"customer_id": ids, "label": pd.Series(labels).astype(str)})
    frame = frame.merge(truth, on="customer_id", how="inner", validate="one_to_one")
    planted = frame["situation"].astype(str) + "/" + frame["persona"].astype(str)
    within = {
        str(situation): float(adjusted_rand_score(part["persona"].astype(str), part["label"]))
        for situation, part in frame.groupby("situation", observed=True)
    }
    return {
        "overall": float(adjusted_rand_score(planted, frame["label"])),
        "within": within,
        "within_min": min(within.values()),
        "within_mean": float(np.mean(list(within.values()))),
        "matched": len(frame),
    }


def run_worker(name: str, args: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a worker in a fresh interpreter; return its JSON line (or why there is none)."""
    command = [sys.executable, __file__, "--worker", name, *args]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        # a worker may have printed progress lines before it was killed
        partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        lines = [line for line in partial.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {}
        result.update(worker=name, timed_out=True, wall_s=time.perf_counter() - start)
        return result
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-5:]
        return {
            "worker": name,
            "failed": True,
            "returncode": done.returncode,
            "stderr": tail,
            "wall_s": time.perf_counter() - start,
        }
    result = json.loads(lines[-1])
    result["wall_s"] = time.perf_counter() - start
    return result


# ------------------------------------------------------------------ workers
def worker_generate(data: Path, size: int, seed: int) -> dict[str, Any]:
    from metaseg.datasets import make_shop

    start = time.perf_counter()
    customers, events, truth = make_shop(n_customers=size, seed=seed, as_of=AS_OF)
    seconds = time.perf_counter() - start
    events[EVENT_COLUMNS].to_parquet(data / "events.parquet", index=False, row_group_size=1 << 20)
    customers.to_parquet(data / "customers.parquet", index=False)
    truth.to_parquet(data / "truth.parquet", index=False)
    return {"generate_s": seconds, "n_events": len(events), "peak_gb": peak_gb()}


def _profiled(enabled: bool, path: Path, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; under cProfile (top functions written to ``path``) if enabled."""
    if not enabled:
        return function(*args, **kwargs)
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(function, *args, **kwargs)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    path.write_text(text.getvalue())
    return result


def segmentation_config(config: Any, sample_size: int | None) -> dict[str, Any]:
    """The config's segmentation block, with the silhouette samples set to ``sample_size``."""
    block = config.segmentation.model_dump()
    if sample_size:
        block["metrics_sample_size"] = sample_size
        for spec in [block["default"], *block["segments"].values()]:
            if spec.get("algorithm", "kmeans") == "kmeans":
                spec.setdefault("params", {})["sample_size"] = sample_size
    return block


class StageClock:
    """Job hooks that time each stage of a job and note the peak memory after it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_gb: dict[str, float] = {}

    def hooks(self) -> Any:
        from metaseg.jobs import JobHooks

        @contextmanager
        def stage(label: str) -> Iterator[Any]:
            start = time.perf_counter()
            yield lambda name: None
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
            self.peak_gb[label] = peak_gb()

        return JobHooks(message=lambda text: print(text, file=sys.stderr), stage=stage)


def worker_fit(data: Path, store: Path, profile: bool, sample_size: int | None) -> dict[str, Any]:
    """The fit job as ``metaseg fit`` runs it (:func:`metaseg.jobs.run_fit`), stage by stage."""
    from metaseg.config import load_config
    from metaseg.exceptions import GateRefusedError
    from metaseg.jobs import run_fit
    from metaseg.tracking import promote

    config = load_config(CONFIG)
    segmentation = config.segmentation.model_validate(segmentation_config(config, sample_size))
    config = config.model_copy(update={"segmentation": segmentation})
    uri = f"sqlite:///{store / 'mlflow.db'}"
    clock = StageClock()
    start = time.perf_counter()
    outcome = _profiled(
        profile,
        store / "fit_profile.txt",
        run_fit,
        config,
        events=data / "events.parquet",
        customers=data / "customers.parquet",
        register="shop",
        tracking_uri=uri,
        hooks=clock.hooks(),
    )
    out: dict[str, Any] = {"job_s": time.perf_counter() - start}
    out["read_s"] = clock.seconds["reading data"]
    for key, stage in [
        ("facts", "computing facts"),
        ("fit", "sub-segmenting"),
        ("log", "logging to MLflow"),
    ]:
        out[f"{key}_s"], out[f"{key}_peak_gb"] = clock.seconds[stage], clock.peak_gb[stage]
    model = outcome.model
    out["fit_rows"] = model.metrics_["fit_rows"].to_dict()
    out["k"] = model.metrics_["k"].to_dict()
    truth = pd.read_parquet(data / "truth.parquet")
    labels = model.labels_
    out["ari"] = ari_vs_truth(labels["customer_id"].to_numpy(), labels["segment"].to_numpy(), truth)
    start = time.perf_counter()
    try:
        promote("shop", outcome.run.registered_version, tracking_uri=uri)
        out["gates"] = "passed"
    except GateRefusedError as exc:
        out["gates"] = f"refused ({str(exc).splitlines()[1].strip()}); promoted without gates"
        promote("shop", outcome.run.registered_version, tracking_uri=uri, gates=NO_GATES)
    out["promote_s"] = time.perf_counter() - start
    out["tracking_uri"] = uri
    return out


def worker_score(data: Path, uri: str) -> dict[str, Any]:
    """The score job as ``metaseg score`` runs it (:func:`metaseg.jobs.run_score`)."""
    from metaseg.config import load_config
    from metaseg.jobs import run_score

    clock = StageClock()
    start = time.perf_counter()
    outcome = run_score(
        load_config(CONFIG),
        "models:/shop@champion",
        out=data / "labels.parquet",
        events=data / "events.parquet",
        customers=data / "customers.parquet",
        as_of=AS_OF,
        tracking_uri=uri,
        hooks=clock.hooks(),
    )
    return {
        "score_s": time.perf_counter() - start,
        "load_s": clock.seconds["loading the model"],
        "read_s": clock.seconds["reading data"],
        "facts_s": clock.seconds["computing facts"],
        "predict_s": clock.seconds["scoring"],
        "export_s": clock.seconds["exporting labels"],
        "n_labelled": len(outcome.labels),
        "peak_gb": peak_gb(),
    }


def worker_baseline_facts(data: Path) -> dict[str, Any]:
    from _baseline import rfm_facts

    start = time.perf_counter()
    events = pd.read_parquet(data / "events.parquet")
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    facts = rfm_facts(events, pd.Timestamp(AS_OF, tz="UTC"))
    seconds = time.perf_counter() - start
    facts.to_parquet(data / "baseline_facts.parquet", index=False)
    return {"load_s": load_s, "facts_s": seconds, "peak_gb": peak_gb()}


def worker_baseline_kmeans(data: Path, budget: float) -> dict[str, Any]:
    from _baseline import kmeans_full_silhouette, scaled_matrix

    facts = pd.read_parquet(data / "baseline_facts.parquet")
    truth = pd.read_parquet(data / "truth.parquet")
    start = time.perf_counter()

    def summary(search: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cluster_s": time.perf_counter() - start,
            "best_k": search.best_k,
            "k_tried": sorted(search.silhouettes),
            "seconds_per_k": {str(k): round(v, 1) for k, v in search.seconds.items()},
            "stopped_early": search.stopped_early,
            "peak_gb": peak_gb(),
        }
        if search.labels is not None:
            out["ari"] = ari_vs_truth(facts["customer_id"].to_numpy(), search.labels, truth)
        return out

    def progress(search: Any) -> None:
        print(json.dumps(summary(search)), flush=True)

    search = kmeans_full_silhouette(scaled_matrix(facts), time_budget=budget, on_k=progress)
    return summary(search)


def worker_baseline_hdbscan(data: Path) -> dict[str, Any]:
    from _baseline import hdbscan_all_rows, scaled_matrix

    facts = pd.read_parquet(data / "baseline_facts.parquet")
    min_cluster_size = max(50, len(facts) // 500)
    start = time.perf_counter()
    labels = hdbscan_all_rows(scaled_matrix(facts), min_cluster_size=min_cluster_size)
    truth = pd.read_parquet(data / "truth.parquet")
    return {
        "cluster_s": time.perf_counter() - start,
        "min_cluster_size": min_cluster_size,
        "noise_share": float(np.mean(labels == -1)),
        "n_clusters": int(labels.max() + 1),
        "ari": ari_vs_truth(facts["customer_id"].to_numpy(), labels, truth),
        "peak_gb": peak_gb(),
    }


def worker_agreement(data: Path, caps: list[int]) -> dict[str, Any]:
    """Labels with max_fit_rows at each cap against a fit on every row."""
    from sklearn.metrics import adjusted_rand_score

    from metaseg.config import load_config
    from metaseg.facts import compute_facts
    from metaseg.model import MetaSegmenter

    config = load_config(CONFIG)
    customers = pd.read_parquet(data / "customers.parquet")
    facts = compute_facts(data / "events.parquet", customers)
    base = config.segmentation.model_dump()
    base["n_bootstrap"] = 0
    full_cap = len(facts)
    start = time.perf_counter()
    full = MetaSegmenter.from_config({**base, "max_fit_rows": full_cap}).fit(facts)
    out: dict[str, Any] = {
        "full_fit_s": time.perf_counter() - start,
        "segment_sizes": full.metrics_["n_customers"].astype(int).to_dict(),
        "caps": {},
    }
    for cap in caps:
        start = time.perf_counter()
        model = MetaSegmenter.from_config({**base, "max_fit_rows": cap}).fit(facts)
        seconds = time.perf_counter() - start
        a, b = full.labels_, model.labels_
        per_segment = {}
        for name, part in a.groupby("base_segment"):
            other = b.loc[part.index, "sub_segment"]
            per_segment[str(name)] = float(adjusted_rand_score(part["sub_segment"], other))
        out["caps"][str(cap)] = {
            "fit_s": seconds,
            "sampled_segments": int((model.metrics_["fit_rows"] < full.metrics_["fit_rows"]).sum()),
            "ari_overall": float(adjusted_rand_score(a["segment"], b["segment"])),
            "ari_per_segment": per_segment,
        }
    return out


def worker_help() -> dict[str, Any]:
    metaseg = Path(sys.executable).with_name("metaseg")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([str(metaseg), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return {"help_s": min(times)}


# ------------------------------------------------------------------ driver
def bench_size(size: int, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    data = root / f"shop_{size}"
    store = root / f"store_{size}"
    data.mkdir()
    store.mkdir()
    result: dict[str, Any] = {"size": size}
    print(f"== {size:,} customers", file=sys.stderr)
    result["generate"] = run_worker("generate", [str(data), str(size), str(args.seed)])
    extra = ["--profile"] if args.profile else []
    if args.sample_size:
        extra += ["--sample-size", str(args.sample_size)]
    result["fit"] = run_worker("fit", [str(data), str(store), *extra])
    print(f"   fit: {_short(result['fit'])}", file=sys.stderr)
    if "tracking_uri" in result["fit"]:
        result["score"] = run_worker("score", [str(data), result["fit"]["tracking_uri"]])
        print(f"   score: {_short(result['score'])}", file=sys.stderr)
    if not args.skip_baseline:
        cap = ["--memory-cap-gb", str(args.memory_cap_gb)]
        result["baseline_facts"] = run_worker("baseline-facts", [str(data)])
        budget = str(args.kmeans_budget)
        result["baseline_kmeans"] = run_worker(
            "baseline-kmeans", [str(data), budget, *cap], timeout=args.kmeans_budget * 4 + 120
        )
        print(f"   baseline k-means: {_short(result['baseline_kmeans'])}", file=sys.stderr)
        result["baseline_hdbscan"] = run_worker(
            "baseline-hdbscan", [str(data), *cap], timeout=args.hdbscan_timeout
        )
        print(f"   baseline hdbscan: {_short(result['baseline_hdbscan'])}", file=sys.stderr)
    if size == args.agreement_size:
        caps = [int(c) for c in args.agreement_caps.split(",")]
        result["agreement"] = run_worker("agreement", [str(data), ",".join(map(str, caps))])
    return result


def _short(result: dict[str, Any]) -> str:
    keep = {k: v for k, v in result.items() if not isinstance(v, dict | list)}
    return json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in keep.items()})


def _fmt_s(value: Any) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _ari(block: dict[str, Any]) -> str:
    ari = block.get("ari")
    if not ari:
        return "–"
    return f"{ari['overall']:.2f} / {ari['within_min']:.2f}–{max(ari['within'].values()):.2f}"


#: The whole-job targets at 1M customers (issue "scoring and exporting at the speed of the data").
TARGETS = {"fit_job_s": 30.0, "score_s": 10.0, "peak_gb": 3.0}


def targets_table(results: list[dict[str, Any]]) -> list[str]:
    """Each whole job (fresh process) against its target: wall time and peak memory."""
    lines = [
        f"| customers | fit job (read + facts + fit + log) | target {TARGETS['fit_job_s']:.0f} s "
        f"| score job | target {TARGETS['score_s']:.0f} s | peak fit / score "
        f"| target {TARGETS['peak_gb']:.0f} GB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        fit, score = r.get("fit", {}), r.get("score", {})
        job, scored = fit.get("job_s"), score.get("score_s")
        peak_fit = max(fit.get(k, 0) for k in ("facts_peak_gb", "fit_peak_gb", "log_peak_gb"))
        peak_score = score.get("peak_gb", 0)

        def verdict(value: float | None, target: float) -> str:
            return "–" if value is None else ("met" if value <= target else "not met")

        lines.append(
            f"| {r['size']:,} | {_fmt_s(job)} | {verdict(job, TARGETS['fit_job_s'])} "
            f"| {_fmt_s(scored)} | {verdict(scored, TARGETS['score_s'])} "
            f"| {peak_fit:.1f} / {peak_score:.1f} GB "
            f"| {verdict(max(peak_fit, peak_score), TARGETS['peak_gb'])} |"
        )
    return lines


def markdown(results: list[dict[str, Any]], help_s: float | None) -> str:
    """The results tables (README's performance section)."""
    lines = [
        "| customers | events | facts | fit | log | score (load + read + facts + predict + export) "
        "| peak fit / score | ARI overall / within situations |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        fit, score, gen = r.get("fit", {}), r.get("score", {}), r.get("generate", {})
        peak_fit = max(fit.get(k, 0) for k in ("facts_peak_gb", "fit_peak_gb", "log_peak_gb"))
        lines.append(
            f"| {r['size']:,} | {gen.get('n_events', 0) / 1e6:.1f}M | {_fmt_s(fit.get('facts_s'))} "
            f"| {_fmt_s(fit.get('fit_s'))} | {_fmt_s(fit.get('log_s'))} "
            f"| {_fmt_s(score.get('score_s'))} ({_fmt_s(score.get('load_s'))} + "
            f"{_fmt_s(score.get('read_s'))} + {_fmt_s(score.get('facts_s'))} + "
            f"{_fmt_s(score.get('predict_s'))} + {_fmt_s(score.get('export_s'))}) "
            f"| {peak_fit:.1f} / {score.get('peak_gb', 0):.1f} GB | {_ari(fit)} |"
        )
    lines += ["", *targets_table(results)]
    lines += [
        "",
        "| customers | pipeline | facts | clustering | total | time / metaseg's | ARI overall "
        "/ within situations | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        fit = r.get("fit", {})
        ours = (fit.get("facts_s") or 0) + (fit.get("fit_s") or 0)
        lines.append(
            f"| {r['size']:,} | metaseg (rules + sub-segments) | {_fmt_s(fit.get('facts_s'))} "
            f"| {_fmt_s(fit.get('fit_s'))} | {_fmt_s(ours)} | 1.0 | {_ari(fit)} | |"
        )
        bf = r.get("baseline_facts", {}).get("facts_s")
        for key, label in (
            ("baseline_kmeans", "k-means, full silhouette"),
            ("baseline_hdbscan", "HDBSCAN, all rows"),
        ):
            block = r.get(key)
            if block is None:
                continue
            if block.get("failed"):
                why = (block.get("stderr") or ["?"])[-1][:80] or "?"
                if block.get("returncode") == -9:
                    why = "killed by signal 9 (the system's OOM killer)"
                lines.append(
                    f"| {r['size']:,} | notebook: {label} | {_fmt_s(bf)} | failed after "
                    f"{_fmt_s(block.get('wall_s'))} | – | – | – | {why} |"
                )
                continue
            if block.get("timed_out") and not block.get("k_tried"):
                lines.append(
                    f"| {r['size']:,} | notebook: {label} | {_fmt_s(bf)} | did not finish "
                    f"in {block['wall_s']:.0f} s | – | – | – | killed |"
                )
                continue
            cluster = block.get("cluster_s")
            total = None if cluster is None or bf is None else bf + cluster
            ratio = "–" if total is None or not ours else f"{total / ours:.1f}×"
            note = ""
            if block.get("timed_out"):
                note = f"killed after {block['wall_s']:.0f} s; best of k={block['k_tried']}"
            elif block.get("stopped_early"):
                note = f"k search stopped after k={max(block['k_tried'])} (budget)"
            elif "best_k" in block:
                note = f"k={block['best_k']}"
            elif "n_clusters" in block:
                note = f"{block['n_clusters']} clusters, noise {block['noise_share']:.0%}"
            lines.append(
                f"| {r['size']:,} | notebook: {label} | {_fmt_s(bf)} | {_fmt_s(cluster)} "
                f"| {_fmt_s(total)} | {ratio} | {_ari(block)} | {note} |"
            )
    for r in results:
        agreement = r.get("agreement")
        if not agreement or agreement.get("failed"):
            continue
        lines += [
            "",
            f"Sample-then-assign at {r['size']:,} customers (largest base segment "
            f"{max(agreement['segment_sizes'].values()):,}; full fit {agreement['full_fit_s']:.1f} s):",
            "",
            "| max_fit_rows | segments sampled | fit | ARI vs full fit (all labels) "
            "| lowest ARI of one base segment |",
            "|---|---|---|---|---|",
        ]
        for cap, row in agreement["caps"].items():
            lines.append(
                f"| {int(cap):,} | {row['sampled_segments']} | {row['fit_s']:.1f} s "
                f"| {row['ari_overall']:.3f} | {min(row['ari_per_segment'].values()):.3f} |"
            )
    if help_s is not None:
        lines += ["", f"`metaseg --help`: {help_s:.2f} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--kmeans-budget",
        type=float,
        default=240.0,
        help="seconds after which the full-silhouette k search stops",
    )
    parser.add_argument("--hdbscan-timeout", type=float, default=300.0)
    parser.add_argument(
        "--memory-cap-gb",
        type=float,
        default=10.0,
        help="address-space cap of the baseline workers (0: none)",
    )
    parser.add_argument("--agreement-size", type=int, default=100_000)
    parser.add_argument("--agreement-caps", default="50000,20000,5000")
    parser.add_argument("--profile", action="store_true", help="cProfile the fit")
    parser.add_argument(
        "--sample-size",
        type=int,
        help="AutoKMeans sample_size and metrics_sample_size (default: the config's)",
    )
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _dispatch(args.worker, args.rest, args)

    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="metaseg-bench-") as tmp:
        for size in sizes:
            results.append(bench_size(size, args, Path(tmp)))
            for name in ("fit_profile.txt", "log_profile.txt") if args.profile else ():
                path = Path(tmp) / f"store_{size}" / name
                if path.is_file():
                    print(path.read_text(), file=sys.stderr)
    help_s = run_worker("help", []).get("help_s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    print(markdown(results, help_s))
    return 0


def _dispatch(name: str, rest: list[str], args: argparse.Namespace) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if name.startswith("baseline-") and args.memory_cap_gb:
        # a MemoryError here rather than the machine's OOM killer picking a victim
        cap = int(args.memory_cap_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if name == "generate":
        out = worker_generate(Path(rest[0]), int(rest[1]), int(rest[2]))
    elif name == "fit":
        out = worker_fit(Path(rest[0]), Path(rest[1]), args.profile, args.sample_size)
    elif name == "score":
        out = worker_score(Path(rest[0]), rest[1])
    elif name == "baseline-facts":
        out = worker_baseline_facts(Path(rest[0]))
    elif name == "baseline-kmeans":
        out = worker_baseline_kmeans(Path(rest[0]), float(rest[1]))
    elif name == "baseline-hdbscan":
        try:
            out = worker_baseline_hdbscan(Path(rest[0]))
        except MemoryError:
            raise SystemExit(
                f"MemoryError: HDBSCAN needs more than the {args.memory_cap_gb:g} GB cap"
            ) from None
    elif name == "agreement":
        out = worker_agreement(Path(rest[0]), [int(c) for c in rest[1].split(",")])
    elif name == "help":
        out = worker_help()
    else:
        raise SystemExit(f"unknown worker {name!r}")
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
