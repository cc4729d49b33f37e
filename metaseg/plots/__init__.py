"""Plots of a fitted segmentation (matplotlib, imported only when a plot is drawn).

Every function takes a fitted :class:`~metaseg.model.MetaSegmenter` (or labels tables
for :func:`plot_migration`), returns a :class:`matplotlib.figure.Figure` and accepts
``ax=`` to draw into an existing axes. A new figure is opened in ``pyplot`` (it shows in
notebooks and with ``plt.show()``, and renders headless with Agg); close it with
``plt.close(fig)`` when done. ``plt.show`` is never called.

- :func:`plot_segment_sizes`: base segments with their sub-segments stacked.
- :func:`plot_profile_heatmap`: each sub-segment's features against its base segment.
- :func:`plot_segment_map`: a PCA or UMAP map of one base segment's customers.
- :func:`plot_k_selection`: the criterion per k of an automatic k-means.
- :func:`plot_silhouette`: the silhouette plot of one base segment.
- :func:`plot_stability`: bootstrap stability per base segment.
- :func:`plot_migration`: how customers moved between two labellings.
- :func:`save_all`: every plot of a model to PNG files.
"""

from metaseg.plots.campaigns import plot_campaign_lift
from metaseg.plots.drift import plot_drift
from metaseg.plots.kselection import plot_k_selection
from metaseg.plots.maps import plot_segment_map
from metaseg.plots.migration import plot_migration
from metaseg.plots.profiles import plot_profile_heatmap
from metaseg.plots.save import save_all
from metaseg.plots.silhouette import plot_silhouette
from metaseg.plots.sizes import plot_segment_sizes
from metaseg.plots.stability import plot_stability

__all__ = [
    "plot_campaign_lift",
    "plot_drift",
    "plot_k_selection",
    "plot_migration",
    "plot_profile_heatmap",
    "plot_segment_map",
    "plot_segment_sizes",
    "plot_silhouette",
    "plot_stability",
    "save_all",
]
