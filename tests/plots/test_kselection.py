"""plot_k_selection: the criterion per k of an AutoKMeans, with the chosen k marked."""

from __future__ import annotations

import numpy as np
import pytest

from metaseg.exceptions import ConfigError
from metaseg.plots import plot_k_selection


def test_curve_is_the_recorded_scores_and_the_chosen_k_is_marked(model, assert_rendered):
    clusterer = model.segments_["hesitant"].clusterer
    fig = plot_k_selection(model, "hesitant")
    assert_rendered(fig)
    ax = fig.axes[0]
    curve, star = ax.get_lines()[0], ax.get_lines()[-1]
    np.testing.assert_array_equal(curve.get_xdata(), clusterer.scores_.index.to_numpy())
    np.testing.assert_allclose(curve.get_ydata(), clusterer.scores_["silhouette"])
    best = int(model.metrics_.loc["hesitant", "k"])
    assert list(star.get_xdata()) == [best]
    assert star.get_ydata()[0] == pytest.approx(clusterer.scores_.loc[best, "silhouette"])
    # the marked k is the best silhouette on the curve
    assert best == int(clusterer.scores_["silhouette"].idxmax())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["silhouette", f"chosen k = {best}"]
    assert ax.get_title() == "hesitant: choice of k by silhouette"
    assert ax.get_ylabel() == "silhouette (higher is better)"
    assert [int(float(t.get_text())) for t in ax.get_xticklabels()] == list(clusterer.scores_.index)


def test_density_segment_has_no_k_selection(density_model):
    with pytest.raises(
        ConfigError, match=r"'active' was split by DensityClusterer.*none in this model"
    ):
        plot_k_selection(density_model, "active")


def test_unsplit_and_unknown_segments(model):
    with pytest.raises(ConfigError, match=r"'other' was not split.*0 customers"):
        plot_k_selection(model, "other")
    with pytest.raises(ConfigError, match=r"'Active'.*Did you mean 'active'"):
        plot_k_selection(model, "Active")
