"""plot_stability: one bar per base segment, the bootstrap stability."""

from __future__ import annotations

import pytest

from metaseg.plots import plot_stability


def test_bars_are_the_model_stability(model, assert_rendered):
    fig = plot_stability(model)
    assert_rendered(fig)
    ax = fig.axes[0]
    bases = list(model.metrics_.index)
    assert [t.get_text() for t in ax.get_xticklabels()] == bases
    split = model.metrics_[model.metrics_["split"]]
    assert len(ax.patches) == len(split)
    for bar, (base, value) in zip(ax.patches, split["stability"].items(), strict=True):
        assert bar.get_height() == pytest.approx(value), base
        assert bases[round(bar.get_x() + bar.get_width() / 2)] == base
    notes = [t.get_text() for t in ax.texts]
    assert "not split" in notes
    assert "(1 refit(s) per segment)" in ax.get_title()


def test_without_bootstrap_says_not_computed(density_model, assert_rendered):
    fig = plot_stability(density_model)
    assert_rendered(fig)
    ax = fig.axes[0]
    assert len(ax.patches) == 0
    notes = [t.get_text() for t in ax.texts]
    assert notes.count("not computed") == 1  # 'active' was split but not bootstrapped
    assert notes.count("not split") == len(density_model.metrics_) - 1
    assert "n_bootstrap=0" in ax.get_title()
