"""plot_segment_sizes: one stacked bar per base segment, pieces named after sub-segments."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter
from metaseg.plots import plot_segment_sizes


def _rows(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _bars(ax) -> dict[int, float]:
    """Bar width by row."""
    return {round(p.get_y() + p.get_height() / 2): p.get_width() for p in ax.patches}


def test_one_bar_per_sub_segment_under_its_base_segment(odd_name, model, assert_rendered):
    fig = plot_segment_sizes(model)
    assert_rendered(fig)
    ax = fig.axes[0]
    assert ax.get_legend() is None
    rows = _rows(ax)
    bars = _bars(ax)
    assert len(ax.patches) == len(model.summary_)
    total = int(model.metrics_["n_customers"].sum())
    for base in model.metrics_.index:
        size = int(model.metrics_.loc[base, "n_customers"])
        heading = [r for r, text in enumerate(rows) if text.startswith(f"{base} ({size:,}, ")]
        assert len(heading) == 1, base
        assert ax.get_yticklabels()[heading[0]].get_fontweight() == "bold"
        assert heading[0] not in bars
        block = model.summary_[model.summary_[schema.BASE_SEGMENT] == base]
        # its sub-segments follow the heading, each bar as long as the sub-segment
        for offset, (code, sub_size) in enumerate(
            zip(block[schema.SEGMENT], block["size"], strict=True), start=1
        ):
            row = heading[0] + offset
            assert rows[row].startswith(f"{code}  "), (rows[row], code)
            assert bars[row] == pytest.approx(sub_size)
            notes = [t.get_text() for t in ax.texts if round(t.get_position()[1]) == row]
            assert notes == [f"{sub_size:,} ({sub_size / total:.1%})"]
    assert rows[-1] == "other (0, 0%, not split)"  # an empty base segment has no bar
    assert f"active/0  {odd_name}" in rows
    assert ax.get_title() == (
        f"Segment sizes\n{total:,} customers, {len(model.metrics_)} base segments, "
        f"{len(model.summary_)} sub-segments"
    )


def test_generated_names_drop_the_base_segment_they_repeat(model):
    rows = _rows(plot_segment_sizes(model).axes[0])
    name = model.summary_.set_index(schema.SEGMENT).loc["dormant/0", schema.SEGMENT_NAME]
    assert name.startswith("dormant · ")
    assert f"dormant/0  {name.removeprefix('dormant · ')}" in rows


def test_user_text_is_not_parsed_as_math(odd_name, model):
    ax = plot_segment_sizes(model).axes[0]
    odd = [t for t in ax.get_yticklabels() if odd_name in t.get_text()]
    assert len(odd) == 1 and odd[0].get_parse_math() is False


def test_noise_bar_is_grey_hatched_and_named(density_model, assert_rendered):
    fig = plot_segment_sizes(density_model)
    assert_rendered(fig)
    ax = fig.axes[0]
    rows = _rows(ax)
    noise_size = int((density_model.labels_[schema.SEGMENT] == "active/-1").sum())
    assert noise_size > 0
    row = rows.index("active/-1  unassigned")
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1
    assert hatched[0].get_width() == pytest.approx(noise_size)
    assert round(hatched[0].get_y() + hatched[0].get_height() / 2) == row
    n_sub = int((density_model.summary_[schema.SUB_SEGMENT] >= 0).sum())
    assert ax.get_title().endswith(f", {n_sub} sub-segments")


def test_forty_sub_segments_need_no_legend_and_stay_readable(wide_model, layout):
    fig = plot_segment_sizes(wide_model)
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    assert ax.get_legend() is None
    assert len(ax.patches) == 40
    assert all(t.get_visible() for t in ax.get_yticklabels())
    assert len(_rows(ax)) == 40 + len(wide_model.metrics_)


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
