"""Search a grid of segmentation configurations, every fit logged to one MLflow experiment.

One :class:`~metaseg.model.MetaSegmenter` is fitted per grid point and logged with
:func:`metaseg.tracking.log_fit`; then the runs are printed side by side
(:func:`metaseg.tracking.compare`), sorted by a metric and with each run's quality-gate
verdict, so that a batch job can search for the best segmentation and a person can pick
the run to promote (``metaseg promote NAME VERSION`` when ``--register`` was given).

Grid points
-----------
- ``gmm`` and ``kmeans``: one point per ``--k-ranges`` entry (automatic k in that range,
  by the config's criterion when the config used the same algorithm, else the default);
- ``hdbscan``: one point per ``--umap`` setting (``off``: HDBSCAN on the features,
  ``on``: on a UMAP embedding), with ``--min-cluster-size``;

each crossed with every ``--features`` entry: ``config`` keeps the features the config
gives each base segment, a preset name (``rfm``, ``engagement``, ``basket``,
``behaviour``) is used for every base segment. A point replaces the algorithm and
parameters of the config's ``default`` and of every per-segment entry; the rules and
everything else come from the config (``configs/shop.yaml`` for ``--data synthetic``,
``configs/online_retail.yaml`` for ``--data online_retail``).

Usage::

    python experiments/grid_search.py --data synthetic --customers 5000
    python experiments/grid_search.py --data online_retail --sort stability_min \\
        --experiment retail-grid --tracking-uri sqlite:///grid.db --register retail
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    "synthetic": REPO / "configs" / "shop.yaml",
    "online_retail": REPO / "configs" / "online_retail.yaml",
}
ALGORITHMS = ("gmm", "kmeans", "hdbscan")
#: Algorithms whose grid points are k ranges.
K_ALGORITHMS = ("gmm", "kmeans")
FEATURE_CHOICES = ("config", "rfm", "engagement", "basket", "behaviour")
#: Overall metrics where a smaller value is better (sorted ascending).
SMALLER_IS_BETTER = frozenset({"noise_share", "davies_bouldin", "catch_all_share"})
#: Columns printed besides the run name, the gate verdict and the sort metric.
SHOWN = (
    "overall.n_sub_segments",
    "overall.silhouette",
    "overall.stability_min",
    "overall.noise_share",
    "overall.smallest_sub_segment_share",
)


@dataclass(frozen=True)
class GridPoint:
    """One configuration of the grid.

    Attributes
    ----------
    algorithm : {"gmm", "kmeans", "hdbscan"}
    features : str
        ``"config"`` or a feature preset name.
    k_range : tuple of int, optional
        ``(k_min, k_max)`` of ``gmm`` or ``kmeans``.
    umap : bool, optional
        Whether HDBSCAN runs on a UMAP embedding.

    Examples
    --------
    >>> GridPoint("kmeans", "config", k_range=(2, 6)).name
    'kmeans k2-6 config'
    """

    algorithm: str
    features: str
    k_range: tuple[int, int] | None = None
    umap: bool | None = None

    @property
    def name(self) -> str:
        """A short, readable run name."""
        if self.algorithm in K_ALGORITHMS:
            assert self.k_range is not None
            how = f"k{self.k_range[0]}-{self.k_range[1]}"
        else:
            how = "umap" if self.umap else "no-umap"
        return f"{self.algorithm} {how} {self.features}"


def parse_k_range(text: str) -> tuple[int, int]:
    """Parse ``"2-8"`` into ``(2, 8)`` (argparse type).

    Examples
    --------
    >>> parse_k_range("3-5")
    (3, 5)
    """
    low, sep, high = text.partition("-")
    try:
        k_min, k_max = int(low), int(high)
    except ValueError:
        k_min = k_max = -1
    if not sep or k_min < 1 or k_max < max(k_min, 2):
        raise argparse.ArgumentTypeError(
            f"k range must look like 1-8 (k_min >= 1, k_max >= k_min and >= 2), got {text!r}"
        )
    return k_min, k_max


def build_grid(
    algorithms: Iterable[str],
    k_ranges: Iterable[tuple[int, int]],
    features: Iterable[str],
    umap: Iterable[bool],
) -> list[GridPoint]:
    """Cross the grid's dimensions; k ranges apply to gmm and k-means, UMAP to HDBSCAN.

    Examples
    --------
    >>> [p.name for p in build_grid(["kmeans", "hdbscan"], [(2, 4)], ["config"], [False])]
    ['kmeans k2-4 config', 'hdbscan no-umap config']
    """
    points = []
    for algorithm in dict.fromkeys(algorithms):
        for feature in dict.fromkeys(features):
            if algorithm in K_ALGORITHMS:
                points += [
                    GridPoint(algorithm, feature, k_range=k) for k in dict.fromkeys(k_ranges)
                ]
            else:
                points += [GridPoint(algorithm, feature, umap=u) for u in dict.fromkeys(umap)]
    return points


def point_spec(
    segmentation: dict[str, Any], point: GridPoint, *, min_cluster_size: float = 0.05
) -> dict[str, Any]:
    """The ``segmentation`` block of a config with a grid point applied (a new dict).

    Parameters
    ----------
    segmentation : dict
        The config's ``segmentation`` block (``config.segmentation.model_dump()``).
    point : GridPoint
    min_cluster_size : float
        HDBSCAN's smallest sub-segment, as a share of the base segment.

    Examples
    --------
    >>> spec = {"default": {"algorithm": "kmeans", "features": {"features": "rfm"},
    ...                     "params": {"k_max": 8, "criterion": "silhouette"}},
    ...         "segments": {"new": {"algorithm": "none", "features": {"features": "rfm"},
    ...                              "params": {}}}}
    >>> out = point_spec(spec, GridPoint("kmeans", "basket", k_range=(2, 4)))
    >>> out["default"]["params"], out["default"]["features"]["features"]
    ({'k_min': 2, 'k_max': 4, 'criterion': 'silhouette'}, 'basket')
    >>> out["segments"]["new"]["algorithm"]
    'none'
    """
    spec = copy.deepcopy(segmentation)
    entries = [spec["default"], *spec.get("segments", {}).values()]
    for entry in entries:
        if entry.get("algorithm") == "none":
            continue
        criterion = entry.get("params", {}).get("criterion")
        same_algorithm = entry.get("algorithm") == point.algorithm
        entry["algorithm"] = point.algorithm
        if point.algorithm in K_ALGORITHMS:
            assert point.k_range is not None
            k_min, k_max = point.k_range
            entry["params"] = {"k_min": k_min, "k_max": k_max}
            if same_algorithm and criterion is not None:
                entry["params"]["criterion"] = criterion
        else:
            entry["params"] = {"min_cluster_size": min_cluster_size}
            if point.umap:
                entry["params"]["reducer"] = "umap"
        if point.features != "config":
            entry["features"] = {**entry.get("features", {}), "features": point.features}
    return spec


@dataclass
class GridData:
    """The facts a grid is fitted on, with where they came from."""

    config: Any
    facts: pd.DataFrame
    report: Any
    source: str


def load_data(
    data: str,
    *,
    customers: int | None = None,
    seed: int = 0,
    data_path: str | None = None,
    bootstrap: int | None = None,
) -> GridData:
    """Read the data set and compute its facts, with the data set's config.

    For ``synthetic``, ``customers`` is the shop's size; for ``online_retail`` a seeded
    sample of that many customers is kept (all of them by default).
    """
    from metaseg import jobs
    from metaseg.config import load_config

    document = load_config(CONFIGS[data]).model_dump(by_alias=True)
    if data == "synthetic":
        document["data"]["synthetic"] = {"n_customers": customers or 5_000, "seed": seed}
    elif data_path is not None:
        document["data"]["online_retail"]["path"] = str(Path(data_path).resolve())
    else:  # the config's path is relative to the repository, not to the working directory
        path = Path(document["data"]["online_retail"]["path"])
        document["data"]["online_retail"]["path"] = str((REPO / path).resolve())
    if bootstrap is not None:
        document["segmentation"]["n_bootstrap"] = bootstrap
    config = load_config(document)
    inputs = jobs.load_inputs(config)
    facts = jobs.build_facts(inputs, config)
    source = inputs.source
    if data != "synthetic" and customers is not None and customers < len(facts):
        attrs = dict(facts.attrs)
        facts = facts.sample(n=customers, random_state=seed).sort_values("customer_id")
        facts = facts.reset_index(drop=True)
        facts.attrs.update(attrs)
        source += f" ({customers:,} customers sampled with seed {seed})"
    return GridData(config, facts, inputs.report, source)


def gate_verdict(model: Any, gates: Any) -> str:
    """``"pass"`` or ``"fail: <gates>"`` for a fitted model under the config's gates."""
    from metaseg.tracking import coerce_gates, evaluate_gates
    from metaseg.tracking.run_data import fit_metrics

    results = evaluate_gates(fit_metrics(model), coerce_gates(gates or None))
    failed = [r.name for r in results if not r.passed]
    return "pass" if not failed else "fail: " + ", ".join(failed)


