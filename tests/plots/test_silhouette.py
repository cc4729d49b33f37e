"""plot_silhouette: per-customer silhouettes of one base segment, banded by sub-segment."""

from __future__ import annotations

import pytest
from sklearn.metrics import silhouette_score

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.plots import plot_silhouette


def _segment_rows(model, facts, base):
    labels = model.labels_[model.labels_[schema.BASE_SEGMENT] == base]
    part = facts.set_index(schema.CUSTOMER_ID).loc[labels[schema.CUSTOMER_ID]].reset_index()
    return labels, part


def test_mean_line_is_the_silhouette_of_the_segment(model, shop_facts, assert_rendered):
    fig = plot_silhouette(model, shop_facts, "dormant")
    assert_rendered(fig)
    ax = fig.axes[0]
    labels, part = _segment_rows(model, shop_facts, "dormant")
    X = model.segments_["dormant"].featurizer.transform(part).to_numpy()
    expected = silhouette_score(X, labels[schema.SUB_SEGMENT])
    mean_line = ax.get_lines()[0]
    assert mean_line.get_xdata()[0] == pytest.approx(expected)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"mean = {expected:.2f}"]
    counts = labels.groupby(schema.SUB_SEGMENT).size()
    names = labels.groupby(schema.SUB_SEGMENT)[schema.SEGMENT_NAME].first()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [f"{names[s]} ({counts[s]:,})" for s in sorted(counts.index)]
    assert ax.get_title() == f"dormant: silhouette of all {len(labels):,} customers"
    assert ax.get_xlabel() == "silhouette coefficient"


def test_noise_is_left_out_and_counted(density_model, shop_facts):
    ax = plot_silhouette(density_model, shop_facts, "active").axes[0]
    labels = density_model.labels_
    active = labels[labels[schema.BASE_SEGMENT] == "active"]
    noise = int((active[schema.SUB_SEGMENT] == schema.NOISE).sum())
    assert ax.get_title().endswith(f", {noise:,} noise left out")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == active.loc[active[schema.SUB_SEGMENT] >= 0, schema.SUB_SEGMENT].nunique()
    assert not any("unassigned" in t for t in ticks)


def test_bad_sample_size_and_seed(model, shop_facts):
    with pytest.raises(ConfigError, match=r"plot_silhouette: sample_size must be an integer"):
        plot_silhouette(model, shop_facts, "dormant", sample_size="all")
    with pytest.raises(ConfigError, match=r"random_state must be an integer"):
        plot_silhouette(model, shop_facts, "dormant", random_state=0.5)


def test_legend_stands_outside_the_bands(wide_model, wide_facts, layout):
    """Five bands filling the axes: the legend is beside them, never on them."""
    fig = plot_silhouette(wide_model, wide_facts, "hibernating")
    layout.size(fig)
    layout.texts(fig)
    layout.legend(fig)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    legend, frame = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert legend.x0 >= frame.x1  # right of the axes, where no band can reach
    assert len(ax.get_yticklabels()) == 5
