"""Exporting labels to CSV and Parquet files."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError, ExportError
from metaseg.export import export_labels


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_first_export_writes_all_labels_and_rerun_changes_nothing(tmp_path, make_labels, suffix):
    labels = make_labels(200)
    target = tmp_path / "out" / f"labels{suffix}"  # the folder is created
    first = export_labels(labels, str(target))
    assert first.ok and first.delivered == 200 and first.diff.n_added == 200
    written = target.read_bytes()
    back = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    assert back["customer_id"].tolist() == labels["customer_id"].tolist()
    assert back["segment"].tolist() == labels["segment"].tolist()

    again = export_labels(labels, str(target))
    assert again.diff.is_empty and again.diff.n_unchanged == 200
    assert target.read_bytes() == written


def test_parquet_keeps_types(tmp_path, make_labels):
    labels = make_labels(10)
    target = tmp_path / "labels.parquet"
    export_labels(labels, target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), labels, check_dtype=False)
    assert str(pd.read_parquet(target)["scored_at"].dt.tz) == "UTC"


def test_diff_against_the_existing_file(tmp_path, make_labels):
    target = f"file://{tmp_path}/labels.csv"
    old = make_labels(100)
    export_labels(old, target)
    # customers 0-9 leave, 100-109 arrive, customer 50 moves
    new = pd.concat([old.iloc[10:], make_labels(10, start=100, seed=1)], ignore_index=True)
    new.loc[new["customer_id"] == 50, ["base_segment", "sub_segment", "segment"]] = [
        "vip",
        0,
        "vip/0",
    ]
    diff = export_labels(new, target).diff
    assert (diff.n_added, diff.n_removed) == (10, 10)
    assert diff.n_moved == 1
    assert diff.migrations[["from_segment", "to_segment"]].values.tolist() == [
        [old.loc[50, "segment"], "vip/0"]
    ]
    assert pd.read_csv(tmp_path / "labels.csv")["customer_id"].min() == 10


def test_text_ids_keep_leading_zeros(tmp_path, make_labels):
    labels = make_labels(5).assign(customer_id=["007", "010", "2", "3", "4"])
    target = tmp_path / "labels.csv"
    export_labels(labels, target)
    assert export_labels(labels, target).diff.is_empty
    assert pd.read_csv(target, dtype=str)["customer_id"].tolist()[:2] == ["007", "010"]


def test_dry_run_writes_nothing(tmp_path, make_labels):
    target = tmp_path / "sub" / "labels.parquet"
    result = export_labels(make_labels(30), target, dry_run=True)
    assert result.dry_run and result.diff.n_added == 30 and result.delivered == 0
    assert not target.parent.exists()
    assert "Dry run" in str(result) and "nothing written" in str(result)


def test_invalid_labels_leave_the_file_alone(tmp_path, make_labels):
    target = tmp_path / "labels.csv"
    export_labels(make_labels(5), target)
    before = target.read_bytes()
    bad = make_labels(5)
    bad.loc[3, "customer_id"] = 1
    with pytest.raises(DataError, match="customer_id, model_name"):
        export_labels(bad, target)
    assert target.read_bytes() == before


def test_unreadable_existing_file_is_an_export_error(tmp_path, make_labels):
    target = tmp_path / "labels.parquet"
    target.write_bytes(b"this is not parquet")
    with pytest.raises(ExportError, match="cannot be read.*move it away"):
        export_labels(make_labels(5), target)
    assert target.read_bytes() == b"this is not parquet"


def test_result_prints_target_counts_and_diff(tmp_path, make_labels):
    result = export_labels(make_labels(12), tmp_path / "labels.csv")
    text = str(result)
    assert "labels.csv" in text and "12 labels delivered, 0 failed" in text
    assert "+12 added" in text
    assert "delivered=12" in repr(result)


def test_a_file_that_does_not_hold_labels_is_not_overwritten(tmp_path, make_labels):
    target = tmp_path / "report.csv"
    target.write_text("region,revenue\nnorth,10\n")
    with pytest.raises(ExportError, match="does not hold metaseg labels.*will not overwrite"):
        export_labels(make_labels(3), target)
    assert target.read_text() == "region,revenue\nnorth,10\n"
    other = tmp_path / "report.parquet"
    pd.DataFrame({"region": ["north"], "revenue": [10]}).to_parquet(other)
    before = other.read_bytes()
    with pytest.raises(ExportError, match="report.parquet.*does not hold metaseg labels"):
        export_labels(make_labels(3), other)
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "report.parquet"]


FORMULAS = ['=HYPERLINK("http://x","y")', "+SUM(1)", "-2+3", "@cmd", "\tname", "\rname"]


def test_csv_export_neutralises_spreadsheet_formulas_in_text_columns_only(tmp_path, make_labels):
    import csv

    from metaseg.export.files import read_labels_file

    labels = make_labels(len(FORMULAS) + 2)
    names = [*FORMULAS, "'=already quoted", "'plain quote"]
    labels = labels.assign(segment_name=names)
    target = tmp_path / "labels.csv"
    assert export_labels(labels, str(target)).ok
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    written = [row["segment_name"] for row in rows]
    assert written[: len(FORMULAS)] == ["'" + name for name in FORMULAS]
    assert written[-2:] == ["''=already quoted", "'plain quote"]
    # numbers are never prefixed
    assert [row["sub_segment"] for row in rows] == [str(v) for v in labels["sub_segment"]]
    assert [row["customer_id"] for row in rows] == [str(v) for v in labels["customer_id"]]
    # the labels file reads back exactly as it was given
    back = read_labels_file(target)
    assert back["segment_name"].tolist() == names
    assert export_labels(labels, str(target)).diff.is_empty


def test_negative_numbers_are_not_prefixed():
    from metaseg.export.files import neutralise_formulas

    frame = pd.DataFrame({"sub_segment": [-1, 0], "delta": [-0.5, 1.0], "name": ["-x", "y"]})
    out = neutralise_formulas(frame)
    assert out["sub_segment"].tolist() == [-1, 0] and out["delta"].tolist() == [-0.5, 1.0]
    assert out["name"].tolist() == ["'-x", "y"]
    assert frame["name"].tolist() == ["-x", "y"]  # the input is not changed


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_rerun_with_the_same_labels_leaves_the_file_untouched(tmp_path, make_labels, suffix):
    labels = make_labels(300)
    target = tmp_path / f"labels{suffix}"
    assert export_labels(labels, target).written
    stat = target.stat()
    shuffled = labels.sample(frac=1, random_state=1)  # the same labels in another order
    again = export_labels(shuffled, target)
    assert again.diff.is_empty and not again.written and again.delivered == 0
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert "no change, nothing written (300 labels already there)" in str(again)
    assert "written=False" in repr(again)
    changed = labels.assign(run_id="run-new")
    result = export_labels(changed, target)
    assert result.written and result.diff.n_updated == 300 and result.delivered == 300
    back = pd.read_csv(target, dtype=str) if suffix == ".csv" else pd.read_parquet(target)
    assert set(back["run_id"]) == {"run-new"}


def test_a_parquet_file_with_other_column_types_is_rewritten(tmp_path, make_labels):
    labels = make_labels(20)
    target = tmp_path / "labels.parquet"
    export_labels(labels.astype({"customer_id": str}), target)
    result = export_labels(labels, target)  # ids compare equal as text, but the type differs
    assert result.diff.is_empty and result.written
    assert pd.api.types.is_integer_dtype(pd.read_parquet(target)["customer_id"])


def test_a_file_missing_a_label_column_is_rewritten(tmp_path, make_labels):
    labels = make_labels(20)
    target = tmp_path / "labels.csv"
    labels.drop(columns=["run_id"]).to_csv(target, index=False)
    result = export_labels(labels, target)
    assert result.diff.is_empty and result.written
    assert "run_id" in pd.read_csv(target).columns


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_changes_limit_lists_the_first_changes_and_counts_them_all(tmp_path, make_labels, suffix):
    target = tmp_path / f"labels{suffix}"
    labels = make_labels(1_000, seed=2)
    export_labels(labels, target)
    rescored = labels.assign(scored_at=labels["scored_at"] + pd.Timedelta(days=1))
    full = export_labels(rescored, target, dry_run=True).diff
    result = export_labels(rescored, target, changes_limit=25)
    assert result.written and result.diff.n_updated == 1_000 == full.n_updated
    assert len(result.diff.changes) == 25 and not result.diff.changes_complete
    pd.testing.assert_frame_equal(result.diff.changes, full.changes.iloc[:25])
    assert result.diff.summary() == full.summary()
    pd.testing.assert_frame_equal(result.diff.segments, full.segments)
    back = pd.read_parquet(target) if suffix == ".parquet" else pd.read_csv(target)
    stamps = pd.to_datetime(back["scored_at"], utc=True)
    assert (stamps.to_numpy() == rescored["scored_at"].to_numpy()).all()
    with pytest.raises(ConfigError, match=r"changes_limit must be .* got 2.5"):
        export_labels(rescored, target, changes_limit=2.5)
