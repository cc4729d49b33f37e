"""The batch flow through the command line, on a real MLflow store in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from metaseg import schema
from metaseg._yaml import load_yaml
from metaseg.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    config = root / "small.yaml"
    document = load_yaml(CONFIGS / "shop.yaml")
    document["name"] = "small-shop"
    document["data"] = {"source": "synthetic", "synthetic": {"n_customers": 2500, "seed": 4}}
    document["segmentation"]["n_bootstrap"] = 1
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    return {"root": root, "config": config, "uri": f"sqlite:///{root / 'mlflow.db'}"}


@pytest.fixture(scope="module")
def fitted(workspace):
    code = main(
        [
            "fit",
            "--config",
            str(workspace["config"]),
            "--register",
            "cli-shop",
            "--tracking-uri",
            workspace["uri"],
            "--experiment",
            "cli",
            "--quiet",
        ]
    )
    assert code == 0
    return workspace


@pytest.fixture()
def champion(fitted):
    """Version 1 of the module's model is the champion (whatever ran before)."""
    assert main(["promote", "cli-shop", "1", "--tracking-uri", fitted["uri"], "--quiet"]) == 0
    return fitted


def test_fit_registers_and_runs_lists_it(fitted, capsys):
    capsys.readouterr()
    assert main(["runs", "list", "--experiment", "cli", "--tracking-uri", fitted["uri"]]) == 0
    out = capsys.readouterr().out
    assert "small-shop" in out


def test_promotion_refused_by_a_gate_exits_4_and_lists_it(fitted, capsys):
    code = main(
        [
            "promote",
            "cli-shop",
            "1",
            "--gate",
            "min_sub_segment_size=100000",
            "--tracking-uri",
            fitted["uri"],
        ]
    )
    assert code == 4
    err = capsys.readouterr().err
    assert "min_sub_segment_size" in err


def test_promote_score_and_export(fitted, capsys):
    uri = fitted["uri"]
    assert main(["promote", "cli-shop", "1", "--tracking-uri", uri]) == 0
    assert "cli-shop@champion -> version 1" in capsys.readouterr().out
    out_file = fitted["root"] / "labels.parquet"
    code = main(
        [
            "score",
            "--model",
            "models:/cli-shop@champion",
            "--config",
            str(fitted["config"]),
            "--out",
            str(out_file),
            "--tracking-uri",
            uri,
            "--quiet",
        ]
    )
    assert code == 0
    labels = pd.read_parquet(out_file)
    assert len(labels) == 2500
    assert set(labels[schema.MODEL_NAME]) == {"cli-shop"}
    assert set(labels[schema.MODEL_VERSION].astype(str)) == {"1"}

    target = fitted["root"] / "crm.csv"
    assert main(["export", "--labels", str(out_file), "--to", str(target), "--dry-run"]) == 0
    assert not target.exists()
    assert "2,500" in capsys.readouterr().out  # the diff counts the new customers
    assert main(["export", "--labels", str(out_file), "--to", str(target)]) == 0
    exported = pd.read_csv(target)
    assert sorted(exported[schema.CUSTOMER_ID]) == sorted(labels[schema.CUSTOMER_ID])


def test_score_in_batches_streams_the_same_labels_with_a_diff(champion, capsys):
    root, uri = champion["root"], champion["uri"]
    common = ["--model", "models:/cli-shop@champion", "--config", str(champion["config"])]
    common += ["--tracking-uri", uri, "--quiet"]
    whole, streamed = root / "whole.parquet", root / "streamed.parquet"
    assert main(["score", *common, "--out", str(whole)]) == 0
    capsys.readouterr()
    assert main(["score", *common, "--out", str(streamed), "--batch-size", "700"]) == 0
    out = capsys.readouterr().out
    assert "scored 2,500 customers in batches" in out
    assert "0 -> 2,500 labels: +2,500 added" in out
    one, batched = pd.read_parquet(whole), pd.read_parquet(streamed)
    pd.testing.assert_frame_equal(
        batched.drop(columns=schema.SCORED_AT), one.drop(columns=schema.SCORED_AT)
    )
    # the printed counts are the file's
    for code, n in batched[schema.SEGMENT].value_counts().items():
        assert any(line.split() == [code, str(n)] for line in out.splitlines()), code
    # a rerun re-stamps scored_at: every label is updated, none moved
    assert main(["score", *common, "--out", str(streamed), "--batch-size", "1000"]) == 0
    assert "2,500 -> 2,500 labels: +0 added, -0 removed, 0 moved, 2,500 updated" in (
        capsys.readouterr().out
    )


