"""experiments/grid_search.py: the grid, the specs it fits, the runs it logs, the table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "grid_search.py"


@pytest.fixture(scope="module")
def grid():
    spec = importlib.util.spec_from_file_location("grid_search", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["grid_search"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("grid_search", None)


def _shop_segmentation() -> dict:
    from metaseg.config import load_config

    return load_config(SCRIPT.parents[1] / "configs" / "shop.yaml").segmentation.model_dump()


def test_help_describes_the_grid(grid, capsys):
    with pytest.raises(SystemExit) as done:
        grid.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--data", "--customers", "--experiment", "--tracking-uri", "--sort", "--umap"):
        assert option in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--sort", "silhouete"], "Did you mean 'overall.silhouette'"),
        (["--k-ranges", "5-3"], "k range must look like 1-8"),
        (["--algorithms", "dbscan"], "invalid choice: 'dbscan'"),
        (["--customers", "10"], "--customers must be at least 100"),
    ],
)
def test_bad_arguments_stop_before_any_fit(grid, capsys, argv, expected):
    with pytest.raises(SystemExit) as done:
        grid.main(argv)
    assert done.value.code == 2
    assert expected in capsys.readouterr().err


def test_grid_crosses_k_ranges_with_kmeans_and_umap_with_hdbscan(grid):
    points = grid.build_grid(
        ["kmeans", "hdbscan"], [(2, 4), (3, 6)], ["config", "basket"], [False, True]
    )
    names = [p.name for p in points]
    assert len(names) == len(set(names)) == 8
    assert "kmeans k3-6 basket" in names
    assert "hdbscan umap config" in names
    assert all(p.umap is None for p in points if p.algorithm == "kmeans")
    assert all(p.k_range is None for p in points if p.algorithm == "hdbscan")


def test_point_spec_replaces_algorithm_everywhere_and_validates(grid):
    from metaseg.segmentation_spec import coerce_segmentation_spec

    base = _shop_segmentation()
    kmeans = grid.point_spec(base, grid.GridPoint("kmeans", "config", k_range=(3, 5)))
    hdbscan = grid.point_spec(
        base, grid.GridPoint("hdbscan", "behaviour", umap=True), min_cluster_size=0.1
    )
    assert base == _shop_segmentation()  # the config's block is left as it was
    for name, entry in [("default", kmeans["default"]), *kmeans["segments"].items()]:
        # the shop config uses gmm: its criterion does not carry over to k-means
        assert entry["params"] == {"k_min": 3, "k_max": 5}, name
        original = base["default"] if name == "default" else base["segments"][name]
        assert entry["features"] == original["features"], name
    for entry in [hdbscan["default"], *hdbscan["segments"].values()]:
        assert entry["algorithm"] == "hdbscan"
        assert entry["params"] == {"min_cluster_size": 0.1, "reducer": "umap"}
        assert entry["features"]["features"] == "behaviour"
    resolved = coerce_segmentation_spec(hdbscan)
    assert resolved.for_segment("active").algorithm == "hdbscan"


def test_point_spec_leaves_unsplit_segments_alone(grid):
    base = _shop_segmentation()
    base["segments"]["new"] = {"algorithm": "none", "features": {"features": "rfm"}, "params": {}}
    out = grid.point_spec(base, grid.GridPoint("hdbscan", "basket", umap=False))
    assert out["segments"]["new"] == base["segments"]["new"]


def test_grid_logs_every_run_and_prints_them_sorted(grid, tmp_path, capsys):
    from metaseg.tracking import compare

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    code = grid.main(
        [
            "--customers",
            "2000",
            "--algorithms",
            "kmeans",
            "hdbscan",
            "--k-ranges",
            "2-4",
            "--umap",
            "off",
            "--bootstrap",
            "0",
            "--experiment",
            "grid-test",
            "--tracking-uri",
            uri,
            "--out",
            str(tmp_path / "out"),
            "--sort",
            "silhouette",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0

    runs = compare("grid-test", tracking_uri=uri)
    assert sorted(runs["run_name"]) == ["hdbscan no-umap config", "kmeans k2-4 config"]
    by_name = runs.set_index("run_name")
    assert set(by_name.filter(like=".algorithm").loc["kmeans k2-4 config"].dropna()) <= {
        "kmeans",
        "none",
    }
    assert "hdbscan" in set(by_name.filter(like=".algorithm").loc["hdbscan no-umap config"])
    assert len(list((tmp_path / "out").iterdir())) == 2  # one local copy per run

    # the table lists both runs, best silhouette first
    table = out[out.index("run_name") :]
    expected = runs.sort_values("overall.silhouette", ascending=False)["run_name"].tolist()
    positions = [table.index(name) for name in expected]
    assert positions == sorted(positions)
    for run_id in runs["run_id"]:
        assert run_id in table
    # gates were judged: without bootstrap refits, stability cannot pass
    assert "fail: min_stability" in table


def test_results_table_sorts_smaller_first_for_noise_and_names_bad_columns(grid):
    from metaseg.exceptions import ConfigError

    class Run:
        def __init__(self, run_id):
            self.run_id = run_id
            self.registered_version = None

    runs = [
        grid.GridRun(grid.GridPoint("kmeans", "config", (2, 4)), Run(i), "pass", 1.0) for i in "ab"
    ]
    table = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "run_name": ["first", "second"],
            **{column: [0.5, 0.1] for column in grid.SHOWN},
        }
    )
    assert grid.results_table(table, runs, "overall.noise_share")["run_name"].tolist() == [
        "second",
        "first",
    ]
    assert grid.results_table(table, runs, "overall.silhouette")["run_name"].tolist() == [
        "first",
        "second",
    ]
    with pytest.raises(ConfigError, match="segment.active.stability"):
        grid.results_table(table, runs, "segment.active.stability")
