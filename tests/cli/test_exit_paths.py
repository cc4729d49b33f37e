"""Every exit path of the command line: its code, one summary line, details indented."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from metaseg import schema
from metaseg.cli import main


def _check_format(err: str, verb: str, code: int) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, f"exit {code} printed nothing"
    start = next(i for i, line in enumerate(lines) if line.startswith(f"metaseg {verb}: error"))
    assert all(line.startswith(" ") for line in lines[start + 1 :]), err


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("exits")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    config = root / "shop.yaml"
    document = {
        "name": "exits",
        "data": {"source": "synthetic", "synthetic": {"n_customers": 1500, "seed": 3}},
        "segmentation": {"rules": "lifecycle", "n_bootstrap": 0},
    }
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    argv = ["fit", "--config", str(config), "--register", "exits", "--tracking-uri", uri]
    assert main([*argv, "--quiet"]) == 0
    return {"root": root, "uri": uri, "config": config}


def test_every_failure_exits_with_its_code_and_one_summary_line(
    store, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # dead letters of the failed webhook land here
    monkeypatch.setenv("METASEG_WEBHOOK_SECRET", "s3cret")
    bad_config = tmp_path / "bad.yaml"
    bad_config.write_text(
        "segmentation:\n  min_segment_size: -1\n  n_bootstrap: abc\n", encoding="utf-8"
    )
    events = tmp_path / "events.csv"
    pd.DataFrame({schema.CUSTOMER_ID: ["1"], schema.TIMESTAMP: ["2025-01-01"]}).to_csv(
        events, index=False
    )
    labels = tmp_path / "labels.parquet"
    pd.DataFrame(
        {
            schema.CUSTOMER_ID: ["1"],
            schema.BASE_SEGMENT: ["active"],
            schema.SUB_SEGMENT: [0],
            schema.SEGMENT: ["active/0"],
            schema.SEGMENT_NAME: ["active"],
            schema.MODEL_NAME: ["exits"],
            schema.MODEL_VERSION: ["1"],
            schema.RUN_ID: ["r"],
            schema.AS_OF: [pd.Timestamp("2025-01-01", tz="UTC")],
            schema.SCORED_AT: [pd.Timestamp("2025-01-02", tz="UTC")],
        }
    ).to_parquet(labels)
    cases = [
        (2, "validate", ["validate", "--config", str(bad_config)]),
        (3, "validate", ["validate", "--config", str(store["config"]), "--events", str(events)]),
        (
            4,
            "promote",
            [
                "promote",
                "exits",
                "1",
                "--gate",
                "min_silhouette=0.99",
                "--tracking-uri",
                store["uri"],
            ],
        ),
        # nothing listens on port 9 of the loopback: every batch fails
        (5, "export", ["export", "--labels", str(labels), "--to", "http://127.0.0.1:9/hook"]),
        (6, "runs", ["runs", "list", "--tracking-uri", "http://127.0.0.1:9"]),
    ]
    for code, verb, argv in cases:
        capsys.readouterr()
        assert main(argv) == code, (argv, capsys.readouterr().err)
        _check_format(capsys.readouterr().err, verb, code)