def test_the_config_can_ask_for_batches(champion, capsys, tmp_path):
    document = load_yaml(champion["config"])
    document["score"] = {"batch_size": 800}
    config = tmp_path / "batched.yaml"
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    args = ["score", "--model", "models:/cli-shop@champion", "--config", str(config)]
    args += ["--tracking-uri", champion["uri"], "--out", str(tmp_path / "l.parquet")]
    assert main(args) == 0
    assert "scored 2,500 customers in batches" in capsys.readouterr().out
    document["score"] = {"batch_size": 0}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert main(args) == 2
    assert "score.batch_size" in capsys.readouterr().err


def test_score_in_batches_refuses_what_it_cannot_stream(champion, capsys, tmp_path):
    common = ["score", "--model", "models:/cli-shop@champion", "--config"]
    common += [str(champion["config"]), "--tracking-uri", champion["uri"]]
    code = main([*common, "--out", str(tmp_path / "labels.csv"), "--batch-size", "10"])
    assert code == 2
    assert "streams the labels to a Parquet file, got out='" in capsys.readouterr().err
    document = load_yaml(champion["config"])
    document["export"] = [{"to": str(tmp_path / "crm.csv")}]
    with_targets = tmp_path / "targets.yaml"
    with_targets.write_text(yaml.safe_dump(document), encoding="utf-8")
    args = ["score", "--model", "models:/cli-shop@champion", "--config", str(with_targets)]
    args += ["--tracking-uri", champion["uri"], "--out", str(tmp_path / "l.parquet")]
    assert main([*args, "--batch-size", "10"]) == 2
    err = capsys.readouterr().err
    assert "writes only --out, but the config's export section lists" in err and "crm.csv" in err
    assert not (tmp_path / "l.parquet").exists() and not (tmp_path / "crm.csv").exists()


def test_score_of_a_csv_labels_or_counts_every_customer_and_keeps_zero_padded_ids(champion, capsys):
    fitted = champion
    from metaseg.datasets import make_shop

    events = make_shop(n_customers=300, seed=4).events
    events["customer_id"] = events["customer_id"].map("{:07d}".format)
    first = events.groupby("customer_id")["timestamp"].min()
    as_of = first.sort_values().iloc[199]  # 200 customers have an event by then
    late = first[first > as_of]
    events_csv = fitted["root"] / "padded_events.csv"
    events.to_csv(events_csv, index=False)
    labels_csv = fitted["root"] / "padded_labels.csv"
    args = ["score", "--model", "models:/cli-shop@champion", "--events", str(events_csv)]
    args += ["--as-of", as_of.isoformat(), "--out", str(labels_csv)]
    capsys.readouterr()
    assert main([*args, "--tracking-uri", fitted["uri"], "--quiet"]) == 0
    captured = capsys.readouterr()

    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert len(labels) == 300 - len(late)
    assert set(labels[schema.CUSTOMER_ID]) == set(first.index) - set(late.index)
    assert f"scored {len(labels):,} customers" in captured.out
    assert f"{len(late):,} customers left with no event" in captured.err
    assert f"not labelled: {len(late):,} customers of the input have no event left" in captured.err
    assert f"every event after as_of ({as_of}): {len(late):,}" in captured.err

    db = fitted["root"] / "padded.db"
    assert main(["export", "--labels", str(labels_csv), "--to", f"sqlite:///{db}?table=crm"]) == 0
    import sqlite3

    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT customer_id FROM crm")}
    assert stored == set(labels[schema.CUSTOMER_ID])
    assert all(len(i) == 7 for i in stored)


def test_refit_keeps_the_champion_ids_and_logs_the_matching(champion, capsys):
    fitted = champion
    capsys.readouterr()
    args = ["fit", "--config", str(fitted["config"]), "--register", "cli-shop"]
    args += ["--tracking-uri", fitted["uri"], "--experiment", "cli"]
    args += ["--artifacts-dir", str(fitted["root"] / "refit-files")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "identities against cli-shop version 1" in captured.err
    # the run's local copy went where it was asked to
    assert (fitted["root"] / "refit-files" / "identity" / "matching.csv").is_file()
    assert "0 new, 0 vanished" in captured.err
    run_id = captured.out.split("run_id: ")[1].split()[0]

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=fitted["uri"])
    matching = pd.read_csv(client.download_artifacts(run_id, "identity/matching.csv"))
    matched = matching[matching["status"] == "matched"]
    assert len(matched) > 0
    assert (matched["stable_sub_segment"] == matched["previous_sub_segment"]).all()


def test_the_refit_logs_a_report_with_the_migration_since_the_champion(fitted, capsys):
    # runs after test_refit_keeps_the_champion_ids_and_logs_the_matching: version 2 exists
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=fitted["uri"])
    version = client.get_model_version("cli-shop", "2")
    page = client.download_artifacts(
        version.run_id, "report/segment_report.html", str(fitted["root"])
    )
    text = Path(page).read_text(encoding="utf-8")
    assert "Migration since the champion (version 1)" in text
    assert "Sub-segment ids were matched" in text


