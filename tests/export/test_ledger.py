"""The local ledger of what each webhook target received."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from metaseg.export.ledger import (
    STATE_ENV,
    ledger_path,
    merge_delivered,
    merge_export,
    read_ledger,
    resolve_state_dir,
    write_ledger,
)


def test_state_dir_argument_then_environment_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "from-env"))
    assert resolve_state_dir(tmp_path / "given") == tmp_path / "given"
    assert resolve_state_dir() == tmp_path / "from-env"
    monkeypatch.delenv(STATE_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_state_dir() == tmp_path / "home" / ".metaseg" / "exports"


def test_ledger_file_is_per_target_and_hides_the_url(tmp_path):
    a = ledger_path(tmp_path, "https://crm.example.com/hook?token=abc")
    b = ledger_path(tmp_path, "https://crm.example.com/other")
    assert a != b and a.parent == tmp_path / "webhooks"
    assert "abc" not in str(a) and "crm" not in a.name


def test_export_keeps_other_models_and_previous_rows_of_failed_customers(make_labels):
    previous = pd.concat(
        [make_labels(3, seed=1), make_labels(2, model_name="other")], ignore_index=True
    )
    current = make_labels(3, seed=2, start=1)  # customer 0 gone, 3 new
    failed = {"rfm\x1f2", "rfm\x1f3"}  # the batch holding customers 2 and 3 failed
    ledger = merge_export(previous, current, failed)
    rfm = ledger[ledger["model_name"] == "rfm"].set_index("customer_id")
    assert sorted(rfm.index) == ["1", "2"]  # 0 removed, 3 never arrived
    assert rfm.loc["1", "run_id"] == "run-2"  # delivered: the new label
    assert rfm.loc["2", "run_id"] == "run-1"  # failed: the receiver still has the old one
    assert (ledger["model_name"] == "other").sum() == 2


def test_replay_replaces_rows_of_delivered_customers(make_labels):
    previous = make_labels(3, seed=1)
    delivered = make_labels(1, seed=2, start=2)
    ledger = merge_delivered(previous, delivered).set_index("customer_id")
    assert sorted(ledger.index) == ["0", "1", "2"]
    assert ledger.loc["2", "run_id"] == "run-2" and ledger.loc["0", "run_id"] == "run-1"


def test_write_and_read_back_as_text(tmp_path: Path, make_labels):
    path = tmp_path / "webhooks" / "x.parquet"
    assert read_ledger(path) is None
    write_ledger(path, make_labels(5))
    back = read_ledger(path)
    assert back["customer_id"].tolist() == ["0", "1", "2", "3", "4"]
    assert back["sub_segment"].tolist() == make_labels(5)["sub_segment"].astype(str).tolist()
    assert (path.stat().st_mode & 0o777) == 0o600
