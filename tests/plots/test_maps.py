"""plot_segment_map: a 2-D map of one base segment's customers, coloured by sub-segment."""

from __future__ import annotations

import numpy as np
import pytest

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.plots import plot_segment_map


def _points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections)


def test_pca_map_of_a_whole_segment_matches_the_labels(
    odd_name, model, shop_facts, assert_rendered
):
    fig = plot_segment_map(model, shop_facts, "active")
    assert_rendered(fig)
    ax = fig.axes[0]
    labels = model.labels_[model.labels_[schema.BASE_SEGMENT] == "active"]
    counts = labels.groupby(schema.SEGMENT_NAME).size()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(f"{name} ({n:,})" for name, n in counts.items())
    assert any(text.startswith(odd_name) for text in legend)
    assert _points(ax) == len(labels)
    assert ax.get_title() == f"active: all {len(labels):,} customers, PCA map"
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_ylabel().startswith("PC2 (")


def test_sample_is_seeded_and_bounded(model, shop_facts):
    first = plot_segment_map(model, shop_facts, "dormant", sample_size=200, random_state=3)
    again = plot_segment_map(model, shop_facts, "dormant", sample_size=200, random_state=3)
    other = plot_segment_map(model, shop_facts, "dormant", sample_size=200, random_state=4)

    def offsets(fig):
        return np.concatenate([c.get_offsets() for c in fig.axes[0].collections])

    assert _points(first.axes[0]) == 200
    n_dormant = int((model.labels_[schema.BASE_SEGMENT] == "dormant").sum())
    assert first.axes[0].get_title().startswith(f"dormant: 200 of {n_dormant:,} customers")
    np.testing.assert_array_equal(offsets(first), offsets(again))
    assert offsets(first).shape == offsets(other).shape
    assert not np.array_equal(offsets(first), offsets(other))


def test_umap_map_on_a_small_sample(model, shop_facts, assert_rendered):
    fig = plot_segment_map(
        model, shop_facts, "churned", method="umap", sample_size=150, random_state=0
    )
    assert_rendered(fig)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("UMAP 1", "UMAP 2")
    assert _points(ax) == 150
    names = set(model.summary_.loc[model.summary_["base_segment"] == "churned", "segment_name"])
    legend = {t.get_text().rsplit(" (", 1)[0] for t in ax.get_legend().get_texts()}
    assert legend == names


def test_noise_is_drawn_and_named(density_model, shop_facts):
    ax = plot_segment_map(density_model, shop_facts, "active").axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    noise = int((density_model.labels_[schema.SEGMENT] == "active/-1").sum())
    assert legend[-1] == f"active · unassigned ({noise:,})"


def test_segment_not_split_names_the_reason_and_the_split_ones(density_model, shop_facts):
    with pytest.raises(ConfigError, match=r"'churned' was not split.*'none'.*\['active'\]"):
        plot_segment_map(density_model, shop_facts, "churned")


def test_unknown_base_segment_and_method(model, shop_facts):
    with pytest.raises(ConfigError, match=r"base_segment 'vip'.*Available: \['active'"):
        plot_segment_map(model, shop_facts, "vip")
    with pytest.raises(ConfigError, match=r"method 'tsne'.*'pca', 'umap'"):
        plot_segment_map(model, shop_facts, "active", method="tsne")
    with pytest.raises(ConfigError, match=r"sample_size must be >= 3, got 1"):
        plot_segment_map(model, shop_facts, "active", sample_size=1)


def test_facts_without_the_segment_or_not_a_frame(model, shop_facts):
    only_new = shop_facts[
        shop_facts[schema.CUSTOMER_ID].isin(
            model.labels_.loc[model.labels_[schema.BASE_SEGMENT] == "new", schema.CUSTOMER_ID]
        )
    ]
    with pytest.raises(
        DataError, match=r"no customer of the facts falls in base segment 'active'.*new: 240"
    ):
        plot_segment_map(model, only_new, "active")
    with pytest.raises(DataError, match="facts must be a pandas DataFrame"):
        plot_segment_map(model, shop_facts.to_numpy(), "active")
