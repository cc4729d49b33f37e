"""Tests of metaseg.cluster.AutoKMeans."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score

from metaseg.cluster import AutoKMeans
from metaseg.exceptions import ClusteringWarning, ConfigError, DataError

CRITERIA = ("silhouette", "calinski_harabasz", "davies_bouldin")


@pytest.fixture(scope="module")
def fitted(blobs: tuple[np.ndarray, np.ndarray]) -> dict[str, AutoKMeans]:
    X, _ = blobs
    return {c: AutoKMeans(criterion=c, random_state=0).fit(X) for c in CRITERIA}


@pytest.mark.parametrize("criterion", CRITERIA)
def test_finds_the_four_planted_blobs(
    criterion: str, fitted: dict[str, AutoKMeans], blobs: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = blobs
    model = fitted[criterion]
    assert model.best_k_ == 4
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(y, model.labels_) >= 0.95
    assert model.cluster_centers_.shape == (4, X.shape[1])
    assert model.fallback_reason_ is None
    assert model.refit_with_ == "sample"


@pytest.mark.parametrize("criterion", CRITERIA)
def test_score_table_marks_the_best_k(criterion: str, fitted: dict[str, AutoKMeans]) -> None:
    scores = fitted[criterion].scores_
    assert scores.index.name == "k"
    assert scores.index.tolist() == list(range(1, 9))
    assert set(scores.columns) == {
        *CRITERIA,
        "inertia",
        "gap",
        "gap_se",
        "prediction_strength",
        "chosen",
    }
    assert scores["prediction_strength"].isna().all()  # only filled when it chooses k
    # k = 1 holds the total sum of squares; the indices are undefined for one cluster
    assert scores.loc[1, list(CRITERIA)].isna().all()
    assert scores.loc[1, "inertia"] > scores.loc[2, "inertia"]
    assert scores["chosen"].sum() == 1
    assert scores.index[scores["chosen"]].tolist() == [4]
    best = (
        scores[criterion].idxmin() if criterion == "davies_bouldin" else scores[criterion].idxmax()
    )
    assert best == 4
    # inertia can only fall as k grows on the same sample with good seeds
    assert scores["inertia"].iloc[0] > scores.loc[4, "inertia"]
    assert fitted[criterion].decision_.startswith(f"k=4: {criterion}")
    assert "is the best among k=2..8; gap test: Gap(" in fitted[criterion].decision_


def test_canonical_order_and_centres(
    fitted: dict[str, AutoKMeans], blobs: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = blobs
    model = fitted["silhouette"]
    sizes = np.bincount(model.labels_)
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)
    assert sizes.tolist() == [160, 110, 80, 50]
    for i, centre in enumerate(model.cluster_centers_):
        np.testing.assert_allclose(centre, X[model.labels_ == i].mean(axis=0), atol=1e-6)


def test_predict_reproduces_training_labels_in_any_batching(
    fitted: dict[str, AutoKMeans], blobs: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = blobs
    model = fitted["silhouette"]
    assert np.array_equal(model.predict(X), model.labels_)
    chunks = np.concatenate([model.predict(X[i : i + 7]) for i in range(0, len(X), 7)])
    assert np.array_equal(chunks, model.labels_)
    order = np.random.RandomState(0).permutation(len(X))
    assert np.array_equal(model.predict(X[order]), model.labels_[order])


def test_predict_assigns_new_points_to_the_nearest_centre(fitted: dict[str, AutoKMeans]) -> None:
    model = fitted["silhouette"]
    new = model.cluster_centers_[[3, 0, 2]] + 0.05
    assert model.predict(new).tolist() == [3, 0, 2]


def test_same_seed_same_result(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    a = AutoKMeans(k_max=5, random_state=42).fit(X)
    b = AutoKMeans(k_max=5, random_state=42).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    pd.testing.assert_frame_equal(a.scores_, b.scores_)


def test_sampled_evaluation_and_minibatch_refit() -> None:
    X, y = make_blobs(n_samples=3000, centers=4, n_features=4, center_box=(-12, 12), random_state=3)
    model = AutoKMeans(sample_size=400, minibatch_threshold=1000, random_state=0).fit(X)
    assert model.sample_size_ == 400
    assert model.refit_with_ == "MiniBatchKMeans"
    assert model.best_k_ == 4
    assert adjusted_rand_score(y, model.labels_) >= 0.95
    assert np.array_equal(model.predict(X), model.labels_)
    full = AutoKMeans(sample_size=400, minibatch_threshold=10_000, random_state=0).fit(X)
    assert full.refit_with_ == "KMeans"
    assert adjusted_rand_score(y, full.labels_) >= 0.95


def test_dataframe_keeps_feature_names(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = AutoKMeans(k_max=5, random_state=0).fit(frame)
    assert model.feature_names_in_.tolist() == list(frame.columns)
    assert model.n_features_in_ == X.shape[1]
    assert np.array_equal(model.predict(frame), model.labels_)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame.rename(columns={"f0": "other"}))


def test_k_max_is_clipped_to_distinct_rows_without_warnings() -> None:
    base = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.repeat(base, 25, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = AutoKMeans(k_max=8, random_state=0).fit(X)
    assert model.k_max_ == 3
    assert model.scores_.index.tolist() == [1, 2, 3]
    assert any("k_max clipped from 8 to 3" in note for note in model.notes_)
    assert model.fallback_reason_ is None


@pytest.mark.parametrize(
    "X",
    [np.ones((50, 3)), np.repeat(np.array([[0.0, 1.0], [4.0, 4.0]]), 30, axis=0), np.ones((1, 2))],
    ids=["identical-rows", "two-distinct-rows", "one-row"],
)
def test_too_few_distinct_rows_fall_back_to_one_cluster(X: np.ndarray) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = AutoKMeans(random_state=0).fit(X)
    categories = [w.category for w in caught]
    assert ClusteringWarning in categories
    assert ConvergenceWarning not in categories
    assert [w.filename for w in caught if w.category is ClusteringWarning] == [__file__]
    assert "distinct" in model.fallback_reason_
    assert model.best_k_ == 1 and model.n_clusters_ == 1
    assert model.labels_.tolist() == [0] * len(X)
    assert model.predict(X + 100.0).tolist() == [0] * len(X)
    np.testing.assert_allclose(model.cluster_centers_, X.mean(axis=0, keepdims=True))
    assert model.scores_.empty


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"k_min": 0}, ["k_min", "0"]),
        ({"min_silhouette": 1.5}, ["min_silhouette", "1.5"]),
        ({"min_silhouette": "high"}, ["min_silhouette", "'high'"]),
        ({"split_test": "dip"}, ["split_test", "'dip'"]),
        ({"k_tolerance": 1.0}, ["k_tolerance", "1.0"]),
        ({"n_references": 1}, ["n_references", "1"]),
        ({"k_min": 2.5}, ["k_min", "2.5"]),
        ({"k_min": True}, ["k_min", "True"]),
        ({"k_min": 5, "k_max": 3}, ["k_max", "k_max=3", "k_min=5"]),
        ({"criterion": "silhuette"}, ["criterion", "'silhuette'", "Did you mean 'silhouette'"]),
        ({"sample_size": 5}, ["sample_size", "5"]),
        ({"minibatch_threshold": 0}, ["minibatch_threshold", "0"]),
        ({"n_init": 0}, ["n_init", "0"]),
        ({"n_init": "many"}, ["n_init", "'many'"]),
    ],
)
def test_bad_parameters_raise_config_error_in_fit(
    params: dict[str, object], fragments: list[str]
) -> None:
    model = AutoKMeans(**params)  # construction never validates
    with pytest.raises(ConfigError) as info:
        model.fit(np.random.RandomState(0).normal(size=(20, 2)))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_non_numeric_and_non_finite_input_name_the_column() -> None:
    frame = pd.DataFrame({"recency": [1.0, 2.0, 3.0], "region": ["a", "b", "c"]})
    with pytest.raises(DataError, match="region"):
        AutoKMeans().fit(frame)
    frame = pd.DataFrame({"recency": [1.0, np.nan, 3.0], "monetary": [1.0, 2.0, np.inf]})
    with pytest.raises(DataError, match=r"NaN or infinite values in 2 of 3 rows.*'recency'"):
        AutoKMeans().fit(frame)


def _single_populations() -> dict[str, np.ndarray]:
    """Unimodal data of the kinds facts give: normal, skewed money, correlated, counts."""
    rng = np.random.default_rng(7)
    n = 3_000
    frequency = rng.poisson(rng.gamma(4.0, 1.5, n)) + rng.random(n)  # dequantised counts
    money = rng.lognormal(3.0, 0.5, n)
    return {
        "normal": rng.normal(size=(n, 4)),
        "log-money-and-counts": np.column_stack([np.log1p(frequency), np.log(money)]),
        "correlated": rng.multivariate_normal(
            [0, 0, 0], [[1, 0.8, 0.5], [0.8, 1, 0.4], [0.5, 0.4, 1]], n
        ),
        "uniform-box": rng.random((n, 2)),
    }


@pytest.mark.parametrize("name", list(_single_populations()))
def test_a_single_population_is_not_split(name: str) -> None:
    X = _single_populations()[name]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClusteringWarning)  # a decision, not a fallback
        model = AutoKMeans(random_state=0).fit(X)
    assert model.best_k_ == 1 and model.n_clusters_ == 1
    assert model.fallback_reason_ is None
    assert model.decision_.startswith("not split: gap test")
    scores = model.scores_
    assert scores.loc[1, "chosen"] and scores["chosen"].sum() == 1
    # the recorded evidence: no k >= 2 beats k = 1 by more than its standard error
    assert ((scores["gap"] - 2 * scores["gap_se"]).drop(index=1) <= scores.loc[1, "gap"]).all()
    assert model.labels_.tolist() == [0] * len(X)
    assert model.predict(X[:4]).tolist() == [0] * 4


def test_silhouette_split_test_uses_min_silhouette(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X = _single_populations()["normal"]
    kept = AutoKMeans(split_test="silhouette", random_state=0).fit(X)
    assert kept.best_k_ == 1
    assert "< min_silhouette=0.25" in kept.decision_
    assert kept.scores_["gap"].isna().all()
    forced = AutoKMeans(split_test="silhouette", min_silhouette=-1.0, random_state=0).fit(X)
    assert forced.best_k_ >= 2
    assert AutoKMeans(split_test="silhouette", random_state=0).fit(blobs[0]).best_k_ == 4


def test_k_min_2_forces_a_split_of_a_single_population() -> None:
    X = _single_populations()["normal"]
    model = AutoKMeans(k_min=2, random_state=0).fit(X)
    assert model.best_k_ >= 2
    assert 1 not in model.scores_.index


def test_three_groups_of_unequal_size_and_scale_are_found() -> None:
    # order count and order value differing several-fold, shares 70 / 22 / 8 %
    rng = np.random.default_rng(3)
    sizes = (2_100, 660, 240)
    orders = np.concatenate([rng.poisson(m, s) for m, s in zip((2, 10, 40), sizes, strict=True)])
    value = np.concatenate(
        [rng.lognormal(np.log(v), 0.25, s) for v, s in zip((25, 80, 300), sizes, strict=True)]
    )
    X = np.column_stack([np.log1p(orders + rng.random(orders.size)), np.log(value)])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    truth = np.repeat([0, 1, 2], sizes)
    model = AutoKMeans(random_state=0).fit(X)
    assert model.best_k_ == 3
    assert adjusted_rand_score(truth, model.labels_) >= 0.95
    assert "within 5% of the best" in model.decision_ or "is the best" in model.decision_
    # the strictly best silhouette may stop at 2 here; the tolerance keeps the finer split
    silhouettes = model.scores_["silhouette"]
    assert silhouettes.loc[3] >= 0.95 * silhouettes.max()


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        AutoKMeans().predict(np.zeros((2, 2)))
