"""Several ``metaseg`` processes on one new SQLite tracking store, at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from metaseg._yaml import load_yaml

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
METASEG = [sys.executable, "-c", "import sys; from metaseg.cli.main import main; sys.exit(main())"]


def _small_config(folder: Path) -> Path:
    document = load_yaml(CONFIGS / "shop.yaml")
    document["name"] = "small"
    document["data"] = {"source": "synthetic", "synthetic": {"n_customers": 600, "seed": 4}}
    document["segmentation"]["n_bootstrap"] = 1
    document.pop("export", None)
    config = folder / "small.yaml"
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    return config


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.Popen(
        [*METASEG, *args, "--quiet"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_fits_and_two_scores_at_once_on_a_new_store(tmp_path):
    config = _small_config(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    common = ["--config", str(config), "--tracking-uri", uri]
    processes = [
        _start(["fit", *common, "--register", "shop"], tmp_path),
        _start(["fit", *common, "--register", "shop"], tmp_path),
        _start(["score", *common, "--model", "shop", "--out", "a.csv"], tmp_path),
        _start(["score", *common, "--model", "shop", "--out", "b.csv"], tmp_path),
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    for _, err in results:
        assert "unexpected error" not in err
        assert "duplicate column" not in err and "No such index" not in err
    assert [code for code, _ in results[:2]] == [0, 0], results[:2]
    # no champion was promoted yet: a clear "not found" (exit 2), never a schema race
    for code, err in results[2:]:
        assert code == 2, err
        assert "'shop'" in err
    assert (tmp_path / "mlflow.db.lock").is_file()


def test_a_store_whose_schema_cannot_be_created_is_a_tracking_error(tmp_path):
    config = _small_config(tmp_path)
    database = tmp_path / "mlflow.db"
    database.write_bytes(b"this is not a SQLite database " * 8)
    process = _start(
        ["fit", "--config", str(config), "--tracking-uri", f"sqlite:///{database}"], tmp_path
    )
    code = process.wait(timeout=300)
    err = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert code == 6, err
    assert "could not be created or upgraded" in err
    assert "Nothing is lost" in err and "metaseg_output" in err
