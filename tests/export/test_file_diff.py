"""The diff of two labels files in DuckDB (``metaseg.export.file_diff``)."""

from __future__ import annotations

import logging

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings

from metaseg.exceptions import ConfigError, DataError
from metaseg.export.diff import diff_labels
from metaseg.export.file_diff import diff_label_files

from .test_diff_engine import _label_pairs, _same


def _written(frame: pd.DataFrame, path) -> bool:
    try:
        frame.to_parquet(path, index=False)
    except (pa.ArrowException, ValueError, TypeError):  # mixed ids have no Parquet type
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=_label_pairs())
def test_the_file_diff_equals_the_diff_of_the_files_read_back(pair, tmp_path_factory):
    previous, current = pair
    folder = tmp_path_factory.mktemp("pair")
    old, new = folder / "old.parquet", folder / "new.parquet"
    assume(_written(previous, old) and _written(current, new))
    expected = diff_labels(pd.read_parquet(old), pd.read_parquet(new))
    got = diff_label_files(old, new, changes_limit=None)
    _same(expected, got)
    assert (got.n_added, got.n_removed, got.n_moved, got.n_updated) == (
        expected.n_added,
        expected.n_removed,
        expected.n_moved,
        expected.n_updated,
    )
    _same(diff_labels(None, pd.read_parquet(new)), diff_label_files(None, new, changes_limit=None))
    assert diff_label_files(new, new).is_empty


def test_a_limit_lists_the_first_changes_and_counts_them_all(make_labels, tmp_path):
    old = make_labels(3000, seed=1)
    new = pd.concat([old.iloc[100:], make_labels(200, seed=2, start=5000)], ignore_index=True)
    new.loc[new.index[:300], "segment"] = "champions/9"
    old.to_parquet(tmp_path / "old.parquet")
    new.to_parquet(tmp_path / "new.parquet")
    full = diff_labels(old, new)
    cut = diff_label_files(tmp_path / "old.parquet", tmp_path / "new.parquet", changes_limit=250)
    assert len(cut.changes) == 250 and not cut.changes_complete
    pd.testing.assert_frame_equal(cut.changes, full.changes.iloc[:250])
    assert (cut.n_added, cut.n_removed, cut.n_moved, cut.n_changes) == (
        full.n_added,
        full.n_removed,
        full.n_moved,
        len(full.changes),
    )
    pd.testing.assert_frame_equal(cut.segments, full.segments)
    pd.testing.assert_frame_equal(cut.migrations, full.migrations)
    assert cut.summary() == full.summary()
    assert diff_label_files(
        tmp_path / "old.parquet", tmp_path / "new.parquet", changes_limit=0
    ).n_changes == len(full.changes)


def test_a_float_id_file_is_compared_in_memory_and_says_so(make_labels, tmp_path, caplog):
    labels = make_labels(50)
    labels.to_parquet(tmp_path / "old.parquet")
    labels.astype({"customer_id": "float64"}).to_parquet(tmp_path / "new.parquet")
    with caplog.at_level(logging.INFO, logger="metaseg"):
        diff = diff_label_files(tmp_path / "old.parquet", tmp_path / "new.parquet")
    assert "customer_id (DOUBLE)" in caplog.text
    assert diff.is_empty  # 7.0 and 7 are the same customer, as in every diff


def test_bad_files_and_settings_are_refused(make_labels, tmp_path):
    labels = make_labels(20)
    labels.to_parquet(tmp_path / "labels.parquet")
    with pytest.raises(ConfigError, match="does not exist"):
        diff_label_files(None, tmp_path / "missing.parquet")
    with pytest.raises(ConfigError, match=r"changes_limit must be .* got -1"):
        diff_label_files(None, tmp_path / "labels.parquet", changes_limit=-1)
    labels.drop(columns="segment").to_parquet(tmp_path / "bare.parquet")
    with pytest.raises(DataError, match=r"previous labels in .*bare.parquet.* lack .*segment"):
        diff_label_files(tmp_path / "bare.parquet", tmp_path / "labels.parquet")
    pd.concat([labels, labels.iloc[:2]]).to_parquet(tmp_path / "twice.parquet")
    with pytest.raises(DataError, match=r"2 repeated \(customer_id, model_name\) pair"):
        diff_label_files(tmp_path / "twice.parquet", tmp_path / "labels.parquet")
    holed = labels.assign(segment=labels["segment"].where(labels.index != 3, None))
    holed.to_parquet(tmp_path / "nulls.parquet")
    with pytest.raises(DataError, match=r"nulls.parquet' have null values in .*\['segment'\]"):
        diff_label_files(tmp_path / "labels.parquet", tmp_path / "nulls.parquet")
    (tmp_path / "text.parquet").write_text("customer_id\n1\n")
    with pytest.raises(DataError, match="could not read .*text.parquet.* as Parquet"):
        diff_label_files(tmp_path / "text.parquet", tmp_path / "labels.parquet")
