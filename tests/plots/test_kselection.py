"""plot_k_selection: the evidence used for k, one included, with the choice marked."""

from __future__ import annotations

import numpy as np
import pytest

from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter
from metaseg.plots import plot_k_selection


def test_mixture_panels_show_icl_likelihood_and_entropy_from_k_1(model, assert_rendered):
    scores = model.segments_["hesitant"].selection
    best = int(model.metrics_.loc["hesitant", "k"])
    fig = plot_k_selection(model, "hesitant")
    assert_rendered(fig)
    criterion_ax, likelihood_ax, entropy_ax = fig.axes
    curve, star = criterion_ax.get_lines()[0], criterion_ax.get_lines()[-1]
    np.testing.assert_array_equal(curve.get_xdata(), scores.index.to_numpy())
    assert curve.get_xdata()[0] == 1
    np.testing.assert_allclose(curve.get_ydata(), scores["icl"])
    assert list(star.get_xdata()) == [best]
    assert star.get_ydata()[0] == pytest.approx(scores["icl"].min())
    assert criterion_ax.get_title() == "hesitant: choice of k by ICL"
    assert criterion_ax.get_ylabel() == "ICL (lower is better)"
    np.testing.assert_allclose(likelihood_ax.get_lines()[0].get_ydata(), scores["log_likelihood"])
    np.testing.assert_allclose(entropy_ax.get_lines()[0].get_ydata(), scores["entropy"])
    assert fig._suptitle.get_text() == f"hesitant: k = {best}"


def test_kmeans_panels_show_the_criterion_the_elbow_and_the_gap_test(shop_facts, assert_rendered):
    model = MetaSegmenter(n_bootstrap=0, default={"algorithm": "kmeans"}).fit(shop_facts)
    scores = model.segments_["hesitant"].selection
    best = int(model.metrics_.loc["hesitant", "k"])
    fig = plot_k_selection(model, "hesitant")
    assert_rendered(fig)
    criterion_ax, inertia_ax, gap_ax = fig.axes
    curve, star = criterion_ax.get_lines()[0], criterion_ax.get_lines()[-1]
    splits = scores.loc[scores.index >= 2]
    np.testing.assert_array_equal(curve.get_xdata(), splits.index.to_numpy())
    np.testing.assert_allclose(curve.get_ydata(), splits["silhouette"])
    assert list(star.get_xdata()) == [best]
    legend = [t.get_text() for t in criterion_ax.get_legend().get_texts()]
    assert legend == ["silhouette", f"chosen k = {best}"]
    assert criterion_ax.get_title() == "hesitant: choice of k by silhouette"
    assert criterion_ax.get_ylabel() == "silhouette (higher is better)"
    # the elbow panel starts at k = 1 with the total sum of squares
    elbow = inertia_ax.get_lines()[0]
    np.testing.assert_array_equal(elbow.get_xdata(), scores.index.to_numpy())
    np.testing.assert_allclose(elbow.get_ydata(), scores["inertia"])
    assert elbow.get_xdata()[0] == 1
    # the gap panel: Gap(k) with its bars and the Gap(1) line the split test compares with
    gap_line = gap_ax.get_lines()[0]
    np.testing.assert_allclose(gap_line.get_ydata(), scores["gap"])
    assert any(np.allclose(line.get_ydata(), scores.loc[1, "gap"]) for line in gap_ax.get_lines())
    assert fig._suptitle.get_text() == f"hesitant: k = {best}"


def test_a_segment_left_whole_shows_why(shop_facts, assert_rendered):
    # age alone: one unimodal population in every base segment
    model = MetaSegmenter(n_bootstrap=0, default={"features": {"features": ["age"]}})
    model = model.fit(shop_facts)
    assert model.metrics_.loc["active", "k"] == 1
    name = "active"
    fig = plot_k_selection(model, name)
    assert_rendered(fig)
    assert fig._suptitle.get_text() == f"{name}: not split (k = 1)"
    star = fig.axes[1].get_lines()[-1]
    assert list(star.get_xdata()) == [1]


def test_density_segment_has_no_k_selection(density_model):
    with pytest.raises(ConfigError, match=r"'active' has no scored k.*none in this model"):
        plot_k_selection(density_model, "active")


def test_unscored_and_unknown_segments(model):
    with pytest.raises(ConfigError, match=r"'other' has no scored k.*0 customers"):
        plot_k_selection(model, "other")
    with pytest.raises(ConfigError, match=r"'Active'.*Did you mean 'active'"):
        plot_k_selection(model, "Active")


def test_the_panel_shows_the_criterion_the_segment_chose_k_by(shop_facts):
    default = {"algorithm": "kmeans", "params": {"criterion": "davies_bouldin"}}
    model = MetaSegmenter(n_bootstrap=0, default=default).fit(shop_facts)
    fig = plot_k_selection(model, "active")
    assert fig.axes[0].get_ylabel() == "davies_bouldin (lower is better)"
    scores = model.segments_["active"].selection
    np.testing.assert_allclose(
        fig.axes[0].get_lines()[0].get_ydata(), scores.loc[scores.index >= 2, "davies_bouldin"]
    )


def test_a_mixture_chosen_by_bic_shows_bic(shop_facts):
    default = {"params": {"criterion": "bic"}}
    model = MetaSegmenter(n_bootstrap=0, default=default).fit(shop_facts)
    fig = plot_k_selection(model, "active")
    assert fig.axes[0].get_ylabel() == "BIC (lower is better)"
    scores = model.segments_["active"].selection
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), scores["bic"])
