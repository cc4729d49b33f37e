"""plot_profile_heatmap: sub-segments × features, coloured by their difference."""

from __future__ import annotations

import numpy as np
import pytest

from metaseg.exceptions import ConfigError
from metaseg.plots import plot_profile_heatmap
from metaseg.plots._heatmap import shorten
from metaseg.plots._model import own_part


def _cell(profiles, code: str, feature: str, value: str) -> float:
    row = profiles[(profiles["segment"] == code) & (profiles["feature"] == feature)]
    return float(row[value].iloc[0]) if len(row) else float("nan")


def test_all_base_segments_rows_named_and_cells_match_the_profiles(
    odd_name, model, assert_rendered
):
    fig = plot_profile_heatmap(model)
    assert_rendered(fig)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    summary = model.summary_
    expected = {
        shorten(f"{c}  {own_part(n, c.split('/')[0])}")
        for c, n in zip(summary["segment"], summary["segment_name"], strict=True)
    }
    assert set(rows) == expected and len(rows) == len(expected)
    assert f"active/0  {odd_name}" in rows
    # rows follow the rule priority of the base segments
    first_base = [r.split("/")[0] for r in rows]
    priority = [b for b in model.metrics_.index if b in set(first_base)]
    assert list(dict.fromkeys(first_base)) == priority
    features = [t.get_text() for t in ax.get_xticklabels()]
    assert set(features) == set(model.profiles_["feature"])
    image = ax.get_images()[0].get_array()
    for i, label in enumerate(rows):
        code = label.split("  ")[0]
        for j, feature in enumerate(features):
            expected_value = _cell(model.profiles_, code, feature, "std_diff")
            if np.isnan(expected_value):
                assert image.mask[i, j]
            else:
                assert image[i, j] == pytest.approx(expected_value)
    assert "std_diff" in ax.get_title()


def test_one_base_segment_in_lift(model, assert_rendered):
    fig = plot_profile_heatmap(model, "dormant", value="lift")
    assert_rendered(fig)
    ax = fig.axes[0]
    dormant = model.summary_[model.summary_["base_segment"] == "dormant"]
    assert [t.get_text() for t in ax.get_yticklabels()] == dormant["segment_name"].tolist()
    assert ax.get_title() == "dormant: lift against the base segment"
    features = [t.get_text() for t in ax.get_xticklabels()]
    annotations = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }
    for i, code in enumerate(dormant["segment"]):
        for j, feature in enumerate(features):
            lift = _cell(model.profiles_, code, feature, "lift")
            assert annotations[(i, j)] == f"{lift:.2f}×"
            assert ax.get_images()[0].get_array()[i, j] == pytest.approx(np.log2(lift))


def test_unknown_base_segment_lists_the_available_ones(model):
    with pytest.raises(ConfigError, match=r"'dormnat'.*Did you mean 'dormant'.*Available"):
        plot_profile_heatmap(model, "dormnat")


def test_empty_base_segment_has_no_profile(model):
    assert model.metrics_.loc["other", "n_customers"] == 0
    with pytest.raises(ConfigError, match=r"'other' has no customers"):
        plot_profile_heatmap(model, "other")


def test_unknown_value_is_refused(model):
    with pytest.raises(ConfigError, match=r"value 'zscore'.*'std_diff', 'lift'"):
        plot_profile_heatmap(model, value="zscore")


def test_forty_sub_segments_stay_readable(wide_model, layout):
    fig = plot_profile_heatmap(wide_model)
    layout.size(fig)
    layout.texts(fig)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 40
    assert all(t.get_visible() for t in ax.get_yticklabels() + ax.get_xticklabels())
    finite = np.isfinite(np.ma.filled(ax.get_images()[0].get_array(), np.nan)).sum()
    assert len(ax.texts) == finite  # every profiled cell writes its value
