"""The scoring copy of a fitted segmentation: no row per customer, same answers."""

from __future__ import annotations

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from metaseg import schema
from metaseg.datasets import make_shop
from metaseg.exceptions import DataError
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

SPECS = {
    "gmm": {"default": {"algorithm": "gmm"}},
    "kmeans": {"default": {"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 4}}},
    "hdbscan": {
        "default": {"algorithm": "hdbscan", "params": {"min_cluster_size": 0.1}},
    },
    "hdbscan-umap": {
        "default": {"algorithm": "none"},
        "segments": {
            "active": {
                "algorithm": "hdbscan",
                "params": {"reducer": "umap", "n_neighbors": 15, "min_cluster_size": 0.1},
            }
        },
    },
}


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    customers, events, _ = make_shop(n_customers=3_000, seed=7)
    return compute_facts(events, customers)


@pytest.fixture(scope="module", params=list(SPECS))
def fitted(request, facts) -> tuple[str, MetaSegmenter]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(
            n_bootstrap=0, min_segment_size=100, random_state=0, **SPECS[request.param]
        ).fit(facts)
    return request.param, model


def _pickled(model: MetaSegmenter) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def test_the_scoring_copy_answers_as_the_fitted_model(fitted, facts):
    kind, model = fitted
    assert any(seg.split for seg in model.segments_.values()), kind
    lean = joblib.load(io.BytesIO(_pickled(model.for_scoring({"x": "digest"}))))
    assert not hasattr(lean, "labels_")
    assert lean.n_fit_customers_ == len(facts)
    assert lean.training_digests_ == {"x": "digest"}
    pd.testing.assert_frame_equal(
        lean.predict(facts).drop(columns=schema.SCORED_AT),
        model.predict(facts).drop(columns=schema.SCORED_AT),
    )
    assert (lean.predict(facts)[schema.SEGMENT] == model.labels_[schema.SEGMENT]).all()
    pd.testing.assert_frame_equal(lean.predict_proba(facts), model.predict_proba(facts))
    pd.testing.assert_frame_equal(lean.transform(facts), model.transform(facts))
    ids = facts[schema.CUSTOMER_ID].iloc[:5].tolist()
    pd.testing.assert_frame_equal(lean.explain(ids, facts), model.explain(ids, facts))
    assert lean.summary_text() == model.summary_text()
    # the fitted model is untouched: its labels and clusterers' fit rows are still there
    assert len(model.labels_) == len(facts)
    assert all(hasattr(seg.clusterer, "labels_") for seg in model.segments_.values() if seg.split)


def test_the_scoring_copy_is_smaller_and_leaves_out_every_fit_row(fitted, facts):
    kind, model = fitted
    full, lean = len(_pickled(model)), len(_pickled(model.for_scoring()))
    assert lean < full / 2, (kind, full, lean)
    copy = model.for_scoring()
    for seg in copy.segments_.values():
        if seg.split:
            assert not hasattr(seg.clusterer, "labels_")
            inner = getattr(seg.clusterer, "hdbscan_", None)
            if inner is not None:
                assert inner._raw_data is None and inner._min_spanning_tree is None


def test_edits_need_the_training_labels_back(fitted, facts):
    kind, model = fitted
    lean = model.for_scoring()
    code = model.summary_[schema.SEGMENT].iloc[0]
    with pytest.raises(AttributeError, match="training_labels"):
        lean.rename({code: "Best"})  # renaming renames the labels too
    with pytest.raises(AttributeError, match=r"LoadedModel\.full_model"):
        _ = lean.labels_
    back = lean.with_training_labels(model.labels_)
    renamed = back.rename({code: "Best"})
    assert renamed.edits() == model.rename({code: "Best"}).edits()
    assert (renamed.labels_[schema.SEGMENT_NAME] == "Best").sum() == (
        model.labels_[schema.SEGMENT] == code
    ).sum()
    # editing a copy with its labels back, then scoring it lean, gives the same labels
    relean = pickle.loads(pickle.dumps(renamed.for_scoring()))
    assert relean.predict(facts)[schema.SEGMENT_NAME].tolist() == (
        renamed.labels_[schema.SEGMENT_NAME].tolist()
    )
    assert relean.edits() == renamed.edits()


def test_wrong_training_labels_are_refused(fitted):
    _, model = fitted
    lean = model.for_scoring()
    with pytest.raises(DataError, match=r"fitted on 3,000 customers but labels has 10 rows"):
        lean.with_training_labels(model.labels_.head(10))
    with pytest.raises(DataError, match="without the columns"):
        lean.with_training_labels(model.labels_[[schema.CUSTOMER_ID]])


def test_a_clone_of_the_scoring_copy_refits_to_the_same_labels(facts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(
            n_bootstrap=0, min_segment_size=100, random_state=0, **SPECS["kmeans"]
        ).fit(facts)
        again = clone(model.for_scoring()).fit(facts)
    assert np.array_equal(again.labels_[schema.SEGMENT], model.labels_[schema.SEGMENT])