@dataclass
class GridRun:
    """One fitted and logged grid point."""

    point: GridPoint
    run: Any
    gates: str
    seconds: float


def run_grid(
    points: Sequence[GridPoint],
    data: GridData,
    *,
    experiment: str,
    tracking_uri: str | None = None,
    register: str | None = None,
    min_cluster_size: float = 0.05,
    out: Path | None = None,
    plots: bool = False,
    say: Callable[[str], None] = print,
) -> list[GridRun]:
    """Fit and log every grid point; return what was logged, in grid order."""
    from metaseg.model import MetaSegmenter
    from metaseg.plots import save_all
    from metaseg.segmentation_spec import coerce_segmentation_spec
    from metaseg.tracking import log_fit

    base = data.config.segmentation.model_dump()
    specs = [
        coerce_segmentation_spec(point_spec(base, p, min_cluster_size=min_cluster_size))
        for p in points
    ]  # every point is validated before the first fit
    runs = []
    for i, (point, spec) in enumerate(zip(points, specs, strict=True), start=1):
        started = time.perf_counter()
        model = MetaSegmenter.from_config(spec).fit(data.facts)
        folder = None if out is None else out / f"{i:02d}-{point.name.replace(' ', '_')}"
        run = log_fit(
            model,
            data.facts,
            experiment=experiment,
            run_name=point.name,
            register=register,
            tracking_uri=tracking_uri,
            config=data.config.model_dump(mode="json")
            | {"segmentation": spec.model_dump(mode="json")},
            data_report=data.report,
            artifacts_dir=folder,
            tags={"grid.algorithm": point.algorithm, "grid.features": point.features},
            plots=save_all if plots else None,
        )
        seconds = time.perf_counter() - started
        verdict = gate_verdict(model, data.config.gates)
        say(
            f"[{i}/{len(points)}] {point.name}: run {run.run_id} ({seconds:.1f} s), gates {verdict}"
        )
        runs.append(GridRun(point, run, verdict, seconds))
    return runs


