"""Benchmark: exporting 1M labels to Parquet, SQLite and PostgreSQL, before and after.

Three exports per sink, in this order, against one target:

* ``first``: the target does not exist yet (every label is added);
* ``no-op``: the same labels again (nothing changed);
* ``5% changed``: labels where 5% of the customers changed (2% moved to another
  segment, 2% with a new ``segment_name``, 0.5% gone and 0.5% new).

"before" is the export code of a git revision (``--before``, default ``main``), taken
with ``git archive`` into a temporary folder; "after" is this working tree. Each
(version, sink) runs in a fresh process with that tree first on ``PYTHONPATH``, after a
small warm-up export (imports and driver start-up are not counted), so both versions
are measured in the same run, on the same labels and the same machine load: compare the
ratio column rather than the seconds, which move with the load ``uptime`` reports.

The labels are synthetic, with the standard labels schema
(``metaseg.schema.LABEL_COLUMNS``): integer customer ids, 5 base segments with 5
sub-segments each, one model. PostgreSQL is a throwaway cluster started from the server
binaries under ``/usr/lib/postgresql/*/bin`` (``.ci/postgres.sh`` installs them; run as
root the server runs as the ``postgres`` user), or ``--postgres-url``.

Usage::

    python experiments/bench_export.py                     # 1M labels, all sinks
    python experiments/bench_export.py --n 100000 --sinks parquet,sqlite
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
STAGES = ("first", "no-op", "5% changed")
SINKS = ("parquet", "sqlite", "postgresql")


# --------------------------------------------------------------------------- labels


def make_labels(n: int, random_state: int = 0) -> pd.DataFrame:
    """Synthetic labels for ``n`` customers with the standard labels columns."""
    from metaseg.schema import LABEL_COLUMNS, segment_code

    rng = np.random.default_rng(random_state)
    bases = np.array(["dormant", "active", "champions", "at_risk", "new"], dtype=object)
    base = bases[rng.integers(0, len(bases), n)]
    sub = rng.integers(-1, 4, n)
    pairs = pd.MultiIndex.from_arrays([base, sub])
    codes, distinct = pd.factorize(pairs)
    segment = np.array([segment_code(b, s) for b, s in distinct], dtype=object)[codes]
    names = np.array([f"{b.title()} group {s}" for b, s in distinct], dtype=object)[codes]
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(n, dtype="int64"),
            "base_segment": pd.array(base, dtype="str"),
            "sub_segment": sub.astype("int64"),
            "segment": pd.array(segment, dtype="str"),
            "segment_name": pd.array(names, dtype="str"),
            "model_name": "shop",
            "model_version": "7",
            "run_id": "0123456789abcdef",
            "as_of": pd.Timestamp("2025-12-31", tz="UTC"),
            "scored_at": pd.Timestamp("2026-01-01T06:00:00", tz="UTC"),
        }
    )
    return frame[list(LABEL_COLUMNS)]


def change_labels(labels: pd.DataFrame, random_state: int = 1) -> pd.DataFrame:
    """5% of the customers changed: 2% moved, 2% renamed, 0.5% gone and 0.5% new."""
    rng = np.random.default_rng(random_state)
    n = len(labels)
    order = rng.permutation(n)
    moved, renamed = order[: n // 50], order[n // 50 : n // 25]
    gone = order[n // 25 : n // 25 + n // 200]
    out = labels.copy()
    out.loc[moved, ["base_segment", "sub_segment", "segment"]] = ["moved", 0, "moved/0"]
    out.loc[renamed, "segment_name"] = "Renamed group"
    out = out.drop(index=gone)
    new = labels.iloc[: n // 200].copy()
    new["customer_id"] = np.arange(n, n + len(new), dtype="int64")
    return pd.concat([out, new], ignore_index=True)


# --------------------------------------------------------------------------- PostgreSQL


@contextmanager
def postgres(url: str | None, workdir: Path) -> Iterator[str | None]:
    """The server URL: the one given, or a throwaway cluster (None when none can start)."""
    if url:
        yield url
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        print("PostgreSQL: no server binaries (run .ci/postgres.sh); skipped", file=sys.stderr)
        yield None
        return
    bindir = Path(found[-1]).parent
    base = workdir / "pg"
    base.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = base / "data"
    # the server settings of a scratch database: the same for both versions
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w"]
        + ["-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )


# --------------------------------------------------------------------------- one version


def worker(labels_path: str, changed_path: str, target: str, warmup: str) -> dict[str, Any]:
    """Time the three exports with the ``metaseg`` first on ``sys.path``."""
    import metaseg
    from metaseg.export import export_labels

    labels = pd.read_parquet(labels_path)
    changed = pd.read_parquet(changed_path)
    export_labels(labels.iloc[:100], warmup)  # imports, drivers, DuckDB start-up
    export_labels(labels.iloc[:100], warmup)
    out: dict[str, Any] = {"metaseg": str(Path(metaseg.__file__).parent)}
    for stage, frame in zip(STAGES, (labels, labels, changed), strict=True):
        start = time.perf_counter()
        result = export_labels(frame, target)
        seconds = time.perf_counter() - start
        out[stage] = {
            "s": seconds,
            "written": getattr(result, "written", True),
            "summary": result.diff.summary(),
        }
    return out


def _target(sink: str, version: str, folder: Path, pg_url: str | None) -> tuple[str, str]:
    if sink == "parquet":
        return str(folder / f"{version}.parquet"), str(folder / f"{version}-warm.parquet")
    if sink == "sqlite":
        db = f"sqlite:///{folder}/{version}.db"
        return f"{db}?table=labels", f"{db}?table=warmup"
    assert pg_url is not None
    return f"{pg_url}?table=labels_{version}", f"{pg_url}?table=warmup_{version}"


def _run(tree: Path, args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker failed ({tree}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _before_tree(ref: str, folder: Path) -> Path:
    """The ``metaseg`` package of git revision ``ref``, extracted under ``folder``."""
    archive = folder / "before.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", ref, "metaseg"], stdout=fh, check=True)
    tree = folder / "before"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _table(results: dict[tuple[str, str], dict[str, Any]], sinks: list[str]) -> str:
    lines = [
        "| sink | export | before (s) | after (s) | before / after | written after |",
        "|---|---|---|---|---|---|",
    ]
    for sink in sinks:
        before, after = results[(sink, "before")], results[(sink, "after")]
        for stage in STAGES:
            b, a = before[stage]["s"], after[stage]["s"]
            lines.append(
                f"| {sink} | {stage} | {b:.2f} | {a:.2f} | {b / a:.1f}x | "
                f"{'yes' if after[stage]['written'] else 'no'} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="labels (customers)")
    parser.add_argument("--sinks", default=",".join(SINKS), help="comma-separated sinks")
    parser.add_argument("--before", default="main", help="git revision of the 'before' code")
    parser.add_argument("--postgres-url", default=None, help="use this server, not a new one")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    parser.add_argument("--changed", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.labels, args.changed, args.target, args.warmup)))
        return

    sinks = [s.strip() for s in args.sinks.split(",") if s.strip()]
    unknown = sorted(set(sinks) - set(SINKS))
    if unknown:
        parser.error(f"--sinks: unknown {unknown}; choose from {list(SINKS)}")
    print(f"load at start: {_uptime()}")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)
        labels_path, changed_path = folder / "labels.parquet", folder / "changed.parquet"
        labels = make_labels(args.n)
        labels.to_parquet(labels_path, index=False)
        change_labels(labels).to_parquet(changed_path, index=False)
        trees = {"before": _before_tree(args.before, folder), "after": REPO}
        results: dict[tuple[str, str], dict[str, Any]] = {}
        with postgres(args.postgres_url, folder) as pg_url:
            if pg_url is None and "postgresql" in sinks:
                sinks.remove("postgresql")
            for sink in sinks:
                for version, tree in trees.items():
                    target, warmup = _target(sink, version, folder, pg_url)
                    run = _run(
                        tree,
                        ["--labels", str(labels_path), "--changed", str(changed_path)]
                        + ["--target", target, "--warmup", warmup],
                    )
                    results[(sink, version)] = run
                    timing = ", ".join(f"{s} {run[s]['s']:.2f} s" for s in STAGES)
                    print(f"{sink:10s} {version:6s}: {timing}   [{_uptime()}]", flush=True)
        for sink in sinks:
            print(f"{sink} 5% changed, after: {results[(sink, 'after')]['5% changed']['summary']}")
    print(f"\n{args.n:,} labels; before = {args.before}, after = this working tree\n")
    print(_table(results, sinks))
    print(f"\nload at end: {_uptime()}")


if __name__ == "__main__":
    main()
