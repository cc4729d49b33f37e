"""plot_migration: customers moving between two labellings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.plots import plot_migration


@pytest.fixture(scope="module")
def before_after(model):
    """Before: the model's labels. After: every 4th 'new/0' customer moved to 'new/1',
    the first 30 customers gone and 12 new customers added."""
    before = model.labels_
    after = before.iloc[30:].copy()
    moved = (after[schema.SEGMENT] == "new/0") & (after[schema.CUSTOMER_ID] % 4 == 0)
    after.loc[moved, schema.SEGMENT] = "new/1"
    newcomers = pd.DataFrame(
        {schema.CUSTOMER_ID: np.arange(10_000, 10_012), schema.SEGMENT: "new/0"}
    )
    after = pd.concat([after, newcomers], ignore_index=True)
    return before, after, int(moved.sum())


def test_counts_follow_the_moves(before_after, assert_rendered):
    before, after, n_moved = before_after
    fig = plot_migration(before, after)
    assert_rendered(fig)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows[:2] == ["active/0", "active/1"]
    assert set(rows) == set(before[schema.SEGMENT])
    counts = ax.get_images()[0].get_array()
    common = before.iloc[30:]
    n_new0 = int((common[schema.SEGMENT] == "new/0").sum())
    assert n_moved > 0
    assert counts[rows.index("new/0"), cols.index("new/1")] == n_moved
    assert counts[rows.index("new/0"), cols.index("new/0")] == n_new0 - n_moved
    assert counts.sum() == len(common)
    stayed = 1 - n_moved / len(common)
    title = ax.get_title()
    assert (
        f"Migration of {len(common):,} customers in both: {stayed:.0%} kept their segment" in title
    )
    assert "(30 only before, 12 only after, not counted)" in title
    assert ax.get_ylabel() == "before: segment" and ax.get_xlabel() == "after: segment"


def test_row_shares_and_names(before_after, model):
    before, after, n_moved = before_after
    after = after.drop(columns=schema.SEGMENT_NAME).merge(
        model.summary_[[schema.SEGMENT, schema.SEGMENT_NAME]], on=schema.SEGMENT, how="left"
    )
    fig = plot_migration(before, after, normalize="index", by=schema.SEGMENT_NAME)
    ax = fig.axes[0]
    shares = ax.get_images()[0].get_array()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert set(rows) == set(model.summary_[schema.SEGMENT_NAME])
    # names come in the order of their segment codes
    codes = model.summary_.set_index(schema.SEGMENT_NAME)[schema.SEGMENT]
    assert rows == sorted(rows, key=lambda n: (codes[n].split("/")[0], int(codes[n].split("/")[1])))
    new0 = model.summary_.set_index(schema.SEGMENT).loc["new/0", schema.SEGMENT_NAME]
    new1 = model.summary_.set_index(schema.SEGMENT).loc["new/1", schema.SEGMENT_NAME]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    n_new0 = int((before.iloc[30:][schema.SEGMENT] == "new/0").sum())
    assert shares[rows.index(new0), cols.index(new1)] == pytest.approx(n_moved / n_new0)


def test_bad_arguments_are_named(before_after):
    before, after, _ = before_after
    with pytest.raises(ConfigError, match=r"normalize 'columns'.*\[None, 'index'\]"):
        plot_migration(before, after, normalize="columns")
    with pytest.raises(ConfigError, match=r"labels_after has no 'segment_name' column"):
        plot_migration(before, after[[schema.CUSTOMER_ID, schema.SEGMENT]], by=schema.SEGMENT_NAME)
    with pytest.raises(ConfigError, match=r"labels_before must be a labels table"):
        plot_migration(before[schema.SEGMENT], after)


def test_bad_tables_are_data_errors(before_after):
    before, after, _ = before_after
    twice = pd.concat([before, before.iloc[:2]])
    with pytest.raises(DataError, match=r"labels_before has 2 repeated customer_id"):
        plot_migration(twice, after)
    missing = after.copy()
    missing.loc[missing.index[:3], schema.SEGMENT] = None
    with pytest.raises(DataError, match=r"labels_after has no 'segment' for 3 customer"):
        plot_migration(before, missing)
    # ids read back as text (a CSV) are the same customers as integer ids
    as_text = after.assign(customer_id=after[schema.CUSTOMER_ID].astype(str))
    assert plot_migration(before, as_text).axes[0].get_title() == (
        plot_migration(before, after).axes[0].get_title()
    )
    strangers = after.assign(customer_id=after[schema.CUSTOMER_ID] + 1_000_000)
    with pytest.raises(DataError, match="share no customer_id"):
        plot_migration(before, strangers)
    with pytest.raises(DataError, match=r"labels_before has no column\(s\) \['customer_id'\]"):
        plot_migration(before.drop(columns=schema.CUSTOMER_ID), after)
