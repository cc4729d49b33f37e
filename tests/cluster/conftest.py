"""Data and fitted models shared by the clusterer tests (fitted once per session)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

from metaseg.cluster import DensityClusterer

N_BLOB_ROWS = 400
N_NOISE_ROWS = 20
N_ISLAND_ROWS = 18


@pytest.fixture(scope="session", autouse=True)
def _single_thread_kernels() -> Iterator[None]:
    """Run BLAS/OpenMP kernels on one thread: on a shared 2-core machine, k-means on a
    few hundred rows is ~100x slower when its OpenMP threads compete with other jobs."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four well-separated planted blobs of unequal size in 5 dimensions."""
    X, y = make_blobs(
        n_samples=[160, 110, 80, 50],
        n_features=5,
        cluster_std=1.0,
        center_box=(-12.0, 12.0),
        random_state=7,
    )
    return X, y


@pytest.fixture(scope="session")
def noisy_blobs(blobs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The planted blobs plus noise, labelled -1 in ``y``.

    The noise is 20 uniform background rows and a far-away island of 18 rows: fewer
    than the default minimum cluster size (22 of 438 rows), but more than UMAP's 15
    neighbours, so the island stays apart in the embedding and HDBSCAN calls it noise
    with and without UMAP.
    """
    X, y = blobs
    rng = np.random.RandomState(11)
    low, high = X.min(axis=0) - 2.0, X.max(axis=0) + 2.0
    background = rng.uniform(low, high, size=(N_NOISE_ROWS, X.shape[1]))
    island = rng.normal(size=(N_ISLAND_ROWS, X.shape[1])) * 0.3 + 30.0
    n_noise = N_NOISE_ROWS + N_ISLAND_ROWS
    return np.vstack([X, background, island]), np.concatenate([y, np.full(n_noise, -1)])


def _fit(X: np.ndarray, **params: object) -> DensityClusterer:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fitted fixtures must not warn
        return DensityClusterer(random_state=0, **params).fit(X)


@pytest.fixture(scope="session")
def density_models(noisy_blobs: tuple[np.ndarray, np.ndarray]) -> dict[tuple, DensityClusterer]:
    """Fitted density clusterers on the noisy blobs, keyed by (reducer, noise_policy)."""
    X, _ = noisy_blobs
    return {
        (reducer, policy): _fit(X, reducer=reducer, noise_policy=policy)
        for reducer in (None, "umap")
        for policy in ("keep", "threshold", "all")
    }
