"""plot_migration: customers moving between two labellings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.plots import plot_migration
from metaseg.plots._heatmap import shorten
from metaseg.plots.migration import compact_count


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


def _cells(ax) -> dict[tuple[int, int], str]:
    """Cell texts by (row, column)."""
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }


def test_cells_write_counts_and_colour_is_the_row_share(before_after, assert_rendered):
    before, after, n_moved = before_after
    fig = plot_migration(before, after)
    assert_rendered(fig)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows[:2] == ["active/0", "active/1"]
    assert set(rows) == set(before[schema.SEGMENT])
    common = before.iloc[30:]
    n_new0 = int((common[schema.SEGMENT] == "new/0").sum())
    assert n_moved > 0
    shares = ax.get_images()[0].get_array()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    new0, new1 = rows.index("new/0"), cols.index("new/1")
    assert shares[new0, new1] == pytest.approx(n_moved / n_new0)
    cells = _cells(ax)
    assert cells[(new0, new1)] == compact_count(n_moved)
    assert cells[(new0, cols.index("new/0"))] == compact_count(n_new0 - n_moved)
    # empty cells write nothing
    assert (rows.index("active/0"), cols.index("new/0")) not in cells
    lines = ax.get_title().splitlines()
    assert lines[0] == f"Migration of {len(common):,} customers in both"
    stayed = 1 - n_moved / len(common)
    assert lines[1] == f"100% kept their base segment; {stayed:.0%} their matching sub-segment"
    assert lines[-1] == "(30 only before, 12 only after, not counted)"
    assert ax.get_ylabel() == "before: segment" and ax.get_xlabel() == "after: segment"


def test_one_large_cell_does_not_swamp_the_colours():
    """A 10,000-customer segment next to 20-customer ones: every row still spans the scale."""
    before = pd.DataFrame(
        {
            schema.CUSTOMER_ID: np.arange(10_040),
            schema.SEGMENT: ["big/0"] * 10_000 + ["small/0"] * 20 + ["small/1"] * 20,
        }
    )
    after = before.copy()
    after.loc[10_000:10_009, schema.SEGMENT] = "small/1"  # half of small/0 moves
    ax = plot_migration(before, after).axes[0]
    image = ax.get_images()[0]
    colours = image.norm(image.get_array())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    small0 = rows.index("small/0")
    assert colours[small0, cols.index("small/1")] == pytest.approx(0.5)
    assert colours[rows.index("big/0"), cols.index("big/0")] == pytest.approx(1.0)
    # on counts, the log scale keeps the 10-customer cells visible next to 10,000
    ax = plot_migration(before, after, normalize=None).axes[0]
    image = ax.get_images()[0]
    assert image.norm(10.0) > 0.2
    assert _cells(ax)[(rows.index("big/0"), cols.index("big/0"))] == "10k"


def test_kept_pairs_sub_segments_by_customers_not_by_number(model):
    """A refit that numbers the same groups differently: every customer stayed."""
    before = model.labels_[[schema.CUSTOMER_ID, schema.SEGMENT]]
    sub = model.labels_[schema.SUB_SEGMENT]
    top = model.labels_.groupby(schema.BASE_SEGMENT)[schema.SUB_SEGMENT].transform("max")
    renumbered = np.where(top > 0, (sub + 1) % (top + 1), sub)
    after = before.assign(
        segment=model.labels_[schema.BASE_SEGMENT] + "/" + pd.Series(renumbered).astype(str)
    )
    assert (after[schema.SEGMENT] != before[schema.SEGMENT]).mean() > 0.5
    ax = plot_migration(before, after).axes[0]
    assert ax.get_title().splitlines()[1] == (
        "100% kept their base segment; 100% their matching sub-segment"
    )
    framed = [p for p in ax.patches if not p.get_fill()]
    assert len(framed) == len(model.summary_)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    pairs = {(rows[round(p.get_y() + 0.5)], cols[round(p.get_x() + 0.5)]) for p in framed}
    moved = before.merge(after, on=schema.CUSTOMER_ID, suffixes=("_b", "_a"))
    assert pairs == set(zip(moved["segment_b"], moved["segment_a"], strict=True))


def test_base_segment_level(before_after):
    before, after, _ = before_after
    after = after.assign(base_segment=after[schema.SEGMENT].str.rpartition("/")[0])
    ax = plot_migration(before, after, by=schema.BASE_SEGMENT).axes[0]
    lines = ax.get_title().splitlines()
    assert lines[1] == "100% kept their base segment"
    assert not any("sub-segment" in line for line in lines)
    assert not [p for p in ax.patches if not p.get_fill()]


def test_names_are_paired_within_their_base_segment(before_after, model):
    before, after, n_moved = before_after
    after = after.drop(columns=schema.SEGMENT_NAME).merge(
        model.summary_[[schema.SEGMENT, schema.SEGMENT_NAME]], on=schema.SEGMENT, how="left"
    )
    after[schema.BASE_SEGMENT] = after[schema.SEGMENT].str.rpartition("/")[0]
    fig = plot_migration(before, after, by=schema.SEGMENT_NAME)
    ax = fig.axes[0]
    shares = ax.get_images()[0].get_array()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    # long names are shortened with an ellipsis, all of them still distinct
    names = model.summary_[schema.SEGMENT_NAME].map(shorten)
    assert set(rows) == set(names) and names.nunique() == len(names)
    # names come in the order of their segment codes
    codes = model.summary_.set_index(names)[schema.SEGMENT]
    assert rows == sorted(rows, key=lambda n: (codes[n].split("/")[0], int(codes[n].split("/")[1])))
    n_common = len(before) - 30
    assert ax.get_title().splitlines()[1] == (
        f"100% kept their base segment; {1 - n_moved / n_common:.0%} their matching sub-segment"
    )


def test_forty_sub_segments_of_two_fits_stay_readable(wide_model, wide_refit, layout, tmp_path):
    before, after = wide_model.labels_, wide_refit.labels_
    fig = plot_migration(before, after)
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 40 and len(ax.get_xticklabels()) == 40
    # every non-empty cell writes its count, at a readable size
    counts = pd.crosstab(before[schema.SEGMENT], after[schema.SEGMENT])
    assert len(ax.texts) == int((counts.to_numpy() > 0).sum())
    assert min(t.get_fontsize() for t in ax.texts) >= 5.5
    title = ax.get_title().splitlines()
    assert title[1].startswith("100% kept their base segment; ")
    fig.savefig(tmp_path / "migration.png", dpi=110)


def test_bad_arguments_are_named(before_after):
    before, after, _ = before_after
    with pytest.raises(ConfigError, match=r"normalize 'columns'.*\['index', None\]"):
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