def sort_column(metric: str) -> str:
    """The comparison column for ``--sort`` (``silhouette`` → ``overall.silhouette``)."""
    return metric if metric.startswith(("overall.", "segment.")) else f"overall.{metric}"


def check_sort(metric: str) -> str:
    """Validate ``--sort`` before anything is fitted (argparse type)."""
    from metaseg._messages import did_you_mean
    from metaseg.tracking.compare import COMPARED_OVERALL, COMPARED_SEGMENT

    column = sort_column(metric)
    kind, _, rest = column.partition(".")
    if kind == "overall":
        ok = rest in COMPARED_OVERALL
    else:  # segment.<base segment>.<metric>; the base segment is checked after the fits
        ok = "." in rest and rest.rsplit(".", 1)[1] in COMPARED_SEGMENT
    if not ok:
        known = [f"overall.{m}" for m in COMPARED_OVERALL]
        raise argparse.ArgumentTypeError(
            f"cannot sort by {metric!r}.{did_you_mean(column, known)} Use one of "
            f"{', '.join(known)} or segment.<base segment>.<{'|'.join(COMPARED_SEGMENT)}>"
        )
    return column


def results_table(table: pd.DataFrame, runs: Sequence[GridRun], sort: str) -> pd.DataFrame:
    """The comparison of the grid's runs, best first by ``sort`` (pure).

    Parameters
    ----------
    table : DataFrame
        :func:`metaseg.tracking.compare` of the runs.
    runs : sequence of GridRun
        The runs, for their gate verdicts and registered versions.
    sort : str
        A column of ``table``; smaller first for noise, Davies-Bouldin and catch-all
        shares, larger first otherwise. Runs without a value come last.
    """
    from metaseg.exceptions import ConfigError

    if sort not in table.columns:
        segment_columns = sorted(c for c in table.columns if c.startswith("segment."))
        raise ConfigError(
            f"--sort {sort!r} is not a column of the comparison; its segment columns are "
            f"{', '.join(segment_columns[:12])}{', ...' if len(segment_columns) > 12 else ''}."
        )
    by_id = {r.run.run_id: r for r in runs}
    frame = table.copy()
    frame["gates"] = frame["run_id"].map(lambda i: by_id[i].gates)
    frame["version"] = frame["run_id"].map(lambda i: by_id[i].run.registered_version)
    frame["seconds"] = frame["run_id"].map(lambda i: round(by_id[i].seconds, 1))
    ascending = sort.rsplit(".", 1)[-1] in SMALLER_IS_BETTER
    frame = frame.sort_values(sort, ascending=ascending, na_position="last", kind="stable")
    columns = ["run_name", "gates", *dict.fromkeys([sort, *SHOWN]), "version", "seconds", "run_id"]
    if frame["version"].isna().all():
        columns.remove("version")
    return frame[columns].reset_index(drop=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="grid_search.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Each fit is one MLflow run; the table at the end compares them.",
    )
    parser.add_argument(
        "--data", choices=sorted(CONFIGS), default="synthetic", help="data set (default synthetic)"
    )
    parser.add_argument(
        "--customers",
        type=int,
        help="synthetic shop size (default 5000); for online_retail, a sample of customers",
    )
    parser.add_argument("--seed", type=int, default=0, help="shop and sample seed (default 0)")
    parser.add_argument("--data-path", help="online_retail: the Parquet file (default: config's)")
    parser.add_argument(
        "--experiment", default="metaseg-grid", help="MLflow experiment (default metaseg-grid)"
    )
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default: MLflow's own)")
    parser.add_argument("--register", metavar="NAME", help="register every run under NAME")
    parser.add_argument(
        "--algorithms",
        nargs="+",
        choices=ALGORITHMS,
        default=list(ALGORITHMS),
        metavar="ALGO",
        help="kmeans and/or hdbscan (default both)",
    )
    parser.add_argument(
        "--k-ranges",
        nargs="+",
        type=parse_k_range,
        default=[(2, 4), (2, 8)],
        metavar="KMIN-KMAX",
        help="k ranges of k-means (default 2-4 2-8)",
    )
    parser.add_argument(
        "--features",
        nargs="+",
        choices=FEATURE_CHOICES,
        default=["config"],
        metavar="PRESET",
        help=f"feature choices: {', '.join(FEATURE_CHOICES)} (default config)",
    )
    parser.add_argument(
        "--umap",
        nargs="+",
        choices=("off", "on"),
        default=["off", "on"],
        help="HDBSCAN without and/or with UMAP (default off on)",
    )
    parser.add_argument(
        "--min-cluster-size",
        type=float,
        default=0.05,
        help="HDBSCAN smallest sub-segment, share of the base segment (default 0.05)",
    )
    parser.add_argument("--bootstrap", type=int, help="bootstrap refits (default: config's)")
    parser.add_argument(
        "--sort",
        type=check_sort,
        default="overall.silhouette",
        help="metric to sort by, e.g. silhouette, stability_min, noise_share",
    )
    parser.add_argument("--out", type=Path, help="local output folder (default: log_fit's)")
    parser.add_argument("--plots", action="store_true", help="log the plots with every run")
    args = parser.parse_args(argv)
    if args.customers is not None and args.customers < 100:
        parser.error(f"--customers must be at least 100, got {args.customers}")
    if args.bootstrap is not None and args.bootstrap < 0:
        parser.error(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the grid and print the comparison; return the exit code."""
    args = parse_args(argv)
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # before MLflow is imported
    from metaseg.exceptions import MetasegError
    from metaseg.tracking import compare

    points = build_grid(
        args.algorithms, args.k_ranges, args.features, [u == "on" for u in args.umap]
    )
    try:
        data = load_data(
            args.data,
            customers=args.customers,
            seed=args.seed,
            data_path=args.data_path,
            bootstrap=args.bootstrap,
        )
        print(f"{data.source}: {len(data.facts):,} customers; {len(points)} configurations")
        runs = run_grid(
            points,
            data,
            experiment=args.experiment,
            tracking_uri=args.tracking_uri,
            register=args.register,
            min_cluster_size=args.min_cluster_size,
            out=args.out,
            plots=args.plots,
        )
        table = compare([r.run for r in runs], tracking_uri=args.tracking_uri)
        result = results_table(table, runs, args.sort)
    except MetasegError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print()
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.register:
        print(f"\nPromote the chosen one with: metaseg promote {args.register} VERSION")
    return 0


if __name__ == "__main__":
    sys.exit(main())