def test_report_of_a_version_compares_it_with_the_champion(fitted, capsys):
    capsys.readouterr()
    out = fitted["root"] / "v2.html"
    args = ["report", "--model", "models:/cli-shop/2", "--out", str(out)]
    assert main([*args, "--tracking-uri", fitted["uri"], "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "report of cli-shop version 2, migration since champion, version 1" in printed
    text = out.read_text(encoding="utf-8")
    assert "cli-shop version 2" in text and "Migration since the champion, version 1" in text
    champion = fitted["root"] / "champion.html"
    args = ["report", "--model", "models:/cli-shop@champion", "--out", str(champion)]
    assert main([*args, "--tracking-uri", fitted["uri"], "--quiet"]) == 0
    assert "Migration since" not in champion.read_text(encoding="utf-8")
    assert (
        main(
            [
                "report",
                "--model",
                "models:/cli-shop/2",
                "--out",
                str(fitted["root"] / "x.txt"),
                "--tracking-uri",
                fitted["uri"],
                "--quiet",
            ]
        )
        == 2
    )
    assert ".html" in capsys.readouterr().err


def test_names_after_a_champion_are_keyed_by_stable_codes(fitted, capsys):
    document = yaml.safe_load(fitted["config"].read_text(encoding="utf-8"))
    document["segmentation"]["names"] = {"active/0": "Best baskets"}
    named = fitted["root"] / "named.yaml"
    named.write_text(yaml.safe_dump(document), encoding="utf-8")
    capsys.readouterr()
    args = ["fit", "--config", str(named), "--register", "cli-shop", "--quiet"]
    assert main(args + ["--tracking-uri", fitted["uri"], "--experiment", "cli"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.strip().startswith("active/0") and "Best baskets" in line for line in lines)

    document["segmentation"]["names"] = {"active/9": "Nobody"}
    named.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert main(args + ["--tracking-uri", fitted["uri"], "--experiment", "cli"]) == 2
    assert "active/9" in capsys.readouterr().err


def test_score_refuses_a_malformed_model_uri(fitted, capsys):
    code = main(["score", "--model", "models:/", "--out", "x.parquet"])
    assert code == 2
    assert "models:/NAME@ALIAS" in capsys.readouterr().err


def test_export_failure_exits_5(fitted, capsys, monkeypatch):
    labels = fitted["root"] / "labels.parquet"
    if not labels.exists():
        pytest.fail("labels.parquet should exist after test_promote_score_and_export")
    monkeypatch.setenv("METASEG_WEBHOOK_SECRET", "s3cret")
    # nothing listens on port 9 of the loopback: every batch fails and is dead-lettered
    code = main(
        [
            "export",
            "--labels",
            str(labels),
            "--to",
            "http://127.0.0.1:9/hook",
            "--batch-size",
            "5000",
        ]
    )
    assert code == 5
    err = capsys.readouterr().err
    assert "s3cret" not in err


def test_demo_runs_the_whole_flow(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main(["demo", "--customers", "3000", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "scored 3,000 customers with models:/shop@champion" in out
    assert (tmp_path / "mlflow.db").exists()
    assert len(pd.read_parquet(tmp_path / "metaseg_output" / "labels.parquet")) == 3000


#: Runs ``metaseg score`` in a fresh process, then prints the modules it imported.
_SCORE_IMPORTS = """
import json, sys
from metaseg.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(arguments: list[str], cwd: Path) -> dict:
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _SCORE_IMPORTS, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_score_imports_only_what_scoring_needs(fitted, capsys):
    import subprocess
    import sys

    uri = fitted["uri"]
    assert main(["promote", "cli-shop", "1", "--tracking-uri", uri]) == 0
    capsys.readouterr()
    result = _imported(
        [
            "score",
            "--config",
            str(fitted["config"]),
            "--model",
            "models:/cli-shop@champion",
            "--out",
            str(fitted["root"] / "imports.parquet"),
            "--tracking-uri",
            uri,
            "--quiet",
        ],
        fitted["root"],
    )
    assert result["code"] == 0
    modules = set(result["modules"])
    assert "metaseg.model" in modules and "mlflow" in modules  # it did score
    tops = {name.split(".")[0] for name in modules}
    # no drawing, no embedding, no density clustering (the shop config uses none), no Spark
    assert not tops & {"matplotlib", "umap", "hdbscan", "numba"}, sorted(
        tops & {"matplotlib", "umap", "hdbscan", "numba"}
    )
    for package in ("metaseg.plots", "metaseg.report", "metaseg.spark", "metaseg.over_time"):
        assert package not in modules, package
    # MLflow itself probes for pyspark when it is installed; metaseg adds no Spark import
    if "pyspark" in tops:
        bare = subprocess.run(
            [sys.executable, "-c", "import sys, mlflow.tracking; print('pyspark' in sys.modules)"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert bare.stdout.strip() == "True"
