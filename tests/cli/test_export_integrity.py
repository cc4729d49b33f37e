"""``metaseg export`` end to end: ids kept as written, targets parsed strictly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from metaseg.cli import main
from metaseg.export import export_labels
from metaseg.schema import LABEL_COLUMNS

IDS = ["0000001", "0000002", "0000003", "0012300"]


def _labels(ids: list[str] = IDS) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="str"),
            "base_segment": ["dormant"] * n,
            "sub_segment": [0] * n,
            "segment": ["dormant/0"] * n,
            "segment_name": ["Dormant"] * n,
            "model_name": "rfm",
            "model_version": "1.10",
            "run_id": "0e12",
            "as_of": pd.Timestamp("2024-06-01", tz="UTC"),
            "scored_at": pd.Timestamp("2024-06-02", tz="UTC"),
        }
    )
    return frame[list(LABEL_COLUMNS)]


def _sqlite_rows(path: Path, table: str) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        query = f"SELECT customer_id, typeof(customer_id) FROM {table} ORDER BY customer_id"
        return conn.execute(query).fetchall()


def _sqlite_count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    "query",
    ["table=t&uri=true&mode=ro", "table=t&uri=true&mode=memory", "table=t&vfs=unix-dotfile"],
)
def test_sqlite_uri_options_are_refused_and_nothing_is_written(tmp_path, capsys, query):
    labels = tmp_path / "labels.csv"
    export_labels(_labels(), labels)
    db = tmp_path / "x.db"
    assert main(["export", "--labels", str(labels), "--to", f"sqlite:///{db}?table=t"]) == 0
    before = db.read_bytes()
    capsys.readouterr()

    code = main(["export", "--labels", str(labels), "--to", f"sqlite:///{db}?{query}"])

    assert code == 2
    err = capsys.readouterr().err
    option, value = next(p.split("=") for p in query.split("&") if not p.startswith("table"))
    assert f"unknown option {option!r} (value {value!r})" in err
    assert "knows only ['table']" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "x.db"]
    assert db.read_bytes() == before
    assert _sqlite_count(db, "t") == len(IDS)
