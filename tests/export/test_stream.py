"""Labels written to one Parquet file batch by batch (``metaseg.export.stream``)."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError, ExportError
from metaseg.export.stream import write_labels_batches


def test_batches_make_one_file_equal_to_the_whole_table(make_labels, tmp_path):
    labels = make_labels(1_000, seed=3)
    out = write_labels_batches(
        (labels.iloc[i : i + 150] for i in range(0, 1_000, 150)),
        tmp_path / "deep" / "labels.parquet",
        row_group_size=100,
    )
    assert (out.n_rows, out.n_batches) == (1_000, 7)
    pd.testing.assert_frame_equal(pd.read_parquet(out.path), labels)


def test_batches_are_pulled_one_at_a_time(make_labels, tmp_path):
    pulled = []

    def batches():
        for i in range(3):
            # the previous batch has been written before the next is asked for
            assert len(pulled) == i
            pulled.append(i)
            yield make_labels(10, start=10 * i)

    write_labels_batches(batches(), tmp_path / "labels.parquet")
    assert pulled == [0, 1, 2]


def test_a_customer_in_two_batches_is_refused_and_the_old_file_kept(make_labels, tmp_path):
    target = tmp_path / "labels.parquet"
    write_labels_batches([make_labels(5)], target)
    before = target.read_bytes()
    with pytest.raises(DataError, match=r"2 customer id\(s\) appear in more than one batch.*3, 4"):
        write_labels_batches([make_labels(5), make_labels(5, start=3)], target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["labels.parquet"]


def test_a_batch_breaking_the_labels_contract_is_refused(make_labels, tmp_path):
    bad = make_labels(5, start=10).drop(columns="segment")
    with pytest.raises(DataError, match="segment"):
        write_labels_batches([make_labels(5), bad], tmp_path / "labels.parquet")
    assert not (tmp_path / "labels.parquet").exists()


def test_a_batch_of_other_types_is_refused_with_its_number(make_labels, tmp_path):
    other = make_labels(5, start=10).astype({"customer_id": str})
    with pytest.raises(
        ExportError, match=r"batch 1: column 'customer_id' is (large_)?string, but it was int64"
    ):
        write_labels_batches([make_labels(5), other], tmp_path / "labels.parquet")
    # columns in another order are put back in the contract's order, not refused
    reordered = make_labels(5, start=10).iloc[:, ::-1]
    out = write_labels_batches([make_labels(5), reordered], tmp_path / "labels.parquet")
    pd.testing.assert_frame_equal(
        pd.read_parquet(out.path),
        pd.concat([make_labels(5), make_labels(5, start=10)]).reset_index(drop=True),
    )


def test_a_batch_without_any_model_version_takes_the_first_batch_type(make_labels, tmp_path):
    unversioned = make_labels(5, start=10).assign(model_version=None)
    out = write_labels_batches([make_labels(5), unversioned], tmp_path / "labels.parquet")
    written = pd.read_parquet(out.path)
    assert written["model_version"].iloc[:5].tolist() == ["3"] * 5
    assert written["model_version"].iloc[5:].isna().all()
    as_objects = make_labels(5, start=20).astype({"segment_name": object})
    write_labels_batches([make_labels(5), as_objects], tmp_path / "labels.parquet")


def test_only_parquet_paths_and_at_least_one_batch(make_labels, tmp_path):
    with pytest.raises(ConfigError, match=r"Parquet only, got .*labels.csv"):
        write_labels_batches([make_labels(2)], tmp_path / "labels.csv")
    with pytest.raises(DataError, match="got no batch of labels"):
        write_labels_batches([], tmp_path / "labels.parquet")
    assert not (tmp_path / "labels.parquet").exists()


def test_a_rerun_with_the_same_labels_leaves_the_file_untouched(make_labels, tmp_path):
    labels = make_labels(1_000, seed=3)
    target = tmp_path / "labels.parquet"
    first = write_labels_batches([labels.iloc[:600], labels.iloc[600:]], target)
    assert first.written and first.diff.n_added == 1_000 and first.diff.n_before == 0
    before = target.stat()
    again = write_labels_batches([labels.iloc[:100], labels.iloc[100:]], target)
    assert not again.written and again.diff.is_empty and again.diff.n_unchanged == 1_000
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in tmp_path.iterdir()] == ["labels.parquet"]


def test_a_rerun_that_moves_customers_writes_and_reports_them(make_labels, tmp_path):
    labels = make_labels(1_000, seed=3)
    target = tmp_path / "labels.parquet"
    write_labels_batches([labels], target)
    moved = labels.copy()
    moved.loc[:49, ["base_segment", "sub_segment", "segment"]] = ["champions", 7, "champions/7"]
    moved = pd.concat([moved.iloc[10:], make_labels(5, start=5_000)], ignore_index=True)
    out = write_labels_batches([moved.iloc[:500], moved.iloc[500:]], target, changes_limit=20)
    assert out.written
    assert (out.diff.n_added, out.diff.n_removed, out.diff.n_moved) == (5, 10, 40)
    assert len(out.diff.changes) == 20 and out.diff.n_changes == 55
    pd.testing.assert_frame_equal(pd.read_parquet(target), moved)


def test_the_same_labels_in_other_column_types_rewrite_the_file(make_labels, tmp_path):
    labels = make_labels(100)
    target = tmp_path / "labels.parquet"
    labels.astype({"customer_id": str}).to_parquet(target, index=False)
    out = write_labels_batches([labels], target)
    # ids compare as text, so no label changed; the file's id type did
    assert out.diff.is_empty and out.written
    assert pd.read_parquet(target)["customer_id"].dtype == "int64"
