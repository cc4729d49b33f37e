"""save_all: every plot of a model as PNG files."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.image import imread

from metaseg.plots import save_all
from metaseg.plots.save import _stems

from .conftest import distinct_colours


def _check_png(path) -> None:
    pixels = imread(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert distinct_colours(pixels) > 20


def test_model_only_plots(model, tmp_path):
    folder = tmp_path / "run" / "plots"
    open_before = plt.get_fignums()
    paths = save_all(model, folder)
    assert plt.get_fignums() == open_before  # every figure it made was closed
    split = [b for b in model.metrics_.index if model.segments_[b].split]
    expected = ["segment_sizes.png", "profile_heatmap.png", "stability.png"] + [
        f"k_selection_{b}.png" for b in split
    ]
    assert [p.name for p in paths] == expected
    assert all(p.parent == folder for p in paths)
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)  # no temp files left
    for path in paths:
        _check_png(path)


def test_with_facts_adds_maps_and_silhouettes(density_model, shop_facts, tmp_path):
    paths = save_all(density_model, tmp_path, facts=shop_facts)
    names = [p.name for p in paths]
    # a density segment has no k-selection curve; the only split segment gets map + silhouette
    assert names == [
        "segment_sizes.png",
        "profile_heatmap.png",
        "stability.png",
        "segment_map_active.png",
        "silhouette_active.png",
    ]
    for path in paths:
        _check_png(path)
    # saving again replaces the files
    again = save_all(density_model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert again[0].stat().st_size > 0


def test_file_names_are_safe_and_distinct():
    assert _stems(["high value", "high/value", "../x", "***", "A", "a"]) == {
        "high value": "high_value",
        "high/value": "high_value_2",
        "../x": "x",
        "***": "segment",
        "A": "A",
        "a": "a_2",
    }


def test_segments_left_whole_get_their_k_selection_plot(shop_facts, tmp_path):
    from metaseg.model import MetaSegmenter

    # age alone: one population in every base segment, so nothing is split
    model = MetaSegmenter(n_bootstrap=0, default={"features": {"features": ["age"]}})
    model = model.fit(shop_facts)
    assert not model.metrics_["split"].any()
    names = sorted(p.name for p in save_all(model, tmp_path))
    scored = sorted(model.k_selection_.index.get_level_values(0).unique())
    assert [n for n in names if n.startswith("k_selection_")] == [
        f"k_selection_{name}.png" for name in scored
    ]


def test_save_all_bar_names_each_plot(model, tmp_path, capsys):
    from metaseg.plots import save_all

    seen: list[str] = []
    paths = save_all(model, tmp_path / "a", progress=seen.append)
    assert seen == [p.stem for p in paths]
    assert capsys.readouterr().err == ""
    save_all(model, tmp_path / "b", progress=True)
    assert f"0/{len(paths)}" in capsys.readouterr().err
