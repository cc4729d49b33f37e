"""plot_segment_sizes: one stacked bar per base segment, pieces named after sub-segments."""

from __future__ import annotations

from collections import defaultdict

import pytest
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter
from metaseg.plots import plot_segment_sizes


def _bar_widths_by_row(ax) -> dict[int, float]:
    widths: dict[int, float] = defaultdict(float)
    for patch in ax.patches:
        row = round(patch.get_y() + patch.get_height() / 2)
        widths[row] += patch.get_width()
    return widths


def test_bars_legend_and_ticks_carry_the_real_segments(odd_name, model, assert_rendered):
    fig = plot_segment_sizes(model)
    assert_rendered(fig)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    bases = list(model.metrics_.index)
    assert len(ticks) == len(bases)
    for tick, base in zip(ticks, bases, strict=True):
        assert tick.startswith(f"{base} ({int(model.metrics_.loc[base, 'n_customers']):,}")
    assert ticks[-1] == "other (0, not split)"
    # one piece per sub-segment; the pieces of a bar add up to the base segment's size
    assert len(ax.patches) == len(model.summary_)
    widths = _bar_widths_by_row(ax)
    for row, base in enumerate(bases):
        assert widths.get(row, 0.0) == pytest.approx(model.metrics_.loc[base, "n_customers"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for code, name, size in model.summary_[["segment", "segment_name", "size"]].itertuples(
        index=False
    ):
        assert f"{code}  {name}  ({size:,})" in legend
    assert f"active/0  {odd_name}  (" in " | ".join(legend)
    assert "3,000 customers" in ax.get_title()


def test_user_text_is_not_parsed_as_math(odd_name, model):
    ax = plot_segment_sizes(model).axes[0]
    odd = [t for t in ax.get_legend().get_texts() if odd_name in t.get_text()]
    assert len(odd) == 1 and odd[0].get_parse_math() is False


def test_noise_piece_is_grey_hatched_and_named(density_model, assert_rendered):
    fig = plot_segment_sizes(density_model)
    assert_rendered(fig)
    ax = fig.axes[0]
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    noise_size = int((density_model.labels_[schema.SEGMENT] == "active/-1").sum())
    assert noise_size > 0
    assert f"active/-1  active · unassigned  ({noise_size:,})" in texts
    n_sub = int((density_model.summary_[schema.SUB_SEGMENT] >= 0).sum())
    assert ax.get_title().endswith(f", {n_sub} sub-segments")
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1
    assert hatched[0].get_width() == pytest.approx(noise_size)


def test_a_new_figure_is_open_in_pyplot(model):
    import matplotlib.pyplot as plt

    fig = plot_segment_sizes(model)
    assert fig.number in plt.get_fignums()


def test_draws_into_a_given_axes(model):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_segment_sizes(model, ax=ax) is fig
    assert len(ax.patches) == len(model.summary_)


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="model must be a fitted"):
        plot_segment_sizes("model.pkl")
    with pytest.raises(NotFittedError, match="not fitted"):
        plot_segment_sizes(MetaSegmenter())


def test_ax_must_be_an_axes(model):
    with pytest.raises(ConfigError, match="ax must be a matplotlib Axes"):
        plot_segment_sizes(model, ax="left")
