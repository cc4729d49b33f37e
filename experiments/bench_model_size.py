"""Benchmark: size and load time of a registered segmentation, per algorithm and size.

For each size the synthetic shop is generated once; for each algorithm (the Gaussian
mixture default, k-means, HDBSCAN) a :class:`~metaseg.model.MetaSegmenter` is fitted,
logged and registered to a temporary sqlite MLflow store
(:func:`metaseg.tracking.log_fit`) and promoted. Printed per model:

* ``full MB``: the fitted model pickled whole (joblib), which is what a registered
  version held before scoring copies (labels and every fit row inside);
* ``artifact MB``: the registered ``segmenter.joblib``, the scoring copy;
* ``train MB``: ``training/fit_labels.parquet``, logged to the run beside it;
* ``unpickle full s`` / ``unpickle s``: ``joblib.load`` of each form from disk;
* ``imports s``: in a fresh process, importing what loading needs (MLflow's sqlite
  stores, scikit-learn through :mod:`metaseg.model`), which scoring pays anyway;
* ``load s``: then :func:`metaseg.tracking.load_champion` (store, download, sha256
  check, unpickle);
* ``same``: the loaded champion's labels equal the in-memory model's.

Usage::

    python experiments/bench_model_size.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import joblib

ALGORITHMS = {
    "gmm": {},
    "kmeans": {"default": {"algorithm": "kmeans"}},
    "hdbscan": {"default": {"algorithm": "hdbscan"}},
}
NO_GATES = dict.fromkeys(
    (
        "min_stability",
        "max_noise_share",
        "min_sub_segment_share",
        "min_sub_segment_size",
        "max_catch_all_share",
        "min_silhouette",
    )
)
_LOAD = """
import sys, time
start = time.perf_counter()
import mlflow.store.model_registry.sqlalchemy_store, mlflow.store.tracking.sqlalchemy_store
import metaseg.model, metaseg.tracking
imports = time.perf_counter() - start
import pandas as pd
from metaseg.tracking import load_champion
start = time.perf_counter()
loaded = load_champion(sys.argv[2], tracking_uri=sys.argv[1])
seconds = time.perf_counter() - start
facts = pd.read_parquet(sys.argv[3])
facts.attrs["as_of"] = loaded.model.as_of_
labels = loaded.predict(facts)
expected = pd.read_parquet(sys.argv[4])
same = labels["segment"].tolist() == expected["segment"].tolist()
print(f"{imports:.3f} {seconds:.3f} {same}")
"""


def _measure(n: int, algorithms: list[str], work: Path) -> list[dict]:
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts
    from metaseg.model import MetaSegmenter
    from metaseg.tracking import log_fit, names, promote

    start = time.perf_counter()
    customers, events, _ = make_shop(n_customers=n, seed=1)
    facts = compute_facts(events, customers)
    del events
    print(f"  shop and facts of {n:,} customers: {time.perf_counter() - start:.1f} s", flush=True)
    facts_file = work / f"facts-{n}.parquet"
    plain = facts.copy()
    plain.attrs = {}
    plain.to_parquet(facts_file)
    uri = f"sqlite:///{work / 'mlflow.db'}"
    rows = []
    for algorithm in algorithms:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = MetaSegmenter(random_state=0, **ALGORITHMS[algorithm]).fit(facts)
        fitted = time.perf_counter() - start
        name = f"bench-{algorithm}-{n}"
        run = log_fit(
            model,
            facts,
            register=name,
            tracking_uri=uri,
            artifacts_dir=work / name,
            progress=False,
        )
        promote(name, run.registered_version, gates=NO_GATES, tracking_uri=uri)
        full = work / f"{name}-full.joblib"
        joblib.dump(model, full)
        artifact = run.local_dir / names.LOCAL_MODEL_PATH
        training = run.local_dir / names.TRAINING_LABELS_PATH
        expected = work / f"{name}-labels.parquet"
        model.labels_.to_parquet(expected)
        row = {
            "n": n,
            "algorithm": algorithm,
            "fit s": fitted,
            "full MB": full.stat().st_size / 1e6,
            "artifact MB": artifact.stat().st_size / 1e6,
            "train MB": training.stat().st_size / 1e6,
            "unpickle full s": _timed_load(full),
            "unpickle s": _timed_load(artifact),
        }
        done = subprocess.run(
            [sys.executable, "-c", _LOAD, uri, name, str(facts_file), str(expected)],
            capture_output=True,
            text=True,
            check=True,
        )
        imports, seconds, same = done.stdout.split()[-3:]
        row["imports s"], row["load s"] = float(imports), float(seconds)
        row["same"] = same == "True"
        rows.append(row)
        print("  " + "  ".join(f"{k} {_fmt(v)}" for k, v in row.items()), flush=True)
        del model
    return rows


def _timed_load(path: Path) -> float:
    data = io.BytesIO(path.read_bytes())
    start = time.perf_counter()
    joblib.load(data)
    return time.perf_counter() - start


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    args = parser.parse_args()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"cpus: {os.cpu_count()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="metaseg-bench-size-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            rows += _measure(n, args.algorithms.split(","), Path(tmp))
    import pandas as pd

    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
