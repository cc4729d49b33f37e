"""scikit-learn's estimator checks for the clusterers (no check is excluded)."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from metaseg.cluster import AutoGaussianMixture, AutoKMeans, DensityClusterer


# Several checks fit on 1-15 rows, where the clusterers fall back to a single
# sub-segment by design and say so with a ClusteringWarning.
@pytest.mark.filterwarnings("ignore::metaseg.exceptions.ClusteringWarning")
@parametrize_with_checks(
    [
        AutoGaussianMixture(),
        AutoKMeans(),
        DensityClusterer(),
        DensityClusterer(reducer="umap", random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check, monkeypatch: pytest.MonkeyPatch) -> None:
    # check_array_api_input skips itself unless SCIPY_ARRAY_API is set. The estimators
    # only run it with the NumPy namespace, which needs no SciPy array-API support,
    # so the variable is set for the duration of each check to make it run.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
