"""Sub-segment discovery inside each base segment.

- :class:`AutoGaussianMixture`: a Gaussian mixture whose number of components is chosen by ICL.
- :class:`AutoKMeans`: k-means that chooses k by an internal validity criterion.
- :class:`DensityClusterer`: HDBSCAN, optionally on a UMAP embedding, with a noise policy.
- :func:`canonical_relabel`: number clusters largest first, noise (-1) untouched.
- :func:`cluster_metrics`: silhouette, Calinski-Harabasz, Davies-Bouldin and size shares.

The estimators take the numeric matrix built by :mod:`metaseg.features` for one base
segment and return int labels; ``hdbscan`` and ``umap`` are imported only when used.
"""

from metaseg.cluster.auto_kmeans import AutoKMeans
from metaseg.cluster.auto_mixture import AutoGaussianMixture
from metaseg.cluster.canonical import canonical_relabel
from metaseg.cluster.density import DensityClusterer
from metaseg.cluster.metrics import cluster_metrics

__all__ = [
    "AutoGaussianMixture",
    "AutoKMeans",
    "DensityClusterer",
    "canonical_relabel",
    "cluster_metrics",
]
