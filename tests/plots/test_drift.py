"""plot_drift at real sizes: 40 sub-segments, capped figure, readable labels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.over_time import drift_report
from metaseg.plots import plot_drift
from metaseg.plots._heatmap import MAX_FIGSIZE


@pytest.fixture(scope="module")
def wide_report(wide_model, wide_refit, wide_facts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return drift_report(
            wide_refit, wide_facts, reference_facts=wide_facts, previous_labels=wide_model.labels_
        )


def test_migration_of_forty_sub_segments_is_capped_and_readable(wide_report, layout):
    fig = plot_drift(wide_report, "migration")
    layout.size(fig)
    layout.texts(fig)
    assert tuple(fig.get_size_inches()) == pytest.approx(MAX_FIGSIZE)
    ax = fig.axes[0]
    table = wide_report.migration
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in table.index]
    shares = ax.get_images()[0].get_array()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert len(ax.texts) == int((table.to_numpy() > 0).sum())
    assert all(t.get_fontsize() >= 5.5 for t in ax.texts)
    # tick labels are in a font that fits their rows, all shown at 40 rows
    assert all(t.get_visible() for t in ax.get_yticklabels())
    assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 6.0


def test_psi_writes_every_value(wide_report, layout):
    fig = plot_drift(wide_report, "psi")
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    psi = wide_report.psi
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    for fact, population, value in psi[["fact", "population", "psi"]].itertuples(index=False):
        cell = cells[(rows.index(fact), cols.index(population))]
        assert cell.get_text() == f"{value:.2f}"


def test_too_many_cells_drop_their_text_and_say_so(layout):
    """200 segments in a capped figure: cell texts would be unreadable, so none is written
    and the title says so; tick labels are thinned rather than overlapping."""
    from metaseg.over_time.drift import DriftReport

    codes = [f"base{i // 10}/{i % 10}" for i in range(200)]
    counts = np.eye(200, dtype=np.int64) * 50
    migration = pd.DataFrame(counts, index=codes, columns=codes)
    report = DriftReport(
        psi=pd.DataFrame(columns=["fact", "population", "psi"]),
        shares=pd.DataFrame(),
        migration=migration,
        overall={"n_common": 10_000, "moved_share": 0.0},
        warnings=[],
    )
    fig = plot_drift(report, "migration")
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    assert not ax.texts
    assert "cells too small to write their values" in ax.get_title()
    shown = [t for t in ax.get_yticklabels() if t.get_visible()]
    assert 10 < len(shown) < 200
    assert shown[0].get_text() == "base0/0"
