"""Customer ids keep their exact text through every labels reader and every sink.

Ids are identifiers: ``"0000001"`` read from a labels file must reach a CSV file, a
Parquet file, a SQLite table and a webhook as ``"0000001"``, never as ``1``.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from metaseg.cli import main
from metaseg.exceptions import ConfigError
from metaseg.export import export_labels
from metaseg.export.files import read_labels_file
from metaseg.schema import LABEL_COLUMNS

from .conftest import SECRET_ENV

IDS = ["0000001", "0000002", "0000003", "0012300", "42"]


def _labels() -> pd.DataFrame:
    n = len(IDS)
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(IDS, dtype="str"),
            "base_segment": ["dormant", "dormant", "active", "active", "active"],
            "sub_segment": [0, 1, 0, -1, 0],
            "segment": ["dormant/0", "dormant/1", "active/0", "active/-1", "active/0"],
            "segment_name": ["Dormant", "Dormant big", "NA", None, "Active"],
            "model_name": "rfm",
            "model_version": "1.10",
            "run_id": "0e12",
            "as_of": pd.Timestamp("2024-06-01", tz="UTC"),
            "scored_at": pd.Timestamp("2024-06-02", tz="UTC"),
        }
    )
    assert len(frame) == n
    return frame[list(LABEL_COLUMNS)]


@pytest.fixture(params=["labels.csv", "labels.parquet"])
def labels_file(request, tmp_path):
    """A labels file as ``metaseg score`` writes it, CSV or Parquet."""
    path = tmp_path / request.param
    export_labels(_labels(), path)
    return path


def test_reading_a_labels_file_keeps_ids_and_text_as_stored(labels_file):
    frame = read_labels_file(labels_file)
    assert frame["customer_id"].tolist() == IDS
    assert frame["model_version"].tolist() == ["1.10"] * len(IDS)
    assert frame["run_id"].tolist() == ["0e12"] * len(IDS)
    assert frame["segment_name"].tolist()[2] == "NA"  # a text, not a missing value
    assert frame["segment_name"].isna().tolist() == [False, False, False, True, False]


def _export(labels_file, to, *extra):
    return main(["export", "--labels", str(labels_file), "--to", to, "--quiet", *extra])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_export_to_files_keeps_ids(labels_file, tmp_path, suffix, capsys):
    out = tmp_path / f"out{suffix}"
    assert _export(labels_file, str(out)) == 0
    if suffix == ".csv":
        back = pd.read_csv(out, dtype=str, keep_default_na=False)
    else:
        back = pd.read_parquet(out)
    assert back["customer_id"].tolist() == IDS
    assert back["model_version"].tolist() == ["1.10"] * len(IDS)
    capsys.readouterr()
    assert _export(labels_file, str(out)) == 0  # a rerun changes nothing
    assert "+0 added" in capsys.readouterr().out


def test_cli_export_to_sqlite_keeps_ids_and_reruns_change_nothing(labels_file, tmp_path, capsys):
    db = tmp_path / "x.db"
    assert _export(labels_file, f"sqlite:///{db}?table=crm") == 0
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT customer_id, typeof(customer_id), model_version FROM crm ORDER BY customer_id"
        ).fetchall()
    assert rows == [(i, "text", "1.10") for i in sorted(IDS)]
    capsys.readouterr()
    assert _export(labels_file, f"sqlite:///{db}?table=crm") == 0
    out = capsys.readouterr().out
    assert "+0 added" in out and f"{len(IDS)} unchanged" in out


def test_cli_export_to_a_webhook_sends_ids_as_text(labels_file, receiver, state_dir):
    assert _export(labels_file, receiver.url, "--secret-env", SECRET_ENV) == 0
    records = receiver.records()
    assert sorted(r["customer_id"] for r in records) == sorted(IDS)
    assert all(isinstance(r["customer_id"], str) for r in records)


def test_integer_ids_in_parquet_stay_integers(tmp_path):
    labels = _labels().assign(customer_id=[1, 2, 3, 12300, 42])
    path = tmp_path / "labels.parquet"
    export_labels(labels, path)
    out = tmp_path / "out.parquet"
    assert _export(path, str(out)) == 0
    assert pd.read_parquet(out)["customer_id"].tolist() == [1, 2, 3, 12300, 42]


def test_a_labels_file_of_another_kind_is_named(tmp_path):
    path = tmp_path / "labels.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"labels file .*labels\.xlsx.*neither CSV nor Parquet"):
        read_labels_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        read_labels_file(tmp_path / "missing.csv")
