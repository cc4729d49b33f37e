"""plot_stability: one bar per base segment, the bootstrap stability, and a threshold."""

from __future__ import annotations

import pytest

from metaseg.exceptions import ConfigError
from metaseg.plots import plot_stability
from metaseg.plots.stability import STABILITY_THRESHOLD
from metaseg.tracking.gates import QualityGates


def _row(patch) -> int:
    return round(patch.get_y() + patch.get_height() / 2)


def test_bars_are_the_model_stability(model, assert_rendered, layout):
    fig = plot_stability(model)
    assert_rendered(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    bases = list(model.metrics_.index)
    assert [t.get_text() for t in ax.get_yticklabels()] == bases
    split = model.metrics_[model.metrics_["split"]]
    assert len(ax.patches) == len(split)
    for bar, (base, value) in zip(ax.patches, split["stability"].items(), strict=True):
        assert bar.get_width() == pytest.approx(value), base
        assert bases[_row(bar)] == base
        assert bool(bar.get_hatch()) == (value < STABILITY_THRESHOLD)
    notes = {round(t.get_position()[1]): t.get_text() for t in ax.texts}
    assert notes[bases.index("other")] == "not split"
    assert "(1 refit(s) per segment)" in ax.get_title()


def test_threshold_line_is_drawn_and_explained(wide_model, layout):
    fig = plot_stability(wide_model, threshold=0.8)
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0.8, 0.8]
    assert "threshold 0.8" in ax.get_xlabel()
    values = wide_model.metrics_["stability"].dropna()
    hatched = {ax.get_yticklabels()[_row(p)].get_text() for p in ax.patches if p.get_hatch()}
    assert hatched == set(values[values < 0.8].index)
    assert 0 < len(hatched) < len(values)
    # the 'not split' note sits inside the axes, in its row
    note = next(t for t in ax.texts if t.get_text() == "not split")
    renderer = fig.canvas.get_renderer()
    box, frame = note.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1
    bases = list(wide_model.metrics_.index)
    assert bases[round(note.get_position()[1])] == "need_attention"


def test_default_threshold_is_the_quality_gate_and_none_draws_none(model):
    assert QualityGates().min_stability == STABILITY_THRESHOLD
    ax = plot_stability(model, threshold=None).axes[0]
    assert not ax.get_lines()
    assert ax.get_xlabel() == "stability (mean adjusted Rand index)"
    assert not [p for p in ax.patches if p.get_hatch()]
    with pytest.raises(ConfigError, match=r"threshold.*1\.5"):
        plot_stability(model, threshold=1.5)


def test_without_bootstrap_says_not_computed(density_model, assert_rendered, layout):
    fig = plot_stability(density_model)
    assert_rendered(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    assert len(ax.patches) == 0
    notes = [t.get_text() for t in ax.texts]
    assert notes.count("not computed") == 1  # 'active' was split but not bootstrapped
    assert notes.count("not split") == len(density_model.metrics_) - 1
    assert "n_bootstrap=0" in ax.get_title()
